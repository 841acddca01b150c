"""ClaimTracker benchmark (a million claims): `make bench`, or `python bench/run.py --help`.

On PostgreSQL, with a generated database (1M claims and 10k actors by default):
1. makes sure the big and the small database exist, are migrated and hold the generated data
   (generate_claims; an existing database of the right size is reused);
2. in-process, with the Django test Client: every page of bench/pages.py, repeated; median and
   p95 server time, number of queries, and the floor: the same SQL replayed with psycopg2;
3. the same pages on the small database (query counts must match; admin 1M vs small);
4. gunicorn (sync, then gthread) under wrk on loopback: requests/s of the claim list next
   to the trivial /healthz in the same run;
5. writes bench/RESULTS.md (date, machine, every figure, targets met or not, and for a page
   that misses its target a profile: cProfile of the request and EXPLAIN ANALYZE of its
   slowest query).

Timings are wall-clock on a shared machine: compare ratios within one run, not across runs.
"""

import argparse
import cProfile
import datetime
import io
import json
import os
import platform
import pstats
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlparse, urlunparse

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.pages import (  # noqa: E402
    DEEP_PAGE_PAIRS,
    GOAL_CACHED,
    GOAL_PAGES,
    GOAL_UNCACHED,
    LOAD_PAGES,
    PAGES,
    SAME_QUERY_COUNT,
)

PYTHON = sys.executable
BENCH_USER = "bench"
SECRET = "bench-only-secret-key-not-for-production-" + "x" * 20  # noqa: S105
TARGET_MEDIAN, TARGET_P95 = 3.0, 5.0


def replace_section(name, text, path=None):
    """Put `text` into RESULTS.md between this name's markers (added at the end if new):
    each part of `make bench` rewrites only its own section."""
    path = Path(path or ROOT / "bench" / "RESULTS.md")
    begin, end = f"<!-- {name}: begin -->", f"<!-- {name}: end -->"
    section = f"{begin}\n{text.rstrip()}\n{end}"
    current = path.read_text() if path.exists() else ""
    if begin in current and end in current:
        head, rest = current.split(begin, 1)
        current = head + section + rest.split(end, 1)[1]
    else:
        current = current.rstrip() + "\n\n" + section + "\n"
    path.write_text(current)


def env_int(name, default):
    return int(os.environ.get(name) or default)


def db_url_with_name(url, name):
    parts = urlparse(url)
    return urlunparse(parts._replace(path="/" + name))


def server_env(database_url, **extra):
    """Production-like settings: DEBUG off, a throwaway secret, plain HTTP on loopback."""
    env = dict(os.environ)
    env.update(
        DATABASE_URL=database_url,
        DJANGO_DEBUG="false",
        DJANGO_SECRET_KEY=SECRET,
        DJANGO_SECURE_SSL_REDIRECT="false",
        DJANGO_SECURE_COOKIES="false",
        DJANGO_ALLOWED_HOSTS="127.0.0.1,localhost,testserver",
        DJANGO_LOG_LEVEL="ERROR",
    )
    env.update(extra)
    return env


def manage(database_url, *args, quiet=False):
    # Migrations and the generator on 1M rows run longer than the web statement_timeout.
    env = server_env(database_url, DATABASE_STATEMENT_TIMEOUT_MS="0")
    subprocess.run(
        [PYTHON, "manage.py", *args],
        cwd=ROOT,
        env=env,
        check=True,
        stdout=subprocess.DEVNULL if quiet else None,
    )


# 1. Databases ---------------------------------------------------------------------------


def ensure_database(url, claims, actors, seed, recreate):
    import psycopg2

    parts = urlparse(url)
    name = parts.path.lstrip("/")
    admin = psycopg2.connect(db_url_with_name(url, "postgres"))
    admin.autocommit = True
    with admin.cursor() as cur:
        cur.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name])
        exists = cur.fetchone() is not None
        if exists and recreate:
            print(f"Dropping database {name} (--recreate)")
            cur.execute(f'DROP DATABASE "{name}"')
            exists = False
        if not exists:
            print(f"Creating database {name}")
            cur.execute(f'CREATE DATABASE "{name}"')
    admin.close()
    manage(url, "migrate", "--noinput", quiet=True)
    conn = psycopg2.connect(url)
    with conn.cursor() as cur:
        cur.execute("SELECT count(*) FROM claims_claim")
        have = cur.fetchone()[0]
    conn.close()
    if have == 0:
        print(f"Generating {claims} claims, {actors} actors in {name} (a few minutes at 1M)")
        started = time.perf_counter()
        manage(url, "generate_claims", f"--claims={claims}", f"--actors={actors}", f"--seed={seed}")
        return time.perf_counter() - started
    if have != claims:
        sys.exit(
            f"{name} holds {have} claims, not {claims}: rerun with --recreate to regenerate it, "
            "or point BENCH_DATABASE_URL / BENCH_SMALL_DATABASE_URL elsewhere."
        )
    print(f"Reusing {name} ({have} claims)")
    return None


# 2. In-process measurements -------------------------------------------------------------


def setup_django(database_url):
    os.environ.update(server_env(database_url))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "claimtracker.settings")
    os.chdir(ROOT)
    import django

    django.setup()


def bench_user():
    from django.contrib.auth.models import Group, User

    # An analyst: the role that sees every page, the admin included (not a superuser, whose
    # permission checks are free).
    user, _ = User.objects.get_or_create(username=BENCH_USER, defaults={"is_staff": True})
    user.groups.add(Group.objects.get(name="analyst"))
    return user


def busiest_actor():
    """The slug of the actor with most claims: the worst case for an actor filter."""
    from django.db.models import Count

    from claims.models import Claim

    busiest = Claim.objects.order_by().values("actor__slug").annotate(n=Count("pk"))
    return busiest.order_by("-n").values_list("actor__slug", flat=True)[:1][0]


def placeholders():
    """Values for bench/pages.py's URLs, read from the generated data."""
    from django.db import connection

    with connection.cursor() as cur:
        # The busiest actor: the worst case for an actor filter.
        cur.execute(
            "SELECT a.slug, n FROM (SELECT actor_id, count(*) n FROM claims_claim "
            "GROUP BY actor_id ORDER BY n DESC LIMIT 1) t JOIN claims_actor a ON a.id = t.actor_id"
        )
        actor, actor_claims = cur.fetchone()
        cur.execute("SELECT count(*) FROM claims_claim")
        total = cur.fetchone()[0]
        deep_row = total // 2
        cur.execute(
            "SELECT id, stated_on FROM claims_claim ORDER BY stated_on DESC, id DESC "
            "OFFSET %s LIMIT 1",
            [max(0, deep_row - 1)],
        )
        middle_id, middle_date = cur.fetchone()
        cur.execute("SELECT max(stated_on) FROM claims_claim")
        last = cur.fetchone()[0]
    return {
        "actor": actor,
        "actor_claims": actor_claims,
        "claim_id": middle_id,
        "from": (last - datetime.timedelta(days=365)).isoformat(),
        "to": last.isoformat(),
        "rare_word": "kestrel",
        "common_word": "troops",
        "deep_row": deep_row,
        "deep_page": deep_row // 50 + 1,  # the HTML list shows 50 a page
        # The "Older" link (HTML and API) from about row 500,000 (claims.listing.Cursor).
        "cursor_deep": f"{middle_date.isoformat()}.{middle_id}",
        "claims": total,
    }


def replay_floor(sqls, conn, runs):
    """The same SQL, replayed on a plain psycopg2 connection: the database's share."""
    import psycopg2.errors

    times = []
    per_query = [0.0] * len(sqls)
    with conn.cursor() as cur:
        for _ in range(runs):
            started = time.perf_counter()
            for i, sql in enumerate(sqls):
                t = time.perf_counter()
                try:
                    cur.execute(sql)
                    if cur.description is not None:
                        cur.fetchall()
                except psycopg2.errors.QueryCanceled:
                    # A facet over its time budget (set_config in the captured SQL) is
                    # cancelled in the request too; the ROLLBACK that follows is replayed.
                    pass
                per_query[i] += time.perf_counter() - t
            times.append(time.perf_counter() - started)
    return times, [t / runs for t in per_query]


def p95(values):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]


def measure_pages(database_url, runs, profile):
    import psycopg2
    from django.test import Client

    client = Client(raise_request_exception=False)
    client.force_login(bench_user())
    values = placeholders()
    floor_conn = psycopg2.connect(database_url)
    floor_conn.autocommit = True
    results = []
    for name, template in PAGES:
        url = template.format(**values)
        with caches_off():
            row = measure_page(client, floor_conn, name, url, runs, profile)
        if not row.get("missing"):
            # Then with the page and facet caches on, as served: after one warming request.
            cached = measure_page(client, floor_conn, name, url, runs, profile=False)
            row["cached"] = {k: cached.get(k) for k in ("queries", "median", "p95", "floor")}
            # Against the page's own SQL floor (uncached): what serving it from the cache
            # costs next to what the database alone would take to answer it.
            row["cached"]["ratio"] = cached["median"] / row["floor"] if row.get("ratio") else None
            print(
                f"  {'':<40} cached: median {cached['median'] * 1000:8.1f} ms  floor "
                f"{cached['floor'] * 1000:7.1f} ms  {cached['queries']} queries"
            )
        results.append(row)
    floor_conn.close()
    return {"values": values, "pages": results}


class caches_off:
    """The page and facet caches off: every request renders from the database."""

    def __enter__(self):
        from django.conf import settings

        self.saved = settings.CLAIM_PAGE_CACHE_SECONDS, settings.CLAIM_FACET_CACHE_SECONDS
        settings.CLAIM_PAGE_CACHE_SECONDS = settings.CLAIM_FACET_CACHE_SECONDS = 0

    def __exit__(self, *exc):
        from django.conf import settings

        settings.CLAIM_PAGE_CACHE_SECONDS, settings.CLAIM_FACET_CACHE_SECONDS = self.saved


def measure_page(client, floor_conn, name, url, runs, profile):
    """One page: its median and p95 over `runs`, its queries and their replayed floor."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    started = time.perf_counter()
    response = client.get(url)
    first = time.perf_counter() - started
    row = {"name": name, "url": url, "status": response.status_code}
    if response.status_code == 404 or response.status_code >= 500:
        row["missing"] = True
        print(f"  {name:<40} {response.status_code}: not measured")
        return row
    with CaptureQueriesContext(connection) as captured:
        client.get(url)
    sqls = [q["sql"] for q in captured.captured_queries]
    # Slow pages get fewer runs (at least 5): a 6 s page x 20 runs x 2 is a long wait.
    page_runs = runs if first < 0.5 else max(5, min(runs, int(10 / first)))
    times = []
    for _ in range(page_runs):
        started = time.perf_counter()
        client.get(url)
        times.append(time.perf_counter() - started)
    floor_times, per_query = replay_floor(sqls, floor_conn, page_runs)
    row.update(
        runs=page_runs,
        queries=len(sqls),
        median=statistics.median(times),
        p95=p95(times),
        floor=statistics.median(floor_times),
        bytes=len(response.content),
    )
    row["ratio"] = row["median"] / row["floor"] if sqls else None
    row["ratio_p95"] = row["p95"] / row["floor"] if sqls else None
    if sqls:
        slowest = max(range(len(sqls)), key=per_query.__getitem__)
        row["slowest_sql"] = sqls[slowest]
        row["slowest_ms"] = per_query[slowest] * 1000
    misses = row["ratio"] is not None and (
        row["ratio"] > TARGET_MEDIAN or row["ratio_p95"] > TARGET_P95
    )
    if profile and (misses or row["median"] > 0.2):
        row["profile"] = profile_request(client, url)
        if sqls:
            row["explain"] = explain(floor_conn, row["slowest_sql"])
    ratio = f"{row['ratio']:.1f}x" if row["ratio"] else "-"
    print(
        f"  {name:<40} {row['status']} median {row['median'] * 1000:8.1f} ms  "
        f"p95 {row['p95'] * 1000:8.1f} ms  floor {row['floor'] * 1000:7.1f} ms  "
        f"{ratio:>6}  {row['queries']} queries"
    )
    return row


def profile_request(client, url):
    """Where one request's time goes: waiting on PostgreSQL, templates, serializers, and the
    functions with the most own time (cProfile)."""
    profiler = cProfile.Profile()
    profiler.enable()
    started = time.perf_counter()
    client.get(url)
    total = time.perf_counter() - started
    profiler.disable()
    stats = pstats.Stats(profiler)
    db = templates = serializers = 0.0
    for (filename, _, func), (_, _, own, cumulative, _) in stats.stats.items():
        if "psycopg2" in func and ("execute" in func or "fetch" in func):
            db += own
        elif filename.endswith("template/backends/django.py") and func == "render":
            templates = max(templates, cumulative)
        elif filename.endswith("rest_framework/serializers.py") and func == "data":
            serializers = max(serializers, cumulative)
    lines = [
        f"request {total * 1000:.1f} ms under cProfile: waiting on PostgreSQL "
        f"{db * 1000:.1f} ms, template rendering {templates * 1000:.1f} ms (its queries "
        f"included), DRF serializers {serializers * 1000:.1f} ms",
        "",
    ]
    out = io.StringIO()
    pstats.Stats(profiler, stream=out).strip_dirs().sort_stats("tottime").print_stats(12)
    text = out.getvalue()
    lines.append(text[text.find("ncalls") :].rstrip() if "ncalls" in text else text.strip())
    return "\n".join(lines)


def explain(conn, sql):
    if not sql.lstrip().upper().startswith("SELECT"):
        return ""
    with conn.cursor() as cur:
        cur.execute("EXPLAIN (ANALYZE, BUFFERS) " + sql)
        lines = [r[0] for r in cur.fetchall()]
    return "\n".join(lines[:30])


def session_cookie():
    from django.conf import settings
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from django.contrib.sessions.backends.db import SessionStore

    user = bench_user()
    session = SessionStore()
    session[SESSION_KEY] = str(user.pk)
    session[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
    session[HASH_SESSION_KEY] = user.get_session_auth_hash()
    session.save()
    return f"{settings.SESSION_COOKIE_NAME}={session.session_key}"


# 4. gunicorn under wrk -------------------------------------------------------------------


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def port_open(port):
    try:
        socket.create_connection(("127.0.0.1", port), timeout=1).close()
    except OSError:
        return False
    return True


def wait_for(port, timeout=30):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError(f"gunicorn did not listen on {port}")


def parse_wrk(output):
    def grab(pattern, cast=float):
        match = re.search(pattern, output)
        return cast(match.group(1)) if match else None

    latency = re.search(r"Latency\s+([\d.]+)(us|ms|s)", output)
    avg_ms = None
    if latency:
        avg_ms = float(latency.group(1)) * {"us": 0.001, "ms": 1, "s": 1000}[latency.group(2)]
    return {
        "rps": grab(r"Requests/sec:\s+([\d.]+)"),
        "requests": grab(r"(\d+) requests in", int),
        "non_2xx": grab(r"Non-2xx or 3xx responses:\s+(\d+)", int) or 0,
        "errors": grab(r"Socket errors:(.*)", str),
        "latency_ms": avg_ms,
    }


def load_test(database_url, cookie, seconds, connections, values):
    wrk = shutil.which("wrk")
    if not wrk:
        print("wrk not found (apt-get install -y wrk): skipping the load test")
        return []
    # The project's own gunicorn.conf.py (gthread), as deployed.
    configs = [("gunicorn.conf.py", ["-c", str(ROOT / "gunicorn.conf.py")])]
    env = server_env(database_url)
    results = []
    for label, args in configs:
        port = free_port()
        cmd = [
            os.path.join(os.path.dirname(PYTHON), "gunicorn"),
            *args,
            "--bind",
            f"127.0.0.1:{port}",
            "--no-control-socket",
            "--log-level",
            "warning",
            "--timeout",
            "60",
        ]
        server = subprocess.Popen(cmd, cwd=ROOT, env=env, start_new_session=True)  # noqa: S603
        try:
            wait_for(port)
            for name, template in LOAD_PAGES:
                url = f"http://127.0.0.1:{port}{template.format(**values)}"
                # Warm every worker's connection and caches, then measure.
                subprocess.run(
                    [wrk, "-t2", f"-c{connections}", "-d2s", "-H", f"Cookie: {cookie}", url],
                    capture_output=True,
                    check=False,
                )
                done = subprocess.run(
                    [
                        wrk,
                        "-t2",
                        f"-c{connections}",
                        f"-d{seconds}s",
                        "--timeout",
                        "30s",
                        "-H",
                        f"Cookie: {cookie}",
                        url,
                    ],
                    capture_output=True,
                    text=True,
                    check=False,
                )
                row = {"server": label, "name": name, "url": template, **parse_wrk(done.stdout)}
                results.append(row)
                print(
                    f"  gunicorn {label:<8} {name:<28} {row['rps'] or 0:9.1f} req/s  "
                    f"avg {row['latency_ms'] or 0:8.1f} ms  non-2xx {row['non_2xx']}"
                )
        finally:
            os.killpg(server.pid, signal.SIGTERM)
            server.wait(timeout=30)
    return results


# 5. Report ------------------------------------------------------------------------------


def machine():
    import psycopg2
    from django.db import connection

    with connection.cursor() as cur:
        cur.execute("SHOW server_version")
        pg = cur.fetchone()[0]
        cur.execute("SHOW shared_buffers")
        shared_buffers = cur.fetchone()[0]
        cur.execute("SELECT pg_size_pretty(pg_database_size(current_database()))")
        size = cur.fetchone()[0]
    mem_kb = 0
    with open("/proc/meminfo") as f:
        for line in f:
            if line.startswith("MemTotal:"):
                mem_kb = int(line.split()[1])
    cpu = ""
    with open("/proc/cpuinfo") as f:
        for line in f:
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    import django

    return {
        "nproc": os.cpu_count(),
        "cpu": cpu,
        "ram_gb": round(mem_kb / 1024 / 1024, 1),
        "pg": pg,
        "shared_buffers": shared_buffers,
        "db_size": size,
        "python": platform.python_version(),
        "django": django.get_version(),
        "psycopg2": psycopg2.__version__.split()[0],
        "kernel": platform.release(),
    }


def ms(seconds):
    return f"{seconds * 1000:.1f}" if seconds is not None else "-"


def verdict(ok):
    return "met" if ok else "**missed**"


def throughput_shares(load):
    """{page name: its requests/s as a share of /healthz's in the same run}."""
    base = next((r["rps"] for r in load if r["url"] == "/healthz"), None)
    if not base:
        return {}
    return {r["name"]: (r["rps"] or 0) / base for r in load if r["url"] != "/healthz"}


def throughput_verdict(load, server=None):
    shares = throughput_shares(load)
    if not shares:
        return "-"
    return ", ".join(
        f"{name} {share:.0%} {verdict(share >= 0.5)}" for name, share in shares.items()
    )


def write_results(path, meta, big, small, load, args):
    lines = []
    add = lines.append
    m = meta["machine"]
    values = big["values"]
    add("# Benchmark results (`make bench`)")
    add("")
    add(f"Run: {meta['date']} UTC, `{meta['command']}`, commit `{meta['commit']}`.")
    add("")
    add(
        "Each speed goal, met or missed with its numbers: [Speed goals in this run]"
        "(#speed-goals-in-this-run), at the end, written after every part has run."
    )
    add("")
    add(
        f"Machine: {m['nproc']} CPUs ({m['cpu']}), {m['ram_gb']} GB RAM, kernel {m['kernel']}; "
        f"PostgreSQL {m['pg']} (shared_buffers {m['shared_buffers']}, database {m['db_size']}) "
        f"on the same host; Python {m['python']}, Django {m['django']}, psycopg2 {m['psycopg2']}."
    )
    add("")
    add(
        f"Data: {values['claims']:,} claims (`generate_claims --claims {args.claims} "
        f"--actors {args.actors} --seed {args.seed}`), small database {small['values']['claims']:,}"
        f" claims (`--claims {args.small_claims} --actors {args.small_actors}`)."
        if small
        else f"Data: {values['claims']:,} claims."
    )
    if meta.get("generated_seconds"):
        add(f"Generating the big database took {meta['generated_seconds']:.0f} s.")
    add(
        f"Busiest actor `{values['actor']}` ({values['actor_claims']:,} claims); deep page = "
        f"row {values['deep_row']:,}; date range {values['from']} to {values['to']}."
    )
    add("")
    add(
        f"In-process: Django test Client, DEBUG off, logged in as an analyst, {args.runs} runs "
        "per page (fewer, at least 5, for a page slower than 0.5 s) after one warm-up and one "
        "run under CaptureQueriesContext. **Floor**: the page's SQL, captured "
        "and replayed on a plain psycopg2 connection (median of as many runs). Ratio = page "
        f"median / floor median (target ≤ {TARGET_MEDIAN:g}×); p95 ratio = page p95 / floor "
        f"median (target ≤ {TARGET_P95:g}×)."
    )
    add("")
    add(
        "Each page twice: with the page and facet caches off (every request renders from the "
        "database; these are the median, p95 and floor columns) and then with them on, as "
        "served (**cached**; its ratio is against the same uncached SQL floor)."
    )
    add("")
    add(
        "| page | status | runs | queries | median ms | p95 ms | floor ms | ratio | p95 ratio | "
        "cached median ms | cached ratio | queries small DB | median small ms | target |"
    )
    add("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|")
    small_by_name = {r["name"]: r for r in small["pages"]} if small else {}
    for row in big["pages"]:
        if row.get("missing"):
            why = "not in this version" if row["status"] == 404 else "server error"
            add(f"| {row['name']} | {row['status']} | {why} | | | | | | | | | | | |")
            continue
        s = small_by_name.get(row["name"], {})
        ratio = row["ratio"]
        ok = ratio is None or (ratio <= TARGET_MEDIAN and row["ratio_p95"] <= TARGET_P95)
        add(
            f"| {row['name']} | {row['status']} | {row['runs']} | {row['queries']} | "
            f"{ms(row['median'])} | "
            f"{ms(row['p95'])} | {ms(row['floor'])} | {ratio or 0:.1f} | "
            f"{row['ratio_p95'] or 0:.1f} | {ms(row['cached']['median'])} | "
            f"{row['cached']['ratio'] or 0:.1f} | {s.get('queries', '-')} | "
            f"{ms(s.get('median'))} | "
            f"{verdict(ok) if ratio is not None else '-'} |"
        )
    add("")
    add("URLs: " + "; ".join(f"{r['name']}: `{r['url']}`" for r in big["pages"]))
    add("")
    add("## Targets")
    add("")
    by_name = {r["name"]: r for r in big["pages"] if not r.get("missing")}
    for deep, first, limit in DEEP_PAGE_PAIRS:
        if deep in by_name and first in by_name:
            r = by_name[deep]["median"] / by_name[first]["median"]
            add(
                f"- Deep page `{deep}` vs `{first}`: {r:.2f}× (target ≤ {limit}×): "
                f"{verdict(r <= limit)}."
            )
    for group in SAME_QUERY_COUNT:
        counts = [by_name[n]["queries"] for n in group if n in by_name]
        if counts:
            add(
                f"- Same queries whatever the page size ({', '.join(group)}): {counts}: "
                f"{verdict(len(set(counts)) == 1)}."
            )
    if small:
        diffs = [
            f"{r['name']} ({small_by_name[r['name']]['queries']} vs {r['queries']})"
            for r in big["pages"]
            if not r.get("missing")
            and r["name"] in small_by_name
            and small_by_name[r["name"]].get("queries") != r["queries"]
        ]
        add(
            f"- Same queries at {small['values']['claims']:,} and {values['claims']:,} claims: "
            + (verdict(True) + "." if not diffs else verdict(False) + ": " + "; ".join(diffs))
        )
        for name in ("admin changelist", "admin changelist, filtered"):
            if name in by_name and name in small_by_name and small_by_name[name].get("median"):
                r = by_name[name]["median"] / small_by_name[name]["median"]
                add(
                    f"- {name} at {values['claims']:,} vs {small['values']['claims']:,}: "
                    f"{r:.2f}× (target ≤ 2×): {verdict(r <= 2)}."
                )
    failing = [
        r["name"]
        for r in by_name.values()
        if r["ratio"] is not None and (r["ratio"] > TARGET_MEDIAN or r["ratio_p95"] > TARGET_P95)
    ]
    add(
        "- Every page within 3× (median) and 5× (p95) of its SQL floor: "
        + (verdict(True) + "." if not failing else verdict(False) + ": " + ", ".join(failing))
    )
    if load:
        add("")
        add("## gunicorn under wrk (loopback)")
        add("")
        add(
            f"wrk -t2 -c{args.connections} -d{args.wrk_seconds}s with the bench user's session "
            "cookie, after a 2 s warm-up per URL; gunicorn --no-control-socket, DEBUG off, "
            "PostgreSQL on the same host (it shares the CPUs)."
        )
        add("")
        add("| server | URL | requests/s | avg latency ms | requests | non-2xx | vs healthz |")
        add("|---|---|---|---|---|---|---|")
        for server in dict.fromkeys(r["server"] for r in load):
            rows = [r for r in load if r["server"] == server]
            base = next((r["rps"] for r in rows if r["url"] == "/healthz"), None)
            for r in rows:
                share = f"{r['rps'] / base:.0%}" if base and r["rps"] else "-"
                add(
                    f"| {server} | `{r['url']}` | {r['rps'] or 0:.1f} | "
                    f"{r['latency_ms'] or 0:.1f} | {r['requests']} | {r['non_2xx']} | {share} |"
                )
        add("")
        add(
            "Target: each list's throughput ≥ 50% of the trivial view's: "
            + throughput_verdict(load)
            + "."
        )
    profiled = [r for r in big["pages"] if r.get("profile") or r.get("explain")]
    if profiled:
        add("")
        add("## Where the time goes")
        add("")
        add(
            "For each page over its target or slower than 200 ms: the slowest query "
            "(replayed) with EXPLAIN (ANALYZE, BUFFERS), and cProfile of one request: its split, "
            "then the functions with the most own time."
        )
        for r in profiled:
            add("")
            add(f"### {r['name']} (`{r['url']}`)")
            add("")
            if r.get("slowest_sql"):
                add(f"Slowest query: {r['slowest_ms']:.1f} ms of a {ms(r['floor'])} ms floor.")
                add("")
                add("```sql")
                add(r["slowest_sql"][:1500])
                add("```")
            if r.get("explain"):
                add("")
                add("```")
                add(r["explain"])
                add("```")
            if r.get("profile"):
                add("")
                add("```")
                add(r["profile"])
                add("```")
    if meta.get("notes"):
        add("")
        add("## Notes")
        add("")
        add(Path(meta["notes"]).read_text().rstrip())
    # Sections other benchmarks wrote (between their markers) are kept; each part of this
    # run then replaces its own.
    previous = Path(path).read_text() if Path(path).exists() else ""
    for match in re.finditer(r"<!-- (\S+): begin -->.*?<!-- \1: end -->", previous, re.S):
        add("")
        add(match.group(0))
    Path(path).write_text("\n".join(lines) + "\n")
    print(f"Wrote {path}")


# Main -----------------------------------------------------------------------------------


def main():
    pg_default = "postgres://postgres@127.0.0.1:5432/ct_bench"
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--claims", type=int, default=env_int("BENCH_CLAIMS", 1_000_000))
    parser.add_argument("--actors", type=int, default=env_int("BENCH_ACTORS", 10_000))
    parser.add_argument("--small-claims", type=int, default=env_int("BENCH_SMALL_CLAIMS", 10_000))
    parser.add_argument("--small-actors", type=int, default=env_int("BENCH_SMALL_ACTORS", 100))
    parser.add_argument("--seed", type=int, default=env_int("BENCH_SEED", 1))
    parser.add_argument("--runs", type=int, default=env_int("BENCH_RUNS", 20))
    parser.add_argument("--wrk-seconds", type=int, default=env_int("BENCH_WRK_SECONDS", 15))
    parser.add_argument("--connections", type=int, default=env_int("BENCH_CONNECTIONS", 8))
    parser.add_argument("--database-url", default=os.environ.get("BENCH_DATABASE_URL", pg_default))
    parser.add_argument(
        "--small-database-url",
        default=os.environ.get("BENCH_SMALL_DATABASE_URL"),
        help="default: the big database's name + _small; 'none' skips the small run",
    )
    parser.add_argument("--recreate", action="store_true", help="drop and regenerate the data")
    parser.add_argument("--no-load", action="store_true", help="skip gunicorn + wrk")
    parser.add_argument(
        "--pages-only", action="store_true", help="skip the other parts (sorts, counts, import …)"
    )
    parser.add_argument("--notes", help="a Markdown file appended to RESULTS.md as Notes")
    parser.add_argument("--out", default=str(ROOT / "bench" / "RESULTS.md"))
    parser.add_argument("--measure-only", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--json", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if not args.database_url.startswith(("postgres://", "postgresql://")):
        sys.exit("The benchmark needs PostgreSQL: set BENCH_DATABASE_URL=postgres://…")

    if args.measure_only:
        # A child run on another database (Django is configured once per process).
        setup_django(args.database_url)
        result = measure_pages(args.database_url, args.runs, profile=False)
        Path(args.json).write_text(json.dumps(result, default=str))
        return

    if not os.environ.get("REDIS_URL") and not os.environ.get("CACHE_URL") and port_open(6379):
        # As deployed: the shared cache in Redis (a database and key prefix of the bench's own).
        os.environ.update(REDIS_URL="redis://127.0.0.1:6379/14", CACHE_KEY_PREFIX="bench")
    small_url = args.small_database_url
    if small_url is None:
        small_url = db_url_with_name(
            args.database_url, urlparse(args.database_url).path.lstrip("/") + "_small"
        )
    meta = {
        "date": datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%d %H:%M"),
        "command": " ".join(["bench/run.py", *sys.argv[1:]]),
        "commit": subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True
        ).stdout.strip()
        or "?",
        "notes": args.notes,
    }
    meta["generated_seconds"] = ensure_database(
        args.database_url, args.claims, args.actors, args.seed, args.recreate
    )
    # DEBUG is off, so pages need the static files' manifest.
    manage(args.database_url, "collectstatic", "--noinput", quiet=True)
    small = None
    if small_url != "none":
        ensure_database(small_url, args.small_claims, args.small_actors, args.seed, args.recreate)
        print(f"Measuring pages on {urlparse(small_url).path.lstrip('/')}")
        out = ROOT / "var" / "bench-small.json"
        out.parent.mkdir(exist_ok=True)
        subprocess.run(
            [PYTHON, __file__, "--measure-only", "--database-url", small_url, "--json", str(out)]
            + ["--runs", str(args.runs)],
            check=True,
        )
        small = json.loads(out.read_text())

    setup_django(args.database_url)
    meta["machine"] = machine()
    print(f"Measuring pages on {urlparse(args.database_url).path.lstrip('/')}")
    big = measure_pages(args.database_url, args.runs, profile=True)
    load = []
    if not args.no_load:
        load = load_test(
            args.database_url, session_cookie(), args.wrk_seconds, args.connections, big["values"]
        )
    write_results(args.out, meta, big, small, load, args)
    parts = {} if args.pages_only else run_parts(args)
    write_goals(args.out, big, load, parts)


# 6. The other parts of `make bench`, and the goals table -------------------------------------

# Each part writes its own section of RESULTS.md and its figures to var/bench/<name>.json.
PARTS = [
    ("speed", ["bench/speed.py"]),
    ("counts", ["bench/counts.py"]),
    ("import", ["bench/import_speed.py"]),
    ("datasette", ["bench/datasette.py"]),
    ("scale out", ["scripts/scale_out.py"]),
]


def run_parts(args):
    """Run every other benchmark in turn against the same database: {name: exit status}."""
    env = dict(os.environ, BENCH_DATABASE_URL=args.database_url)
    statuses = {}
    for name, command in PARTS:
        if not (ROOT / command[0]).exists():
            statuses[name] = None
            continue
        print(f"Running {' '.join(command)}")
        done = subprocess.run([PYTHON, *command], cwd=ROOT, env=env, check=False)  # noqa: S603
        statuses[name] = done.returncode
    return statuses


def _part(name):
    path = ROOT / "var" / "bench" / f"{name}.json"
    return json.loads(path.read_text()) if path.exists() else None


def write_goals(path, big, load, parts):
    """The speed goals, each met or missed with its numbers, from this run's figures."""
    rows = []
    by_name = {r["name"]: r for r in big["pages"] if not r.get("missing")}
    goal_rows = [by_name[n] for n in GOAL_PAGES if n in by_name]
    uncached = [f"{r['name']} {r['ratio']:.1f}×" for r in goal_rows if r.get("ratio")]
    cached = [f"{r['name']} {r['cached']['ratio']:.1f}×" for r in goal_rows if r.get("ratio")]
    ok1 = all(
        r["ratio"] <= GOAL_UNCACHED and r["cached"]["ratio"] <= GOAL_CACHED
        for r in goal_rows
        if r.get("ratio")
    )
    rows.append(
        (
            f"1. pages ≤ {GOAL_UNCACHED:g}× their SQL floor uncached, ≤ {GOAL_CACHED:g}× cached",
            ok1,
            f"uncached: {', '.join(uncached)}; cached: {', '.join(cached)}",
        )
    )
    shares = throughput_shares(load)
    rows.append(
        (
            "2. throughput of the lists ≥ 50 % of /healthz",
            bool(shares) and all(v >= 0.5 for v in shares.values()),
            ", ".join(f"{k} {v:.0%}" for k, v in shares.items()) or "not run (no wrk)",
        )
    )
    scale = parts.get("scale out")
    rows.append(
        (
            "3. one cache shared by all workers and servers",
            scale == 0,
            "Redis or the file cache (tests); `scripts/scale_out.py` "
            + ("passed" if scale == 0 else "not run" if scale is None else "FAILED"),
        )
    )
    speed = _part("speed")
    if speed:
        worst = max(max(r["first_ratio"], r["deep_ratio"]) for r in speed["sorts"])
        rows.append(
            (
                "4. every sort indexed: page 1 and page 200 within 2× the default order",
                worst <= 2,
                f"worst {worst:.2f}× of {len(speed['sorts'])} orders (EXPLAIN-asserted in tests)",
            )
        )
    counts = _part("counts")
    if counts:
        worst = max(counts["rows"], key=lambda r: r["median_ms"])
        unshown = [r["filter"] for r in counts["rows"] if not r["shown"]]
        rows.append(
            (
                "5. cold counts ≤ 30 ms for any filter, a count always shown",
                all(r["met"] for r in counts["rows"]),
                f"worst {worst['median_ms']} ms ({worst['filter']})"
                + (f"; no count: {', '.join(unshown)}" if unshown else "; a count on every one"),
            )
        )
    datasette = _part("datasette")
    if datasette:
        ratios = [f"{r['page']} {r['ratio']:.2f}×" for r in datasette["rows"]]
        rows.append(
            (
                "6. SQLite pages ≤ 1.0× Datasette 0.65",
                all(r["ratio"] <= 1.0 for r in datasette["rows"]),
                ", ".join(ratios),
            )
        )
    imported = _part("import")
    if imported:
        rows.append(
            (
                "7. import of 100,000 claims ≤ 60 s",
                imported["rows"] >= 100_000 and imported["seconds"] <= 60,
                f"{imported['rows']:,} rows in {imported['seconds']:.0f} s",
            )
        )
    rows.append(
        (
            "8. two app servers, one PostgreSQL, one Redis",
            scale == 0,
            "`scripts/scale_out.py` " + ("passed" if scale == 0 else "not run or failed"),
        )
    )
    lines = [
        "## Speed goals in this run",
        "",
        "| goal | state | numbers |",
        "|---|---|---|",
        *(f"| {goal} | {verdict(ok)} | {numbers} |" for goal, ok, numbers in rows),
    ]
    replace_section("goals", "\n".join(lines), path)
    print("\n".join(lines))


if __name__ == "__main__":
    main()
