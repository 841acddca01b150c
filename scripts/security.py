#!/usr/bin/env python3
"""Scanners nobody here wrote: wapiti and sqlmap against a local server (`make security`).

Serves the app with production settings on 127.0.0.1 (gunicorn, its own database with the
demo data), logs in as an analyst and hands the session cookie to both scanners. Bounded in
time. Fails on any finding of medium severity or above: wapiti's vulnerabilities and
anomalies of level >= 2 (anomalies include every 500 it provoked), and any injection point
sqlmap confirms. Plain HTTP on loopback, so the scan runs with secure cookies and the HTTPS
redirect off (both are checked by tests/test_deploy.py instead). Results: var/security/ and
the latest summary in docs/RELIABILITY.md. Run it through scripts/security.sh.
"""

import argparse
import datetime
import json
import secrets
import shutil
import subprocess
import sys
import time
from urllib.parse import urlencode

from load import (
    PYTHON,
    RELIABILITY,
    ROOT,
    VAR,
    Browser,
    SharedPostgres,
    accepting_connections,
    django_env,
    free_port,
    log,
    record,
    run,
    start_gunicorn,
)

SCANNERS = ROOT / ".venv-security" / "bin"
OUT = VAR / "security"
LEVELS = {1: "low", 2: "medium", 3: "high", 4: "critical"}
# Active modules that stay on loopback (ssrf, xxe, log4shell call out to external endpoints;
# nikto, wapp, buster download databases or brute-force paths).
WAPITI_MODULES = "exec,file,permanentxss,redirect,sql,timesql,xss,crlf,csrf,methods,upload"
# Pages that would end or weaken the scanner's own session.
EXCLUDED = ["/admin/logout/", "/accounts/logout/", "/admin/password_change/"]


class SqliteDatabase:
    """Fallback when no PostgreSQL answers on 127.0.0.1:5432."""

    path = VAR / "security.sqlite3"

    def setup(self):
        self.path.unlink(missing_ok=True)

    def url(self):
        return f"sqlite:///{self.path}"

    def teardown(self):
        pass


def prepare(env, username, password):
    manage = [PYTHON, "manage.py"]
    run([*manage, "migrate", "--noinput"], env, stdout=subprocess.DEVNULL)
    run([*manage, "load_demo"], env, stdout=subprocess.DEVNULL)
    run([*manage, "collectstatic", "--noinput"], env, stdout=subprocess.DEVNULL)
    script = (
        "from django.contrib.auth.models import Group, User\n"
        f"user, _ = User.objects.get_or_create(username={username!r})\n"
        "user.is_staff = True\n"
        f"user.set_password({password!r})\n"
        "user.save()\n"
        "user.groups.add(Group.objects.get(name='analyst'))\n"
    )
    run([*manage, "shell", "-c", script], env, stdout=subprocess.DEVNULL)


def login(port, username, password):
    browser = Browser(port, scheme="http")
    browser.request("GET", "/admin/login/")
    status, _, _ = browser.request(
        "POST",
        "/admin/login/",
        {
            "csrfmiddlewaretoken": browser.cookies.get("csrftoken", ""),
            "username": username,
            "password": password,
            "next": "/admin/",
        },
    )
    browser.close()
    if status != 302 or "sessionid" not in browser.cookies:
        raise SystemExit(f"could not log in as {username} (status {status})")
    return browser.cookies


def reachable(port, cookies, path):
    browser = Browser(port, scheme="http")
    browser.cookies.update(cookies)
    try:
        return browser.request("GET", path)[0] == 200
    finally:
        browser.close()


def run_wapiti(base, cookie_header, start_urls, budget):
    """Crawl for a third of the budget, then share the rest among the attack modules
    (wapiti bounds the crawl and each module separately)."""
    report = OUT / "wapiti.json"
    modules = WAPITI_MODULES.split(",")
    crawl_seconds = budget // 3
    attack_seconds = max(10, (budget - crawl_seconds) // len(modules))
    args = [
        str(SCANNERS / "wapiti"),
        "-u",
        base + "/",
        "--scope",
        "folder",
        "-C",
        cookie_header,
        "-m",
        WAPITI_MODULES,
        "--max-scan-time",
        str(crawl_seconds),
        "--max-attack-time",
        str(attack_seconds),
        "-d",
        "3",
        "--max-links-per-page",
        "25",
        "--max-files-per-dir",
        "25",
        # The admin repeats every page with these (return-to-list filters, history views):
        # thousands of look-alike URLs that would eat the crawl budget.
        "-r",
        "_changelist_filters",
        "-r",
        "_popup",
        "-r",
        "_to_field",
        "-x",
        base + "/admin/*/history/*",
        "--flush-session",
        "--store-session",
        str(OUT / "wapiti-session"),
        "--store-config",
        str(OUT / "wapiti-config"),
        "-f",
        "json",
        "-o",
        str(report),
        "-v",
        "1",
        "--no-bugreport",
        "-t",
        "20",
    ]
    for path in EXCLUDED:
        args += ["-x", base + path]
    for url in start_urls:
        args += ["-s", url]
    log(f"wapiti: modules {WAPITI_MODULES}, at most {budget} s")
    with open(OUT / "wapiti.log", "w") as out:
        try:
            subprocess.run(  # noqa: S603 - fixed scanner argv
                args,
                cwd=ROOT,
                stdout=out,
                stderr=subprocess.STDOUT,
                timeout=budget + 600,  # wapiti ends each phase on its own; this is a backstop
                check=False,
            )
        except subprocess.TimeoutExpired:
            log("wapiti overran its budget and was stopped")
    if not report.exists():
        return {"error": "wapiti wrote no report; see var/security/wapiti.log"}, []
    data = json.loads(report.read_text())
    findings = []
    for section in ("vulnerabilities", "anomalies"):
        for category, items in (data.get(section) or {}).items():
            for item in items:
                findings.append(
                    {
                        "scanner": "wapiti",
                        "kind": section[:-1] if section.endswith("s") else section,
                        "category": category,
                        "level": item.get("level", 0),
                        "where": f"{item.get('method', '')} {item.get('path', '')}",
                        "parameter": item.get("parameter", ""),
                        "info": (item.get("info") or "")[:200],
                    }
                )
    crawled = data.get("infos", {}).get("crawled_pages_nbr")
    summary = {
        "version": data.get("infos", {}).get("version", "wapiti"),
        "crawled_pages": crawled,
        "by_category": {
            f"{f['category']} ({LEVELS.get(f['level'], f['level'])})": sum(
                1 for g in findings if g["category"] == f["category"] and g["level"] == f["level"]
            )
            for f in findings
        },
    }
    return summary, findings


def run_sqlmap(target, cookie_header, budget):
    name = target["name"]
    args = [
        str(SCANNERS / "sqlmap"),
        "-u",
        target["url"],
        "--cookie",
        cookie_header,
        "--batch",
        "--level",
        "1",
        "--risk",
        "1",
        "--flush-session",
        "--output-dir",
        str(OUT / "sqlmap"),
        "--disable-coloring",
        "--timeout",
        "15",
        "--retries",
        "1",
        "--time-sec",
        "2",
        "--skip",
        "csrfmiddlewaretoken",
    ]
    if "parameters" in target:
        args += ["-p", target["parameters"]]
    if "data" in target:
        args += [
            "--data",
            target["data"],
            "--csrf-token",
            "csrfmiddlewaretoken",
            "--csrf-url",
            target["url"],
        ]
    log(f"sqlmap: {name} (at most {budget} s)")
    started = time.monotonic()
    try:
        done = subprocess.run(  # noqa: S603 - fixed scanner argv
            args,
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=budget,
            check=False,
        )
        output, finished = done.stdout + done.stderr, True
    except subprocess.TimeoutExpired as stopped:
        output = (stopped.stdout or b"").decode(errors="replace")
        finished = False
    (OUT / f"sqlmap-{name}.log").write_text(output)
    injectable = "identified the following injection point" in output or (
        "is vulnerable" in output and "do not appear to be injectable" not in output
    )
    result = {
        "target": name,
        "seconds": round(time.monotonic() - started),
        "finished": finished,
        "injectable": injectable,
        "clean": "do not appear to be injectable" in output,
    }
    findings = []
    if injectable:
        findings.append(
            {
                "scanner": "sqlmap",
                "kind": "vulnerability",
                "category": "SQL injection",
                "level": 4,
                "where": name,
                "parameter": "",
                "info": "see log",
            }
        )
    return result, findings


def markdown(started, args, database, wapiti, sqlmap, findings, failing, failed):
    lines = [
        f"Run {started:%Y-%m-%d %H:%M} UTC on {database}, logged in as an analyst; "
        f"wapiti budget {args.wapiti_seconds} s, sqlmap {args.sqlmap_seconds} s per target. "
        f"**{'FAILED' if failed else 'PASSED'}** "
        f"({len(failing)} finding(s) of medium severity or above).",
        "",
        f"- {wapiti.get('version', 'wapiti')} ({WAPITI_MODULES}): "
        f"crawled {wapiti.get('crawled_pages', '?')} pages; "
        + (
            "; ".join(f"{k}: {v}" for k, v in wapiti.get("by_category", {}).items())
            or "no findings"
        )
        + (f" — {wapiti['error']}" if "error" in wapiti else ""),
    ]
    for result in sqlmap:
        verdict = (
            "INJECTABLE"
            if result["injectable"]
            else "no injectable parameter"
            if result["clean"]
            else "no verdict (stopped at its time budget)"
            if not result["finished"]
            else "no verdict (see log)"
        )
        lines.append(f"- sqlmap `{result['target']}`: {verdict} ({result['seconds']} s)")
    if findings:
        grouped = {}
        for f in findings:
            key = (f["scanner"], f["level"], f["category"], f["where"], f["parameter"])
            grouped[key] = grouped.get(key, 0) + 1
        lines += ["", "| scanner | level | category | where | parameter | times |"]
        lines.append("|---|---|---|---|---|---|")
        for (scanner, level, category, where, parameter), times in sorted(
            grouped.items(), key=lambda item: (-item[0][1], item[0][3], item[0][4])
        ):
            lines.append(
                f"| {scanner} | {LEVELS.get(level, level)} | {category} | `{where}` | "
                f"{parameter} | {times} |"
            )
    return "\n".join(lines)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--wapiti-seconds", type=int, default=300)
    parser.add_argument("--sqlmap-seconds", type=int, default=300)
    parser.add_argument("--db", default="ct_security")
    parser.add_argument("--no-record", action="store_true")
    args = parser.parse_args()

    for tool in ("wapiti", "sqlmap"):
        if not (SCANNERS / tool).exists():
            raise SystemExit(f"{SCANNERS / tool} missing: run scripts/security.sh")
    shutil.rmtree(OUT, ignore_errors=True)
    OUT.mkdir(parents=True)
    started = datetime.datetime.now(datetime.UTC)
    db = SharedPostgres(args.db)
    if not accepting_connections(SharedPostgres("postgres")):
        db = SqliteDatabase()
    database = "PostgreSQL" if isinstance(db, SharedPostgres) else "SQLite"
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    env = django_env(db, port, VAR / "security-static")
    env.update(
        DJANGO_TRUSTED_PROXIES="",
        DJANGO_SECURE_SSL_REDIRECT="false",
        DJANGO_SECURE_COOKIES="false",
        GUNICORN_WORKERS="2",
        GUNICORN_THREADS="4",
    )
    username, password = "scan-analyst", secrets.token_urlsafe(16)
    log(f"preparing the {database} database and the demo data")
    db.setup()
    server = None
    try:
        prepare(env, username, password)
        server = start_gunicorn(env, port, OUT / "gunicorn.log")
        cookies = login(port, username, password)
        cookie_header = "; ".join(f"{k}={v}" for k, v in cookies.items())

        filters = {
            "q": "troops",
            "actor": "kremlin",
            "status": "confirmed",
            "kind": "government",
            "country": "RU",
            "stated_from": "2024-01-01",
            "stated_to": "2024-12-31",
            "source": "1",
            "ordering": "-stated",
        }
        candidates = {
            "admin-claim-list": "/admin/claims/claim/?"
            + urlencode(
                {
                    "q": "troops",
                    "status__exact": "confirmed",
                    "actor__kind__exact": "government",
                    "o": "2",
                }
            ),
            "claim-list": "/claims/?" + urlencode(filters),
            "api-claim-list": "/api/claims/?" + urlencode(filters),
        }
        targets = []
        for name, path in candidates.items():
            if reachable(port, cookies, path):
                targets.append({"name": name, "url": base + path})
            else:
                log(f"{path.split('?')[0]} does not answer 200 here: not scanned by sqlmap")
        targets.append(
            {
                "name": "admin-add-source-form",
                "url": base + "/admin/claims/source/add/",
                "data": urlencode(
                    {
                        "title": "Scan",
                        "url": "",
                        "publisher": "Scanner",
                        "kind": "news_report",
                        "published_on": "2024-10-18",
                        "archive_url": "",
                        "notes": "",
                        "version": "",
                        "csrfmiddlewaretoken": cookies.get("csrftoken", ""),
                        "_save": "Save",
                    }
                ),
                # What a person types into (the rest are empty or hidden).
                "parameters": "title,publisher,notes,kind,published_on",
            }
        )
        start_urls = [base + path for path in candidates.values()]
        start_urls += [
            base + "/admin/claims/claim/add/",
            base + "/admin/claims/actor/add/",
            base + "/admin/claims/source/add/",
        ]

        wapiti, findings = run_wapiti(base, cookie_header, start_urls, args.wapiti_seconds)
        sqlmap = []
        for target in targets:
            result, found = run_sqlmap(target, cookie_header, args.sqlmap_seconds)
            sqlmap.append(result)
            findings += found
        still_logged_in = reachable(port, cookies, "/admin/claims/claim/")
    finally:
        if server is not None:
            server.terminate()
            try:
                server.wait(timeout=30)
            except subprocess.TimeoutExpired:
                server.kill()

    failing = [f for f in findings if f["level"] >= 2]
    failed = bool(failing) or "error" in wapiti
    report = {
        "wapiti": wapiti,
        "sqlmap": sqlmap,
        "findings": findings,
        "session_survived_the_scan": still_logged_in,
    }
    (OUT / "report.json").write_text(json.dumps(report, indent=2))
    summary = markdown(started, args, database, wapiti, sqlmap, findings, failing, failed)
    if not still_logged_in:
        summary += "\n\nNote: the analyst session had ended by the end of the scan."
    print(summary)
    if not args.no_record:
        record("security", summary)
        log(f"recorded in {RELIABILITY.relative_to(ROOT)}")
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
