"""How the proposition pages compare with the claim list page (not a test).

    DJANGO_DEBUG=true DATABASE_URL=postgres://postgres@127.0.0.1:5432/ct_propositions_bench \
        .venv/bin/python bench/propositions.py [runs]

Needs a generated database, e.g. `manage.py generate_claims --claims 1000000 --actors 10000
--propositions 100000` (the first generated proposition then has 10,000 stances). In-process
with the Django test Client, logged in as an analyst: one warm-up, then `runs` timed
requests per page; prints the median, the p95 and the ratio to the claim list's median
(target: at most 2x). Query counts are fixed by tests/views/test_proposition_query_counts.py.

Measured 2026-12-01 on the shared dev machine (PostgreSQL 15; 1,000,000 claims, 10,000
actors, 100,000 propositions, 709,752 stances; the full test suite running at the same time,
so compare ratios, not milliseconds), median of 5:
    claim list                                 246 ms   1.00x
    proposition list                           230 ms   0.93x
    proposition list, ?status=confirmed        144 ms   0.58x
    proposition list, ?q=kursk+drone           557 ms   2.26x  (icontains over 100k rows)
    busy proposition (10,007 stances)         1183 ms   4.80x
    busy proposition, ?asserts=50             1188 ms   4.82x
    grid, one actor                            164 ms   0.67x
    grid, newest 10,000 claims                 586 ms   2.38x
    /claims/?proposition=<busy>                412 ms   1.67x
Before ordering stances by COALESCE(claim date) (models.by_claim_date) the busy proposition
took 2,468 ms: PostgreSQL walked the claims' date index probing each for a stance. What
remains: each of its five stance queries (three columns, the disagreeing claims, the story
marks) joins the 10,000 stances to their claims, i.e. random reads of 10,000 claim rows.
Not yet within 2x; next steps: one windowed query for the three columns, and a trigram
index for the word search."""

import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "claimtracker.settings")

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from django.core.signals import request_finished, request_started  # noqa: E402
from django.db import close_old_connections  # noqa: E402
from django.test import Client  # noqa: E402

from claims.models import Actor, Claim, Proposition, Stance  # noqa: E402
from tests.factories import UserFactory  # noqa: E402


def pages():
    busy = Proposition.objects.order_by("pk").first()
    actor = Actor.objects.filter(pk=Claim.objects.order_by("-pk").values("actor_id")[:1]).get().slug
    return [
        ("claim list", "/claims/"),
        ("proposition list", "/propositions/"),
        ("proposition list, decided", "/propositions/?status=confirmed"),
        ("proposition list, words", "/propositions/?q=kursk+drone"),
        (f"busy proposition ({busy.stances.count():,} stances)", busy.get_absolute_url()),
        ("busy proposition, page 50 of a column", f"{busy.get_absolute_url()}?asserts=50"),
        ("grid, one actor", f"/propositions/grid/?actor={actor}"),
        ("grid, whole table (newest 10,000 claims)", "/propositions/grid/"),
        ("claims on the busy proposition", f"/claims/?proposition={busy.slug}"),
    ]


def measure(client, url, runs):
    status = client.get(url).status_code  # warm-up
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        client.get(url)
        times.append(time.perf_counter() - start)
    times.sort()
    p95 = times[min(len(times) - 1, round(0.95 * (len(times) - 1)))]
    return status, statistics.median(times), p95


def main():
    runs = int(sys.argv[1]) if len(sys.argv) > 1 else 10
    # Keep one connection for the whole run, so the captured queries are the page's.
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    settings.ALLOWED_HOSTS = ["*"]
    settings.DEBUG = False
    client = Client()
    client.force_login(UserFactory(username="bench-propositions", role="analyst"))
    print(
        f"{Claim.objects.count():,} claims, {Proposition.objects.count():,} propositions, "
        f"{Stance.objects.count():,} stances; {runs} runs per page"
    )
    baseline = None
    for name, url in pages():
        status, median, p95 = measure(client, url, runs)
        baseline = baseline or median
        print(
            f"{name:45} {status}  median {median * 1000:7.1f} ms  "
            f"p95 {p95 * 1000:7.1f} ms  {median / baseline:4.2f}x the claim list"
        )


if __name__ == "__main__":
    main()
