"""Login throttling wiring for django-axes (see AXES_* in settings), and who the client is."""

import ipaddress

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


def _address(text):
    try:
        return ipaddress.ip_address(text.strip())
    except ValueError:
        return None


def is_trusted_proxy(address):
    address = _address(address) if isinstance(address, str) else address
    return address is not None and any(address in net for net in settings.TRUSTED_PROXIES)


def client_ip(request):
    """The client's address. REMOTE_ADDR, unless it is one of DJANGO_TRUSTED_PROXIES: then
    X-Forwarded-For is read from the right (each proxy appends the peer it saw), skipping
    trusted proxies, and the first address that isn't one is the client. Entries left of it
    were written by the client and can be forged, so they are never used; an entry that
    isn't an address stops the walk at the proxy that passed it on."""
    remote_addr = request.META.get("REMOTE_ADDR", "")
    if not is_trusted_proxy(remote_addr):
        return remote_addr
    client = remote_addr
    for entry in reversed(request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")):
        if not entry.strip():
            continue
        address = _address(entry)
        if address is None:
            return client
        client = str(address)
        if not is_trusted_proxy(address):
            return client
    return client


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
