"""Captures through the real database queue: a worker thread (both databases) and a real
`manage.py db_worker` process (PostgreSQL: it needs a database another process can open)."""

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.db import OperationalError, connection
from django_tasks_db.models import DBTaskResult

from claims import services
from claims.models import Capture, Source
from tests.captures.pageserver import QUOTE
from tests.captures.workers import WorkerThread

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def queue_settings(capture_settings):
    capture_settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    return capture_settings


def wait_for(predicate, seconds=20):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            if predicate():
                return True
        except OperationalError:
            # SQLite's shared in-memory test database: a read while the worker thread writes
            # may find the table locked. Look again.
            pass
        time.sleep(0.05)
    return False


@pytest.mark.django_db(transaction=True)
def test_a_worker_thread_runs_the_queued_capture(queue_settings, page_server):
    source = services.create_record(
        Source(title="Statement", url=page_server.url("/quote")), by=None
    )
    assert DBTaskResult.objects.count() == 1
    with WorkerThread():
        done = wait_for(lambda: source.captures.filter(state="done").exists())
    assert done
    assert QUOTE in source.captures.get().text


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_db_worker_process_runs_the_queued_capture(queue_settings, page_server, tmp_path):
    source = services.create_record(
        Source(title="Statement", url=page_server.url("/quote")), by=None
    )
    db = connection.settings_dict
    env = {
        **os.environ,
        "DJANGO_DEBUG": "true",
        "DATABASE_URL": (
            f"postgres://{db['USER']}:{db['PASSWORD'] or ''}@{db['HOST']}:{db['PORT'] or 5432}"
            f"/{db['NAME']}"
        ),
        "CAPTURE_ALLOW_PRIVATE_ADDRESSES": "true",
        "CAPTURE_ALLOWED_PORTS": str(page_server.port),
        "DJANGO_MEDIA_ROOT": queue_settings.MEDIA_ROOT,
    }
    worker = subprocess.run(  # noqa: S603 - our own manage.py with fixed arguments
        [sys.executable, "manage.py", "db_worker", "--batch", "--no-startup-delay", "--no-reload"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert worker.returncode == 0, worker.stderr
    capture = source.captures.get()
    assert (capture.state, capture.http_status) == (Capture.State.DONE, 200)
    assert Path(queue_settings.MEDIA_ROOT, capture.warc.name).exists()
    assert DBTaskResult.objects.get().status == "SUCCESSFUL"
