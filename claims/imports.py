"""Import claims from CSV in the export's columns: all or nothing.

Every row is parsed and checked first; any bad row fails the whole import with a report of
each bad line and why. Then everything is written in one transaction through the services
(so each claim gets its verdict timeline and history). A dry run does the same writes and
rolls them back, so it reports exactly what a real run would change.

A row whose actor, date and headline match one existing claim updates that claim (text,
status, new source URLs) instead of adding a copy, so importing the same file twice changes
nothing the second time. The `id` column is ignored: ids belong to the database."""

import contextlib
import csv
import datetime
import io
import logging
import re
import time
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.core.validators import MaxLengthValidator
from django.db import DatabaseError, transaction

from . import duplicates, services
from .exports import EVIDENCE_SEPARATOR, batches, unquote_formula
from .models import (
    SLUG_PATTERN,
    Actor,
    Citation,
    Claim,
    Confidence,
    NameLookupError,
    Proposition,
    Source,
    StanceKind,
    stated_on_error,
    unique_slug,
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
    "stances",
]
LOOKUP_CHUNK = 1000
# New rows checked for possible duplicates: at least every row the upload page takes.
DUPLICATE_CHECK_ROWS = 2000
# New claims written per bulk INSERT: large enough that the statements cost little per
# claim, small enough that one chunk's rows sit comfortably in memory.
BULK_CHUNK = 5000


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
    # {proposition slug: stance}; None when the file has no stances column (left alone).
    stances: dict | None = None
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
class RowWarning:
    """A new row that says almost the same as a claim already recorded."""

    line: int
    reason: str
    claim_ids: list = field(default_factory=list)

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
    # (line, what the row changes), for the dry run's per-row report.
    changes: list = field(default_factory=list)
    # Possible duplicates of new rows (RowWarning), reported but not refused: see
    # _possible_duplicates.
    warnings: list = field(default_factory=list)
    # New rows beyond DUPLICATE_CHECK_ROWS, imported without the possible-duplicate check.
    duplicates_unchecked: int = 0
    # Wall-clock seconds of each step ("checking", "duplicates", "writing") that ran.
    seconds: dict = field(default_factory=dict)

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

CONFIDENCES = frozenset(Confidence.values)

# Past this many bad rows the report stops: nobody reads ten thousand, and a hostile file of
# one-comma lines would otherwise build millions of them (gigabytes of memory).
MAX_ERRORS = 100
# No field of a good row is longer than a claim's text (the longest column); a bigger one
# is refused by the CSV reader itself before it is held in memory whole.
MAX_FIELD_CHARS = 64 * 1024
# A good row is well under this (its longest text, quoted, in four-byte characters); reading
# stops at a longer line instead of holding a file without newlines in memory whole.
MAX_LINE_BYTES = 1024 * 1024


def _lines(stream, errors):
    """The file's lines as text, read one at a time; a line that is not UTF-8 gets an
    error naming it (and is passed on with the bad bytes replaced, so the CSV reader keeps
    counting lines the way the file does)."""
    lines = iter(lambda: stream.readline(MAX_LINE_BYTES + 1), b"")
    for number, line in enumerate(lines, start=1):
        if len(line) > MAX_LINE_BYTES:
            errors.append(
                RowError(number, f"line longer than {MAX_LINE_BYTES // 1024:,} KB: not a claim row")
            )
            return
        if number == 1 and line.startswith(b"\xef\xbb\xbf"):
            line = line[3:]
        try:
            yield line.decode("utf-8")
        except UnicodeDecodeError as error:
            errors.append(
                RowError(
                    number,
                    f"bad encoding: byte 0x{line[error.start]:02x} at column {error.start + 1} "
                    "is not UTF-8 (save the file as UTF-8)",
                )
            )
            yield line.decode("utf-8", errors="replace")


def _bad_url(url):
    """Whether the URL field refuses `url` (its own validators: a URL that is already a
    source's is fine here, the import cites that source)."""
    try:
        Source._meta.get_field("url").clean(url, None)
    except ValidationError:
        return True
    return False


def _model_errors(instance, fields):
    """What the model's own validators (its fields' and clean()) say about `fields` of an
    unsaved instance, as 'field: message'. Constraints are left to the save: checking them
    here costs a query each."""
    exclude = [f.name for f in instance._meta.fields if f.name not in fields]
    try:
        instance.full_clean(exclude=exclude, validate_unique=False, validate_constraints=False)
    except ValidationError as error:
        return [
            message if name == "__all__" else f"{name}: {message}"
            for name, messages in error.message_dict.items()
            for message in messages
        ]
    return []


def _clean_row(record, line):
    """A Row from one CSV record, or the list of what is wrong with it: the rules are the
    models' own (Claim, Actor and Source validators and constraints), so a row is refused
    here for exactly the reasons a save would refuse it."""
    value = {
        k: unquote_formula(v) if isinstance(v, str) else ""
        for k, v in record.items()
        if k is not None
    }
    # PostgreSQL text can't hold a NUL and no model validator checks for one.
    problems = [
        f"{name} contains a NUL character" for name, text in value.items() if "\x00" in text
    ]
    if problems:
        return None, problems
    slug = value["actor_slug"].strip()
    actor_name = value.get("actor_name", "").strip()
    status = value["status"].strip().lower() or Claim.Status.UNVERIFIED
    rationale = value.get("status_rationale", "").strip()
    claim = Claim(
        headline=value["headline"],
        text=value["text"],
        stated_on=value["stated_on"].strip(),
        status=status,
        status_rationale=rationale,
    )
    if not value["headline"].strip():
        problems.append("missing headline")
    if not value["text"].strip():
        problems.append("missing text")
    problems += [
        p
        for p in _model_errors(claim, {"headline", "text", "stated_on"})
        if not p.startswith(("headline: This field", "text: This field"))
    ]
    confidence, evidence = _clean_grades(value, problems)
    # Status and rationale follow the verdict rule that every status change goes through.
    # A missing confidence is judged later (_check_confidence): a row repeating a verdict
    # recorded before confidence was kept needs none.
    try:
        services.validate_status_change(status=status, rationale=rationale, confidence=confidence)
    except ValidationError as error:
        problems += [
            f"status_{name}: {m}" if name == "rationale" else m
            for name, messages in error.message_dict.items()
            if name != "confidence"
            for m in messages
        ]
    if not slug and not actor_name:
        problems.append("missing actor: actor_slug and actor_name are empty")
    elif slug:
        # The name is checked only when given: an existing actor needs none.
        actor = Actor(slug=slug, name=actor_name or slug)
        problems += [
            f"bad actor_slug {slug[:100]!r}: {p.removeprefix('slug: ')}"
            if p.startswith("slug: ")
            else f"actor_{p}"
            for p in _model_errors(actor, {"slug", "name"})
        ]
    urls = []
    for url in value.get("source_urls", "").split():
        if _bad_url(url):
            problems.append(f"bad source URL {url[:100]!r}")
        elif url not in urls:
            urls.append(url)
    stances = None
    if "stances" in value:
        stances, stance_problems = parse_stances(value["stances"])
        problems.extend(stance_problems)
    if problems:
        return None, problems
    row = Row(
        line, claim.headline, claim.text, slug, actor_name, claim.stated_on, status, rationale, urls
    )
    row.stances = stances
    row.confidence, row.evidence = confidence, evidence
    return row, []


def _clean_grades(value, problems):
    """The row's verdict confidence and evidence citations (see exports.evidence_entry);
    what is wrong is appended to `problems`, naming the column."""
    confidence = value.get("status_confidence", "").strip().lower()
    if confidence and confidence not in Confidence.values:
        problems.append(f"unknown status_confidence {confidence[:20]!r}: use low, moderate or high")
        confidence = ""
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
        credibility = int(credibility) if credibility.isascii() and credibility.isdigit() else None
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
        if _bad_url(url):
            problems.append(f"bad evidence URL {url[:100]!r}")
        elif url not in seen:
            seen.add(url)
            evidence.append((url, direction, credibility, override))
    return confidence, evidence


class _RowCheck:
    """_clean_row's checks made once per import from the same model fields and rules, for
    the rows that pass them: what _clean_row would return for a good row, without building
    a model instance and running full_clean() per row, which took most of the time of
    checking a large file. A URL or an actor is checked once per import, however many rows
    name it.

    It only ever accepts what _clean_row accepts; a row it doesn't accept is given to
    _clean_row, which says what is wrong in its own words. So the messages are unchanged."""

    def __init__(self):
        self.headline_ok = _text_check(Claim._meta.get_field("headline"))
        self.text_ok = _text_check(Claim._meta.get_field("text"))
        self.to_date = Claim._meta.get_field("stated_on").to_python
        self.good_urls, self.good_actors, self.evidence_entries = {}, {}, {}

    def __call__(self, record, line):
        """The Row for `record`, or None: not judged here, ask _clean_row."""
        value = {
            k: unquote_formula(v) if isinstance(v, str) else ""
            for k, v in record.items()
            if k is not None
        }
        if any("\x00" in text for text in value.values()):
            return None
        headline, text = value["headline"], value["text"]
        if not (headline.strip() and text.strip()):
            return None
        if not (self.headline_ok(headline) and self.text_ok(text)):
            return None
        try:
            stated_on = self.to_date(value["stated_on"].strip())
        except ValidationError:
            return None
        if stated_on_error(stated_on) is not None:
            return None
        confidence = value.get("status_confidence", "").strip().lower()
        if confidence and confidence not in CONFIDENCES:
            return None
        evidence, seen = [], set()
        for entry in value.get("evidence", "").split():
            parsed = self._evidence(entry)
            if parsed is None:
                return None
            if parsed[0] not in seen:
                seen.add(parsed[0])
                evidence.append(parsed)
        status = value["status"].strip().lower() or Claim.Status.UNVERIFIED
        rationale = value.get("status_rationale", "").strip()
        try:
            services.validate_status_change(
                status=status, rationale=rationale, confidence=confidence
            )
        except ValidationError as error:
            # A missing confidence is judged later (_check_confidence), as in _clean_row.
            if set(error.message_dict) != {"confidence"}:
                return None
        slug = value["actor_slug"].strip()
        actor_name = value.get("actor_name", "").strip()
        if not slug and not actor_name:
            return None
        if slug and not self._actor_ok(slug, actor_name):
            return None
        urls = []
        for url in value.get("source_urls", "").split():
            if not self._url_ok(url):
                return None
            if url not in urls:
                urls.append(url)
        stances = None
        if "stances" in value:
            stances, problems = parse_stances(value["stances"])
            if problems:
                return None
        row = Row(line, headline, text, slug, actor_name, stated_on, status, rationale, urls)
        row.stances, row.confidence, row.evidence = stances, confidence, evidence
        return row

    def _url_ok(self, url):
        if url not in self.good_urls:
            self.good_urls[url] = not _bad_url(url)
        return self.good_urls[url]

    def _actor_ok(self, slug, name):
        key = (slug, name)
        if key not in self.good_actors:
            actor = Actor(slug=slug, name=name or slug)
            self.good_actors[key] = not _model_errors(actor, {"slug", "name"})
        return self.good_actors[key]

    def _evidence(self, entry):
        """(url, direction, credibility, override) for a good evidence entry, else None."""
        if entry not in self.evidence_entries:
            problems = []
            _, parsed = _clean_grades({"evidence": entry}, problems)
            self.evidence_entries[entry] = None if problems else parsed[0]
        return self.evidence_entries[entry]


def _text_check(field):
    """A test that field.clean() accepts a text as it is, made once from the field: its
    blank rule and its length validators. A field with choices or other validators is
    tested by field.clean() itself."""
    validators = field.validators
    limits = [
        v.limit_value
        for v in validators
        if type(v) is MaxLengthValidator and isinstance(v.limit_value, int)
    ]
    if field.choices or len(limits) != len(validators):

        def cleans(value):
            try:
                return field.clean(value, None) == value
            except ValidationError:
                return False

        return cleans
    limit, blank = min(limits, default=None), field.blank

    def fits(value):
        if value == "":
            return blank
        return limit is None or len(value) <= limit

    return fits


def parse_stances(cell):
    """{slug: stance} from "asserts:slug denies:other" (exports.stances_cell), and problems."""
    stances, problems = {}, []
    for token in cell.split():
        kind, _, slug = token.partition(":")
        if kind not in StanceKind.values:
            problems.append(
                f"bad stance {token[:100]!r}: use asserts:, denies: or doubts: and a slug"
            )
        elif not slug or len(slug) > 200 or not re.fullmatch(SLUG_PATTERN, slug):
            problems.append(f"bad proposition slug in {token[:100]!r}")
        elif slug in stances:
            problems.append(f"proposition {slug} is named twice in stances")
        else:
            stances[slug] = kind
    return stances, problems


def _check_propositions(rows):
    """{slug: Proposition} for every slug the rows name, and an error per unknown one."""
    slugs = {slug for row in rows if row.stances for slug in row.stances}
    found = {}
    for chunk in batches(sorted(slugs), LOOKUP_CHUNK):
        found.update({p.slug: p for p in Proposition.objects.filter(slug__in=chunk)})
    errors = [
        RowError(row.line, f"unknown proposition {slug!r} in stances: create it first")
        for row in rows
        for slug in (row.stances or {})
        if slug not in found
    ]
    return found, errors


def _sync_stances(claim, row, propositions, by):
    """Make the claim's stances those of the row; True when anything changed."""
    if row.stances is None:
        return False
    current = {s.proposition.slug: s for s in claim.stances.select_related("proposition")}
    changed = False
    for slug, stance in current.items():
        if slug not in row.stances:
            services.remove_stance(stance=stance, by=by)
            changed = True
    for slug, kind in row.stances.items():
        if slug not in current or current[slug].stance != kind:
            note = current[slug].note if slug in current else ""
            services.set_stance(
                claim=claim, proposition=propositions[slug], stance=kind, note=note, by=by
            )
            changed = True
    return changed


def parse(data, *, max_rows=None, max_errors=MAX_ERRORS):
    """(rows, errors, records) for a CSV file (bytes or a binary file), read as a stream:
    reading stops at the first record past `max_rows` and after `max_errors` errors, so a
    hostile file costs no more than that many rows. Errors name the line of each bad row;
    `records` is how many data records were read."""
    stream = io.BytesIO(data) if isinstance(data, bytes | bytearray) else data
    errors = []
    csv.field_size_limit(MAX_FIELD_CHARS)
    reader = csv.DictReader(_lines(stream, errors))
    try:
        header = reader.fieldnames
    except csv.Error as error:
        return [], [RowError(1, f"unreadable CSV header: {error}")], 0
    if errors:
        return [], errors, 0
    if not header:
        return [], [RowError(1, "empty file: the first line must name the columns")], 0
    missing = [c for c in REQUIRED_COLUMNS if c not in header]
    if missing:
        return (
            [],
            [
                RowError(
                    1,
                    f"missing columns: {', '.join(missing)} (the header needs "
                    f"{', '.join(REQUIRED_COLUMNS)}; optional: {', '.join(OPTIONAL_COLUMNS)})",
                )
            ],
            0,
        )
    rows, records = [], 0
    check = _RowCheck()
    line = reader.line_num + 1
    try:
        for record in reader:
            records += 1
            if max_rows is not None and records > max_rows:
                return rows, [_too_many_rows(max_rows)], records
            if None in record:
                errors.append(RowError(line, f"more fields than the {len(header)} columns"))
            elif any(v is None for v in record.values()):
                errors.append(RowError(line, f"fewer fields than the {len(header)} columns"))
            else:
                row, problems = check(record, line), []
                if row is None:
                    row, problems = _clean_row(record, line)
                errors.extend(RowError(line, p) for p in problems)
                if row is not None:
                    rows.append(row)
            if len(errors) >= max_errors:
                errors = errors[:max_errors]
                errors.append(
                    RowError(line, f"stopped reading after {max_errors} problems: fix these first")
                )
                return rows, errors, records
            line = reader.line_num + 1
    except csv.Error as error:
        errors.append(RowError(line, f"unreadable CSV: {error}"))
    return rows, sorted(errors, key=lambda e: e.line), records


def _too_many_rows(max_rows):
    return RowError(
        1,
        f"the file has more than {max_rows:,} rows; this page takes up to {max_rows:,}: "
        "use manage.py import_claims for larger files",
    )


# Checking against the database ----------------------------------------------------------


def _resolve_actor_names(rows):
    """Rows that name their actor without a slug: the actor that name, short name or alias
    resolves to (Actor.objects.resolve, as the forms), or a new actor with a slug derived
    from the name; a name several actors answer to is that row's error."""
    errors, slugs, derived = [], {}, set()
    for row in rows:
        if row.actor_slug:
            continue
        name = row.actor_name
        if name not in slugs:
            try:
                slugs[name] = Actor.objects.resolve(name).slug
            except NameLookupError as error:
                slugs[name] = error if error.candidates else None
            if slugs[name] is None:  # a new actor: derive its slug, unique in this file too
                base = slug = unique_slug(Actor, name)
                number = 2
                while slug in derived:  # "Nato!" and "NATO" in one file
                    slug, number = f"{base}-{number}", number + 1
                derived.add(slug)
                slugs[name] = slug
        if isinstance(slugs[name], NameLookupError):
            errors.append(RowError(row.line, f"actor_name: {slugs[name].messages[0]}"))
            continue
        row.actor_slug = slugs[name]
    return errors


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


def _possible_duplicates(rows, matches, actors):
    """A warning for each new row (one that updates no claim) that says almost the same as
    a claim already recorded.

    Warned, not refused: a row that names an existing claim exactly (actor, date, headline)
    already updates it rather than adding a copy, so a file imported twice doubles nothing;
    what is left is a judgement the analyst makes from the dry run's report (the page's
    default), and refusing would hold the whole file back, since an import is all or
    nothing. Each check is bounded (claims.duplicates), a few queries a row, so only the
    first DUPLICATE_CHECK_ROWS new rows are checked: every file the upload page takes, while
    a bulk load of 100,000 rows by the command stays a bulk write (the report says how many
    rows went unchecked)."""
    warnings = []
    new_rows = [row for row in rows if row.line not in matches]
    for row in new_rows[:DUPLICATE_CHECK_ROWS]:
        actor = actors.get(row.actor_slug)
        found = duplicates.similar_claims(
            headline=row.headline, text=row.text, actor=actor, stated_on=row.stated_on
        )
        if found:
            listed = "; ".join(
                f"claim {m.record.pk} “{m.record.headline}” ({m.percent}% alike)" for m in found
            )
            warnings.append(
                RowWarning(
                    row.line,
                    f"possible duplicate of {listed}",
                    claim_ids=[m.record.pk for m in found],
                )
            )
    return warnings, max(len(new_rows) - DUPLICATE_CHECK_ROWS, 0)


def _sources_for(urls, by, report):
    """{url: source id} for the rows' URLs: an existing source with the URL, or with the
    same page under another spelling of it (duplicates.normalize_url), else a new one."""
    sources = {}
    for chunk in batches(sorted(urls), LOOKUP_CHUNK):
        sources.update(Source.objects.filter(url__in=chunk).values_list("url", "pk"))
    missing = sorted(set(urls) - set(sources))
    keys = {url: duplicates.normalize_url(url) for url in missing}
    by_key = {}
    for chunk in batches(sorted(set(keys.values())), LOOKUP_CHUNK):
        found = Source.objects.filter(url_key__in=chunk).order_by("-pk")
        for key, pk in found.values_list("url_key", "pk"):
            by_key[key] = pk
    # Known under another spelling, or spelt twice in the file: one source. The first
    # spelling of each new page is the one created.
    first_spelling = {}
    for url in missing:
        if keys[url] not in by_key:
            first_spelling.setdefault(keys[url], url)
    new = sorted(first_spelling.values())
    for chunk in batches(new, BULK_CHUNK):
        created = services.create_sources_bulk(chunk, by=by, reason="import")
        by_key.update({keys[url]: pk for url, pk in created.items()})
    for url in missing:
        sources[url] = by_key[keys[url]]
    report.new_sources += len(new)
    return sources


def _update_claim(claim, row, sources, by, report, propositions):
    changes = ["new stances"] if _sync_stances(claim, row, propositions, by) else []
    if claim.text != row.text:
        claim.text = row.text
        services.save_versioned(claim, by=by, version=claim.version, reason="import")
        changes.append("new text")
    if _new_verdict(claim, row):
        old = claim.status
        services.claim_set_status(
            claim=claim,
            status=row.status,
            rationale=row.rationale,
            confidence=row.confidence,
            by=by,
        )
        report.status_changes += 1
        changes.append(f"status {old} → {row.status}" if old != row.status else "new rationale")
    cited = {(c.source_id, c.role) for c in claim.citations.all()}
    for url in row.urls:
        if (sources[url].pk, Citation.Role.APPEARANCE) not in cited:
            cited.add((sources[url].pk, Citation.Role.APPEARANCE))
            services.add_citation(
                claim=claim, source=sources[url], role=Citation.Role.APPEARANCE, by=by
            )
            changes.append(f"cites {url}")
    for url, direction, credibility, override in row.evidence:
        if (sources[url].pk, Citation.Role.EVIDENCE) not in cited:
            cited.add((sources[url].pk, Citation.Role.EVIDENCE))
            services.add_citation(
                claim=claim,
                source=sources[url],
                role=Citation.Role.EVIDENCE,
                direction=direction,
                credibility=credibility,
                reliability_override=override,
                by=by,
            )
            changes.append(f"cites {url} as evidence")
    if changes:
        report.updated += 1
        report.changes.append((row.line, f"updates claim {claim.pk}: {'; '.join(changes)}"))
    else:
        report.unchanged += 1
        report.changes.append((row.line, f"claim {claim.pk} unchanged"))


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


def _write(rows, matches, new_actors, *, by, report, progress, propositions):
    actors = _existing_actors(rows)
    for slug, name in sorted(new_actors.items()):
        actors[slug] = services.create_record(Actor(slug=slug, name=name), by=by)
        report.new_actors.append(slug)
    urls = {u for r in rows for u in r.urls} | {e[0] for r in rows for e in r.evidence}
    source_ids = _sources_for(urls, by, report)
    updates = [row for row in rows if row.line in matches]
    # The rows that update a claim cite through add_citation, which takes the Source.
    cited = {source_ids[u] for r in updates for u in (*r.urls, *(e[0] for e in r.evidence))}
    loaded = {}
    for chunk in batches(sorted(cited), LOOKUP_CHUNK):
        loaded.update(Source.objects.in_bulk(chunk))
    sources = {url: loaded[pk] for url, pk in source_ids.items() if pk in loaded}
    for row in updates:
        with _line(row):
            _update_claim(matches[row.line], row, sources, by, report, propositions)
        progress(1)
    new_rows = [row for row in rows if row.line not in matches]
    for chunk in batches(new_rows, BULK_CHUNK):
        _create_chunk(
            chunk, actors, new_actors, source_ids, by=by, report=report, propositions=propositions
        )
        progress(len(chunk))
    report.changes.sort(key=lambda change: change[0])


def _create_chunk(chunk, actors, new_actors, source_ids, *, by, report, propositions):
    """New claims of `chunk` in one bulk write; a line the database refuses is found by
    writing the chunk again claim by claim, so the report names it as before."""
    specs = [
        services.NewClaim(
            actor_id=actors[row.actor_slug].pk,
            headline=row.headline,
            text=row.text,
            stated_on=row.stated_on,
            status=row.status,
            rationale=row.rationale,
            confidence=row.confidence,
            # Two spellings of one page in a row are one citation.
            source_ids=tuple(dict.fromkeys(source_ids[u] for u in row.urls)),
            evidence=tuple(
                {
                    source_ids[url]: (source_ids[url], direction, credibility, override)
                    for url, direction, credibility, override in row.evidence
                }.values()
            ),
        )
        for row in chunk
    ]
    try:
        with transaction.atomic():
            created = services.create_claims_bulk(specs, by=by, reason="import")
    except services.BulkClaimInvalid as error:
        with _line(chunk[error.index]):
            raise ValidationError(error.messages) from error
    except DatabaseError:
        created = []
        for row, spec in zip(chunk, specs, strict=True):
            with _line(row):
                created += services.create_claims_bulk([spec], by=by, reason="import")
    with_stances = {pk for row, pk in zip(chunk, created, strict=True) if row.stances}
    claims = Claim.objects.in_bulk(with_stances) if with_stances else {}
    for row, pk in zip(chunk, created, strict=True):
        if row.stances:
            with _line(row):
                _sync_stances(claims[pk], row, propositions, by)
        report.created += 1
        report.status_changes += 1
        new_actor = " (new actor)" if row.actor_slug in new_actors else ""
        cited = len(row.urls) + len(row.evidence)
        sources_note = f", citing {cited} source(s)" if cited else ""
        report.changes.append(
            (row.line, f"new {row.status} claim by {row.actor_slug}{new_actor}{sources_note}")
        )


@contextlib.contextmanager
def _line(row):
    """Turn what refuses the write of `row` into that line's import error."""
    try:
        yield
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


def import_claims(data, *, by=None, dry_run=False, progress=None, on_start=None, max_rows=None):
    """Check and import the CSV `data` (bytes or a binary file); returns an ImportReport.

    Nothing is written unless every row is good; with dry_run nothing is written at all.
    With `max_rows`, a longer file is refused whole (the web page: one request, one
    transaction holding the database's write lock).
    For a progress bar: `on_start(total)` is called once the rows are checked, and
    `progress(n)` as they are written."""
    report = ImportReport(dry_run=dry_run)
    started = time.perf_counter()
    rows, errors, report.rows = parse(data, max_rows=max_rows)
    if not errors:
        errors = _resolve_actor_names(rows)
    if not errors:
        actors = _existing_actors(rows)
        new_actors, actor_errors = _check_new_actors(rows, actors)
        matches, match_errors = _match_existing(rows, _existing_claims(rows))
        propositions, proposition_errors = _check_propositions(rows)
        confidence_errors = _check_confidence(rows, matches)
        errors = sorted(
            actor_errors + match_errors + proposition_errors + confidence_errors,
            key=lambda e: e.line,
        )
    report.seconds["checking"] = time.perf_counter() - started
    if errors:
        report.errors = errors
        return report
    started = time.perf_counter()
    report.warnings, report.duplicates_unchecked = _possible_duplicates(rows, matches, actors)
    report.seconds["duplicates"] = time.perf_counter() - started
    started = time.perf_counter()
    if on_start is not None:
        on_start(len(rows))
    try:
        with transaction.atomic():
            _write(
                rows,
                matches,
                new_actors,
                by=by,
                report=report,
                progress=progress or _ignore,
                propositions=propositions,
            )
            if dry_run:
                transaction.set_rollback(True)
    except ImportFailed as failure:
        report.errors = list(failure.args)
        report.created = report.updated = report.unchanged = report.status_changes = 0
        report.new_actors, report.new_sources, report.changes = [], 0, []
    report.seconds["writing"] = time.perf_counter() - started
    return report


def _ignore(n):
    pass
