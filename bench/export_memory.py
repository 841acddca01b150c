"""Does the CSV export stay flat in memory as the set grows? (a measurement, not a test)

    DJANGO_DEBUG=true DATABASE_URL=postgres://postgres@127.0.0.1:5432/ct_bench_export \
        .venv/bin/python bench/export_memory.py 100000 300000

Fills the database (bulk inserts: a data generator, not app code) up to each size, streams
/claims.csv and /claims.json through the test client and prints rows, seconds and the peak
Python memory (tracemalloc) while streaming.

Measured 2026-11-27 on the shared dev machine (PostgreSQL 15, one citation per claim):
100,000 claims: CSV 17 MB in 2.1 s, JSON 31 MB in 2.5 s; 300,000 claims: CSV 52 MB, JSON
94 MB; peak Python memory 3-13 MB at both sizes (flat: one 2,000-row chunk at a time)."""

import datetime
import os
import sys
import time
import tracemalloc
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "claimtracker.settings")

import django  # noqa: E402

django.setup()

from django.contrib.auth.models import User  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402

from claims.models import Actor, Citation, Claim, Source  # noqa: E402

BATCH = 10_000


def fill(total):
    with connection.cursor() as cursor:
        cursor.execute("SET statement_timeout = 0")
    if not Actor.objects.exists():
        Actor.objects.bulk_create(
            Actor(name=f"Bench actor {i}", slug=f"bench-{i}", kind="government") for i in range(100)
        )
        Source.objects.bulk_create(
            Source(title=f"Bench source {i}", url=f"https://example.org/bench/{i}")
            for i in range(1000)
        )
    actors = list(Actor.objects.values_list("pk", flat=True))
    sources = list(Source.objects.values_list("pk", flat=True))
    start = Claim.objects.count()
    day = datetime.date(2020, 1, 1)
    for first in range(start, total, BATCH):
        claims = Claim.objects.bulk_create(
            Claim(
                actor_id=actors[n % len(actors)],
                headline=f"Bench claim {n}",
                text=f"Bench claim {n}, said in full, with some words to make it longer.",
                stated_on=day + datetime.timedelta(days=n % 1500),
            )
            for n in range(first, min(first + BATCH, total))
        )
        Citation.objects.bulk_create(
            Citation(claim_id=c.pk, source_id=sources[c.pk % len(sources)]) for c in claims
        )


def measure(client, url, trace=True):
    if trace:
        tracemalloc.start()
    began = time.perf_counter()
    response = client.get(url)
    size = lines = 0
    for chunk in response.streaming_content:
        size += len(chunk)
        lines += chunk.count(b"\n")
    seconds = time.perf_counter() - began
    if not trace:
        return lines, size, seconds, 0
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return lines, size, seconds, peak


def main(sizes):
    call_command("migrate", verbosity=0)
    user, _ = User.objects.get_or_create(username="bench-reader")
    client = Client()
    client.force_login(user)
    for total in sizes:
        fill(total)
        for url in ["/claims.csv", "/claims.json"]:
            lines, size, _, peak = measure(client, url)
            *_, seconds, _ = measure(client, url, trace=False)  # tracemalloc slows Python
            print(
                f"{total:>9} claims {url:<13} {lines:>9} lines {size / 1e6:8.1f} MB "
                f"{seconds:7.1f} s untraced, peak Python memory {peak / 1e6:6.1f} MB"
            )


if __name__ == "__main__":
    main([int(a) for a in sys.argv[1:]] or [10_000, 100_000])
