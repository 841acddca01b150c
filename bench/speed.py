"""Sorts, the page cache and the rendering cost of the claim list, at the size of an existing
generated database: `python bench/speed.py` (run by `make bench` after bench/run.py).

In-process with the Django test Client against BENCH_DATABASE_URL (the database bench/run.py
generates; 1M claims by default), production settings, the shared cache in Redis when
REDIS_URL is set (else the file cache). For each page: the median server time over
BENCH_RUNS requests with the page and facet caches off (every request renders from the
database), and with them on (after one warming request). For each ?ordering=: page 1 and
the page 10,000 rows deep (page 200 at 50 a page) by cursor, next to the default order.
Writes its table into bench/RESULTS.md between the "speed" markers.

Timings are wall-clock on a shared machine: compare the ratios within one run.
"""

import datetime
import json
import os
import statistics
import sys
import time
from pathlib import Path
from urllib.parse import quote

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.run import bench_user, busiest_actor, replace_section, setup_django  # noqa: E402

SORTS = ["stated", "headline", "actor", "status", "updated"]
DEPTH = 10_000


def median_ms(client, url, runs, *, status=200):
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        response = client.get(url)
        times.append((time.perf_counter() - started) * 1000)
        assert response.status_code == status, (url, response.status_code)
    return statistics.median(times)


def deep_url(sort):
    """The list 10,000 rows deep in this order, as its "Older" link would have it."""
    from django.http import QueryDict

    from claims.filters import ClaimFilter
    from claims.listing import Cursor, claim_cursor_ordering
    from claims.models import Claim

    query = f"ordering={sort}" if sort else ""
    filterset = ClaimFilter(QueryDict(query), queryset=Claim.objects.all())
    assert filterset.is_valid()
    listed = filterset.qs
    ordering = claim_cursor_ordering(listed)
    # 10,000 rows deep, or halfway down a smaller database (a quick run).
    depth = min(DEPTH, Claim.objects.estimated_count() // 2)
    row = listed.select_related("actor")[depth]
    # As the page's own "Older" link writes it: the cursor's text is a query value.
    cursor = quote(str(Cursor.of_row(ordering, row)), safe="")
    return f"/claims/?{query}&before={cursor}" if query else f"/claims/?before={cursor}"


def main():
    runs = int(os.environ.get("BENCH_RUNS") or 15)
    database_url = os.environ.get(
        "BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/ct_bench"
    )
    setup_django(database_url)
    from django.conf import settings
    from django.core.cache import cache
    from django.test import Client

    from claims.models import Claim

    client = Client()
    client.force_login(bench_user())
    claims = Claim.objects.estimated_count()
    busiest = busiest_actor()
    pages = {
        "/claims/": "/claims/",
        "/claims/?actor=<busiest>": f"/claims/?actor={busiest}",
        "/claims/?status=denied": "/claims/?status=denied",
        "/claims/?ordering=headline": "/claims/?ordering=headline",
        "actor page": f"/actors/{busiest}/",
    }
    rows = []
    for label, url in pages.items():
        settings.CLAIM_PAGE_CACHE_SECONDS = settings.CLAIM_FACET_CACHE_SECONDS = 0
        cold = median_ms(client, url, runs)
        settings.CLAIM_PAGE_CACHE_SECONDS, settings.CLAIM_FACET_CACHE_SECONDS = 300, 60
        cache.clear()
        client.get(url)
        warm = median_ms(client, url, runs)
        rows.append((label, cold, warm))

    settings.CLAIM_PAGE_CACHE_SECONDS = settings.CLAIM_FACET_CACHE_SECONDS = 0
    sorts = []
    default_first = median_ms(client, "/claims/", runs)
    default_deep = median_ms(client, deep_url(""), runs)
    for sort in SORTS:
        for name in (sort, f"-{sort}"):
            first = median_ms(client, f"/claims/?ordering={name}", runs)
            deep = median_ms(client, deep_url(name), runs)
            sorts.append((name, first, deep))

    backend = settings.CACHES["default"]["BACKEND"].rsplit(".", 1)[-1]
    out = ROOT / "var" / "bench" / "speed.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(
        json.dumps(
            {
                "sorts": [
                    {
                        "ordering": name,
                        "first_ratio": first / default_first,
                        "deep_ratio": deep / default_deep,
                    }
                    for name, first, deep in sorts
                ]
            }
        )
    )
    lines = [
        "## Sorts, page cache and rendering (bench/speed.py)",
        "",
        f"{datetime.datetime.now(datetime.UTC):%Y-%m-%d %H:%M} UTC, {claims:,} claims "
        f"(estimate), in-process test Client, production settings, cache: {backend}, "
        f"median of {runs} requests each.",
        "",
        "| page | no page/facet cache | page cache hit | ratio |",
        "|---|---|---|---|",
    ]
    lines += [f"| `{p}` | {c:.1f} ms | {w:.1f} ms | {c / w:.1f}× |" for p, c, w in rows]
    lines += [
        "",
        f"Every sort, page 1 and {DEPTH:,} rows deep (page {DEPTH // 50}) by cursor, caches off;"
        f" default order: page 1 {default_first:.1f} ms, deep {default_deep:.1f} ms. Goal 4:"
        " each within 2× the default order's time.",
        "",
        "| ?ordering= | page 1 | deep page | vs default (page 1 / deep) | goal 4 |",
        "|---|---|---|---|---|",
    ]
    for name, first, deep in sorts:
        a, b = first / default_first, deep / default_deep
        met = "met" if a <= 2 and b <= 2 else "missed"
        lines.append(f"| `{name}` | {first:.1f} ms | {deep:.1f} ms | {a:.2f}× / {b:.2f}× | {met} |")
    section = "\n".join(lines)
    replace_section("speed", section)
    print(section)


if __name__ == "__main__":
    main()
