"""The only code that writes the domain tables: every caller (site views, admin, API,
import, management commands) goes through these functions, so the verdict timeline and the
history (who and why) can't be bypassed.

Every public write is decorated with @service: it runs in one transaction, changes the
data version of the cached pages (claims.caching) and marks the call stack (a context
variable, free to read), so a test can flag any row written outside a service
(tests/test_write_paths.py). A new write function gets all three by the decorator.
A background job that waits on the network between its writes (run_capture) is marked with
@service(atomic=False): each of its steps commits on its own."""

import contextvars
import dataclasses
import datetime
from functools import wraps

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.db.models import Exists, F, OuterRef
from django.utils import timezone

from . import versioning
from .caching import bump_data_version
from .db import insert_values
from .duplicates import normalize_url
from .models import (
    NOTE_MAX_LENGTH,
    Capture,
    Citation,
    Claim,
    Confidence,
    Credibility,
    Direction,
    IdempotencyKey,
    LinkState,
    Proposition,
    Reliability,
    Source,
    Stance,
    StatusChange,
)

# Raised by save_versioned and update_claim; callers catch it from here.
VersionConflict = versioning.VersionConflict

NEEDS_RATIONALE = {Claim.Status.CONFIRMED, Claim.Status.DENIED}
# The choices as sets, made once: `Claim.Status.values` builds a new list on every read,
# and the import checks each of 100,000 rows against them.
_STATUSES = frozenset(Claim.Status.values)
_CONFIDENCES = frozenset(Confidence.values)
_CREDIBILITIES = frozenset(Credibility.values)
_DIRECTIONS = frozenset(Direction.values)
_RELIABILITIES = frozenset(Reliability.values)
# A confirmed or denied verdict says how sure it is; unverified may say so or not.
NEEDS_CONFIDENCE = NEEDS_RATIONALE
# A verdict given before confidence was kept has none, shown as "not recorded" (NULL). Only a
# case bundle carrying such a verdict over from another database passes it; every form, the
# admin, the API and the import pass a string, so their confirmed and denied need one.
NOT_RECORDED = None

_depth = contextvars.ContextVar("claims_service_depth", default=0)


def service(func=None, *, atomic=True):
    """Make `func` a service: one transaction, and in_service() is true while it runs.

    `atomic=False` only marks the stack, for a job whose steps must commit one by one."""
    if func is None:
        return lambda func: service(func, atomic=atomic)

    def run(*args, **kwargs):
        result = func(*args, **kwargs)
        # Whatever the service wrote, the cached pages built before it are out of date
        # (claims.caching): bumped here, once, so no write can forget to.
        bump_data_version()
        return result

    body = transaction.atomic(run) if atomic else run

    @wraps(func)
    def wrapper(*args, **kwargs):
        token = _depth.set(_depth.get() + 1)
        try:
            return body(*args, **kwargs)
        finally:
            _depth.reset(token)

    wrapper.is_service = True
    return wrapper


def in_service():
    """True while a service function runs (in this thread or task)."""
    return _depth.get() > 0


@dataclasses.dataclass(frozen=True)
class CitationSpec:
    """A citation to add, as a form or the API describes it: an existing `source`, or a new
    source by `new_source_title` (and its URL, kind, publisher and date) that the service
    creates in the same transaction as the claim."""

    role: str = Citation.Role.APPEARANCE
    source: Source | None = None
    new_source_title: str = ""
    new_source_url: str = ""
    new_source_kind: str = Source.Kind.OTHER
    new_source_publisher: str = ""
    new_source_published_on: datetime.date | None = None
    quote: str = ""
    note: str = ""
    # Evidence only: None / "" leave the ungraded values (6, context; the source's reliability).
    credibility: int | None = None
    direction: str = ""
    reliability_override: str = ""

    def new_source(self):
        """The unsaved Source this spec describes (when it names no existing one)."""
        return Source(
            title=self.new_source_title.strip(),
            url=self.new_source_url,
            kind=self.new_source_kind or Source.Kind.OTHER,
            publisher=self.new_source_publisher.strip(),
            published_on=self.new_source_published_on,
        )


@dataclasses.dataclass(frozen=True)
class CitationEdit:
    """A change to an existing citation of the claim being edited: its role and quote."""

    citation: Citation
    role: str
    quote: str = ""


def _audit(instance, by, reason):
    # simple-history reads these when it writes the history row for this save.
    if by is not None and by.is_authenticated:
        instance._history_user = by
    if reason:
        instance._change_reason = reason[:100]


def _user(by):
    return by if by is not None and by.is_authenticated else None


def validate_status_change(*, status, rationale, confidence=""):
    """Raise ValidationError naming the field: a known status, a rationale and a confidence
    (low, moderate or high) with every confirmed or denied verdict. `confidence=None` is
    NOT_RECORDED (see there) and is not checked."""
    if status not in _STATUSES:
        raise ValidationError({"status": f"Unknown status {status!r}."})
    if status in NEEDS_RATIONALE and not (rationale or "").strip():
        raise ValidationError({"rationale": "Say why: a rationale is required for this verdict."})
    if len(rationale or "") > NOTE_MAX_LENGTH:
        raise ValidationError(
            {"rationale": f"Keep the rationale to {NOTE_MAX_LENGTH:,} characters or fewer."}
        )
    if confidence is not NOT_RECORDED:
        validate_confidence(status=status, confidence=confidence)


def validate_confidence(*, status, confidence):
    if confidence and confidence not in _CONFIDENCES:
        raise ValidationError(
            {"confidence": f"Unknown confidence {confidence!r}: use low, moderate or high."}
        )
    if status in NEEDS_CONFIDENCE and not confidence:
        raise ValidationError(
            {"confidence": "Say how confident: low, moderate or high is required for this verdict."}
        )


def validate_citation_grades(*, role, credibility=None, direction="", reliability_override=""):
    """The grading rules of a citation, as field errors: evidence has a credibility 1-6 and
    a direction, an appearance has neither; an override is a reliability A-F."""
    errors = {}
    if role == Citation.Role.EVIDENCE:
        if credibility not in _CREDIBILITIES:
            errors["credibility"] = (
                f"Unknown credibility {credibility!r}: use a number from 1 to 6."
            )
        if direction not in _DIRECTIONS:
            errors["direction"] = (
                f"Unknown direction {direction!r}: use supports, refutes or context."
            )
    else:
        if credibility is not None:
            errors["credibility"] = "Only evidence is graded: leave the credibility empty."
        if direction:
            errors["direction"] = "Only evidence has a direction: leave it empty."
        if reliability_override:
            errors["reliability_override"] = "Only evidence is graded: leave it empty."
    if reliability_override and reliability_override not in _RELIABILITIES:
        errors["reliability_override"] = (
            f"Unknown reliability {reliability_override!r}: use a letter from A to F."
        )
    if errors:
        raise ValidationError(errors)


def citation_defaults(citation):
    """Fill what an evidence citation left unsaid with the ungraded values (6, context)."""
    if citation.role == Citation.Role.EVIDENCE:
        if citation.credibility is None:
            citation.credibility = Credibility.CANNOT_JUDGE
        citation.direction = citation.direction or Direction.CONTEXT
    return citation


def _check_citation(citation):
    citation_defaults(citation)
    validate_citation_grades(
        role=citation.role,
        credibility=citation.credibility,
        direction=citation.direction,
        reliability_override=citation.reliability_override,
    )


def _keep_status(instance, current):
    # The status is not edited here; keep what claim_set_status (or proposition_set_status)
    # last wrote, or the history row of this save would show the status the editor loaded.
    instance.status, instance.status_rationale = current.status, current.status_rationale
    instance.status_confidence = current.status_confidence


@service
def save_versioned(instance, *, by, version, reason=""):
    """Save an edit of an existing actor, source or claim unless someone saved it first.

    Raises VersionConflict (carrying the current row) when `version` is stale."""
    if hasattr(instance, "updated_by_id") and _user(by) is not None:
        instance.updated_by = by
    _refuse_same_url(instance)
    _audit(instance, by, reason)
    stored = {}

    def prepare(instance, current):
        stored["url"] = getattr(current, "url", None)
        if isinstance(instance, (Claim, Proposition)):
            _keep_status(instance, current)

    versioning.save_versioned(instance, version=version, prepare=prepare)
    _after_record_saved(instance, by=by, old_url=stored["url"])
    return instance


def _refuse_same_url(instance):
    # The last guard for every path (forms check first, to show the existing source): two
    # sources for one page split its citations and its captures.
    if isinstance(instance, Source) and instance.url:
        from .duplicates import same_url_message, source_with_url

        existing = source_with_url(instance.url, exclude_pk=instance.pk)
        if existing is not None:
            raise ValidationError({"url": same_url_message(existing)})


@service
def create_record(instance, *, by, reason=""):
    """Create an actor, source or citation with its author recorded in the history."""
    if isinstance(instance, Citation):
        _check_citation(instance)
    _refuse_same_url(instance)
    _audit(instance, by, reason)
    instance.save()
    _after_record_saved(instance, by=by)
    return instance


@service
def update_citation(citation, *, by, reason=""):
    """Save an edited citation (its source, role, quote, note or grades) and check its quote
    again (an emptied quote loses its old check)."""
    _check_citation(citation)
    _audit(citation, by, reason)
    citation.save()
    check_quote(citation=citation)
    return citation


@service
def delete_record(instance, *, by, reason=""):
    """Delete an actor, source or citation (a claim: delete_claim)."""
    if isinstance(instance, Claim):
        return delete_claim(instance, by=by, reason=reason)
    _audit(instance, by, reason)
    instance.delete()
    return None


def claim_delete_consequences(claim):
    """What goes with a claim when it is deleted, in words for a confirmation page."""
    return [
        f"its citations ({claim.citations.count()}); the sources themselves stay",
        f"its verdict timeline ({claim.status_changes.count()} entries)",
    ]


@service
def delete_claim(claim, *, by, reason=""):
    """Delete a claim with its citations and its verdict timeline: admins only, since the
    timeline is otherwise append-only. Returns what went with it (claim_delete_consequences)."""
    if by is not None and not by.has_perm("claims.delete_claim"):
        raise PermissionDenied("Only an admin may delete a claim and its timeline.")
    gone = claim_delete_consequences(claim)
    _audit(claim, by, reason or "deleted with " + "; ".join(gone))
    claim.delete()
    return gone


def _citation_row(citation, *, by):
    """An unsaved Citation from a CitationSpec (creating its new source), or as given."""
    if not isinstance(citation, CitationSpec):
        return citation
    source = citation.source
    if source is None:
        source = citation.new_source()
        # The model's own checks (kind, title, date, the URL not already a source's).
        source.full_clean(validate_unique=False, validate_constraints=False)
        source = create_record(source, by=by)
    return Citation(
        source=source,
        role=citation.role,
        quote=citation.quote,
        note=citation.note,
        credibility=citation.credibility,
        direction=citation.direction,
        reliability_override=citation.reliability_override,
    )


@service
def create_claim(
    *,
    by,
    actor,
    headline,
    text,
    stated_on,
    status=Claim.Status.UNVERIFIED,
    rationale="",
    confidence="",
    at=None,
    citations=(),
    checked=False,
):
    """Create a claim, its citations (Citation rows or CitationSpecs) and the first entry of
    its verdict timeline. An evidence citation carries its grades (credibility, direction,
    reliability_override), defaulting to 6 and context.

    `checked=True` (the import, which has checked every row itself) skips the one query per
    database constraint that full_clean() makes; the database still enforces them."""
    validate_status_change(status=status, rationale=rationale, confidence=confidence)
    user = _user(by)
    claim = Claim(
        actor=actor,
        headline=headline,
        text=text,
        stated_on=stated_on,
        created_by=user,
        updated_by=user,
    )
    _audit(claim, by, "created")
    claim.full_clean(validate_unique=not checked, validate_constraints=not checked)
    claim.save()
    for citation in citations:
        row = _citation_row(citation, by=by)
        row.claim = claim
        create_record(row, by=by)
    claim_set_status(
        claim=claim, status=status, rationale=rationale, confidence=confidence, by=by, at=at
    )
    claim.refresh_from_db()
    return claim


def _append_verdict(locked, *, status, rationale, confidence, by, at):
    """The half of a verdict that claims and propositions share: check it (a confidence is
    required with confirmed and denied), append it to the locked record's own timeline
    (`status_changes`) and make it the current status.

    The current status is the timeline's latest entry, so a verdict dated before that entry
    is refused: it would make the two disagree."""
    rationale = (rationale or "").strip()
    if confidence is not NOT_RECORDED:
        confidence = confidence or ""
    validate_status_change(status=status, rationale=rationale, confidence=confidence)
    latest = locked.status_changes.latest_first().first()
    at = at or timezone.now()
    if latest is not None and at < latest.changed_at:
        raise ValidationError(
            {"at": f"The timeline already has a change at {latest.changed_at:%Y-%m-%d %H:%M}."}
        )
    change = locked.status_changes.create(
        old_status="" if latest is None else locked.status,
        new_status=status,
        rationale=rationale,
        confidence=confidence,
        changed_by=_user(by),
        changed_at=at,
    )
    locked.status, locked.status_rationale = status, rationale
    locked.status_confidence = confidence
    locked.status_changed_at = at  # saved by claim_set_status (propositions have no such field)
    return change


@dataclasses.dataclass(frozen=True)
class NewClaim:
    """One claim for create_claims_bulk: checked by the caller (the import checks each line
    with the models' own validators), with the sources it appears in. Records are named
    by id: a bulk write of 100,000 claims builds no model instance per claim."""

    actor_id: int
    headline: str
    text: str
    stated_on: datetime.date
    status: str = Claim.Status.UNVERIFIED
    rationale: str = ""
    confidence: str = ""
    # Ids of the sources it appears in (appearance citations).
    source_ids: tuple = ()
    # Graded evidence: (source id, direction, credibility, reliability override) each.
    evidence: tuple = ()


class BulkClaimInvalid(ValidationError):
    """create_claims_bulk refused claim number `index` of its list (nothing was written)."""

    def __init__(self, index, error):
        super().__init__(error.messages)
        self.index = index


# The columns create_claims_bulk writes; every other column takes its default.
_CLAIM_COLUMNS = (
    "actor_id",
    "headline",
    "text",
    "stated_on",
    "status",
    "status_rationale",
    "status_confidence",
    "status_changed_at",
    "created_at",
    "updated_at",
    "created_by_id",
    "updated_by_id",
)
_TIMELINE_COLUMNS = (
    "claim_id",
    "old_status",
    "new_status",
    "rationale",
    "confidence",
    "changed_by_id",
    "changed_at",
)
_CITATION_COLUMNS = (
    "claim_id",
    "source_id",
    "role",
    "credibility",
    "direction",
    "reliability_override",
)


@service
def create_claims_bulk(claims, *, by, reason="import"):
    """Create many claims at once (the import), each with what create_claim writes: the
    claim with its status, its first timeline entry, a citation per source and the history
    rows, by `by` with `reason`. A few statements per list instead of a dozen per claim:
    the rows are written together (claims.db.insert_values), with their status set at
    insert.

    One history row per claim (already in its status) stands for create_claim's two
    ("created", then the status). Returns the new claims' ids, in the list's order."""
    claims = list(claims)
    for index, spec in enumerate(claims):
        try:
            validate_status_change(
                status=spec.status, rationale=spec.rationale, confidence=spec.confidence
            )
            for _, direction, credibility, override in spec.evidence:
                validate_citation_grades(
                    role=Citation.Role.EVIDENCE,
                    credibility=credibility,
                    direction=direction,
                    reliability_override=override,
                )
        except ValidationError as error:
            raise BulkClaimInvalid(index, error) from error
    user = _user(by)
    user_id = user.pk if user is not None else None
    now = timezone.now()
    history = {"user": user, "reason": reason, "date": now}
    verdicts = [(spec.status, (spec.rationale or "").strip(), spec.confidence) for spec in claims]
    ids = insert_values(
        Claim,
        _CLAIM_COLUMNS,
        [
            (
                spec.actor_id,
                spec.headline,
                spec.text,
                spec.stated_on,
                status,
                rationale,
                confidence,
                now,
                now,
                now,
                user_id,
                user_id,
            )
            for spec, (status, rationale, confidence) in zip(claims, verdicts, strict=True)
        ],
        history=history,
    )
    insert_values(
        StatusChange,
        _TIMELINE_COLUMNS,
        [
            (pk, "", status, rationale, confidence, user_id, now)
            for pk, (status, rationale, confidence) in zip(ids, verdicts, strict=True)
        ],
    )
    appearance, evidence = Citation.Role.APPEARANCE.value, Citation.Role.EVIDENCE.value
    citations = []
    for pk, spec in zip(ids, claims, strict=True):
        citations += [(pk, source_id, appearance, None, "", "") for source_id in spec.source_ids]
        citations += [
            (pk, source_id, evidence, credibility, direction, override)
            for source_id, direction, credibility, override in spec.evidence
        ]
    insert_values(Citation, _CITATION_COLUMNS, citations, history=history)
    return ids


@service
def create_sources_bulk(urls, *, by, reason="import"):
    """A new Source for each of `urls` (titled by its URL), with its history rows and its
    first capture queued, as create_record gives one source: in a few statements for all
    of them. Returns {url: source id}."""
    urls = list(urls)
    title_length = Source._meta.get_field("title").max_length
    user = _user(by)
    user_id = user.pk if user is not None else None
    now = timezone.now()
    # Source.save() keeps url_key; no save runs here, so it is set here.
    ids = insert_values(
        Source,
        ("url", "title", "url_key"),
        [(url, url[:title_length], normalize_url(url)) for url in urls],
        history={"user": user, "reason": reason, "date": now},
    )
    captures = insert_values(
        Capture,
        ("source_id", "url", "requested_by_id", "requested_at"),
        [(pk, url, user_id, now) for pk, url in zip(ids, urls, strict=True)],
    )
    # As request_capture: the database queue's task rows commit with the capture rows;
    # another queue gets the jobs once they are committed.
    if _db_queue():
        _enqueue_captures_in_database(captures)
    else:
        for capture_id in captures:
            transaction.on_commit(lambda pk=capture_id: _enqueue_capture(pk))
    return dict(zip(urls, ids, strict=True))


def _db_queue():
    from django_tasks_db import DatabaseBackend

    from .tasks import capture_source

    return isinstance(capture_source.get_backend(), DatabaseBackend)


@service
def update_claim(
    *,
    claim,
    changes,
    add_citations=(),
    remove_citations=(),
    edit_citations=(),
    by,
    version,
    reason="",
):
    """Edit a claim in one step: its fields (`changes`, {field: value}), citations removed,
    edited (CitationEdits: role and quote) and added (Citation rows or CitationSpecs).
    Refused with VersionConflict when someone saved the claim after `version` was loaded;
    nothing is written then. The caller has validated `changes` (the claim form, the
    serializer)."""
    for name, value in changes.items():
        setattr(claim, name, value)
    save_versioned(claim, by=by, version=version, reason=reason)
    removed = {c.pk for c in remove_citations}
    for citation in remove_citations:
        delete_record(citation, by=by)
    for edit in edit_citations:
        if edit.citation.pk in removed or edit.citation.claim_id != claim.pk:
            continue
        edit_citation(citation=edit.citation, role=edit.role, quote=edit.quote, by=by)
    for citation in add_citations:
        row = _citation_row(citation, by=by)
        row.claim = claim
        create_record(row, by=by)
    return claim


@service
def claim_set_status(*, claim, status, rationale="", confidence="", by, at=None):
    """Record a verdict: append a StatusChange and make it the claim's current status.
    `confidence` (low / moderate / high) is required with confirmed and denied.

    The claim row is locked, so concurrent changes land one after another in the timeline
    and the current status is always the latest."""
    locked = Claim.objects.select_for_update().get(pk=claim.pk)
    change = _append_verdict(
        locked, status=status, rationale=rationale, confidence=confidence, by=by, at=at
    )
    if change.changed_by is not None:
        locked.updated_by = change.changed_by
    _audit(locked, by, f"status → {status}")
    fields = [
        "status",
        "status_rationale",
        "status_confidence",
        "status_changed_at",
        "updated_by",
        "updated_at",
    ]
    locked.save(update_fields=fields)
    claim.status, claim.status_rationale = locked.status, locked.status_rationale
    claim.status_confidence = locked.status_confidence
    claim.status_changed_at = locked.status_changed_at
    return change


@service
def edit_citation(*, citation, role, quote="", by):
    """Change a citation's role or quote (the claim's edit form); unchanged, nothing is
    written. The same source can't be cited twice in one role (the database refuses it)."""
    quote = (quote or "").strip()
    if (citation.role, citation.quote) == (role, quote):
        return citation
    if role not in Citation.Role.values:
        raise ValidationError({"role": f"Unknown role {role!r}."})
    if len(quote) > NOTE_MAX_LENGTH:
        raise ValidationError({"quote": f"Keep the quote to {NOTE_MAX_LENGTH:,} characters."})
    if role != citation.role and role != Citation.Role.EVIDENCE:
        # Only evidence is graded: an evidence citation turned into an appearance loses its
        # grades (one turned into evidence starts ungraded, 6 and context).
        citation.credibility, citation.direction, citation.reliability_override = None, "", ""
    citation.role, citation.quote = role, quote
    return update_citation(citation, by=by, reason="citation edited")


@service
def add_citation(
    *,
    claim,
    source,
    role,
    quote="",
    note="",
    credibility=None,
    direction="",
    reliability_override="",
    by,
):
    """Cite `source` on `claim`. Evidence takes its grades (default: 6, context)."""
    return create_record(
        Citation(
            claim=claim,
            source=source,
            role=role,
            quote=quote,
            note=note,
            credibility=credibility,
            direction=direction,
            reliability_override=reliability_override,
        ),
        by=by,
    )


@service
def source_set_reliability(*, source, reliability, by, reason=""):
    """Grade a source (A-F), with who and why in its history."""
    if reliability not in Reliability.values:
        raise ValidationError(
            {"reliability": f"Unknown reliability {reliability!r}: use a letter from A to F."}
        )
    locked = Source.objects.select_for_update().get(pk=source.pk)
    if locked.reliability == reliability:
        return locked
    locked.reliability = reliability
    locked.version += 1
    _audit(locked, by, reason or f"reliability → {reliability}")
    locked.save(update_fields=["reliability", "version"])
    source.reliability, source.version = locked.reliability, locked.version
    return locked


@service
def grade_citation(*, citation, credibility, direction, reliability_override="", by, reason=""):
    """Set an evidence citation's credibility, direction and reliability override."""
    validate_citation_grades(
        role=citation.role,
        credibility=credibility,
        direction=direction,
        reliability_override=reliability_override,
    )
    grades = (credibility, direction, reliability_override)
    if (citation.credibility, citation.direction, citation.reliability_override) == grades:
        return citation
    citation.credibility, citation.direction, citation.reliability_override = grades
    _audit(citation, by, reason or f"graded {citation.rating}")
    citation.save(update_fields=["credibility", "direction", "reliability_override"])
    return citation


@service
def load_generated_rows(write):
    """Run `write()`, which fills the tables in bulk with synthetic rows (generate_claims, for
    benchmarks and load tests): no history rows, by design, and no author."""
    return write()


@service
def forget_expired_api_answers(now):
    """Drop the stored Idempotency-Key answers (claims.api.idempotency) whose time is up."""
    IdempotencyKey.objects.filter(expires_at__lte=now).delete()


@service
def remember_api_answer(**fields):
    """Store an API write's answer under its Idempotency-Key, for a retry to replay."""
    return IdempotencyKey.objects.create(**fields)


# Page captures and quote checks ------------------------------------------------------------
# The capture job's own writes: a Capture row's state, the source's link state and each
# citation's quote check. Written with update() so they add no history rows and don't bump a
# record's version (an analyst's open edit form stays valid while a capture finishes).


def _after_record_saved(instance, *, by, old_url=None):
    """Queue a capture when a source gets a URL or a new one; check a new citation's quote.
    Called by the services that save a record, inside their transaction."""
    if isinstance(instance, Source) and instance.url and instance.url != old_url:
        request_capture(source=instance, by=by, new_source=old_url is None)
    elif isinstance(instance, Citation) and instance.quote:
        check_quote(citation=instance)


def _enqueue_captures_in_database(capture_ids):
    """What capture_source.enqueue(pk) does for each of `capture_ids` with the database
    queue (django_tasks_db's DatabaseBackend.enqueue: a task row, then the task_enqueued
    signal), with the task rows written in one INSERT instead of one each: 10,000 new
    sources in an import were 10,000 statements. tests/test_import_bulk.py checks that a row
    written here equals one written by enqueue()."""
    from django_tasks_db.compat import normalize_json, task_enqueued
    from django_tasks_db.models import DBTaskResult, get_date_max

    from .tasks import capture_source

    backend = capture_source.get_backend()
    backend.validate_task(capture_source)
    rows = DBTaskResult.objects.bulk_create(
        DBTaskResult(
            id=backend._get_id(),
            args_kwargs=normalize_json({"args": (capture_id,), "kwargs": {}}),
            priority=capture_source.priority,
            task_path=capture_source.module_path,
            queue_name=capture_source.queue_name,
            # What django_tasks_db's pre_save handler makes of "no date" (bulk_create
            # sends no pre_save).
            run_after=capture_source.run_after or get_date_max(),
            backend_name=backend.alias,
        )
        for capture_id in capture_ids
    )
    for row in rows:
        task_enqueued.send(type(backend), task_result=row.task_result)


def _enqueue_capture(capture_id, *, delay=None):
    from .tasks import capture_source

    task = capture_source
    if delay is not None and task.get_backend().supports_defer:
        task = task.using(run_after=timezone.now() + delay)
    task.enqueue(capture_id)


@service
def fail_stale_captures(*, source=None):
    """Mark captures whose worker died (still running long after they started) as failed."""
    cutoff = timezone.now() - datetime.timedelta(minutes=settings.CAPTURE_STALE_MINUTES)
    stale = Capture.objects.filter(state=Capture.State.RUNNING, started_at__lt=cutoff)
    if source is not None:
        stale = stale.filter(source=source)
    return stale.update(
        state=Capture.State.FAILED,
        failure=(
            f"the worker stopped: no result {settings.CAPTURE_STALE_MINUTES} minutes after it began"
        ),
        finished_at=timezone.now(),
    )


@service
def request_capture(*, source, by=None, new_source=False):
    """Queue a capture of the source's URL, or return the one already queued or running.

    At most one capture per source is active (a database constraint), so two requests at
    once, or a double click, never fetch the same page twice at the same time."""
    if not source.url:
        return None
    for first_try in (True, False):
        try:
            # A source created in this transaction has no capture yet: no savepoint needed.
            with transaction.atomic(savepoint=not new_source):
                capture = Capture.objects.create(
                    source=source,
                    url=source.url,
                    requested_by=_user(by),
                    requested_at=timezone.now(),
                )
            break
        except IntegrityError:
            # One is queued or running; if its worker died, it is marked failed and replaced.
            if not (first_try and fail_stale_captures(source=source)):
                return Capture.objects.active().filter(source=source).first()
    from django_tasks_db import DatabaseBackend

    from .tasks import capture_source

    if isinstance(capture_source.get_backend(), DatabaseBackend):
        # The task row commits with the capture row (or neither does), and costs no commit
        # of its own on the request path.
        _enqueue_capture(capture.pk)
    else:
        # Another queue (Redis) could hand the job to a worker before this row is committed.
        transaction.on_commit(lambda: _enqueue_capture(capture.pk))
    return capture


@service(atomic=False)
def run_capture(*, capture_id):
    """Do one queued capture (the background job). Returns its state afterwards.

    Not one transaction: the page is fetched between the steps, and "running" must be
    visible (to the source page, and to fail_stale_captures if this worker dies) while it
    is. Each step commits on its own. Claiming the row (queued → running) is one UPDATE, so
    of two workers handed the same job only one runs it. A transient failure goes back to the
    queue with a delay until the retries are used up; anything else ends as "failed" with
    the reason."""
    from . import capture as fetching

    claimed = Capture.objects.filter(pk=capture_id, state=Capture.State.QUEUED).update(
        state=Capture.State.RUNNING, started_at=timezone.now(), attempts=F("attempts") + 1
    )
    if not claimed:
        return None
    capture = Capture.objects.select_related("source").get(pk=capture_id)
    try:
        page = fetching.fetch_page(capture.url)
        if page.final.status in fetching.TRANSIENT_STATUSES:
            raise fetching.CaptureFailed(f"the server answered {page.final.status}")
    except fetching.CaptureFailed as error:
        delays = settings.CAPTURE_RETRY_DELAYS
        if capture.attempts <= len(delays):
            delay = datetime.timedelta(seconds=delays[capture.attempts - 1])
            _retry_capture(capture, f"will try again: {error}", delay=delay)
            return Capture.State.QUEUED
        return _fail_capture(capture, str(error))
    except fetching.CaptureRefused as error:
        return _fail_capture(capture, str(error))
    except Exception as error:
        # Anything unexpected still leaves a visible state, then reaches the task's own log.
        _fail_capture(capture, f"unexpected error ({error.__class__.__name__}: {error})"[:500])
        raise
    finish_capture(capture=capture, page=page, text=fetching.page_text(page))
    return Capture.State.DONE


@service
def _retry_capture(capture, reason, *, delay):
    Capture.objects.filter(pk=capture.pk).update(state=Capture.State.QUEUED, failure=reason)
    _enqueue_capture(capture.pk, delay=delay)


@service
def _fail_capture(capture, reason):
    Capture.objects.filter(pk=capture.pk).update(
        state=Capture.State.FAILED, failure=reason[:500], finished_at=timezone.now()
    )
    # A page that was captured before and now can't be fetched at all has rotted.
    if capture.source.captures.succeeded().exists():
        Source.objects.filter(pk=capture.source_id).update(link_state=LinkState.BROKEN)
    return Capture.State.FAILED


@service
def finish_capture(*, capture, page, text):
    """Store the WARC file and what it says, then update the link state and quote checks."""
    previous = (
        capture.source.captures.succeeded()
        .filter(http_status__lt=400)
        .exclude(pk=capture.pk)
        .order_by("-finished_at", "-pk")
        .first()
    )
    status = page.final.status
    changed = previous is not None and status < 400 and previous.text != text
    warc = ContentFile(page.warc_bytes())
    name = f"captures/{capture.source_id}/{capture.pk}-{page.sha256[:12]}.warc.gz"
    capture.warc.save(name, warc, save=False)
    Capture.objects.filter(pk=capture.pk).update(
        state=Capture.State.DONE,
        failure="",
        finished_at=timezone.now(),
        final_url=page.final.url[:2000],
        http_status=status,
        content_type=page.content_type,
        size=len(page.final.body),
        sha256=page.sha256,
        warc=capture.warc.name,
        text=text,
        text_changed=changed,
    )
    if status >= 400:
        link = LinkState.BROKEN
    elif changed:
        link = LinkState.CHANGED
    else:
        link = LinkState.OK
    Source.objects.filter(pk=capture.source_id).update(link_state=link)
    if status < 400:
        recheck_quotes(source=capture.source)


def latest_readable_capture(source):
    """The source's latest capture with a readable page (a read: the quote check's text)."""
    return (
        Capture.objects.succeeded()
        .filter(source=source, http_status__lt=400)
        .order_by("-finished_at", "-pk")
        .first()
    )


@service
def check_quote(*, citation, capture=None):
    """Whether the citation's quote is in its source's latest readable capture."""
    from .capture import match_quote

    capture = capture or latest_readable_capture(citation.source_id)
    fields = {"quote_check": "", "quote_score": None, "quote_capture": None}
    if capture is not None and citation.quote.strip():
        match = match_quote(citation.quote, capture.text)
        fields = {"quote_check": match.result, "quote_score": match.score, "quote_capture": capture}
    if fields["quote_check"] or citation.quote_check:
        Citation.objects.filter(pk=citation.pk).update(**fields)
    for name, value in fields.items():
        setattr(citation, name, value)
    return fields["quote_check"]


@service
def recheck_quotes(*, source):
    capture = latest_readable_capture(source)
    for citation in source.citations.exclude(quote="").only("pk", "quote", "source_id"):
        check_quote(citation=citation, capture=capture)


@service(atomic=False)
def recapture_sources(*, older_than, by=None):
    """Queue a new capture of every source with a URL not captured since `older_than` ago.

    Returns how many were queued (link rot: the captures compare hash and text when done).
    Each request commits on its own, so one failure midway keeps the ones queued before."""
    fail_stale_captures()
    cutoff = timezone.now() - older_than
    recent = Capture.objects.filter(source=OuterRef("pk"), requested_at__gte=cutoff)
    queued = 0
    for source in Source.objects.exclude(url="").filter(~Exists(recent)).iterator():
        if request_capture(source=source, by=by) is not None:
            queued += 1
    return queued


# Propositions and stances -----------------------------------------------------------------------


@service
def create_proposition(
    *, by, statement, description="", slug="", status=None, rationale="", confidence="", at=None
):
    """Create a proposition (slug made from the statement when blank) and the first entry of
    its verdict timeline."""
    status = status or Proposition.Status.UNVERIFIED
    validate_status_change(status=status, rationale=rationale, confidence=confidence)
    proposition = Proposition(statement=statement.strip(), description=description, slug=slug)
    proposition.full_clean()
    _audit(proposition, by, "created")
    proposition.save()
    proposition_set_status(
        proposition=proposition,
        status=status,
        rationale=rationale,
        confidence=confidence,
        by=by,
        at=at,
    )
    proposition.refresh_from_db()
    return proposition


@service
def proposition_set_status(*, proposition, status, rationale="", confidence="", by, at=None):
    """Record a proposition's verdict: append to its timeline and make it current.

    Never changes its claims: the proposition page lists those that now disagree and offers
    to apply the verdict to them (apply_proposition_verdict)."""
    locked = Proposition.objects.select_for_update().get(pk=proposition.pk)
    change = _append_verdict(
        locked, status=status, rationale=rationale, confidence=confidence, by=by, at=at
    )
    locked.version += 1
    _audit(locked, by, f"status → {status}")
    locked.save(
        update_fields=["status", "status_rationale", "status_confidence", "version", "updated_at"]
    )
    proposition.status, proposition.status_rationale = locked.status, locked.status_rationale
    proposition.status_confidence = locked.status_confidence
    proposition.version = locked.version
    return change


def _touch(proposition):
    # A stance added or removed is activity on the proposition (the list's "latest").
    Proposition.objects.filter(pk=proposition.pk).update(updated_at=timezone.now())


@service
def set_stance(*, claim, proposition, stance, note="", by):
    """Attach `claim` to `proposition` with `stance`, or change the stance it already has."""
    existing = Stance.objects.select_for_update().filter(claim=claim, proposition=proposition)
    row = existing.first() or Stance(claim=claim, proposition=proposition)
    row.stance, row.note = stance, (note or "").strip()
    row.full_clean(validate_unique=False)
    _audit(row, by, "stance")
    row.save()
    _touch(proposition)
    return row


@service
def remove_stance(*, stance, by):
    _audit(stance, by, "stance removed")
    stance.delete()
    _touch(stance.proposition)


@service
def apply_proposition_verdict(*, proposition, claim_versions, rationale, confidence="", by):
    """Give each listed claim the verdict its stance implies (claim_set_status, one entry in
    each timeline, with `confidence`: required when any of them is confirmed or denied), all
    in one transaction.

    `claim_versions` is {claim id: (version, status) shown on the page}: a claim edited or
    given a verdict since then is skipped and returned, never overwritten; so is one no
    longer attached. Returns (applied, skipped), lists of claims."""
    rationale = (rationale or "").strip()
    if not rationale:
        raise ValidationError({"rationale": "Say why: the rationale is written to every claim."})
    stances = (
        proposition.stances.filter(claim_id__in=list(claim_versions))
        .select_related("claim__actor", "proposition")
        .select_for_update(of=("self",))
        .order_by("claim_id")
    )
    applied, skipped = [], []
    for stance in stances:
        claim = Claim.objects.select_for_update().get(pk=stance.claim_id)
        expected = stance.expected_status
        version, status = claim_versions[claim.pk]
        if (claim.version, claim.status) != (int(version), status) or expected is None:
            skipped.append(claim)
            continue
        if claim.status == expected:
            continue
        claim_set_status(
            claim=claim, status=expected, rationale=rationale, confidence=confidence, by=by
        )
        applied.append(claim)
    found = {s.claim_id for s in stances}
    skipped.extend(Claim.objects.filter(pk__in=set(claim_versions) - found))
    return applied, skipped


@service
def update_proposition(proposition, *, by, version):
    """Save an edit of a proposition's statement, slug or description (not its verdict:
    save_versioned keeps what proposition_set_status last wrote)."""
    return save_versioned(proposition, by=by, version=version)
