"""Import claims from CSV in the export's columns: all or nothing.

Every row is parsed and checked first; any bad row fails the whole import with a report of
each bad line and why. Then everything is written in one transaction through the services
(so each claim gets its verdict timeline and history). A dry run does the same writes and
rolls them back, so it reports exactly what a real run would change.

A row whose actor, date and headline match one existing claim updates that claim (text,
status, new source URLs) instead of adding a copy, so importing the same file twice changes
nothing the second time. The `id` column is ignored: ids belong to the database."""

import csv
import datetime
import io
import logging
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from django.db import DatabaseError, transaction

from . import services
from .exports import EVIDENCE_SEPARATOR, batches, unquote_formula
from .models import (
    CLAIM_TEXT_MAX_LENGTH,
    HEADLINE_MAX_LENGTH,
    NOTE_MAX_LENGTH,
    Actor,
    Citation,
    Claim,
    Confidence,
    Source,
    reserved_slug_error,
    slug_validator,
    stated_on_error,
)

logger = logging.getLogger(__name__)

REQUIRED_COLUMNS = ["headline", "text", "actor_slug", "stated_on", "status"]
OPTIONAL_COLUMNS = [
    "id",
    "actor_name",
    "status_rationale",
    "status_confidence",
    "source_urls",
    "evidence",
]
MAX_FIELD_SIZE = 16 * 1024 * 1024
LOOKUP_CHUNK = 1000

_source_url = Source._meta.get_field("url")
_actor_name = Actor._meta.get_field("name")
_actor_slug = Actor._meta.get_field("slug")
_validate_url = URLValidator()


@dataclass
class Row:
    line: int
    headline: str
    text: str
    actor_slug: str
    actor_name: str
    stated_on: datetime.date
    status: str
    rationale: str
    urls: list
    confidence: str = ""
    # (url, direction, credibility, reliability override) per evidence citation
    evidence: list = field(default_factory=list)


@dataclass
class RowError:
    line: int
    reason: str

    def __str__(self):
        return f"line {self.line}: {self.reason}"


@dataclass
class ImportReport:
    dry_run: bool = False
    rows: int = 0
    errors: list = field(default_factory=list)
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    status_changes: int = 0
    new_actors: list = field(default_factory=list)
    new_sources: int = 0

    @property
    def ok(self):
        return not self.errors

    def summary(self):
        verb = "would be" if self.dry_run else "were"
        return (
            f"{self.rows} rows: {self.created} claims {verb} created, {self.updated} updated, "
            f"{self.unchanged} unchanged; {self.status_changes} status changes, "
            f"{len(self.new_actors)} new actors, {self.new_sources} new sources."
        )


class ImportFailed(Exception):
    pass


# Parsing -------------------------------------------------------------------------------


def decode(data):
    """The file as text, or one error per line that is not UTF-8."""
    try:
        return data.decode("utf-8-sig"), []
    except UnicodeDecodeError:
        pass
    errors = []
    for number, line in enumerate(data.split(b"\n"), start=1):
        try:
            line.decode("utf-8")
        except UnicodeDecodeError as error:
            errors.append(
                RowError(
                    number,
                    f"bad encoding: byte 0x{line[error.start]:02x} at column {error.start + 1} "
                    "is not UTF-8 (save the file as UTF-8)",
                )
            )
    return None, errors


def _clean_row(record, line):
    """A Row from one CSV record, or the list of what is wrong with it."""
    problems = []
    value = {
        k: unquote_formula(v) if isinstance(v, str) else ""
        for k, v in record.items()
        if k is not None
    }
    for name, text in value.items():
        if "\x00" in text:
            problems.append(f"{name} contains a NUL character")
    headline, text = value["headline"], value["text"]
    if not headline.strip():
        problems.append("missing headline")
    elif len(headline) > HEADLINE_MAX_LENGTH:
        problems.append(
            f"headline is {len(headline)} characters long; at most {HEADLINE_MAX_LENGTH} allowed"
        )
    if not text.strip():
        problems.append("missing text")
    elif len(text) > CLAIM_TEXT_MAX_LENGTH:
        problems.append(
            f"text is {len(text):,} characters long; at most {CLAIM_TEXT_MAX_LENGTH:,} allowed"
        )
    slug = value["actor_slug"].strip()
    if not slug:
        problems.append("missing actor: actor_slug is empty")
    else:
        try:
            slug_validator(slug)
            if len(slug) > _actor_slug.max_length:
                raise ValidationError("too long")
        except ValidationError:
            problems.append(
                f"bad actor_slug {slug[:100]!r}: use lowercase letters, digits and single hyphens"
            )
        else:
            if message := reserved_slug_error(slug):
                problems.append(f"bad actor_slug: {message}")
    actor_name = value.get("actor_name", "").strip()
    if len(actor_name) > _actor_name.max_length:
        problems.append(f"actor_name is longer than {_actor_name.max_length} characters")
    stated_on = None
    raw_date = value["stated_on"].strip()
    try:
        stated_on = datetime.datetime.strptime(raw_date, "%Y-%m-%d").date()  # noqa: DTZ007
    except ValueError:
        problems.append(f"bad date {raw_date!r} in stated_on: use YYYY-MM-DD")
    else:
        if message := stated_on_error(stated_on):
            problems.append(f"bad stated_on {raw_date}: {message}")
    status = value["status"].strip().lower() or Claim.Status.UNVERIFIED
    rationale = value.get("status_rationale", "").strip()
    if len(rationale) > NOTE_MAX_LENGTH:
        problems.append(
            f"status_rationale is {len(rationale):,} characters long; "
            f"at most {NOTE_MAX_LENGTH:,} allowed"
        )
    elif status not in Claim.Status.values:
        problems.append(
            f"unknown status {value['status']!r}: use one of {', '.join(Claim.Status.values)}"
        )
    else:
        try:
            services.validate_status_change(status=status, rationale=rationale)
        except ValidationError:
            problems.append(f"status {status} needs a status_rationale")
    urls = []
    for url in value.get("source_urls", "").split():
        if _url_problem(url):
            problems.append(f"bad source URL {url[:100]!r}")
        elif url not in urls:
            urls.append(url)
    confidence, evidence = _clean_grades(value, problems)
    if problems:
        return None, problems
    row = Row(line, headline, text, slug, actor_name, stated_on, status, rationale, urls)
    row.confidence, row.evidence = confidence, evidence
    return row, []


def _url_problem(url):
    try:
        _validate_url(url)
        if len(url) > _source_url.max_length:
            raise ValidationError("too long")
    except ValidationError:
        return True
    return False


def _clean_grades(value, problems):
    """The row's verdict confidence and evidence citations (see exports.evidence_entry);
    what is wrong is appended to `problems`, naming the column."""
    confidence = value.get("status_confidence", "").strip().lower()
    if confidence and confidence not in Confidence.values:
        problems.append(f"unknown status_confidence {confidence[:20]!r}: use low, moderate or high")
    evidence, seen = [], set()
    for entry in value.get("evidence", "").split():
        parts = entry.split(EVIDENCE_SEPARATOR, 3)
        if len(parts) != 4:
            problems.append(
                f"bad evidence {entry[:100]!r}: write direction:credibility:override:url, "
                "e.g. refutes:3::https://example.org/report"
            )
            continue
        direction, credibility, override, url = parts
        try:
            credibility = int(credibility) if credibility.isascii() else None
        except ValueError:
            credibility = None
        try:
            services.validate_citation_grades(
                role=Citation.Role.EVIDENCE,
                credibility=credibility,
                direction=direction,
                reliability_override=override,
            )
        except ValidationError as error:
            problems.extend(f"bad evidence {entry[:100]!r}: {m}" for m in error.messages)
            continue
        if _url_problem(url):
            problems.append(f"bad evidence URL {url[:100]!r}")
        elif url not in seen:
            seen.add(url)
            evidence.append((url, direction, credibility, override))
    return confidence, evidence


def parse(data):
    """(rows, errors) for the bytes of a CSV file; errors name the line of each bad row."""
    text, errors = decode(data)
    if errors:
        return [], errors
    csv.field_size_limit(MAX_FIELD_SIZE)
    reader = csv.DictReader(io.StringIO(text, newline=""))
    try:
        header = reader.fieldnames
    except csv.Error as error:
        return [], [RowError(1, f"unreadable CSV header: {error}")]
    if not header:
        return [], [RowError(1, "empty file: the first line must name the columns")]
    missing = [c for c in REQUIRED_COLUMNS if c not in header]
    if missing:
        return [], [
            RowError(
                1,
                f"missing columns: {', '.join(missing)} (the header needs "
                f"{', '.join(REQUIRED_COLUMNS)}; optional: {', '.join(OPTIONAL_COLUMNS)})",
            )
        ]
    rows = []
    line = reader.line_num + 1
    try:
        for record in reader:
            if None in record:
                errors.append(RowError(line, f"more fields than the {len(header)} columns"))
            elif any(v is None for v in record.values()):
                errors.append(RowError(line, f"fewer fields than the {len(header)} columns"))
            else:
                row, problems = _clean_row(record, line)
                errors.extend(RowError(line, p) for p in problems)
                if row is not None:
                    rows.append(row)
            line = reader.line_num + 1
    except csv.Error as error:
        errors.append(RowError(line, f"unreadable CSV: {error}"))
    return rows, errors


# Checking against the database ----------------------------------------------------------


def _existing_actors(rows):
    slugs = sorted({r.actor_slug for r in rows})
    actors = {}
    for chunk in batches(slugs, LOOKUP_CHUNK):
        actors.update({a.slug: a for a in Actor.objects.filter(slug__in=chunk)})
    return actors


def _check_new_actors(rows, actors):
    """The actors the import would create, {slug: name}, and errors for those it can't."""
    errors, new = [], {}
    names = {}
    for row in rows:
        if row.actor_slug in actors or row.actor_slug in new:
            continue
        if not row.actor_name:
            errors.append(
                RowError(
                    row.line,
                    f"missing actor: no actor {row.actor_slug!r} and no actor_name to create it",
                )
            )
            continue
        if row.actor_name in names:
            errors.append(
                RowError(
                    row.line,
                    f"actor_name {row.actor_name!r} is already used for actor "
                    f"{names[row.actor_name]!r}",
                )
            )
            continue
        new[row.actor_slug] = row.actor_name
        names[row.actor_name] = row.actor_slug
    taken = set()
    for chunk in batches(list(names), LOOKUP_CHUNK):
        taken.update(Actor.objects.filter(name__in=chunk).values_list("name", flat=True))
    for row in rows:
        if new.get(row.actor_slug) in taken:
            errors.append(
                RowError(row.line, f"actor_name {row.actor_name!r} belongs to another actor")
            )
    return new, errors


def _existing_claims(rows):
    """{(actor slug, date, headline): [claims]} for claims the rows may update."""
    found = {}
    for chunk in batches(rows, LOOKUP_CHUNK):
        candidates = Claim.objects.filter(
            actor__slug__in={r.actor_slug for r in chunk},
            headline__in={r.headline for r in chunk},
            stated_on__in={r.stated_on for r in chunk},
        ).select_related("actor")
        for claim in candidates.prefetch_related("citations__source"):
            key = (claim.actor.slug, claim.stated_on, claim.headline)
            found.setdefault(key, {})[claim.pk] = claim
    return {key: list(claims.values()) for key, claims in found.items()}


def _match_existing(rows, existing):
    """{line: existing claim} for rows that update one, and errors for rows that name the
    same claim as an earlier row (new or existing: the file would make two of one claim)."""
    matches, errors, seen = {}, [], {}
    for row in rows:
        key = (row.actor_slug, row.stated_on, row.headline)
        if key in seen:
            errors.append(RowError(row.line, f"same claim as line {seen[key]}"))
            continue
        seen[key] = row.line
        claims = existing.get(key, [])
        if len(claims) > 1:
            errors.append(
                RowError(row.line, f"matches {len(claims)} existing claims; can't tell which")
            )
        elif claims:
            matches[row.line] = claims[0]
    return matches, errors


# Writing -----------------------------------------------------------------------------


def _sources_for(urls, by, report):
    sources = {}
    for chunk in batches(sorted(urls), LOOKUP_CHUNK):
        sources.update({s.url: s for s in Source.objects.filter(url__in=chunk)})
    for url in sorted(set(urls) - set(sources)):
        title = url[: Source._meta.get_field("title").max_length]
        sources[url] = services.create_record(Source(url=url, title=title), by=by)
        report.new_sources += 1
    return sources


def _update_claim(claim, row, sources, by, report):
    changed = False
    if claim.text != row.text:
        claim.text = row.text
        services.save_versioned(claim, by=by, expected_version=claim.version, reason="import")
        changed = True
    if _new_verdict(claim, row):
        services.claim_set_status(
            claim=claim,
            status=row.status,
            rationale=row.rationale,
            confidence=row.confidence,
            by=by,
        )
        report.status_changes += 1
        changed = True
    cited = {(c.source.url, c.role) for c in claim.citations.all()}
    cited_urls = {url for url, _ in cited}
    for url in row.urls:
        if url not in cited_urls:
            services.add_citation(
                claim=claim, source=sources[url], role=Citation.Role.APPEARANCE, by=by
            )
            changed = True
    for url, direction, credibility, override in row.evidence:
        if (url, Citation.Role.EVIDENCE) not in cited:
            services.add_citation(
                claim=claim,
                source=sources[url],
                role=Citation.Role.EVIDENCE,
                direction=direction,
                credibility=credibility,
                reliability_override=override,
                by=by,
            )
            changed = True
    if changed:
        report.updated += 1
    else:
        report.unchanged += 1


def _new_verdict(claim, row):
    """Whether the row records a verdict the claim doesn't have. A verdict recorded before
    confidence was kept (NULL) matches an empty status_confidence cell."""
    current = (claim.status, claim.status_rationale, claim.status_confidence or "")
    return current != (row.status, row.rationale, row.confidence)


def _check_confidence(rows, matches):
    """Errors for rows that would record a confirmed or denied verdict without confidence."""
    errors = []
    for row in rows:
        claim = matches.get(row.line)
        if claim is not None and not _new_verdict(claim, row):
            continue
        try:
            services.validate_confidence(status=row.status, confidence=row.confidence)
        except ValidationError:
            errors.append(
                RowError(
                    row.line,
                    f"status {row.status} needs a status_confidence: low, moderate or high",
                )
            )
    return errors


def _write(rows, matches, new_actors, *, by, report, progress):
    actors = _existing_actors(rows)
    for slug, name in sorted(new_actors.items()):
        actors[slug] = services.create_record(Actor(slug=slug, name=name), by=by)
        report.new_actors.append(slug)
    urls = {u for r in rows for u in r.urls} | {e[0] for r in rows for e in r.evidence}
    sources = _sources_for(urls, by, report)
    for row in rows:
        try:
            if row.line in matches:
                _update_claim(matches[row.line], row, sources, by, report)
            else:
                services.create_claim(
                    by=by,
                    actor=actors[row.actor_slug],
                    headline=row.headline,
                    text=row.text,
                    stated_on=row.stated_on,
                    status=row.status,
                    rationale=row.rationale,
                    confidence=row.confidence,
                    citations=[
                        *(
                            Citation(source=sources[u], role=Citation.Role.APPEARANCE)
                            for u in row.urls
                        ),
                        *(
                            Citation(
                                source=sources[url],
                                role=Citation.Role.EVIDENCE,
                                direction=direction,
                                credibility=credibility,
                                reliability_override=override,
                            )
                            for url, direction, credibility, override in row.evidence
                        ),
                    ],
                    checked=True,
                )
                report.created += 1
                report.status_changes += 1
        except ValidationError as error:
            reason = f"could not be saved: {' '.join(error.messages)}"
            raise ImportFailed(RowError(row.line, reason)) from error
        except services.VersionConflict as error:
            reason = "could not be saved: the claim was changed meanwhile; import again"
            raise ImportFailed(RowError(row.line, reason)) from error
        except DatabaseError as error:
            # The database's text may show SQL and other rows' values: log it, say less.
            logger.exception("Import: line %s refused by the database", row.line)
            reason = "could not be saved: the database refused it (details are in the log)"
            raise ImportFailed(RowError(row.line, reason)) from error
        progress(1)


def import_claims(data, *, by=None, dry_run=False, progress=None, on_start=None, max_rows=None):
    """Check and import the CSV bytes `data`; returns an ImportReport.

    Nothing is written unless every row is good; with dry_run nothing is written at all.
    With `max_rows`, a longer file is refused whole (the web page: one request, one
    transaction holding the database's write lock).
    For a progress bar: `on_start(total)` is called once the rows are checked, and
    `progress(n)` as they are written."""
    report = ImportReport(dry_run=dry_run)
    rows, errors = parse(data)
    report.rows = len(rows) + len({e.line for e in errors if e.line > 1})
    if max_rows is not None and report.rows > max_rows:
        report.errors = [
            RowError(
                1,
                f"the file has {report.rows:,} rows; this page takes up to {max_rows:,}: "
                "use manage.py import_claims for larger files",
            )
        ]
        return report
    if not errors:
        actors = _existing_actors(rows)
        new_actors, actor_errors = _check_new_actors(rows, actors)
        matches, match_errors = _match_existing(rows, _existing_claims(rows))
        confidence_errors = _check_confidence(rows, matches)
        errors = sorted(actor_errors + match_errors + confidence_errors, key=lambda e: e.line)
    if errors:
        report.errors = errors
        return report
    if on_start is not None:
        on_start(len(rows))
    try:
        with transaction.atomic():
            _write(rows, matches, new_actors, by=by, report=report, progress=progress or _ignore)
            if dry_run:
                transaction.set_rollback(True)
    except ImportFailed as failure:
        report.errors = list(failure.args)
        report.created = report.updated = report.unchanged = report.status_changes = 0
        report.new_actors, report.new_sources = [], 0
    return report


def _ignore(n):
    pass
