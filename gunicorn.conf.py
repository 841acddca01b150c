"""gunicorn settings for ClaimTracker: `gunicorn -c gunicorn.conf.py` (see README.md "Deploying").

Every value can be changed from the environment, so one image serves any machine size."""

import multiprocessing
import os


def _env_int(name, default):
    raw = os.environ.get(name, "")
    try:
        return int(raw) if raw else default
    except ValueError:
        raise SystemExit(f"{name} must be a whole number, not {raw!r}") from None


wsgi_app = "claimtracker.wsgi:application"
bind = os.environ.get("GUNICORN_BIND", "127.0.0.1:8000")

# Threads, not more processes: requests mostly wait on PostgreSQL; each thread keeps one
# persistent database connection (CONN_MAX_AGE), so workers x threads must stay below
# PostgreSQL's max_connections divided by the number of app servers.
worker_class = "gthread"
workers = _env_int("GUNICORN_WORKERS", min(2 * multiprocessing.cpu_count() + 1, 8))
threads = _env_int("GUNICORN_THREADS", 4)
timeout = _env_int("GUNICORN_TIMEOUT", 30)  # > DATABASE_STATEMENT_TIMEOUT_MS (10 s)
graceful_timeout = _env_int("GUNICORN_GRACEFUL_TIMEOUT", 30)
keepalive = 5
# Recycle workers now and then (jittered so they don't restart together): bounds any leak.
max_requests = _env_int("GUNICORN_MAX_REQUESTS", 2000)
max_requests_jitter = max_requests // 10

# gunicorn >= 25 opens a control socket in $HOME by default; the app needs none, and several
# instances on one host would fight over the one path.
control_socket_disable = True

# Logs go to stdout (access) and stderr (errors) for the process supervisor to collect.
accesslog = "-"
errorlog = "-"
loglevel = os.environ.get("GUNICORN_LOG_LEVEL", "info")
access_log_format = '%(h)s "%(r)s" %(s)s %(b)s %(M)sms "%(a)s"'
# Behind a load balancer on another host, gunicorn reads FORWARDED_ALLOW_IPS (its address)
# to trust X-Forwarded-Proto; set DJANGO_TRUSTED_PROXIES to it for Django to use it.
