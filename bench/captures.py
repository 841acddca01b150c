"""Page captures: what queueing costs a request, how fast one worker captures, and whether a
long queue slows the pages. Writes bench/CAPTURES.md.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/ct_capture_bench \
        .venv/bin/python bench/captures.py

It creates (or empties) the database named in DATABASE_URL (SQLite when unset: var/bench.sqlite3)
and serves test pages from a local server on a free port of 127.0.0.1 only.
"""

import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "claimtracker.settings")
os.environ["DJANGO_DEBUG"] = "true"
os.environ["CAPTURE_ALLOW_PRIVATE_ADDRESSES"] = "true"
os.environ.setdefault("DJANGO_MEDIA_ROOT", str(ROOT / "var" / "bench-media"))
if not os.environ.get("DATABASE_URL"):
    os.environ["DATABASE_URL"] = f"sqlite:///{ROOT / 'var' / 'bench.sqlite3'}"

PAGES = 200
QUEUED = 10_000
ROUNDS = 30


def main():
    import django

    from tests.captures.pageserver import PageServer

    server = PageServer().__enter__()
    os.environ["CAPTURE_ALLOWED_PORTS"] = str(server.port)
    django.setup()

    from django.conf import settings
    from django.core.management import call_command
    from django.db import connection, transaction
    from django.test import Client
    from django.test.utils import CaptureQueriesContext
    from django.utils import timezone
    from django_tasks_db.management.commands.db_worker import Worker
    from django_tasks_db.models import DBTaskResult

    from claims import services
    from claims.models import Capture, Source
    from tests.factories import ClaimFactory, UserFactory

    settings.ALLOWED_HOSTS = ["testserver"]
    call_command("migrate", verbosity=0)
    call_command("flush", interactive=False, verbosity=0)
    call_command("migrate", verbosity=0)  # roles again after the flush
    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    lines = [
        f"# Capture benchmarks ({connection.vendor}, {time.strftime('%Y-%m-%d')})",
        "",
        f"Load average at the start: {load} ({os.cpu_count()} cores); timings on a busy shared",
        "machine are inflated accordingly.",
        "",
    ]

    # 1. Queueing on the request path. The request saves the source in a transaction anyway;
    # what queueing adds is the difference between saving a source with a URL and without.
    def create_costs(with_url):
        costs = []
        for i in range(PAGES):
            url = server.url(f"/page/{i}") if with_url else ""
            start = time.perf_counter()
            services.create_record(Source(title=f"Page {i}", url=url), by=None)
            costs.append((time.perf_counter() - start) * 1000)
        return costs

    without_url = create_costs(False)
    with_url = create_costs(True)
    sources = list(Source.objects.exclude(url="").order_by("pk"))
    call_costs = []
    for source in sources[:PAGES]:
        with transaction.atomic():
            Capture.objects.filter(source=source).delete()
            start = time.perf_counter()
            services.request_capture(source=source)
            call_costs.append((time.perf_counter() - start) * 1000)
    added = statistics.median(with_url) - statistics.median(without_url)
    lines += [
        "## Queueing a capture (request path)",
        "",
        f"Creating a source ({PAGES} each, one transaction each): without a URL median "
        f"{statistics.median(without_url):.2f} ms, with a URL (capture queued) "
        f"{statistics.median(with_url):.2f} ms: queueing adds **{added:.2f} ms** "
        "(target < 5 ms).",
        f"`services.request_capture` alone inside an open transaction: median "
        f"{statistics.median(call_costs):.2f} ms, p95 "
        f"{sorted(call_costs)[int(PAGES * 0.95)]:.2f} ms (Capture row + task row, no commit).",
        "",
    ]
    DBTaskResult.objects.all().delete()
    Capture.objects.all().delete()
    with transaction.atomic():
        for source in sources:
            services.request_capture(source=source)

    # 2. One worker against the local server.
    worker = Worker(
        queue_names=["default"],
        interval=0,
        batch=True,
        backend_name="default",
        startup_delay=False,
        max_tasks=None,
        worker_id="bench",
        excluded_queue_names=[],
    )
    start = time.perf_counter()
    worker.run()
    elapsed = time.perf_counter() - start
    done = Capture.objects.filter(state="done").count()
    lines += [
        "## One worker",
        "",
        f"`db_worker` loop in one process, {PAGES} queued captures of local pages: {done} done in "
        f"{elapsed:.1f} s = **{done / elapsed:.1f} pages/s** (target ≥ 5/s). Each capture: "
        "fetch, WARC file written to storage, text extracted, quotes re-checked.",
        "",
    ]

    # 3. Pages with 10,000 captures queued.
    user = UserFactory(username="bench-reader", role="reader")
    for _ in range(50):
        ClaimFactory()
    client = Client()
    client.force_login(user)
    detail = sources[0].get_absolute_url()
    urls = [("claim list", "/claims/"), ("source list", "/sources/"), ("source page", detail)]

    def timings():
        result = {}
        for name, url in urls:
            client.get(url)
            samples = []
            for _ in range(ROUNDS):
                start = time.perf_counter()
                with CaptureQueriesContext(connection) as queries:
                    assert client.get(url).status_code == 200
                samples.append((time.perf_counter() - start) * 1000)
            result[name] = (statistics.median(samples), len(queries))
        return result

    before = timings()
    now = timezone.now()
    new_sources = Source.objects.bulk_create(
        Source(title=f"Queued {i}", url=f"https://example.invalid/{i}") for i in range(QUEUED)
    )
    Capture.objects.bulk_create(Capture(source=s, url=s.url, requested_at=now) for s in new_sources)
    from claims.tasks import capture_source

    with transaction.atomic():
        for pk in Capture.objects.filter(state="queued").values_list("pk", flat=True):
            capture_source.enqueue(pk)
    queued = DBTaskResult.objects.ready().count()
    after = timings()
    lines += [
        f"## Pages with {queued:,} captures queued",
        "",
        "| page | empty queue | queue full | queries |",
        "|---|---|---|---|",
    ]
    for name, _ in urls:
        lines.append(
            f"| {name} | {before[name][0]:.1f} ms | {after[name][0]:.1f} ms | "
            f"{before[name][1]} → {after[name][1]} |"
        )
    start = time.perf_counter()
    with transaction.atomic():
        services.request_capture(source=sources[1])
    lines += [
        "",
        f"Queueing one more with the queue full: {(time.perf_counter() - start) * 1000:.2f} ms. "
        "(The source list grew by 10,000 sources here, so its first page is the same size.)",
        "",
    ]
    server.__exit__()
    out = ROOT / "bench" / "CAPTURES.md"
    out.write_text("\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
