"""The bulk import at size: `python bench/import_speed.py` (100,000 claims by default).

Writes a CSV in the export's columns (statuses with rationales and confidences, one to three
cited source URLs a claim from a pool of claims / 10, graded evidence from the same pool on
every fourth claim, 200 actors, all new), then times `manage.py import_claims` on it into a
freshly migrated database (BENCH_IMPORT_DATABASE_URL, default ct_import_bench, dropped and
created) and prints rows per second, the command's own split (checking, the possible-
duplicate check, writing) and the load average before and after.

Timings are wall-clock on a shared machine: compare within one run.
"""

import argparse
import csv
import json
import os
import random
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "claimtracker.settings")
os.environ.setdefault("DJANGO_DEBUG", "true")
import django  # noqa: E402

django.setup()
from claims.exports import COLUMNS  # noqa: E402

STATUSES = [("unverified", "", ""), ("confirmed", "Seen.", "high"), ("denied", "Refuted.", "low")]


def write_csv(path, rows, seed=1):
    rng = random.Random(seed)
    pool = max(1, rows // 10)
    with path.open("w", newline="") as out:
        writer = csv.writer(out)
        writer.writerow(COLUMNS)
        for i in range(rows):
            status, rationale, confidence = STATUSES[i % len(STATUSES)]
            actor = i % 200
            urls = " ".join(
                f"https://example.org/report/{rng.randrange(pool)}"
                for _ in range(rng.randint(1, 3))
            )
            evidence = (
                f"refutes:{1 + i % 6}::https://example.org/report/{rng.randrange(pool)}"
                if i % 4 == 0
                else ""
            )
            record = {
                "id": "",
                "headline": f"Imported claim {i}",
                "text": f"Text of imported claim {i}: troops were seen near the border.",
                "actor_slug": f"import-actor-{actor}",
                "actor_name": f"Import actor {actor}",
                "stated_on": f"2024-{1 + i % 12:02d}-{1 + i % 28:02d}",
                "status": status,
                "status_rationale": rationale,
                "status_confidence": confidence,
                "evidence": evidence,
                "source_urls": urls,
                "stances": "",
            }
            writer.writerow([record.get(c, "") for c in COLUMNS])


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--rows", type=int, default=int(os.environ.get("BENCH_IMPORT_ROWS", 100_000))
    )
    default_url = "postgres://postgres@127.0.0.1:5432/ct_import_bench"
    parser.add_argument(
        "--database-url", default=os.environ.get("BENCH_IMPORT_DATABASE_URL", default_url)
    )
    args = parser.parse_args()
    name = args.database_url.rsplit("/", 1)[1]
    admin = args.database_url.rsplit("/", 1)[0] + "/postgres"
    subprocess.run(["psql", admin, "-qc", f'DROP DATABASE IF EXISTS "{name}"'], check=True)  # noqa: S603, S607
    subprocess.run(["psql", admin, "-qc", f'CREATE DATABASE "{name}"'], check=True)  # noqa: S603, S607
    env = {**os.environ, "DATABASE_URL": args.database_url, "DJANGO_DEBUG": "true"}
    manage = [sys.executable, str(ROOT / "manage.py")]
    subprocess.run([*manage, "migrate", "-v0"], env=env, check=True)  # noqa: S603
    path = ROOT / "var" / f"import-{args.rows}.csv"
    path.parent.mkdir(exist_ok=True)
    write_csv(path, args.rows)
    load_before = os.getloadavg()
    started = time.perf_counter()
    subprocess.run([*manage, "import_claims", str(path), "-v2"], env=env, check=True)  # noqa: S603
    seconds = time.perf_counter() - started
    load_after = os.getloadavg()
    print(f"import of {args.rows:,} rows: {seconds:.1f} s ({args.rows / seconds:,.0f} rows/s)")
    print(f"load average (1, 5, 15 min): before {_load(load_before)}, after {_load(load_after)}")
    # For the goals table `make bench` writes (bench/run.py).
    out = ROOT / "var" / "bench" / "import.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps({"rows": args.rows, "seconds": seconds, "load": load_after[0]}))


def _load(averages):
    return " ".join(f"{value:.2f}" for value in averages)


if __name__ == "__main__":
    main()
