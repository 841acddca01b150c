"""Login throttling wiring for django-axes (see AXES_* in settings)."""

from axes.backends import AxesStandaloneBackend
from axes.helpers import get_client_username
from django.conf import settings
from django.http import JsonResponse
from django.shortcuts import render


class LoginThrottleBackend(AxesStandaloneBackend):
    """django-axes' lockout check, for every login that comes from a request.

    Every login a visitor can reach (login page, admin, API token) passes the request; only
    server-side code and the test client's ``Client.login`` call ``authenticate()`` without
    one, and axes would refuse those outright. There is no visitor to throttle there."""

    def authenticate(self, request, username=None, password=None, **kwargs):
        if request is None:
            return None
        return super().authenticate(request, username=username, password=password, **kwargs)


def client_ip(request):
    """The client's address: REMOTE_ADDR, or behind N trusted proxies the address the
    outermost one saw (the N-th entry of X-Forwarded-For from the right). Entries further
    left were written by the client and can be forged, so they are never used."""
    remote_addr = request.META.get("REMOTE_ADDR", "")
    hops = settings.TRUSTED_PROXY_COUNT
    if hops <= 0:
        return remote_addr
    forwarded = [a.strip() for a in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")]
    forwarded = [a for a in forwarded if a]
    if len(forwarded) < hops:
        return remote_addr
    return forwarded[-hops]


def lockout_response(request, original_response=None, credentials=None):
    """axes' lockout answer: 429 with Retry-After, as JSON for API clients, else a page."""
    cooloff = settings.AXES_COOLOFF_TIME
    minutes = max(1, round(cooloff.total_seconds() / 60))
    message = f"Too many failed logins: try again in {minutes} minutes."
    if request.path.startswith("/api/") or "application/json" in request.headers.get("Accept", ""):
        response = JsonResponse({"detail": message}, status=429)
    else:
        context = {"failure_limit": settings.AXES_FAILURE_LIMIT, "cooloff_minutes": minutes}
        context["username"] = get_client_username(request, credentials) or ""
        response = render(request, "429.html", context, status=429)
    response["Retry-After"] = str(int(cooloff.total_seconds()))
    return response
