"""Requests the database can't serve: a friendly 503 while it is unreachable (restart,
failover, network), and a 400 for admin query parameters it can't even hold."""

import logging
import sys

from django.conf import settings
from django.core.exceptions import (
    BadRequest,
    MiddlewareNotUsed,
    PermissionDenied,
    SuspiciousOperation,
)
from django.core.handlers.exception import get_exception_response
from django.db import InterfaceError, OperationalError
from django.http import (
    Http404,
    HttpResponse,
    HttpResponseBadRequest,
    HttpResponseServerError,
    JsonResponse,
)
from django.http.multipartparser import MultiPartParserError
from django.template import loader
from django.urls import Resolver404, get_resolver, resolve
from django.utils.log import log_response
from django.views import defaults

from .search import SearchRefused

logger = logging.getLogger(__name__)


class AppErrorPagesMiddleware:
    """Under DEBUG, Django answers a missing page, a refusal or a crash with its technical
    page; this answers with the app's own 404/403/400/500 pages instead (what users see),
    while the rest of DEBUG stays (static files, the browsable API, template errors). The
    traceback of a crash still goes to the console. DJANGO_DEBUG_ERROR_PAGES=true turns it
    off; outside DEBUG Django already does this, so the middleware removes itself."""

    def __init__(self, get_response):
        if not settings.DEBUG or settings.DEBUG_ERROR_PAGES:
            raise MiddlewareNotUsed
        self.get_response = get_response

    def __call__(self, request):
        urlconf = getattr(request, "urlconf", None)
        try:
            # No route: Django would show its technical 404 before any view or middleware
            # hook runs, so look the path up first.
            resolve(request.path_info, urlconf)
        except Resolver404 as exception:
            return self.error_response(request, 404, exception, urlconf)
        return self.get_response(request)

    def process_exception(self, request, exception):
        urlconf = getattr(request, "urlconf", None)
        if isinstance(exception, Http404):
            return self.error_response(request, 404, exception, urlconf)
        if isinstance(exception, PermissionDenied):
            return self.error_response(request, 403, exception, urlconf)
        if isinstance(exception, BadRequest | SuspiciousOperation | MultiPartParserError):
            return self.error_response(request, 400, exception, urlconf)
        response = get_resolver(urlconf).resolve_error_handler(500)(request)
        log_response(
            "%s: %s",
            response.reason_phrase,
            request.path,
            response=response,
            request=request,
            exception=exception,
        )
        return response

    @staticmethod
    def error_response(request, status, exception, urlconf):
        return get_exception_response(request, get_resolver(urlconf), status, exception)


DATABASE_ERRORS = (OperationalError, InterfaceError)
RETRY_AFTER_SECONDS = 5
QUERY_CANCELED = "57014"  # PostgreSQL's code for a statement cancelled by statement_timeout
SAFE_METHODS = {"GET", "HEAD", "OPTIONS"}
TIMEOUT_MESSAGE = (
    "This query took too long: narrow the filter "
    "(fewer actors, a shorter date range, a more specific search)."
)


def is_statement_timeout(exception):
    """True for a query the database cancelled for running too long: PostgreSQL's
    statement_timeout, or SQLite's interrupt."""
    while exception is not None:
        if getattr(exception, "pgcode", None) == QUERY_CANCELED or (
            isinstance(exception, OperationalError) and str(exception) == "interrupted"
        ):
            return True
        exception = exception.__cause__
    return False


def database_unavailable_response(request):
    """The 503 page (JSON on /api/). It touches neither the database nor the session, so
    it renders while PostgreSQL is down. A write may have been committed just before the
    connection was lost, so for a write it says how to check rather than "nothing saved"."""
    write = request.method not in SAFE_METHODS
    if request.path.startswith("/api/"):
        if write:
            message = (
                "The database became unavailable during this write: it may or may not have "
                "been saved. Check (GET the record or list) before sending it again, or send "
                "it again with the same Idempotency-Key header, which saves it at most once."
            )
        else:
            message = "The database is briefly unavailable. Retry shortly."
        response = JsonResponse({"detail": message}, status=503)
    else:
        context = {"write": write}
        response = HttpResponse(loader.get_template("503.html").render(context), status=503)
    response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    response["Cache-Control"] = "no-store"
    return response


def query_timeout_response(request):
    """A query cancelled by the statement timeout: its own 503, without Retry-After. Not a
    4xx, since the request is valid and the same one may be answered once the data or the
    load is smaller; no Retry-After, since retrying it right away is just as slow."""
    logger.warning(
        "Query timed out for %s %s?%s",
        request.method,
        request.path,
        request.META.get("QUERY_STRING", ""),
    )
    if request.path.startswith("/api/"):
        response = JsonResponse({"detail": TIMEOUT_MESSAGE, "code": "query_timeout"}, status=503)
    else:
        page = loader.get_template("503_timeout.html").render({"message": TIMEOUT_MESSAGE})
        response = HttpResponse(page, status=503)
    response["Cache-Control"] = "no-store"
    return response


def database_error_response(request, exception):
    if is_statement_timeout(exception):
        return query_timeout_response(request)
    return database_unavailable_response(request)


class DatabaseUnavailableMiddleware:
    """A view that can't reach the database answers 503 with Retry-After, not a 500.
    (OperationalError also covers the other transient failures worth retrying: a deadlock,
    SQLite's "database is locked".) A query cancelled by the statement timeout gets its own
    503 without Retry-After (query_timeout_response).

    Persistent connections are checked before reuse (CONN_HEALTH_CHECKS), so the first
    request after the database is back gets a fresh connection: no restart of the app."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        if isinstance(exception, DATABASE_ERRORS):
            if is_statement_timeout(exception):
                return query_timeout_response(request)
            logger.warning("Database unavailable for %s: %s", request.path, exception)
            return database_unavailable_response(request)
        return None


class TrustedProxyMiddleware:
    """Forwarded headers count only when a trusted proxy (DJANGO_TRUSTED_PROXIES) sent the
    request: from anyone else X-Forwarded-For and X-Forwarded-Proto are dropped, so a client
    reaching the app port directly can neither pose as HTTPS nor choose the address the
    login throttle sees. (claims.security.client_ip reads X-Forwarded-For behind a proxy.)"""

    FORWARDED = ("HTTP_X_FORWARDED_FOR", "HTTP_X_FORWARDED_PROTO", "HTTP_X_FORWARDED_HOST")

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        from .security import is_trusted_proxy

        if not is_trusted_proxy(request.META.get("REMOTE_ADDR", "")):
            for header in self.FORWARDED:
                request.META.pop(header, None)
        return self.get_response(request)


class RejectUnservableQueryMiddleware:
    """In the admin, query strings the database can't serve are refused with a 400 naming
    the parameter, before any admin view runs:

    - NUL characters: PostgreSQL text can't contain them, so an admin list filter or search
      with one (?kind__exact=%00) made the query raise: a 500 instead of a 400.
    - More than MAX_QUERY_STRING characters: gunicorn refuses such request lines anyway
      (limit_request_line); refusing them here too keeps the answer the same behind any
      server (SQLite, for one, can't match a LIKE pattern that long).

    The site's pages and the API validate their parameters field by field (ClaimFilter),
    which names the field in the page and keeps what was typed, so they are left to it."""

    MESSAGE = "Null characters are not allowed."
    MAX_QUERY_STRING = 4094
    PREFIXES = ("/admin/",)

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if not request.path.startswith(self.PREFIXES):
            return self.get_response(request)
        if len(request.META.get("QUERY_STRING", "")) > self.MAX_QUERY_STRING:
            problems = {"query": f"The query is longer than {self.MAX_QUERY_STRING} characters."}
        else:
            problems = {
                name.replace("\x00", "\\x00"): self.MESSAGE
                for name, values in request.GET.lists()
                if "\x00" in name or any("\x00" in value for value in values)
            }
        if problems:
            raise BadRequest("; ".join(f"{k}: {v}" for k, v in sorted(problems.items())))
        return self.get_response(request)


def caused_by_database_error(exception):
    """True when the exception, or one it was raised from or while handling, is a database
    error."""
    seen = set()
    while exception is not None and id(exception) not in seen:
        if isinstance(exception, DATABASE_ERRORS):
            return True
        seen.add(id(exception))
        exception = exception.__cause__ or exception.__context__
    return False


def bad_request(request, exception, template_name=defaults.ERROR_400_TEMPLATE_NAME):
    """handler400: when saving a changed session fails because the database went away,
    Django reports the session as "interrupted", a 400; that is a 503 (seen in the restart
    test, scripts/load.py --restart)."""
    if caused_by_database_error(exception):
        return database_error_response(request, exception)
    if isinstance(exception, SearchRefused):
        # Say which field and why (the search box's message), not just "malformed".
        page = loader.get_template(template_name).render({"reason": str(exception)}, request)
        return HttpResponseBadRequest(page)
    return defaults.bad_request(request, exception, template_name)


def not_found(request, exception, template_name=defaults.ERROR_404_TEMPLATE_NAME):
    """handler404: an /api/ address no route matches (/api/claims/1.5/) answers JSON like
    the API's own 404s, not the HTML page."""
    if request.path.startswith("/api/"):
        return JsonResponse({"detail": "Not found."}, status=404)
    return defaults.page_not_found(request, exception, template_name)


def server_error(request, template_name=defaults.ERROR_500_TEMPLATE_NAME):
    """handler500: database errors outside a view (e.g. saving the session in middleware)
    reach Django's 500 handler instead of process_exception; they get the 503 page too."""
    if caused_by_database_error(sys.exc_info()[1]):
        return database_error_response(request, sys.exc_info()[1])
    try:
        return defaults.server_error(request, template_name)
    except Exception:  # the 500 page itself failed (e.g. a missing static manifest entry)
        logger.exception("Rendering the 500 page failed")
        return HttpResponseServerError(
            "<h1>Server error (500)</h1>", content_type="text/html; charset=utf-8"
        )
