"""A trivial view for load balancers and benchmarks: no database, no session, no template."""

from django.http import HttpResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe


@require_safe
@never_cache
def healthz(request):
    return HttpResponse("ok", content_type="text/plain")
