#!/usr/bin/env python3
"""Load and fault test: gunicorn + PostgreSQL under several users reading and writing.

    python scripts/load.py                      # 60 s of load on database ct_load (`make load`)
    python scripts/load.py --restart            # the same, PostgreSQL restarted in the middle
                                                # (`make restart-test`): a throwaway server
    python scripts/load.py --restart --pg shared  # restart the system's cluster instead
                                                  # (disrupts everyone using it for seconds)

Loopback only, bounded in time, stops by itself. Writes go through the admin's add-claim
form (login + CSRF, like a person), so every write runs the one service path. Each write has
a unique headline; afterwards every acknowledged write (a 302 from the form) must be in the
database. With --restart, requests may fail only while PostgreSQL is down, only with the
friendly 503 page, and must succeed again within RECOVERY_LIMIT of PostgreSQL accepting
connections. Results: printed, as JSON in var/, and as the latest figures in
docs/RELIABILITY.md. Exit status 0 only when every check passed.
"""

import argparse
import datetime
import http.client
import json
import os
import random
import re
import secrets
import shutil
import socket
import subprocess
import sys
import threading
import time
from http.cookies import SimpleCookie
from pathlib import Path
from urllib.parse import urlencode

import psycopg2

ROOT = Path(__file__).resolve().parent.parent
VAR = ROOT / "var"
PYTHON = sys.executable
GUNICORN = str(Path(PYTHON).with_name("gunicorn"))
RELIABILITY = ROOT / "docs" / "RELIABILITY.md"
RECOVERY_LIMIT = 1.0  # seconds after PostgreSQL accepts connections
FRIENDLY_503 = b"briefly unavailable"
SEARCH_WORDS = ["NIS", "troops", "Kremlin", "Ukraine", "Russia", "deny"]


def log(message):
    print(f"[{time.strftime('%H:%M:%S')}] {message}", flush=True)


def run(args, env=None, **kwargs):
    return subprocess.run(args, cwd=ROOT, env=env, check=True, **kwargs)  # noqa: S603


def pg_bindir():
    found = sorted(Path("/usr/lib/postgresql").glob("*/bin/pg_ctl"))
    if found:
        return found[-1].parent
    bindir = subprocess.check_output(["pg_config", "--bindir"], text=True)  # noqa: S607
    return Path(bindir.strip())


def as_postgres(args):
    """Server commands run as the postgres user when we are root (PostgreSQL refuses root)."""
    if os.geteuid() == 0:
        return ["runuser", "-u", "postgres", "--", *args]
    return args


class SharedPostgres:
    """The machine's PostgreSQL (127.0.0.1:5432), our own database on it."""

    host, port, user = "127.0.0.1", 5432, "postgres"

    def __init__(self, dbname):
        self.dbname = dbname
        self.version = pg_bindir().parent.name

    def setup(self):
        conn = psycopg2.connect(host=self.host, port=self.port, user=self.user, dbname="postgres")
        conn.autocommit = True  # CREATE/DROP DATABASE can't run in a transaction
        try:
            with conn.cursor() as cur:
                cur.execute(f'DROP DATABASE IF EXISTS "{self.dbname}" WITH (FORCE)')
                cur.execute(f'CREATE DATABASE "{self.dbname}"')
        finally:
            conn.close()

    def url(self):
        return f"postgres://{self.user}@{self.host}:{self.port}/{self.dbname}"

    def _ctl(self, action):
        # stop uses the "fast" mode by default: open transactions are rolled back.
        run(["pg_ctlcluster", "--skip-systemctl-redirect", self.version, "main", action])

    def stop(self):
        self._ctl("stop")

    def start(self):
        self._ctl("start")

    def teardown(self):
        pass  # keep ct_load for inspection; the next run recreates it


class PrivatePostgres(SharedPostgres):
    """A throwaway cluster under var/ on its own port: restarting it disturbs no one."""

    # Below the ephemeral range (32768+), so no client connection holds it; LOAD_PG_PORT
    # gives each checkout sharing a machine its own.
    port = int(os.environ.get("LOAD_PG_PORT", "25432"))

    def __init__(self, dbname):
        super().__init__(dbname)
        self.bindir = pg_bindir()
        self.datadir = VAR / "load-pg"
        self.logfile = VAR / "load-pg.log"

    def setup(self):
        self.teardown()
        self.datadir.mkdir(parents=True)
        if os.geteuid() == 0:
            shutil.chown(self.datadir, "postgres", "postgres")
            self.logfile.touch()
            shutil.chown(self.logfile, "postgres", "postgres")
        run(
            as_postgres(
                [
                    str(self.bindir / "initdb"),
                    "-D",
                    str(self.datadir),
                    "-U",
                    "postgres",
                    "-A",
                    "trust",
                    "--no-instructions",
                ]
            ),
            stdout=subprocess.DEVNULL,
        )
        self.start()
        super().setup()

    def start(self):
        options = f"-p {self.port} -c listen_addresses=127.0.0.1 -k {self.datadir}"
        run(
            as_postgres(
                [
                    str(self.bindir / "pg_ctl"),
                    "-D",
                    str(self.datadir),
                    "-l",
                    str(self.logfile),
                    "-o",
                    options,
                    "-w",
                    "start",
                ]
            ),
            stdout=subprocess.DEVNULL,
        )

    def stop(self):
        run(
            as_postgres(
                [str(self.bindir / "pg_ctl"), "-D", str(self.datadir), "-m", "fast", "-w", "stop"]
            ),
            stdout=subprocess.DEVNULL,
        )

    def teardown(self):
        if (self.datadir / "postmaster.pid").exists():
            self.stop()
        shutil.rmtree(self.datadir, ignore_errors=True)


def accepting_connections(db):
    try:
        psycopg2.connect(
            host=db.host, port=db.port, user=db.user, dbname=db.dbname, connect_timeout=1
        ).close()
        return True
    except psycopg2.OperationalError:
        return False


class Browser:
    """One user's keep-alive HTTP connection with cookies, as if behind a TLS proxy."""

    def __init__(self, port, scheme="https"):
        self.port = port
        self.scheme = scheme
        self.conn = None
        self.cookies = {}

    def request(self, method, path, form=None):
        origin = f"{self.scheme}://127.0.0.1:{self.port}"
        headers = {"Host": f"127.0.0.1:{self.port}", "X-Forwarded-Proto": self.scheme}
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        body = None
        if form is not None:
            body = urlencode(form)
            headers.update(
                {
                    "Content-Type": "application/x-www-form-urlencoded",
                    "Origin": origin,
                    "Referer": origin + path,
                }
            )
        try:
            if self.conn is None:
                self.conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
            self.conn.request(method, path, body=body, headers=headers)
            response = self.conn.getresponse()
            content = response.read()
        except (OSError, http.client.HTTPException):
            self.close()
            raise
        for header in response.headers.get_all("Set-Cookie") or []:
            for name, morsel in SimpleCookie(header).items():
                self.cookies[name] = morsel.value
        if response.getheader("Connection", "").lower() == "close":
            self.close()
        return response.status, response.getheader("Location", ""), content

    def close(self):
        if self.conn is not None:
            self.conn.close()
            self.conn = None


class User(threading.Thread):
    def __init__(
        self, *, index, port, password, run_id, deadline, write_ratio, reads, actors, rng_seed
    ):
        super().__init__(name=f"user-{index}", daemon=True)
        self.username = f"load-user-{index}"
        self.password = password
        self.browser = Browser(port)
        self.run_id = run_id
        self.deadline = deadline
        self.write_ratio = write_ratio
        self.reads = reads
        self.actors = actors
        self.rng = random.Random(rng_seed)
        self.records = []  # (start, end, kind, status, friendly_503, page)
        self.acked = []
        self.logged_in = False
        self.writes = 0

    def timed(self, kind, method, path, form=None):
        page = re.sub(r"\d+", "<id>", path.split("?")[0]) + ("?q=…" if "?q=" in path else "")
        start = time.monotonic()
        try:
            status, location, content = self.browser.request(method, path, form)
        except (OSError, http.client.HTTPException) as error:
            self.records.append(
                (start, time.monotonic(), kind, f"conn:{type(error).__name__}", False, page)
            )
            return None, "", b""
        end = time.monotonic()
        friendly = status == 503 and FRIENDLY_503 in content
        self.records.append((start, end, kind, status, friendly, page))
        return status, location, content

    def login(self):
        self.timed("login-form", "GET", "/admin/login/")
        status, location, _ = self.timed(
            "login",
            "POST",
            "/admin/login/?next=/admin/",
            {
                "csrfmiddlewaretoken": self.browser.cookies.get("csrftoken", ""),
                "username": self.username,
                "password": self.password,
                "next": "/admin/",
            },
        )
        self.logged_in = status == 302 and "sessionid" in self.browser.cookies

    def write(self):
        self.writes += 1
        headline = f"load {self.run_id} {self.username} #{self.writes}"
        status, location, _ = self.timed(
            "write",
            "POST",
            "/admin/claims/claim/add/",
            admin_claim_form(
                self.browser,
                actor_id=self.rng.choice(self.actors),
                headline=headline,
                text=f"Written by the load test, run {self.run_id}.",
                stated_on="2024-10-18",
            ),
        )
        if status == 302 and "/add/" not in location and "/login/" not in location:
            self.acked.append(headline)

    def run(self):
        while time.monotonic() < self.deadline and not self.logged_in:
            self.login()
            if not self.logged_in:
                time.sleep(0.2)
        while time.monotonic() < self.deadline:
            if self.rng.random() < self.write_ratio:
                self.write()
            else:
                path = self.rng.choice(self.reads)()
                self.timed("read", "GET", path)
            if self.records and self.records[-1][3] != 200 and self.records[-1][3] != 302:
                time.sleep(0.05)  # a refused user waits a moment before trying again
        self.browser.close()


def django_env(db, port, static_root):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "DATABASE_"))}
    env.update(
        DJANGO_DEBUG="false",
        DJANGO_SECRET_KEY=secrets.token_urlsafe(50),
        DJANGO_ALLOWED_HOSTS="127.0.0.1",
        DJANGO_TRUSTED_PROXIES="127.0.0.1,::1",  # the load client plays the TLS proxy
        DJANGO_STATIC_ROOT=str(static_root),
        DJANGO_LOG_LEVEL="WARNING",
        DATABASE_URL=db.url(),
        GUNICORN_BIND=f"127.0.0.1:{port}",
    )
    return env


def prepare_app(env, users, password):
    manage = [PYTHON, "manage.py"]
    run([*manage, "migrate", "--noinput"], env, stdout=subprocess.DEVNULL)
    run([*manage, "load_demo"], env, stdout=subprocess.DEVNULL)
    run([*manage, "collectstatic", "--noinput"], env, stdout=subprocess.DEVNULL)
    create_users = (
        "from django.contrib.auth.models import Group, User\n"
        "group = Group.objects.get(name='analyst')\n"
        f"for i in range({users}):\n"
        "    user, _ = User.objects.get_or_create(username=f'load-user-{i}')\n"
        "    user.is_staff = True\n"
        f"    user.set_password({password!r})\n"
        "    user.save()\n"
        "    user.groups.add(group)\n"
    )
    run([*manage, "shell", "-c", create_users], env, stdout=subprocess.DEVNULL)


def admin_claim_form(browser, *, actor_id, headline, text, stated_on):
    """The POST body of the admin's "Add claim" page: a claim with no citations."""
    return {
        "csrfmiddlewaretoken": browser.cookies.get("csrftoken", ""),
        "actor": str(actor_id),
        "headline": headline,
        "text": text,
        "stated_on": stated_on,
        "version": "",
        "citations-TOTAL_FORMS": "0",
        "citations-INITIAL_FORMS": "0",
        "citations-MIN_NUM_FORMS": "0",
        "citations-MAX_NUM_FORMS": "1000",
        "status_changes-TOTAL_FORMS": "0",
        "status_changes-INITIAL_FORMS": "0",
        "status_changes-MIN_NUM_FORMS": "0",
        "status_changes-MAX_NUM_FORMS": "0",
        "_save": "Save",
    }


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_gunicorn(env, port, log_path):
    """gunicorn with the project's gunicorn.conf.py, once it answers on `port`."""
    server = subprocess.Popen(  # noqa: S603
        [GUNICORN, "-c", "gunicorn.conf.py"],
        cwd=ROOT,
        env=env,
        stdout=open(log_path, "w"),  # noqa: SIM115 - lives as long as the server
        stderr=subprocess.STDOUT,
    )
    wait_for_server(port, log_path)
    return server


def wait_for_server(port, log_path, timeout=30):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            status, _, _ = Browser(port).request("GET", "/admin/login/")
            if status == 200:
                return
        except OSError:
            pass
        time.sleep(0.2)
    raise SystemExit(f"gunicorn did not come up; see {log_path}")


def percentile(values, fraction):
    if not values:
        return 0.0
    values = sorted(values)
    return values[min(len(values) - 1, int(fraction * len(values)))]


def analyse(records, acked, in_db, outage):
    ok_status = {200, 302}
    by_status = {}
    pages = {}
    for start, end, kind, status, _, page in records:
        key = f"{kind} {status}"
        by_status[key] = by_status.get(key, 0) + 1
        if status in (200, 302):
            pages.setdefault(f"{kind} {page}", []).append((end - start) * 1000)
    failures = [r for r in records if r[3] not in ok_status]
    latencies = [(r[1] - r[0]) * 1000 for r in records if r[3] in ok_status]
    missing = sorted(set(acked) - in_db)
    result = {
        "requests": len(records),
        "reads": sum(1 for r in records if r[2] == "read"),
        "writes_attempted": sum(1 for r in records if r[2] == "write"),
        "writes_acknowledged": len(acked),
        "writes_in_database": len(in_db),
        "acknowledged_missing": missing,
        "committed_not_acknowledged": len(in_db - set(acked)),
        "failures": len(failures),
        "by_status": dict(sorted(by_status.items())),
        "pages_ms": {
            page: {
                "n": len(ms),
                "p50": round(percentile(ms, 0.5)),
                "p95": round(percentile(ms, 0.95)),
            }
            for page, ms in sorted(pages.items())
        },
        "latency_ms": {
            "p50": round(percentile(latencies, 0.50), 1),
            "p95": round(percentile(latencies, 0.95), 1),
            "p99": round(percentile(latencies, 0.99), 1),
            "max": round(max(latencies, default=0), 1),
        },
    }
    checks = {
        "requests were made": len(records) > 0,
        "writes were acknowledged": len(acked) > 0,
        "every acknowledged write is in the database": not missing,
    }
    if not outage:
        checks["no failed request"] = not failures
    else:
        stop_at, up_at = outage["stop_issued"], outage["accepting"]
        inside = [r for r in failures if r[1] >= stop_at and r[0] <= up_at + RECOVERY_LIMIT]
        outside = [r for r in failures if r not in inside]
        unfriendly = [r for r in inside if not r[4]]
        after_up = [r for r in failures if r[0] >= up_at]
        recovery = max((r[1] - up_at for r in after_up), default=0.0)
        first_ok = min(
            (r[1] - up_at for r in records if r[0] >= up_at and r[3] in ok_status), default=None
        )
        result["outage"] = {
            "database_down_s": round(up_at - stop_at, 2),
            "failures_while_down": len(inside),
            "friendly_503_while_down": len(inside) - len(unfriendly),
            "other_failures_while_down": sorted({str(r[3]) for r in unfriendly}),
            "failures_outside_outage": len(outside),
            "last_failure_after_db_up_s": round(recovery, 3),
            "first_success_after_db_up_s": None if first_ok is None else round(first_ok, 3),
        }
        checks.update(
            {
                "failures only while the database is down": not outside,
                "every failure meanwhile is the friendly 503": not unfriendly,
                "the app was refusing while the database was down": len(inside) > 0,
                f"recovered within {RECOVERY_LIMIT:.0f} s of PostgreSQL accepting": (
                    recovery <= RECOVERY_LIMIT
                ),
                "served again after the outage": first_ok is not None,
            }
        )
    result["checks"] = checks
    result["passed"] = all(checks.values())
    return result


def markdown(result, args, started):
    lines = [
        f"Run {started:%Y-%m-%d %H:%M} UTC: `{' '.join(sys.argv[1:]) or '(defaults)'}` — "
        f"{args.users} users, {args.duration:.0f} s, {args.write_ratio:.0%} writes, gunicorn "
        f"{args.workers} workers x {args.threads} threads, PostgreSQL {args.pg}. "
        f"**{'PASSED' if result['passed'] else 'FAILED'}**",
        "",
        "| figure | value |",
        "|---|---|",
    ]
    for key in (
        "requests",
        "reads",
        "writes_attempted",
        "writes_acknowledged",
        "writes_in_database",
        "committed_not_acknowledged",
        "failures",
    ):
        lines.append(f"| {key.replace('_', ' ')} | {result[key]} |")
    lines.append(f"| acknowledged writes missing | {len(result['acknowledged_missing'])} |")
    lat = result["latency_ms"]
    lines.append(
        f"| latency p50 / p95 / p99 / max (ms) | {lat['p50']} / {lat['p95']} / "
        f"{lat['p99']} / {lat['max']} |"
    )
    lines.append(f"| throughput (requests/s) | {result['requests'] / args.duration:.0f} |")
    for key, value in result.get("outage", {}).items():
        lines.append(f"| outage: {key.replace('_', ' ')} | {value} |")
    lines += ["", "Responses: " + ", ".join(f"{k}: {v}" for k, v in result["by_status"].items())]
    lines += [
        "",
        "Per page, successful requests (count, p50 / p95 ms): "
        + "; ".join(
            f"`{page}` {v['n']}, {v['p50']} / {v['p95']}" for page, v in result["pages_ms"].items()
        ),
    ]
    lines += [
        "",
        "Checks: "
        + "; ".join(f"{'✔' if ok else '✘'} {name}" for name, ok in result["checks"].items()),
    ]
    return "\n".join(lines)


def record(section, text):
    """Replace the section between its markers in docs/RELIABILITY.md."""
    start, end = f"<!-- {section}:start -->", f"<!-- {section}:end -->"
    doc = RELIABILITY.read_text() if RELIABILITY.exists() else ""
    if start not in doc:
        doc += f"\n{start}\n{end}\n"
    before, rest = doc.split(start, 1)
    _, after = rest.split(end, 1)
    RELIABILITY.write_text(f"{before}{start}\n{text}\n{end}{after}")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--duration", type=float, default=60.0)
    parser.add_argument("--users", type=int, default=8)
    parser.add_argument("--write-ratio", type=float, default=0.2)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--threads", type=int, default=4)
    parser.add_argument("--restart", action="store_true", help="restart PostgreSQL midway")
    parser.add_argument("--restart-at", type=float, default=None, help="seconds (default: 1/3)")
    parser.add_argument("--down-for", type=float, default=5.0, help="seconds PostgreSQL is down")
    parser.add_argument(
        "--pg",
        choices=["shared", "private"],
        default=None,
        help="shared: 127.0.0.1:5432; private: a throwaway server under var/ "
        "(default: private with --restart, else shared)",
    )
    parser.add_argument("--db", default="ct_load")
    parser.add_argument("--no-record", action="store_true", help="don't update RELIABILITY.md")
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    args.pg = args.pg or ("private" if args.restart else "shared")
    restart_at = args.restart_at if args.restart_at is not None else args.duration / 3

    VAR.mkdir(exist_ok=True)
    started = datetime.datetime.now(datetime.UTC)
    run_id = started.strftime("%H%M%S") + secrets.token_hex(2)
    db = (PrivatePostgres if args.pg == "private" else SharedPostgres)(args.db)
    port = free_port()
    password = secrets.token_urlsafe(16)
    env = django_env(db, port, VAR / "load-static")
    env.update(GUNICORN_WORKERS=str(args.workers), GUNICORN_THREADS=str(args.threads))

    log(f"PostgreSQL ({args.pg}): preparing database {args.db} on port {db.port}")
    db.setup()
    server = None
    try:
        prepare_app(env, args.users, password)
        with psycopg2.connect(host=db.host, port=db.port, user=db.user, dbname=db.dbname) as c:
            with c.cursor() as cur:
                cur.execute("SELECT id FROM claims_actor ORDER BY id")
                actors = [row[0] for row in cur.fetchall()]
                cur.execute("SELECT id FROM claims_claim ORDER BY id")
                claim_ids = [row[0] for row in cur.fetchall()]
        log(f"gunicorn on 127.0.0.1:{port}: {args.workers} workers x {args.threads} threads")
        server = start_gunicorn(env, port, VAR / "load-gunicorn.log")

        reads = [
            lambda: "/admin/claims/claim/",
            lambda: "/admin/claims/claim/?" + urlencode({"q": random.choice(SEARCH_WORDS)}),
            lambda: f"/admin/claims/claim/{random.choice(claim_ids)}/change/",
            lambda: "/admin/claims/actor/",
            lambda: "/admin/claims/source/",
        ]
        # The site's own pages too, where this branch has them (the admin works everywhere).
        probe = User(
            index=0,
            port=port,
            password=password,
            run_id=run_id,
            deadline=0,
            write_ratio=0,
            reads=[],
            actors=actors,
            rng_seed=0,
        )
        probe.login()
        for candidate in (
            lambda: "/claims/",
            lambda: "/claims/?" + urlencode({"q": random.choice(SEARCH_WORDS)}),
            lambda: f"/claims/{random.choice(claim_ids)}/",
            lambda: "/actors/",
            lambda: "/sources/",
        ):
            try:
                status = probe.browser.request("GET", candidate())[0]
            except OSError:
                status = None
            if status == 200:
                reads.append(candidate)
            log(f"site page {candidate()}: {status}" + ("" if status == 200 else ", not read"))
        probe.browser.close()

        deadline = time.monotonic() + args.duration
        users = [
            User(
                index=i,
                port=port,
                password=password,
                run_id=run_id,
                deadline=deadline,
                write_ratio=args.write_ratio,
                reads=reads,
                actors=actors,
                rng_seed=args.seed * 1000 + i,
            )
            for i in range(args.users)
        ]
        log(
            f"{args.users} users for {args.duration:.0f} s"
            + (
                f"; PostgreSQL stops at {restart_at:.0f} s for {args.down_for:.0f} s"
                if args.restart
                else ""
            )
        )
        t0 = time.monotonic()
        for user in users:
            user.start()
        outage = None
        if args.restart:
            time.sleep(max(0.0, t0 + restart_at - time.monotonic()))
            stop_issued = time.monotonic()
            db.stop()
            log(f"PostgreSQL stopped ({time.monotonic() - stop_issued:.1f} s)")
            time.sleep(args.down_for)
            db.start()
            while not accepting_connections(db):
                time.sleep(0.02)
            accepting = time.monotonic()
            log(f"PostgreSQL accepting connections again after {accepting - stop_issued:.1f} s")
            outage = {"stop_issued": stop_issued, "accepting": accepting}
        for user in users:
            user.join(timeout=args.duration + 60)
        log("load finished; checking the database")

        records = [r for user in users for r in user.records]
        acked = [h for user in users for h in user.acked]
        with psycopg2.connect(host=db.host, port=db.port, user=db.user, dbname=db.dbname) as c:
            with c.cursor() as cur:
                cur.execute(
                    "SELECT headline FROM claims_claim WHERE headline LIKE %s", [f"load {run_id} %"]
                )
                in_db = {row[0] for row in cur.fetchall()}
        result = analyse(records, acked, in_db, outage)
        result["logged_in_users"] = sum(1 for user in users if user.logged_in)
        result["checks"]["every user logged in"] = result["logged_in_users"] == args.users
        result["passed"] = all(result["checks"].values())
    finally:
        if server is not None:
            server.terminate()
            try:
                server.wait(timeout=30)
            except subprocess.TimeoutExpired:
                server.kill()
        db.teardown()

    name = f"restart-{args.pg}" if args.restart else "load"
    (VAR / f"{name}-report.json").write_text(json.dumps(result, indent=2, default=str))
    summary = markdown(result, args, started)
    print(summary)
    if not args.no_record:
        record(name, summary)
        log(f"recorded in {RELIABILITY.relative_to(ROOT)}")
    sys.exit(0 if result["passed"] else 1)


if __name__ == "__main__":
    main()
