#!/usr/bin/env python3
"""Two app servers, one PostgreSQL, one Redis: `python scripts/scale_out.py`.

Starts two gunicorn instances (the project's gunicorn.conf.py, on two ports) sharing one
database (ct_scale, rebuilt with the demo data) and one Redis (REDIS_URL, default
redis://127.0.0.1:6379/7, under a key prefix of this run), then checks, as a client that
alternates between them:
1. a login on one server is a login on the other (sessions live in the database);
2. a claim written on one is on the claim list of the other at the next request, though
   both had the list cached (the data version in Redis changes with every write);
3. the list keeps being served from the shared cache: Redis hits and misses while the
   client alternates between the servers.
Loopback only, stops both servers at the end. Exit status 0 only when every check passed.
"""

import datetime
import os
import re
import secrets
import subprocess
import sys
import time
import uuid
from pathlib import Path

import redis

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "scripts"))

from load import (  # noqa: E402
    VAR,
    Browser,
    admin_claim_form,
    django_env,
    free_port,
    prepare_app,
    start_gunicorn,
)

DATABASE = "postgres://postgres@127.0.0.1:5432/ct_scale"
REQUESTS = 200


class Database:
    def __init__(self, url):
        self._url = url

    def url(self):
        return self._url


def psql(sql):
    subprocess.run(  # noqa: S603
        ["psql", DATABASE.rsplit("/", 1)[0] + "/postgres", "-qc", sql],  # noqa: S607
        check=True,
    )


def login(browser, username, password):
    browser.request("GET", "/admin/login/")
    status, _, _ = browser.request(
        "POST",
        "/admin/login/?next=/admin/",
        {
            "csrfmiddlewaretoken": browser.cookies.get("csrftoken", ""),
            "username": username,
            "password": password,
            "next": "/admin/",
        },
    )
    return status == 302 and "sessionid" in browser.cookies


def add_claim(browser, actor_id, headline):
    status, location, page = browser.request(
        "POST",
        "/admin/claims/claim/add/",
        admin_claim_form(
            browser,
            actor_id=actor_id,
            headline=headline,
            text="Written on one app server, read on the other.",
            stated_on=datetime.date.today().isoformat(),
        ),
    )
    if not (status == 302 and "/add/" not in location):
        errors = re.findall(rb"errorlist[^>]*>(.*?)</ul", page, re.S)
        print(f"adding a claim answered {status} {location}: {errors[:3]!r}")
        return False
    return True


def on_other(browser, port):
    """The same client (cookies) talking to another server."""
    other = Browser(port)
    other.cookies = browser.cookies
    return other


def main():
    redis_url = os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/7")
    store = redis.Redis.from_url(redis_url)
    store.ping()
    psql("DROP DATABASE IF EXISTS ct_scale")
    psql("CREATE DATABASE ct_scale")
    ports = [free_port(), free_port()]
    static_root = VAR / "scale-static"
    password = secrets.token_urlsafe(12)
    prefix = f"scale-{uuid.uuid4().hex[:8]}"
    envs = []
    secret = secrets.token_urlsafe(50)  # the same on every app server, or logins don't carry
    for port in ports:
        env = django_env(Database(DATABASE), port, static_root)
        env.update(
            DJANGO_SECRET_KEY=secret,
            REDIS_URL=redis_url,
            CACHE_KEY_PREFIX=prefix,
            GUNICORN_WORKERS="2",
            GUNICORN_THREADS="2",
        )
        envs.append(env)
    prepare_app(envs[0], 1, password)
    username = "load-user-0"
    actor = subprocess.run(  # noqa: S603
        [
            sys.executable,
            "manage.py",
            "shell",
            "-c",
            "from claims.models import Actor; print(Actor.objects.order_by('pk').first().pk)",
        ],
        cwd=ROOT,
        env=envs[0],
        check=True,
        capture_output=True,
        text=True,
    ).stdout.split()[-1]
    VAR.mkdir(exist_ok=True)
    servers = [
        start_gunicorn(env, port, VAR / f"scale-{i}.log")
        for i, (env, port) in enumerate(zip(envs, ports, strict=True))
    ]
    checks = {}
    try:
        one = Browser(ports[0])
        checks["login on server 1"] = login(one, username, password)
        two = on_other(one, ports[1])
        status, _, page = two.request("GET", "/claims/")
        checks["server 2 knows the session of server 1"] = (
            status == 200 and username.encode() in page
        )
        # Both servers render and cache the list, then a write on server 1.
        one.request("GET", "/claims/")
        two.request("GET", "/claims/")
        headline = f"Written on server 1 {uuid.uuid4().hex[:6]}"
        checks["write on server 1"] = add_claim(one, actor, headline)
        status, _, page = two.request("GET", "/claims/")
        checks["server 2 shows it at the next request"] = headline.encode() in page
        headline2 = f"Written on server 2 {uuid.uuid4().hex[:6]}"
        checks["write on server 2"] = add_claim(two, actor, headline2)
        status, _, page = one.request("GET", "/claims/")
        checks["server 1 shows it at the next request"] = headline2.encode() in page
        # Hit rate while alternating (Redis counts for the whole server: other clients of
        # the same Redis add to it, so run this on a quiet one).
        before = store.info("stats")
        started = time.perf_counter()
        for i in range(REQUESTS):
            browser = (one, two)[i % 2]
            status, location, _ = browser.request("GET", "/claims/")
            if status != 200:
                checks[f"request {i} of the run answered 200 (not {status} {location})"] = False
                break
        seconds = time.perf_counter() - started
        after = store.info("stats")
        hits = after["keyspace_hits"] - before["keyspace_hits"]
        misses = after["keyspace_misses"] - before["keyspace_misses"]
        rate = hits / max(1, hits + misses)
        checks[f"cache hit rate {rate:.1%} ({hits} hits, {misses} misses) >= 90%"] = rate >= 0.9
        print(f"{REQUESTS} alternating requests of /claims/: {REQUESTS / seconds:.0f} req/s")
    finally:
        for server in servers:
            server.terminate()
        for server in servers:
            server.wait(timeout=30)
        for key in store.scan_iter(f"{prefix}:*"):
            store.delete(key)
    for name, ok in checks.items():
        print(f"{'ok  ' if ok else 'FAIL'} {name}")
    sys.exit(0 if all(checks.values()) else 1)


if __name__ == "__main__":
    main()
