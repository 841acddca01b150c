"""Requests the database can't serve: a friendly 503 while it is unreachable (restart,
failover, network), and a 400 for query parameters it can't even hold."""

import logging
import sys

from django.db import InterfaceError, OperationalError
from django.core.exceptions import BadRequest
from django.http import HttpResponse, HttpResponseServerError, JsonResponse
from django.template import loader
from django.views import defaults

logger = logging.getLogger(__name__)

DATABASE_ERRORS = (OperationalError, InterfaceError)
RETRY_AFTER_SECONDS = 5


def database_unavailable_response():
    """The 503 page. It touches neither the database nor the session, so it renders while
    PostgreSQL is down."""
    body = loader.get_template("503.html").render()
    response = HttpResponse(body, status=503)
    response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    response["Cache-Control"] = "no-store"
    return response


class DatabaseUnavailableMiddleware:
    """A view that can't reach the database answers 503 with Retry-After, not a 500.

    Persistent connections are checked before reuse (CONN_HEALTH_CHECKS), so the first
    request after the database is back gets a fresh connection: no restart of the app."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        if isinstance(exception, DATABASE_ERRORS):
            logger.warning("Database unavailable for %s: %s", request.path, exception)
            return database_unavailable_response()
        return None


class RejectNullCharactersMiddleware:
    """PostgreSQL text can't contain NUL characters: a list filter with one (?kind=%00) made
    the query raise, a 500 (wapiti found it in the admin's lists). A query string carrying
    one is refused with a 400 naming the parameter. Form fields already refuse NUL one by
    one (Django's CharField), keeping what the user typed."""

    MESSAGE = "Null characters are not allowed."

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        bad = sorted(
            name
            for name, values in request.GET.lists()
            if "\x00" in name or any("\x00" in value for value in values)
        )
        if bad:
            names = [name.replace("\x00", "\\x00") for name in bad]
            if request.path.startswith("/api/"):
                return JsonResponse({name: [self.MESSAGE] for name in names}, status=400)
            raise BadRequest(f"{self.MESSAGE} Parameter(s): {', '.join(names)}")
        return self.get_response(request)


def server_error(request, template_name=defaults.ERROR_500_TEMPLATE_NAME):
    """handler500: database errors outside a view (e.g. saving the session in middleware)
    reach Django's 500 handler instead of process_exception; they get the 503 page too."""
    if isinstance(sys.exc_info()[1], DATABASE_ERRORS):
        return database_unavailable_response()
    try:
        return defaults.server_error(request, template_name)
    except Exception:  # the 500 page itself failed (e.g. a missing static manifest entry)
        logger.exception("Rendering the 500 page failed")
        return HttpResponseServerError(
            "<h1>Server error (500)</h1>", content_type="text/html; charset=utf-8"
        )
