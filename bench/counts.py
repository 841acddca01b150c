"""What the claim list's counts cost cold: `python bench/counts.py` (run by `make bench`).

For each filter, the facets of the claim list (claims.listing.Facets: the total, the status
facet, the busiest actors and the chart) computed with the facet cache off, in-process
against BENCH_DATABASE_URL (the database bench/run.py generates), median of BENCH_RUNS. The
goal: at most 30 ms for any filter, and a count always shown (exact, "10,000+" or "about").
Writes its table into bench/RESULTS.md between the "counts" markers and its figures to
var/bench/counts.json for the goals table.

Timings are wall-clock on a shared machine: compare within one run.
"""

import json
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.run import busiest_actor, replace_section, setup_django  # noqa: E402

GOAL_MS = 30
FILTERS = [
    ("no filter", ""),
    ("busiest actor", "actor={actor}"),
    ("status", "status=denied"),
    ("status + a year", "status=denied&stated_from={from}&stated_to={to}"),
    ("three months", "stated_from={from}&stated_to={quarter}"),
    ("selective word", "q=kestrel"),
    ("common word (troops)", "q=troops"),
    ("two words", "q=naval+blockade"),
    ("as of a date", "as_of={from}"),
    ("confidence", "confidence=high"),
    ("source reliability", "min_reliability=B"),
]


def main():
    runs = int(os.environ.get("BENCH_RUNS") or 10)
    database_url = os.environ.get(
        "BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/ct_bench"
    )
    setup_django(database_url)
    import datetime

    from django.conf import settings
    from django.db.models import Max
    from django.http import QueryDict

    from claims.filters import ClaimFilter
    from claims.listing import Facets
    from claims.models import Claim

    settings.CLAIM_FACET_CACHE_SECONDS = 0
    busiest = busiest_actor()
    last = Claim.objects.aggregate(last=Max("stated_on"))["last"]
    first = last - datetime.timedelta(days=365)
    values = {
        "actor": busiest,
        "from": first.isoformat(),
        "to": last.isoformat(),
        "quarter": (first + datetime.timedelta(days=91)).isoformat(),
    }
    rows = []
    for label, template in FILTERS:
        query = QueryDict(template.format(**values))
        times, facets = [], None
        for _ in range(runs + 1):  # the first run warms the connection and the plans
            filterset = ClaimFilter(query, queryset=Claim.objects.all())
            assert filterset.is_valid(), filterset.errors
            started = time.perf_counter()
            facets = Facets(filterset, query, base_queryset=Claim.objects.all())
            times.append((time.perf_counter() - started) * 1000)
        median = statistics.median(times[1:])
        rows.append(
            {
                "filter": label,
                "query": query.urlencode(),
                "median_ms": round(median, 1),
                "max_ms": round(max(times[1:]), 1),
                "shown": facets.total_label,
                "chart": bool(facets.chart_bars),
                "actors": bool(facets.actors),
                "met": median <= GOAL_MS and bool(facets.total_label),
            }
        )
        print(f"  {label:<24} {median:7.1f} ms  shows {facets.total_label!r}")
    claims = Claim.objects.estimated_count()
    out = ROOT / "var" / "bench" / "counts.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps({"claims": claims, "rows": rows}))
    lines = [
        "## Counts cold (bench/counts.py)",
        "",
        f"{claims:,} claims (estimate); the claim list's facets (total, status facet, busiest"
        f" actors, chart) with the facet cache off, median and worst of {runs}. Goal: ≤"
        f" {GOAL_MS} ms for any filter, and a count always shown.",
        "",
        "| filter | query | median ms | worst ms | count shown | chart | actor facet | goal |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        lines.append(
            f"| {r['filter']} | `{r['query']}` | {r['median_ms']} | {r['max_ms']} | "
            f"{r['shown'] or '(none)'} | {'yes' if r['chart'] else 'no'} | "
            f"{'yes' if r['actors'] else 'no'} | {'met' if r['met'] else '**missed**'} |"
        )
    replace_section("counts", "\n".join(lines))


if __name__ == "__main__":
    main()
