"""ClaimTracker settings, read from the environment (see README "Configuration")."""

import datetime
import ipaddress
import os
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent


def env_str(name: str, default: str = "") -> str:
    return os.environ.get(name, default)


def env_bool(name: str, default: bool) -> bool:
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    value = raw.strip().lower()
    if value in {"1", "true", "yes", "on"}:
        return True
    if value in {"0", "false", "no", "off"}:
        return False
    raise ImproperlyConfigured(f"{name} must be true or false, not {raw!r}")


def env_int(name: str, default: int) -> int:
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    try:
        return int(raw)
    except ValueError:
        raise ImproperlyConfigured(f"{name} must be a whole number, not {raw!r}") from None


def env_list(name: str, default: list[str]) -> list[str]:
    raw = os.environ.get(name)
    if raw is None:
        return default
    return [item.strip() for item in raw.split(",") if item.strip()]


def env_networks(name: str) -> list:
    """A comma-separated list of addresses or CIDR ranges (10.0.0.0/8, ::1)."""
    networks = []
    for item in env_list(name, []):
        try:
            networks.append(ipaddress.ip_network(item, strict=False))
        except ValueError:
            raise ImproperlyConfigured(
                f"{name}: {item!r} is not an IP address or CIDR range (e.g. 10.0.0.0/8)"
            ) from None
    return networks


def read_local_env(path: Path) -> None:
    """This checkout's own development settings (`make install` and `make run` write
    var/local.env), so `manage.py` commands typed by hand run like `make run` does.
    Lines are NAME=VALUE; `#` starts a comment. The environment always wins, and a
    deployment has no such file, so production is unaffected."""
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except FileNotFoundError:
        return
    for number, line in enumerate(lines, start=1):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        name, sep, value = line.partition("=")
        if not sep or not name.strip():
            raise ImproperlyConfigured(f"{path}, line {number}: expected NAME=VALUE, not {line!r}")
        os.environ.setdefault(name.strip(), value.strip())


# CLAIMTRACKER_LOCAL_ENV names another file; set to empty, no file is read.
_local_env = os.environ.get("CLAIMTRACKER_LOCAL_ENV", str(BASE_DIR / "var" / "local.env"))
if _local_env:
    read_local_env(Path(_local_env))

DEBUG = env_bool("DJANGO_DEBUG", False)
# Django's technical 404/403/500 pages instead of the app's own, for debugging a failure;
# off by default so development shows what users see.
DEBUG_ERROR_PAGES = DEBUG and env_bool("DJANGO_DEBUG_ERROR_PAGES", False)

SECRET_KEY = env_str("DJANGO_SECRET_KEY")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured("DJANGO_SECRET_KEY is required when DJANGO_DEBUG is off")
    SECRET_KEY = "django-insecure-dev-only-key-never-used-in-production"  # noqa: S105

ALLOWED_HOSTS = env_list("DJANGO_ALLOWED_HOSTS", ["127.0.0.1", "localhost"] if DEBUG else [])
if not ALLOWED_HOSTS and not DEBUG:
    # Otherwise every request is refused with a 400 and nothing says why.
    raise ImproperlyConfigured("DJANGO_ALLOWED_HOSTS is required when DJANGO_DEBUG is off")
CSRF_TRUSTED_ORIGINS = env_list("DJANGO_CSRF_TRUSTED_ORIGINS", [])

# Anonymous visitors may browse (read-only) when this is on; otherwise they must log in.
CLAIMTRACKER_PUBLIC_READ = env_bool("CLAIMTRACKER_PUBLIC_READ", False)

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.syndication",
    "django_filters",
    "rest_framework",
    "rest_framework.authtoken",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "simple_history",
    "csp",
    "axes",
    "django_tasks",
    "django_tasks_db",
    "claims",
]

MIDDLEWARE = [
    # First: nothing may read a forwarded header a proxy we trust didn't set.
    "claims.middleware.TrustedProxyMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    # Under DEBUG, the app's own error pages unless DJANGO_DEBUG_ERROR_PAGES asks otherwise.
    "claims.middleware.AppErrorPagesMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "simple_history.middleware.HistoryRequestMiddleware",
    "claims.middleware.RejectUnservableQueryMiddleware",
    "claims.middleware.DatabaseUnavailableMiddleware",
    # Last, as django-axes asks: it turns a lockout flagged during the view into the 429 page.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "claimtracker.urls"
WSGI_APPLICATION = "claimtracker.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "claims.context_processors.as_of",
            ],
        },
    },
]

# Unset DATABASE_URL means the embedded SQLite file: a fresh machine needs no server.
SQLITE_PATH = BASE_DIR / "var" / "db.sqlite3"
DATABASES = {
    "default": dj_database_url.config(
        default=f"sqlite:///{SQLITE_PATH}",
        conn_max_age=env_int("DATABASE_CONN_MAX_AGE", 60),
        # A persistent connection broken by a database restart is replaced on the next
        # request instead of failing it (claims.middleware shows a 503 while it is down).
        conn_health_checks=True,
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    # No single query may hang a worker; bulk commands lift this for their own session.
    statement_timeout_ms = env_int("DATABASE_STATEMENT_TIMEOUT_MS", 10_000)
    DATABASES["default"].setdefault("OPTIONS", {})["options"] = (
        f"-c statement_timeout={statement_timeout_ms}"
    )
    # An unreachable host must not hang a worker either: give up and show the 503 page.
    DATABASES["default"]["OPTIONS"]["connect_timeout"] = env_int("DATABASE_CONNECT_TIMEOUT", 5)
else:
    SQLITE_PATH.parent.mkdir(exist_ok=True)
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {"transaction_mode": "IMMEDIATE", "timeout": 20}
    )

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# django-axes first: it refuses a locked-out login before the password is even checked.
AUTHENTICATION_BACKENDS = [
    "claims.security.LoginThrottleBackend",
    "django.contrib.auth.backends.ModelBackend",
]

# One cache shared by every worker process and every app server, so a worker being recycled
# (gunicorn max_requests) or a second server never starts cold and never serves what another
# has invalidated. Redis when REDIS_URL (or a redis:// CACHE_URL) is set: all servers share
# it. Otherwise files under var/cache: every worker on this machine shares them, with no
# other server to run. Never per-process memory.
CACHE_URL = env_str("REDIS_URL") or env_str("CACHE_URL")
CACHE_KEY_PREFIX = env_str("CACHE_KEY_PREFIX", "claimtracker")
if CACHE_URL:
    if not CACHE_URL.startswith(("redis://", "rediss://", "unix://")):
        raise ImproperlyConfigured(
            f"CACHE_URL must be a Redis address (redis://host:6379/0), not {CACHE_URL!r}"
        )
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": CACHE_URL,
            "KEY_PREFIX": CACHE_KEY_PREFIX,
        }
    }
else:
    # The test suite clears the cache before each test: parallel test workers get their own.
    _worker = os.environ.get("PYTEST_XDIST_WORKER", "")
    CACHE_DIR = Path(env_str("CACHE_DIR", str(BASE_DIR / "var" / f"cache{_worker}")))
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
            "LOCATION": str(CACHE_DIR),
            "KEY_PREFIX": CACHE_KEY_PREFIX,
            "OPTIONS": {"MAX_ENTRIES": env_int("CACHE_MAX_ENTRIES", 5000)},
        }
    }

# The claim list's facet counts (per-status counts, busiest actors) are kept per filter in the
# shared cache for this many seconds; 0 turns it off.
# Counting a million claims per page view is what this saves (bench/RESULTS.md).
CLAIM_FACET_CACHE_SECONDS = env_int("CLAIM_FACET_CACHE_SECONDS", 60)
# The rendered results of a claim list (table, facets, filter form) are kept per query string,
# permission set and data version for this many seconds: any write through the services
# changes the version, so a cached page is never older than the last write. 0 turns it off.
CLAIM_PAGE_CACHE_SECONDS = env_int("CLAIM_PAGE_CACHE_SECONDS", 300)

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "claims:claim-list"
LOGOUT_REDIRECT_URL = "login"

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = Path(env_str("DJANGO_STATIC_ROOT", str(BASE_DIR / "staticfiles")))
# Uploaded and generated files (page captures' WARC files) live here unless STORAGES says otherwise.
MEDIA_ROOT = Path(env_str("DJANGO_MEDIA_ROOT", str(BASE_DIR / "var" / "media")))
MEDIA_URL = "media/"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}

# Security: safe by default outside debug; each switch can be turned off behind a proxy.
SECURE_SSL_REDIRECT = env_bool("DJANGO_SECURE_SSL_REDIRECT", not DEBUG)
# The proxies (load balancer, TLS terminator) whose X-Forwarded-For and X-Forwarded-Proto
# are believed; from any other peer those headers are dropped (claims.middleware), so a client
# reaching the app port directly can't pick its address for login throttling.
TRUSTED_PROXIES = env_networks("DJANGO_TRUSTED_PROXIES")
for _retired in ("DJANGO_BEHIND_PROXY", "DJANGO_TRUSTED_PROXY_COUNT"):
    if os.environ.get(_retired):
        raise ImproperlyConfigured(
            f"{_retired} is replaced by DJANGO_TRUSTED_PROXIES: the proxies' addresses as "
            "CIDR ranges (e.g. DJANGO_TRUSTED_PROXIES=10.0.0.0/8); unset it"
        )
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https") if TRUSTED_PROXIES else None
SECURE_HSTS_SECONDS = env_int("DJANGO_HSTS_SECONDS", 0 if DEBUG else 31_536_000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("DJANGO_HSTS_INCLUDE_SUBDOMAINS", True)
SECURE_HSTS_PRELOAD = env_bool("DJANGO_HSTS_PRELOAD", False)
SESSION_COOKIE_SECURE = env_bool("DJANGO_SECURE_COOKIES", not DEBUG)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
SESSION_COOKIE_HTTPONLY = True
X_FRAME_OPTIONS = "DENY"
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CONTENT_TYPE_NOSNIFF = True
# Preload is a commitment of the whole domain and its subdomains to HTTPS that is slow to undo,
# so it is the deployer's explicit choice (DJANGO_HSTS_PRELOAD=true), not a default.
SILENCED_SYSTEM_CHECKS = [] if SECURE_HSTS_PRELOAD else ["security.W021"]

# Brute force: failures are counted per username + client IP, so an attacker elsewhere can't
# lock the real user out; a lock lifts after the cool-off by itself and isn't prolonged by
# more guesses (a colleague behind the same NAT as an attacker gets back in).
AXES_FAILURE_LIMIT = env_int("DJANGO_LOGIN_FAILURE_LIMIT", 5)
AXES_COOLOFF_TIME = datetime.timedelta(minutes=env_int("DJANGO_LOGIN_COOLOFF_MINUTES", 15))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT = False
AXES_LOCKOUT_CALLABLE = "claims.security.lockout_response"
AXES_CLIENT_IP_CALLABLE = "claims.security.client_ip"
AXES_VERBOSE = False

CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "frame-ancestors": ["'none'"],
        "form-action": ["'self'"],
        "base-uri": ["'self'"],
        "object-src": ["'none'"],
    }
}

MESSAGE_STORAGE = "django.contrib.messages.storage.session.SessionStorage"

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.SessionAuthentication",
        "rest_framework.authentication.TokenAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    # JSON only outside debug: the browsable API's forms need inline script, which the CSP
    # forbids, so they would post without a CSRF token; /api/docs/
    # documents the API instead.
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"]
    + (["rest_framework.renderers.BrowsableAPIRenderer"] if DEBUG else []),
    # A JSON body nested deeper than any the API takes is a 400, before parsing recurses.
    "DEFAULT_PARSER_CLASSES": [
        "claims.api.parsers.DepthLimitedJSONParser",
        "rest_framework.parsers.FormParser",
        "rest_framework.parsers.MultiPartParser",
    ],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
}

SPECTACULAR_SETTINGS = {
    "TITLE": "ClaimTracker API",
    "DESCRIPTION": "Actors, their claims, the sources behind them and the verdict timeline.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    # Actors and sources both have a "kind": each its own named enum. A source's reliability
    # and a citation's override share one scale (so do a verdict's confidence and the
    # claim's current one): one named enum each.
    "ENUM_NAME_OVERRIDES": {
        "ActorKindEnum": "claims.models.ActorKind",
        "SourceKindEnum": "claims.models.SourceKind",
        "ReliabilityEnum": "claims.models.Reliability",
        "ConfidenceEnum": "claims.models.Confidence",
    },
    # The schema and the docs follow the pages' read rule, not drf-spectacular's AllowAny.
    "SERVE_PERMISSIONS": ["claims.api.permissions.ReadAccess"],
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    # Error answers, the Idempotency-Key header, `version` required on updates (see the hook).
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "claims.api.schema.truthful_schema",
    ],
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {
        "stdout": {
            "class": "logging.StreamHandler",
            "formatter": "plain",
            "stream": "ext://sys.stdout",
        }
    },
    "root": {"handlers": ["stdout"], "level": env_str("DJANGO_LOG_LEVEL", "INFO")},
}

# Background jobs (README "Background jobs"): the database backend needs no other server;
# `manage.py db_worker` processes run them, on any number of machines.
TASKS = {
    "default": {
        "BACKEND": env_str("TASKS_BACKEND", "django_tasks_db.DatabaseBackend"),
        "QUEUES": ["default"],
    }
}

# Page captures. The server fetches addresses that users typed, so loopback, private,
# link-local and reserved addresses are refused unless this is on (tests, intranets).
CAPTURE_ALLOW_PRIVATE_ADDRESSES = env_bool("CAPTURE_ALLOW_PRIVATE_ADDRESSES", False)
# Networks fetched even though they are private, e.g. an intranet: "10.1.0.0/16,fd00::/8".
CAPTURE_ALLOWED_NETWORKS = env_list("CAPTURE_ALLOWED_NETWORKS", [])
CAPTURE_ALLOWED_PORTS = [int(p) for p in env_list("CAPTURE_ALLOWED_PORTS", ["80", "443"])]
CAPTURE_MAX_BYTES = env_int("CAPTURE_MAX_BYTES", 10 * 1024 * 1024)
CAPTURE_TIMEOUT_SECONDS = env_int("CAPTURE_TIMEOUT_SECONDS", 10)
CAPTURE_MAX_REDIRECTS = env_int("CAPTURE_MAX_REDIRECTS", 5)
# A transient failure (timeout, refused connection, 502/503/504) is tried again after each of
# these delays in seconds, then recorded as failed.
CAPTURE_RETRY_DELAYS = [int(s) for s in env_list("CAPTURE_RETRY_DELAYS", ["60", "300", "1800"])]
# A capture still "running" after this long lost its worker (killed, machine restarted).
CAPTURE_STALE_MINUTES = env_int("CAPTURE_STALE_MINUTES", 15)
