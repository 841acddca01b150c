"""The site's URLs plus views that fail on purpose, for tests/test_error_pages.py."""

from django.http import HttpResponse
from django.urls import path

from claims.models import Claim
from claimtracker.urls import handler400, handler404, handler500
from claimtracker.urls import urlpatterns as site_urlpatterns


def fail_with_a_bug(request):
    raise RuntimeError("internal detail that must not leak")


def touch_session(request):
    request.session["seen"] = request.session.get("seen", 0) + 1
    return HttpResponse("ok")


def count_claims(request):
    return HttpResponse(str(Claim.objects.count()))


urlpatterns = [
    path("test/bug/", fail_with_a_bug),
    path("test/count-claims/", count_claims),
    path("test/touch-session/", touch_session),
    path("api/test/count-claims/", count_claims),
    *site_urlpatterns,
]

__all__ = ["handler400", "handler404", "handler500", "urlpatterns"]
