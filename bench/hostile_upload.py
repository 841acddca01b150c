"""How fast, and in how much memory, does the import page refuse hostile uploads? (not a test)

    DJANGO_DEBUG=true DATABASE_URL=postgres://postgres@127.0.0.1:5432/ct_hostile \
        .venv/bin/python bench/hostile_upload.py

Posts each file to /claims/import/ through the test client (Django's real upload handling:
files over 2.5 MB are spooled to a temporary file) as an analyst, and prints the status,
seconds, the peak Python memory (tracemalloc) and the growth of the process's resident size.
Results are in docs/RELIABILITY.md."""

import os
import resource
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "claimtracker.settings")

import django  # noqa: E402

django.setup()

from django.contrib.auth.models import Permission, User  # noqa: E402
from django.core.files.uploadedfile import SimpleUploadedFile  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import setup_test_environment  # noqa: E402

from claims.exports import COLUMNS  # noqa: E402
from claims.imports import import_claims  # noqa: E402
from claims.views import IMPORT_PAGE_MAX_ROWS, IMPORT_PERMISSIONS  # noqa: E402

HEADER = ",".join(COLUMNS) + "\n"
MB = 1024 * 1024


def files():
    row = ",C,T,nis,,2024-11-04,,,\n"
    yield "850,000 good rows", (HEADER + row * 850_000).encode()
    yield "20.8 MB of one-comma lines", (HEADER + ",\n" * (int(20.8 * MB) // 2)).encode()
    yield "one 19 MB field", (HEADER + ',"' + "x" * (19 * MB) + '"\n').encode()
    yield "19 MB without a newline", b"a," * (int(9.5 * MB))


def rss_mb():
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * resource.getpagesize() / MB


def main():
    setup_test_environment()
    user, _ = User.objects.get_or_create(username="bench-importer")
    perms = [p.split(".")[1] for p in IMPORT_PERMISSIONS]
    user.user_permissions.set(Permission.objects.filter(codename__in=perms))
    client = Client()
    client.force_login(user)
    for name, data in files():
        upload = SimpleUploadedFile("hostile.csv", data, content_type="text/csv")
        before = rss_mb()
        response, seconds, peak = measured(
            client.post, "/claims/import/", {"file": upload, "dry_run": "on"}
        )
        print(
            f"{name:28} {len(data) / MB:5.1f} MB -> {response.status_code} in {seconds:5.2f} s, "
            f"peak Python memory {peak:5.1f} MB, RSS +{rss_mb() - before:5.1f} MB"
        )
        # The same file read by the import from disk, as a worker reads an upload that
        # Django spooled to a temporary file: the import's own memory.
        with tempfile.TemporaryFile() as spooled:
            spooled.write(data)
            spooled.seek(0)
            report, seconds, peak = measured(
                import_claims, spooled, dry_run=True, max_rows=IMPORT_PAGE_MAX_ROWS
            )
        print(
            f"{'':28} import alone: {len(report.errors)} errors in {seconds:5.2f} s, "
            f"peak Python memory {peak:5.1f} MB"
        )
        del data, upload, response


def measured(function, *args, **kwargs):
    """(result, seconds, peak Python memory in MB) of one call."""
    tracemalloc.start()
    started = time.perf_counter()
    result = function(*args, **kwargs)
    seconds = time.perf_counter() - started
    peak = tracemalloc.get_traced_memory()[1] / MB
    tracemalloc.stop()
    return result, seconds, peak


if __name__ == "__main__":
    main()
