"""The claim list as of a date next to today's (not a test): time and number of queries.

    DJANGO_DEBUG=true DATABASE_URL=postgres://postgres@127.0.0.1:5432/ct_asof_bench \
        .venv/bin/python bench/asof.py [--runs 7] [--write]

Needs a generated PostgreSQL database, e.g. `manage.py generate_claims --claims 1000000
--actors 10000` (about 1.5M status changes); bench/run.py makes one the same way and reuses
it. In-process with the Django test Client, signed in as an analyst, on one connection:
each page today and with ?as_of=, one warm-up each, then `runs` requests alternating today /
as of (so load from other processes on the machine hits both alike); the median and the
ratio as of / today (target: at most 2x), and the number of queries of each (target: the
same). Two passes: with the facet cache off (every request counts its facets and charts:
the worst case) and on (a reader paging through a list already counted). --write puts the
table into bench/RESULTS.md as the section "As of a date" (replacing an older one).
"""

import argparse
import datetime
import os
import re
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "claimtracker.settings")

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from django.core.cache import cache  # noqa: E402
from django.core.signals import request_finished, request_started  # noqa: E402
from django.db import close_old_connections, connection  # noqa: E402
from django.db.models import Count, Max, Min  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402

from claims.models import Claim, StatusChange  # noqa: E402
from tests.factories import UserFactory  # noqa: E402

SECTION = "## As of a date"
TARGET_RATIO = 2.0


def pick_date():
    """A day a year before the newest claim: most of the table stated by then, and many
    verdicts of that day differ from today's."""
    newest = Claim.objects.aggregate(d=Max("stated_on"))["d"]
    oldest = Claim.objects.aggregate(d=Min("stated_on"))["d"]
    return max(oldest, newest - datetime.timedelta(days=365))


def busy_actor(as_of):
    """The actor with the most claims among the newest 10,000 stated by `as_of`."""
    newest = Claim.objects.filter(stated_on__lte=as_of).order_by("-stated_on", "-pk")
    row = (
        Claim.objects.filter(pk__in=newest.values("pk")[:10_000])
        .values("actor__slug")
        .annotate(n=Count("pk"))
        .order_by("-n")
        .first()
    )
    return row["actor__slug"]


def pages(as_of):
    actor = busy_actor(as_of)
    return [
        ("claim list, page 1", "/claims/"),
        (f"by actor ({actor})", f"/claims/?actor={actor}"),
        ("by status (denied)", "/claims/?status=denied"),
        ("text search (troops)", "/claims/?q=troops"),
        ("API list", "/api/claims/"),
    ]


def with_as_of(url, as_of):
    return f"{url}{'&' if '?' in url else '?'}as_of={as_of.isoformat()}"


def queries(client, url):
    with CaptureQueriesContext(connection) as captured:
        status = client.get(url).status_code
    return status, len(captured.captured_queries)


def timed(client, url, facet_cache):
    if not facet_cache:
        cache.clear()  # the in-process LocMem cache only (settings: no CACHES given)
    start = time.perf_counter()
    client.get(url)
    return time.perf_counter() - start


def measure(client, url, as_of, runs, facet_cache):
    past = with_as_of(url, as_of)
    settings.CLAIM_FACET_CACHE_SECONDS = 3600 if facet_cache else 0
    cache.clear()
    today_status, today_queries = queries(client, url)  # also the warm-up
    past_status, past_queries = queries(client, past)
    today, then = [], []
    for _ in range(runs):
        today.append(timed(client, url, facet_cache))
        then.append(timed(client, past, facet_cache))
    return {
        "status": (today_status, past_status),
        "queries": (today_queries, past_queries),
        "today": statistics.median(today),
        "as_of": statistics.median(then),
    }


def table(rows, as_of, runs):
    lines = [
        f"As of {as_of.isoformat()} against today, median of {runs} alternating runs "
        "(in-process test client, one connection).",
        "",
        "| page | facets | today (ms) | as of (ms) | ratio | queries today / as of | met |",
        "|---|---|---:|---:|---:|---|---|",
    ]
    for name, mode, r in rows:
        ratio = r["as_of"] / r["today"]
        # Never more queries than today's; one fewer is a facet the page leaves out (see
        # the notes under the table), reported, not hidden.
        same = r["queries"][1] <= r["queries"][0]
        ok = ratio <= TARGET_RATIO and same and r["status"] == (200, 200)
        lines.append(
            f"| {name} | {mode} | {r['today'] * 1000:.0f} | {r['as_of'] * 1000:.0f} | "
            f"{ratio:.2f}x | {r['queries'][0]} / {r['queries'][1]} | "
            f"{'met' if ok else 'MISSED'} |"
        )
    return lines


def write(path, body):
    text = path.read_text() if path.exists() else ""
    section = SECTION + "\n\n" + body.strip() + "\n"
    if SECTION in text:
        # Replace up to the next section of the same level.
        pattern = re.compile(re.escape(SECTION) + r"\n.*?(?=^## |\Z)", re.S | re.M)
        text = pattern.sub(section + "\n", text, count=1)
    else:
        text = text.rstrip() + "\n\n" + section
    path.write_text(text)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--as-of", type=datetime.date.fromisoformat, default=None)
    parser.add_argument("--write", action="store_true", help="update bench/RESULTS.md")
    parser.add_argument("--notes", default="", help="a paragraph put under the table")
    args = parser.parse_args()
    if connection.vendor != "postgresql":
        sys.exit("The benchmark needs PostgreSQL: set DATABASE_URL=postgres://…")
    # One connection for the whole run, so the captured queries are the page's.
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    settings.ALLOWED_HOSTS = ["*"]
    settings.DEBUG = False
    client = Client()
    client.force_login(UserFactory(username="bench-asof", role="analyst"))
    as_of = args.as_of or pick_date()
    claims, changes = Claim.objects.count(), StatusChange.objects.count()
    header = (
        f"{datetime.datetime.now(datetime.UTC):%Y-%m-%d %H:%M} UTC, {claims:,} claims, "
        f"{changes:,} status changes, PostgreSQL {connection.pg_version // 10000}; "
        f"{os.cpu_count()} cores shared with other work: compare the ratios, not the ms."
    )
    print(header)
    rows = []
    for facet_cache, mode in ((False, "counted"), (True, "cached")):
        for name, url in pages(as_of):
            result = measure(client, url, as_of, args.runs, facet_cache)
            rows.append((name, mode, result))
            print("\n".join(table([(name, mode, result)], as_of, args.runs)[-1:]), flush=True)
    lines = [header, "", *table(rows, as_of, args.runs)]
    missed = [
        f"{n} ({m})"
        for n, m, r in rows
        if r["as_of"] / r["today"] > TARGET_RATIO or r["queries"][1] > r["queries"][0]
    ]
    lines += [
        "",
        "Target (as of ≤ 2× today's time, no more queries than today's): "
        + ("met on every page." if not missed else "missed on " + ", ".join(missed) + "."),
        "",
        "`counted`: the facet cache off, so every request counts its status facet, busiest "
        "actors and charts; `cached`: a second look at a list already counted.",
    ]
    if args.notes:
        lines += ["", args.notes]
    body = "\n".join(lines)
    print(body)
    if args.write:
        write(ROOT / "bench" / "RESULTS.md", body)
        print("Wrote bench/RESULTS.md")


if __name__ == "__main__":
    main()
