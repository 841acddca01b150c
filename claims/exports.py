"""CSV, JSON and JSON-LD exports of exactly the claims the list shows for the same URL.

Rows are streamed a chunk at a time (iterator(chunk_size=...) with the chunk's citations
fetched in one query), so a million-row export holds one chunk in memory, never the set."""

import csv
import itertools
import json
import re
from collections import defaultdict

from django.db.models import Prefetch, QuerySet
from django.http import JsonResponse, StreamingHttpResponse
from django.views.decorators.http import require_safe

from . import jsonld
from .filters import ClaimFilter
from .models import Citation, Claim, Stance, status_field
from .permissions import read_access_required

COLUMNS = [
    "id",
    "headline",
    "text",
    "actor_slug",
    "actor_name",
    "stated_on",
    "status",
    "status_rationale",
    "status_confidence",
    "evidence",
    "source_urls",
    "stances",
]
URL_SEPARATOR = " "  # a URL never holds a raw space
# One evidence citation in the `evidence` column: direction:credibility:override:url, e.g.
# "refutes:3::https://..." (no override) or "supports:2:B:https://...". The URL comes last,
# so its own colons are no trouble.
EVIDENCE_SEPARATOR = ":"


def evidence_entry(direction, credibility, override, url):
    return EVIDENCE_SEPARATOR.join([direction, str(credibility), override, url])


# A spreadsheet runs a cell starting with = + - @ (or tab/CR before them) as a formula, so
# such a cell gets a leading ' (quotes already in front count too, so unquoting is exact).
FORMULA_CELL = re.compile(r"'*[=+\-@\t\r]")
CHUNK_SIZE = 2000


def filtered_claims(params, queryset=None):
    """The ClaimFilter for these query parameters: the same rows as the list page."""
    return ClaimFilter(params, queryset=queryset if queryset is not None else Claim.objects.all())


def batches(iterable, size):
    """Lists of up to `size` items from any iterable (a list, a queryset iterator)."""
    batch = []
    for item in iterable:
        batch.append(item)
        if len(batch) == size:
            yield batch
            batch = []
    if batch:
        yield batch


def _source_urls(claim_ids):
    """({claim id: [appearance URL, ...]}, {claim id: [evidence entry, ...]}) for one chunk
    of claims: one query, no model instances."""
    urls, evidence = defaultdict(list), defaultdict(list)
    citations = (
        Citation.objects.filter(claim_id__in=claim_ids)
        .exclude(source__url="")
        .order_by("role", "pk")
        .values_list(
            "claim_id", "role", "source__url", "direction", "credibility", "reliability_override"
        )
    )
    for claim_id, role, url, direction, credibility, override in citations:
        if role == Citation.Role.EVIDENCE:
            evidence[claim_id].append(evidence_entry(direction, credibility, override, url))
        elif url not in urls[claim_id]:
            urls[claim_id].append(url)
    return urls, evidence


def _stances(claim_ids):
    """{claim id: [{"proposition": slug, "stance": kind}, ...]} for one chunk: one query."""
    stances = defaultdict(list)
    rows = (
        Stance.objects.filter(claim_id__in=claim_ids)
        .order_by("proposition__slug")
        .values_list("claim_id", "proposition__slug", "stance")
    )
    for claim_id, slug, kind in rows:
        stances[claim_id].append({"proposition": slug, "stance": kind})
    return stances


def stances_cell(stances):
    """The CSV cell for a claim's stances: "asserts:slug denies:other-slug" (slugs hold
    neither spaces nor colons; imports.parse_stances reads it back)."""
    return " ".join(f"{s['stance']}:{s['proposition']}" for s in stances)


def export_records(queryset):
    """One dict per claim in COLUMNS, in the queryset's order, a chunk at a time.

    Plain tuples (values_list) and one citation query per chunk: a million rows stream in
    constant memory, without building a model instance per row."""
    # As of a date, the status, rationale and confidence of that date (values_list reads
    # columns, not the instances that as_of() corrects).
    as_of = status_field(queryset) != "status"
    rows = queryset.values_list(
        "pk",
        "headline",
        "text",
        "actor__slug",
        "actor__name",
        "stated_on",
        "as_of_status" if as_of else "status",
        "as_of_rationale" if as_of else "status_rationale",
        "as_of_confidence" if as_of else "status_confidence",
    )
    for chunk in batches(rows.iterator(chunk_size=CHUNK_SIZE), CHUNK_SIZE):
        urls, evidence = _source_urls([row[0] for row in chunk])
        stances = _stances([row[0] for row in chunk])
        for pk, headline, text, slug, name, stated_on, status, rationale, confidence in chunk:
            yield {
                "id": pk,
                "headline": headline,
                "text": text,
                "actor_slug": slug,
                "actor_name": name,
                "stated_on": stated_on.isoformat(),
                "status": status,
                "status_rationale": rationale,
                # null (JSON) / empty (CSV): recorded before confidence was kept.
                "status_confidence": confidence,
                "source_urls": urls.get(pk, []),
                "evidence": evidence.get(pk, []),
                "stances": stances.get(pk, []),
            }


def quote_formula(value):
    """The CSV cell for `value`: a leading ' when a spreadsheet would run it as a formula."""
    if isinstance(value, str) and FORMULA_CELL.match(value):
        return "'" + value
    return value


def unquote_formula(cell):
    """What quote_formula was given: drops exactly the ' it added."""
    if cell.startswith("'") and FORMULA_CELL.match(cell[1:]):
        return cell[1:]
    return cell


class _Echo:
    """A file-like object whose write() hands back the line, for csv.writer in a generator."""

    def write(self, value):
        return value


def csv_lines(records):
    """CSV text for export_records() dicts (or a claim queryset), a few hundred rows at a
    time."""
    if isinstance(records, QuerySet):
        records = export_records(records)
    writer = csv.writer(_Echo())
    yield writer.writerow(COLUMNS)
    batch = []
    for record in records:
        record["source_urls"] = URL_SEPARATOR.join(record["source_urls"])
        record["evidence"] = URL_SEPARATOR.join(record["evidence"])
        record["status_confidence"] = record["status_confidence"] or ""
        record["stances"] = stances_cell(record["stances"])
        batch.append(writer.writerow([quote_formula(record[c]) for c in COLUMNS]))
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


def started(rows):
    """`rows` (an iterator) with its first item already fetched, so the export's query runs
    while the view can still answer with an error status: a database error (a search it
    can't run, a statement timeout) then reaches the error handling as a 400 or 503 instead
    of cutting a 200 download short after its first bytes."""
    rows = iter(rows)
    for first in rows:
        return itertools.chain([first], rows)
    return iter(())


def _attachment(content, content_type, filename):
    response = StreamingHttpResponse(content, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


@read_access_required
@require_safe
def export_csv(request):
    filterset = filtered_claims(request.GET)
    if not filterset.is_valid():
        return _bad_filter(filterset)
    records = started(export_records(filterset.qs))
    return _attachment(csv_lines(records), "text/csv; charset=utf-8", "claims.csv")


@read_access_required
@require_safe
def export_json(request):
    filterset = filtered_claims(request.GET)
    if not filterset.is_valid():
        return _bad_filter(filterset)
    records = started(export_records(filterset.qs))
    return _attachment(json_array(records), "application/json", "claims.json")


@read_access_required
@require_safe
def export_jsonld(request):
    citations = Citation.objects.select_related("source").order_by("role", "pk")
    queryset = Claim.objects.select_related("actor").prefetch_related(
        Prefetch("citations", queryset=citations)
    )
    filterset = filtered_claims(request.GET, queryset)
    if not filterset.is_valid():
        return _bad_filter(filterset)
    claims = started(jsonld.with_review_date(filterset.qs).iterator(chunk_size=CHUNK_SIZE))
    reviews = (jsonld.claim_review(claim, request) for claim in claims)
    return _attachment(json_array(reviews), "application/ld+json", "claims.jsonld")
