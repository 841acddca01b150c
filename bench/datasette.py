"""ClaimTracker on SQLite against Datasette 0.65 on the same file: `make bench-datasette`.

    .venv/bin/python bench/datasette.py                      # 1M claims, 10k actors
    BENCH_CLAIMS=100000 BENCH_ACTORS=1000 .venv/bin/python bench/datasette.py   # quick

1. Builds the SQLite file under var/datasette-bench/ with `manage.py migrate` and
   `manage.py generate_claims --seed 1` (a file already holding the asked-for number of claims
   and actors is reused), and installs bench/requirements-datasette.txt into its own
   virtualenv, var/datasette-venv (never into the project's).
2. Starts both servers on that file, each one process:
   - Datasette: `datasette serve -i FILE --setting suggest_facets off`, immutable, with our
     page size (50 rows) and the claims' FTS5 table named in its metadata (Datasette finds
     an FTS table by its content= option; ours is contentless, so it has to be told), so
     `?_search=` runs the same MATCH over the same index as our `?q=`;
   - ClaimTracker: gunicorn with the project's gunicorn.conf.py, one worker (gthread), DEBUG
     off, anonymous reading (CLAIMTRACKER_PUBLIC_READ, as Datasette has no login), and no
     cache at all (bench/settings_nocache.py: a dummy cache backend, facet and page caches
     at 0). A second ClaimTracker beside it keeps the project's file cache with only the two
     cache settings at 0, to show what the fragments still cached there (the filter form)
     are worth.
3. Times each pair of pages over HTTP/1.1 keep-alive connections, warm-up first, the servers
   taken in turn request by request so that a busy moment hits both: median and p95.
4. Profiles our side in-process (Django test client, the same settings): cProfile of one
   request and the SQL it runs, each statement replayed with the sqlite3 module for its time.
5. Writes bench/DATASETTE.md (keeping its hand-written notes) and prints the table.

Wall-clock timings on a shared machine: compare the ratios within one run.
"""

import argparse
import cProfile
import datetime
import http.client
import io
import json
import os
import platform
import pstats
import shutil
import socket
import sqlite3
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
VAR = ROOT / "var"
PYTHON = sys.executable
REQUIREMENTS = ROOT / "bench" / "requirements-datasette.txt"
DATASETTE_VENV = VAR / "datasette-venv"
OUTPUT = ROOT / "bench" / "DATASETTE.md"
sys.path.insert(0, str(ROOT))

from bench import run  # noqa: E402
from bench.run import env_int  # noqa: E402

# Our list's page size (claims.listing.CLAIMS_PER_PAGE); Datasette's default is 100.
PAGE_SIZE = 50
TARGET = 1.0
RARE_WORD, COMMON_WORD = "kestrel", "troops"


def server_env(database_url, **extra):
    """bench/run.py's production-like settings, read anonymously with no cache on our side."""
    return run.server_env(
        database_url,
        CLAIMTRACKER_PUBLIC_READ="true",
        CLAIM_FACET_CACHE_SECONDS="0",
        CLAIM_PAGE_CACHE_SECONDS="0",
        **extra,
    )


def manage(database_url, *args):
    subprocess.run([PYTHON, "manage.py", *args], cwd=ROOT, env=server_env(database_url), check=True)


def counts(path):
    """(claims, actors) in the file, or None if it isn't a generated database."""
    if not path.exists():
        return None
    try:
        with sqlite3.connect(f"file:{path}?mode=ro", uri=True) as conn:
            claims = conn.execute("SELECT count(*) FROM claims_claim").fetchone()[0]
            actors = conn.execute("SELECT count(*) FROM claims_actor").fetchone()[0]
    except sqlite3.Error:
        return None
    return claims, actors


def ensure_file(claims, actors, recreate):
    # The file is called db.sqlite3, so Datasette serves it as /db/.
    path = VAR / "datasette-bench" / f"c{claims}-a{actors}" / "db.sqlite3"
    url = f"sqlite:///{path}"
    have = counts(path)
    if have == (claims, actors) and not recreate:
        print(f"Reusing {path} ({claims:,} claims, {actors:,} actors)")
        manage(url, "migrate", "--noinput", "--verbosity=0")  # a no-op unless the code moved on
        return path, None
    if path.exists():
        print(f"{path} holds {have}, not ({claims}, {actors}): building it again")
    path.parent.mkdir(parents=True, exist_ok=True)
    for stale in path.parent.glob("db.sqlite3*"):
        stale.unlink()
    started = time.perf_counter()
    manage(url, "migrate", "--noinput", "--verbosity=0")
    print(f"Generating {claims:,} claims, {actors:,} actors (about 4 minutes at 1M)")
    manage(url, "generate_claims", f"--claims={claims}", f"--actors={actors}", "--seed=1")
    return path, time.perf_counter() - started


def wanted_datasette_version():
    for line in REQUIREMENTS.read_text().splitlines():
        if line.startswith("datasette=="):
            return line.split("==", 1)[1].strip()
    raise SystemExit(f"{REQUIREMENTS} pins no datasette version")


def ensure_datasette():
    binary = DATASETTE_VENV / "bin" / "datasette"
    version = wanted_datasette_version()
    if binary.exists():
        shown = subprocess.run([binary, "--version"], capture_output=True, text=True, check=False)
        if shown.stdout.split()[-1:] == [version]:
            return binary
    print(f"Installing datasette {version} into {DATASETTE_VENV}")
    subprocess.run([sys.executable, "-m", "venv", "--clear", DATASETTE_VENV], check=True)
    pip = DATASETTE_VENV / "bin" / "pip"
    subprocess.run(
        [pip, "install", "--quiet", "--disable-pip-version-check", "-r", REQUIREMENTS],
        check=True,
    )
    return binary


def placeholders(path):
    """The busiest actor, a claim from the middle of the table, and each search's count."""
    with sqlite3.connect(f"file:{path}?mode=ro", uri=True) as conn:
        actor_id, actor_claims = conn.execute(
            "SELECT actor_id, count(*) n FROM claims_claim GROUP BY actor_id "
            "ORDER BY n DESC LIMIT 1"
        ).fetchone()
        slug, name = conn.execute(
            "SELECT slug, name FROM claims_actor WHERE id = ?", [actor_id]
        ).fetchone()
        total = conn.execute("SELECT count(*) FROM claims_claim").fetchone()[0]
        claim_id = conn.execute(
            "SELECT id FROM claims_claim ORDER BY id LIMIT 1 OFFSET ?", [total // 2]
        ).fetchone()[0]
        denied = conn.execute(
            "SELECT count(*) FROM claims_claim WHERE status = 'denied'"
        ).fetchone()[0]
        matches = {
            word: conn.execute(
                "SELECT count(*) FROM claims_claim_fts WHERE claims_claim_fts MATCH ?",
                [f'"{word}"'],
            ).fetchone()[0]
            for word in (RARE_WORD, COMMON_WORD)
        }
    return {
        "actor_id": actor_id,
        "actor": slug,
        "actor_name": name,
        "actor_claims": actor_claims,
        "claim_id": claim_id,
        "claims": total,
        "denied": denied,
        "matches": matches,
    }


def pages(values):
    """(name, our path, Datasette's path, what it counts) for each compared page."""
    v = values
    table = "/db/claims_claim"
    return [
        ("claim list", "/claims/", table, f"{v['claims']:,} claims"),
        (
            "filtered by actor (busiest)",
            f"/claims/?actor={v['actor']}",
            f"{table}?actor_id={v['actor_id']}",
            f"{v['actor_claims']:,} claims",
        ),
        (
            "filtered by status=denied",
            "/claims/?status=denied",
            f"{table}?status=denied",
            f"{v['denied']:,} claims",
        ),
        ("one claim", f"/claims/{v['claim_id']}/", f"{table}/{v['claim_id']}", ""),
        (
            f"text search, selective ({RARE_WORD})",
            f"/claims/?q={RARE_WORD}",
            f"{table}?_search={RARE_WORD}",
            f"{v['matches'][RARE_WORD]:,} matches",
        ),
        (
            f"text search, common ({COMMON_WORD})",
            f"/claims/?q={COMMON_WORD}",
            f"{table}?_search={COMMON_WORD}",
            f"{v['matches'][COMMON_WORD]:,} matches",
        ),
    ]


# 2. Servers --------------------------------------------------------------------------------


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for(port, path, log, timeout=60):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
            conn.request("GET", path)
            if conn.getresponse().status < 500:
                return
        except OSError:
            time.sleep(0.3)
    raise SystemExit(f"the server on port {port} did not come up; see {log}")


def start(cmd, env, log, port, probe):
    handle = open(log, "w")  # noqa: SIM115 - lives as long as the server
    server = subprocess.Popen(  # noqa: S603
        cmd, cwd=ROOT, env=env, stdout=handle, stderr=subprocess.STDOUT, start_new_session=True
    )
    wait_for(port, probe, log)
    return server


def start_datasette(binary, path, port):
    metadata = path.parent / "datasette-metadata.json"
    # fts_pk: the FTS rowid is the claim's id (a contentless index, rows named by claim id).
    tables = {"claims_claim": {"fts_table": "claims_claim_fts", "fts_pk": "id"}}
    metadata.write_text(json.dumps({"databases": {"db": {"tables": tables}}}, indent=2))
    cmd = [
        str(binary),
        "serve",
        "-i",
        str(path),
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--metadata",
        str(metadata),
        "--setting",
        "suggest_facets",
        "off",
        "--setting",
        "default_page_size",
        str(PAGE_SIZE),
    ]
    return start(cmd, dict(os.environ), VAR / "datasette-bench" / "datasette.log", port, "/db")


def start_claimtracker(path, port, name, **settings):
    env = server_env(
        f"sqlite:///{path}",
        GUNICORN_BIND=f"127.0.0.1:{port}",
        GUNICORN_WORKERS="1",
        GUNICORN_LOG_LEVEL="warning",
        **settings,
    )
    cmd = [str(Path(PYTHON).parent / "gunicorn"), "-c", "gunicorn.conf.py", "--no-control-socket"]
    # The access log (one line a request) goes to the file, as Datasette's does.
    return start(cmd, env, VAR / "datasette-bench" / f"{name}.log", port, "/healthz")


def stop(server):
    if server and server.poll() is None:
        server.terminate()
        try:
            server.wait(timeout=15)
        except subprocess.TimeoutExpired:
            server.kill()


# 3. Timing ---------------------------------------------------------------------------------


class Client:
    """One keep-alive HTTP/1.1 connection, reopened if the server closed it."""

    def __init__(self, port):
        self.port, self.conn = port, None

    def get(self, path):
        for attempt in (1, 2):
            if self.conn is None:
                self.conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
            try:
                started = time.perf_counter()
                self.conn.request("GET", path)
                response = self.conn.getresponse()
                body = response.read()
                elapsed = time.perf_counter() - started
            except (http.client.HTTPException, OSError):
                self.conn.close()
                self.conn = None
                if attempt == 2:
                    raise
                continue
            if response.getheader("Connection", "").lower() == "close":
                self.conn.close()
                self.conn = None
            return response.status, body, elapsed
        raise AssertionError("unreachable")


def p95(values):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]


def time_pairs(servers, page_list, runs, warmup):
    """{page name: {server name: {median, p95, status, bytes}}}, servers in turn."""
    results = {}
    for name, ours, theirs, _ in page_list:
        paths = {label: theirs if label == "datasette" else ours for label in servers}
        samples = {label: [] for label in servers}
        status, size = {}, {}
        for i in range(warmup + runs):
            for label, client in servers.items():
                code, body, elapsed = client.get(paths[label])
                status[label], size[label] = code, len(body)
                if i >= warmup:
                    samples[label].append(elapsed)
        results[name] = {
            label: {
                "median": statistics.median(samples[label]) * 1000,
                "p95": p95(samples[label]) * 1000,
                "status": status[label],
                "bytes": size[label],
            }
            for label in servers
        }
        shown = "  ".join(
            f"{label} {r['median']:6.1f} ms ({r['status']})" for label, r in results[name].items()
        )
        print(f"  {name:<34} {shown}")
    return results


def datasette_checks(client, values):
    """Datasette's own figures for the searches: it must match what our index says."""
    checks = {}
    for word in (RARE_WORD, COMMON_WORD):
        _, body, _ = client.get(f"/db/claims_claim.json?_search={word}&_size=1")
        data = json.loads(body)
        checks[word] = data.get("filtered_table_rows_count")
    return checks


# 4. Profile (in-process) -------------------------------------------------------------------


def profile_pages(path, page_list, top=25):
    """For each of our pages: wall time in-process, the SQL it ran (each statement replayed
    on a plain sqlite3 connection), and the functions where the rest of the time goes."""
    os.environ.update(server_env(f"sqlite:///{path}"))
    os.environ["DJANGO_SETTINGS_MODULE"] = "bench.settings_nocache"
    sys.path.insert(0, str(ROOT))
    os.chdir(ROOT)
    import django

    django.setup()
    from django.db import connection
    from django.test import Client as TestClient
    from django.test.utils import CaptureQueriesContext

    client = TestClient()
    replay = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    profiles = {}
    for name, ours, _, _ in page_list:
        for _ in range(3):
            client.get(ours)
        times = []
        for _ in range(7):
            started = time.perf_counter()
            client.get(ours)
            times.append(time.perf_counter() - started)
        with CaptureQueriesContext(connection) as captured:
            client.get(ours)
        queries = []
        for query in captured.captured_queries:
            sql = query["sql"]
            if not sql.lstrip().upper().startswith(("SELECT", "WITH")):
                continue
            best = None
            for _ in range(5):
                started = time.perf_counter()
                replay.execute(sql).fetchall()
                elapsed = time.perf_counter() - started
                best = elapsed if best is None else min(best, elapsed)
            queries.append((best * 1000, sql))
        profiler = cProfile.Profile()
        profiler.enable()
        client.get(ours)
        profiler.disable()
        text = io.StringIO()
        stats = pstats.Stats(profiler, stream=text)
        # Our code, the template engine and the forms by cumulative time, then the
        # functions that spend the most themselves.
        stats.sort_stats("cumulative").print_stats(OWN_CODE, top)
        stats.sort_stats("tottime").print_stats(12)
        profiled = max(entry[3] for entry in stats.stats.values())
        rendering = sum(
            entry[3]
            for (filename, _, function), entry in stats.stats.items()
            if filename.endswith("django/template/backends/django.py") and function == "render"
        )
        profiles[name] = {
            "median": statistics.median(times) * 1000,
            "sql_ms": sum(ms for ms, _ in queries),
            "queries": sorted(queries, reverse=True),
            "rendering_share": rendering / profiled if profiled else 0,
            "profile": _trim_profile(text.getvalue()),
        }
        print(
            f"  {name:<34} in-process {profiles[name]['median']:6.1f} ms, "
            f"SQL {profiles[name]['sql_ms']:6.1f} ms in {len(queries)} queries"
        )
    return profiles


# cProfile entries worth reading: the app, the template engine, the forms.
OWN_CODE = r"/claims/|django/template/(base|defaulttags|loader_tags|defaultfilters)|django/forms/"


def _trim_profile(text):
    kept = []
    for line in text.splitlines():
        line = line.replace(str(ROOT) + "/", "").replace(".venv/lib/python3.11/site-packages/", "")
        if line.strip() and not line.lstrip().startswith(("Ordered by", "List reduced")):
            kept.append(line)
    return "\n".join(kept)


# 5. Report ---------------------------------------------------------------------------------


def machine():
    load = " ".join(Path("/proc/loadavg").read_text().split()[:3])
    return f"{platform.node()}, {os.cpu_count()} CPUs, load {load}"


# What is written between these two lines by hand (findings, fixes, what is left) is kept
# when the script writes the file again.
NOTES_START = "<!-- notes: written by hand, kept by bench/datasette.py -->"
NOTES_END = "<!-- end of notes -->"


def kept_notes(path):
    text = path.read_text() if path.exists() else ""
    if NOTES_START in text and NOTES_END in text:
        return text[text.index(NOTES_START) : text.index(NOTES_END) + len(NOTES_END)]
    return f"{NOTES_START}\n{NOTES_END}"


def report(args, values, page_list, results, checks, profiles, built, load_before, notes):
    out = []
    add = out.append
    now = datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%d %H:%M UTC")
    add("# ClaimTracker against Datasette 0.65 on one SQLite file")
    add("")
    add(
        f"`make bench-datasette` (bench/datasette.py), {now}; {values['claims']:,} claims, "
        f"{args.actors:,} actors, generate_claims --seed 1"
        + (f" (built in {built:.0f} s)" if built else " (file reused)")
        + f". Machine: {machine()} (before the run: load {load_before}). "
        f"Python {platform.python_version()}, SQLite {sqlite3.sqlite_version}, "
        f"Datasette {wanted_datasette_version()}."
    )
    add("")
    add(
        f"Each page {args.runs} times after {args.warmup} warm-up requests, over one keep-alive "
        "HTTP/1.1 connection per server, the servers taken in turn request by request. "
        "Datasette: `datasette serve -i` (immutable) `--setting suggest_facets off "
        f"--setting default_page_size {PAGE_SIZE}`, the claims' FTS5 table named in its "
        "metadata. ClaimTracker: gunicorn with gunicorn.conf.py, 1 worker (gthread), DEBUG "
        "off, anonymous reading (CLAIMTRACKER_PUBLIC_READ), no cache at all "
        "(bench/settings_nocache.py). Both: one process, the same file, nothing cached on the "
        "server."
    )
    add("")
    add(
        "| page | ClaimTracker | Datasette | ours median / p95 (ms) | Datasette median / p95 "
        "(ms) | ours ÷ Datasette | ≤ 1.0× |"
    )
    add("|---|---|---|---:|---:|---:|---|")
    for name, ours, theirs, note in page_list:
        r = results[name]
        o, d = r["ours"], r["datasette"]
        ratio = o["median"] / d["median"]
        label = f"{name} ({note})" if note else name
        bad = "" if o["status"] == d["status"] == 200 else f" (HTTP {o['status']}/{d['status']})"
        add(
            f"| {label} | `{ours}` | `{theirs}` | {o['median']:.1f} / {o['p95']:.1f} | "
            f"{d['median']:.1f} / {d['p95']:.1f} | {ratio:.2f}× | "
            f"{'met' if ratio <= TARGET else 'missed'}{bad} |"
        )
    add("")
    if "cached" in next(iter(results.values())):
        add(
            "With the project's file cache left on and only CLAIM_FACET_CACHE_SECONDS and "
            "CLAIM_PAGE_CACHE_SECONDS at 0 (the rendered filter form and the data version "
            "are still read from var/cache), same run:"
        )
        add("")
        add("| page | median / p95 (ms) | ÷ Datasette |")
        add("|---|---:|---:|")
        for name, *_ in page_list:
            c, d = results[name]["cached"], results[name]["datasette"]
            ratio = c["median"] / d["median"]
            add(f"| {name} | {c['median']:.1f} / {c['p95']:.1f} | {ratio:.2f}× |")
        add("")
    add(
        "Datasette's own match counts (`.json?_search=`), against our FTS5 index's: "
        + ", ".join(
            f"{word} {checks[word]:,} / {values['matches'][word]:,}"
            if checks[word] is not None
            else f"{word} none / {values['matches'][word]:,}"
            for word in checks
        )
        + ". Response sizes (bytes, ours / Datasette): "
        + ", ".join(
            f"{name} {results[name]['ours']['bytes']:,} / {results[name]['datasette']['bytes']:,}"
            for name, *_ in page_list
        )
        + "."
    )
    add("")
    add(notes)
    add("")
    if profiles:
        add("## Where our time goes (in-process, Django test client, no cache)")
        add("")
        add(
            "In-process median of 7 requests; SQL: each statement the request ran, replayed "
            "alone with the sqlite3 module (best of 5); the rest is Python: the view, the "
            "forms and the templates."
        )
        add("")
        add(
            "| page | in-process (ms) | SQL (ms) | queries | the rest (ms) | templates' share "
            "of the profile | slowest query (ms) |"
        )
        add("|---|---:|---:|---:|---:|---:|---:|")
        for name, p in profiles.items():
            slowest = p["queries"][0][0] if p["queries"] else 0
            add(
                f"| {name} | {p['median']:.1f} | {p['sql_ms']:.1f} | {len(p['queries'])} | "
                f"{p['median'] - p['sql_ms']:.1f} | {p['rendering_share']:.0%} | {slowest:.1f} |"
            )
        add("")
        for name, p in profiles.items():
            add(f"### {name}")
            add("")
            add("Statements over 0.5 ms:")
            add("")
            add("```")
            for ms, sql in p["queries"]:
                if ms >= 0.5:
                    add(f"{ms:7.1f} ms  {sql[:400]}")
            add("```")
            add("")
            add("<details><summary>cProfile of one request</summary>")
            add("")
            add("```")
            add(p["profile"])
            add("```")
            add("</details>")
            add("")
    return "\n".join(out) + "\n"


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--claims", type=int, default=env_int("BENCH_CLAIMS", 1_000_000))
    parser.add_argument("--actors", type=int, default=env_int("BENCH_ACTORS", 10_000))
    parser.add_argument("--runs", type=int, default=env_int("BENCH_RUNS", 30))
    parser.add_argument("--warmup", type=int, default=3)
    parser.add_argument("--recreate", action="store_true", help="build the file again")
    parser.add_argument("--no-profile", action="store_true", help="skip the in-process profile")
    parser.add_argument(
        "--no-file-cache-run",
        action="store_true",
        help="skip the second ClaimTracker (file cache on, cache settings at 0)",
    )
    parser.add_argument("--output", type=Path, default=OUTPUT)
    args = parser.parse_args()

    datasette = ensure_datasette()
    path, built = ensure_file(args.claims, args.actors, args.recreate)
    values = placeholders(path)
    page_list = pages(values)
    manage(f"sqlite:///{path}", "collectstatic", "--noinput", "--verbosity=0")
    load_before = " ".join(Path("/proc/loadavg").read_text().split()[:3])

    ports = {"ours": free_port(), "datasette": free_port(), "cached": free_port()}
    started = []
    try:
        started.append(start_datasette(datasette, path, ports["datasette"]))
        started.append(
            start_claimtracker(
                path, ports["ours"], "claimtracker", DJANGO_SETTINGS_MODULE="bench.settings_nocache"
            )
        )
        if not args.no_file_cache_run:
            cache_dir = VAR / "datasette-bench" / "cache"
            shutil.rmtree(cache_dir, ignore_errors=True)
            started.append(
                start_claimtracker(
                    path, ports["cached"], "claimtracker-filecache", CACHE_DIR=str(cache_dir)
                )
            )
        else:
            ports.pop("cached")
        clients = {label: Client(port) for label, port in ports.items()}
        checks = datasette_checks(clients["datasette"], values)
        print(f"Timing {len(page_list)} pages, {args.runs} runs each ({', '.join(clients)})")
        results = time_pairs(clients, page_list, args.runs, args.warmup)
    finally:
        for server in started:
            stop(server)

    profiles = {}
    if not args.no_profile:
        print("Profiling our pages in-process")
        profiles = profile_pages(path, page_list)
    notes = kept_notes(args.output)
    text = report(args, values, page_list, results, checks, profiles, built, load_before, notes)
    args.output.write_text(text)
    # For the goals table `make bench` writes (bench/run.py).
    figures = VAR / "bench" / "datasette.json"
    figures.parent.mkdir(parents=True, exist_ok=True)
    rows = [
        {
            "page": name,
            "ratio": results[name]["ours"]["median"] / results[name]["datasette"]["median"],
        }
        for name, *_ in page_list
    ]
    figures.write_text(json.dumps({"claims": args.claims, "rows": rows}))
    print()
    print(text.split(NOTES_START)[0])
    print(f"Wrote {args.output}")


if __name__ == "__main__":
    main()
