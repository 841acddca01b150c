"""Possible-duplicate check timings on the database DATABASE_URL names (PostgreSQL or SQLite).

    DATABASE_URL=postgres://…/ct_dup .venv/bin/python bench/duplicates.py

What the new-claim form, the API and the claim page ask claims.duplicates: for a sample of
existing claims, a near-copy of each (same actor, same day, a word changed) is checked, then
one that matches nothing (new words, a day with claims). Also the source checks: same
normalised URL (index lookup) and similar titles. Median and worst of the sample after one
warm-up, in milliseconds, wall-clock on a shared machine: compare within one run."""

import os
import random
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

from claims import duplicates  # noqa: E402
from claims.db import estimated_row_count  # noqa: E402
from claims.models import Claim, Source  # noqa: E402

SAMPLE = int(os.environ.get("BENCH_SAMPLE", "20"))


def timed(calls):
    calls[0]()  # warm-up
    times, results = [], []
    for call in calls:
        start = time.perf_counter()
        results.append(call())
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times), max(times), results


def near_copy(claim):
    words = claim.headline.split()
    words[len(words) // 2] = "reportedly"
    return {
        "headline": " ".join(words),
        "text": claim.text,
        "actor": claim.actor_id,
        "stated_on": claim.stated_on,
    }


def shouted(url):
    """The URL with its scheme and host in capitals: the same page to normalize_url."""
    scheme, rest = url.split("://", 1)
    host, _, path = rest.partition("/")
    return f"{scheme.upper()}://{host.upper()}/{path}"


def main():
    rng = random.Random(1)
    total = estimated_row_count(Claim)
    top = Claim.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
    ids = [rng.randrange(1, top + 1) for _ in range(SAMPLE * 3)]
    claims = list(Claim.objects.filter(pk__in=ids)[:SAMPLE])
    sources = list(Source.objects.exclude(url="").order_by("?")[:SAMPLE])
    print(f"{connection.vendor}, about {total:,} claims, {len(claims)} checks each (ms)")
    print("| check | median ms | max ms | found |")
    print("|---|---|---|---|")
    rows = [
        (
            "near-copy of a claim (form / API / import)",
            [lambda c=c: duplicates.similar_claims(**near_copy(c)) for c in claims],
        ),
        (
            "new claim, nothing like it",
            [
                lambda c=c: duplicates.similar_claims(
                    headline="Zyxxq committee denies quorvel shipments to Plorn",
                    text="Nothing like any other claim.",
                    actor=c.actor_id,
                    stated_on=c.stated_on,
                )
                for c in claims
            ],
        ),
        ("claim page: similar claims", [lambda c=c: duplicates.similar_to(c) for c in claims]),
        (
            "source with the same normalised URL",
            [
                lambda s=s: duplicates.source_with_url(shouted(s.url) + "/?utm_source=x")
                for s in sources
            ],
        ),
        (
            "sources with a similar title",
            [lambda s=s: duplicates.similar_source_titles(s.title + " today") for s in sources],
        ),
    ]
    for label, calls in rows:
        if not calls:
            continue
        median, worst, results = timed(calls)
        found = sum(1 for r in results if r)
        print(f"| {label} | {median:.1f} | {worst:.1f} | {found}/{len(results)} |")


if __name__ == "__main__":
    main()
