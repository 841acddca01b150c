"""Full-text search timings on the database DATABASE_URL names (PostgreSQL or SQLite).

    DATABASE_URL=postgres://…/ct_bench .venv/bin/python bench/search.py
    DATABASE_URL=sqlite:////path/bench.sqlite3 .venv/bin/python bench/search.py

For each query: what the claim list does with `q` — the first page (50 newest matches, with
the list's actor and source count) and the status facet (one GROUP BY over the matches,
within the list's 250 ms budget on PostgreSQL) — median and worst of RUNS runs after one
warm-up, in milliseconds. Through ClaimFilter, so it is the app's own SQL on either engine.
Timings are wall-clock on a shared machine: compare within one run."""

import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "claimtracker.settings")
os.environ.setdefault("DJANGO_DEBUG", "true")

import django  # noqa: E402

django.setup()

from django.db import connection  # noqa: E402
from django.db.models import Count  # noqa: E402
from django.http import QueryDict  # noqa: E402

from claims.filters import ClaimFilter  # noqa: E402
from claims.models import Claim  # noqa: E402

RUNS = int(os.environ.get("BENCH_RUNS", "7"))
QUERIES = [
    ("one rare word", "kestrel"),
    ("one common word", "troops"),
    ("two words", "naval blockade"),
    ("phrase", '"energy price cap"'),
    ("word -excluded", "blockade -naval"),
    ("a or b", "kestrel or svalbard"),
    ("actor alias", "usmanov"),
    ("no match", "zzzzqqq"),
]


def timed(function):
    function()  # warm-up: caches, page cache
    times = []
    for _ in range(RUNS):
        start = time.perf_counter()
        function()
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times), max(times)


def main():
    total = Claim.objects.count()
    print(f"{connection.vendor}, {total:,} claims, {RUNS} runs each (median / max ms)")
    print("| query | q | matches (capped 10,001) | first page ms | status facet ms |")
    print("|---|---|---|---|---|")
    for label, text in QUERIES:
        filterset = ClaimFilter(QueryDict(mutable=True) | {"q": text}, queryset=Claim.objects)
        assert filterset.is_valid(), filterset.errors
        claims = filterset.qs

        def first_page(claims=claims):
            return list(claims.for_list()[:51])

        def status_facet(claims=claims):
            return list(claims.order_by().values("status").annotate(n=Count("pk")))

        matches = claims.order_by().values("pk")[:10_001].count()
        page = timed(first_page)
        facet = timed(status_facet)
        print(
            f"| {label} | `{text}` | {matches:,} | {page[0]:.1f} / {page[1]:.1f} "
            f"| {facet[0]:.1f} / {facet[1]:.1f} |"
        )


if __name__ == "__main__":
    main()
