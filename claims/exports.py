"""CSV, JSON and JSON-LD exports of exactly the claims the list shows for the same URL.

Rows are streamed a chunk at a time (iterator(chunk_size=...) with the citations prefetched
per chunk), so a million-row export holds one chunk in memory, never the whole set."""

import csv
import json

from django.db.models import Prefetch
from django.http import JsonResponse, StreamingHttpResponse
from django.views.decorators.http import require_GET

from . import jsonld
from .access import read_access_required
from .filters import ClaimFilter
from .models import Citation, Claim

COLUMNS = [
    "id",
    "headline",
    "text",
    "actor_slug",
    "actor_name",
    "stated_on",
    "status",
    "status_rationale",
    "source_urls",
]
URL_SEPARATOR = " "  # a URL never holds a raw space
CHUNK_SIZE = 2000


def filtered_claims(params):
    """The ClaimFilter for these query parameters over claims with what an export row needs."""
    citations = Citation.objects.select_related("source").order_by("role", "pk")
    queryset = Claim.objects.select_related("actor").prefetch_related(
        Prefetch("citations", queryset=citations)
    )
    return ClaimFilter(params, queryset=queryset)


def source_urls(claim):
    urls = []
    for citation in claim.citations.all():
        if citation.source.url and citation.source.url not in urls:
            urls.append(citation.source.url)
    return urls


def claim_record(claim):
    return {
        "id": claim.pk,
        "headline": claim.headline,
        "text": claim.text,
        "actor_slug": claim.actor.slug,
        "actor_name": claim.actor.name,
        "stated_on": claim.stated_on.isoformat(),
        "status": claim.status,
        "status_rationale": claim.status_rationale,
        "source_urls": source_urls(claim),
    }


def iter_claims(queryset):
    return queryset.iterator(chunk_size=CHUNK_SIZE)


class _Echo:
    """A file-like object whose write() hands back the line, for csv.writer in a generator."""

    def write(self, value):
        return value


def csv_lines(queryset):
    writer = csv.writer(_Echo())
    yield writer.writerow(COLUMNS)
    batch = []
    for claim in iter_claims(queryset):
        record = claim_record(claim)
        record["source_urls"] = URL_SEPARATOR.join(record["source_urls"])
        batch.append(writer.writerow([record[c] for c in COLUMNS]))
        if len(batch) >= 500:
            yield "".join(batch)
            batch = []
    if batch:
        yield "".join(batch)


def json_array(items):
    """Stream an iterable of dicts as one JSON array."""
    yield "["
    first = True
    for item in items:
        yield ("" if first else ",\n") + json.dumps(item, ensure_ascii=False)
        first = False
    yield "]\n"


def _bad_filter(filterset):
    return JsonResponse({"errors": filterset.errors.get_json_data()}, status=400)


def _attachment(content, content_type, filename):
    response = StreamingHttpResponse(content, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


@require_GET
@read_access_required
def export_csv(request):
    filterset = filtered_claims(request.GET)
    if not filterset.is_valid():
        return _bad_filter(filterset)
    return _attachment(csv_lines(filterset.qs), "text/csv; charset=utf-8", "claims.csv")


@require_GET
@read_access_required
def export_json(request):
    filterset = filtered_claims(request.GET)
    if not filterset.is_valid():
        return _bad_filter(filterset)
    records = (claim_record(claim) for claim in iter_claims(filterset.qs))
    return _attachment(json_array(records), "application/json", "claims.json")


@require_GET
@read_access_required
def export_jsonld(request):
    filterset = filtered_claims(request.GET)
    if not filterset.is_valid():
        return _bad_filter(filterset)
    claims = iter_claims(jsonld.with_review_date(filterset.qs))
    reviews = (jsonld.claim_review(claim, request) for claim in claims)
    return _attachment(json_array(reviews), "application/ld+json", "claims.jsonld")
