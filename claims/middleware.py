"""A friendly 503 while the database is unreachable (restart, failover, network)."""

import logging
import sys

from django.db import InterfaceError, OperationalError
from django.http import HttpResponse, HttpResponseServerError
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
