"""The only code that writes the domain tables: every caller (site views, admin, API,
import, management commands) goes through these functions, so the verdict timeline and the
history (who and why) can't be bypassed.

Every public write is decorated with @service: it runs in one transaction and marks the
call stack (a context variable, free to read), so a test can flag any row written outside
a service (tests/test_write_paths.py). A new write function gets both by the decorator."""

import contextvars
import dataclasses
from functools import wraps

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from . import versioning
from .models import NOTE_MAX_LENGTH, Citation, Claim, IdempotencyKey, Source, StatusChange

# Raised by save_versioned and update_claim; callers catch it from here.
VersionConflict = versioning.VersionConflict

NEEDS_RATIONALE = {Claim.Status.CONFIRMED, Claim.Status.DENIED}

_depth = contextvars.ContextVar("claims_service_depth", default=0)


def service(func):
    """Make `func` a service: one transaction, and in_service() is true while it runs."""
    atomic = transaction.atomic(func)

    @wraps(func)
    def wrapper(*args, **kwargs):
        token = _depth.set(_depth.get() + 1)
        try:
            return atomic(*args, **kwargs)
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
    source by `new_source_title` (and `new_source_url`) that the service creates."""

    role: str = Citation.Role.APPEARANCE
    source: Source | None = None
    new_source_title: str = ""
    new_source_url: str = ""
    quote: str = ""
    note: str = ""


def _audit(instance, by, reason):
    # simple-history reads these when it writes the history row for this save.
    if by is not None and by.is_authenticated:
        instance._history_user = by
    if reason:
        instance._change_reason = reason[:100]


def _user(by):
    return by if by is not None and by.is_authenticated else None


def validate_status_change(*, status, rationale):
    if status not in Claim.Status.values:
        raise ValidationError({"status": f"Unknown status {status!r}."})
    if status in NEEDS_RATIONALE and not (rationale or "").strip():
        raise ValidationError({"rationale": "Say why: a rationale is required for this verdict."})
    if len(rationale or "") > NOTE_MAX_LENGTH:
        raise ValidationError(
            {"rationale": f"Keep the rationale to {NOTE_MAX_LENGTH:,} characters or fewer."}
        )


def _keep_status(instance, current):
    # The status is not edited here; keep what claim_set_status last wrote, or the history
    # row of this save would show the status the editor loaded (a rollback).
    instance.status, instance.status_rationale = current.status, current.status_rationale


@service
def save_versioned(instance, *, by, version, reason=""):
    """Save an edit of an existing actor, source or claim unless someone saved it first.

    Raises VersionConflict (carrying the current row) when `version` is stale."""
    if hasattr(instance, "updated_by_id") and _user(by) is not None:
        instance.updated_by = by
    _audit(instance, by, reason)
    prepare = _keep_status if isinstance(instance, Claim) else None
    return versioning.save_versioned(instance, version=version, prepare=prepare)


@service
def create_record(instance, *, by, reason=""):
    """Create an actor, source or citation with its author recorded in the history."""
    _audit(instance, by, reason)
    instance.save()
    return instance


@service
def update_citation(citation, *, by, reason=""):
    """Save an edited citation (its source, role, quote or note)."""
    _audit(citation, by, reason)
    citation.save()
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
        source = create_record(
            Source(title=citation.new_source_title.strip(), url=citation.new_source_url), by=by
        )
    return Citation(source=source, role=citation.role, quote=citation.quote, note=citation.note)


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
    at=None,
    citations=(),
    checked=False,
):
    """Create a claim, its citations (Citation rows or CitationSpecs) and the first entry of
    its verdict timeline.

    `checked=True` (the import, which has checked every row itself) skips the one query per
    database constraint that full_clean() makes; the database still enforces them."""
    validate_status_change(status=status, rationale=rationale)
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
    claim_set_status(claim=claim, status=status, rationale=rationale, by=by, at=at)
    claim.refresh_from_db()
    return claim


@service
def update_claim(*, claim, changes, add_citations=(), remove_citations=(), by, version, reason=""):
    """Edit a claim in one step: its fields (`changes`, {field: value}), citations removed
    and added (Citation rows or CitationSpecs). Refused with VersionConflict when someone
    saved the claim after `version` was loaded; nothing is written then. The caller has
    validated `changes` (the claim form, the serializer)."""
    for name, value in changes.items():
        setattr(claim, name, value)
    save_versioned(claim, by=by, version=version, reason=reason)
    for citation in remove_citations:
        delete_record(citation, by=by)
    for citation in add_citations:
        row = _citation_row(citation, by=by)
        row.claim = claim
        create_record(row, by=by)
    return claim


@service
def claim_set_status(*, claim, status, rationale="", by, at=None):
    """Record a verdict: append a StatusChange and make it the claim's current status.

    The claim row is locked, so concurrent changes land one after another in the timeline
    and the current status is always the latest."""
    rationale = (rationale or "").strip()
    validate_status_change(status=status, rationale=rationale)
    locked = Claim.objects.select_for_update().get(pk=claim.pk)
    user = _user(by)
    latest = locked.status_changes.latest_first().first()
    at = at or timezone.now()
    if latest is not None and at < latest.changed_at:
        # The claim's status is the timeline's latest entry; an earlier one would disagree.
        raise ValidationError(
            {"at": f"The timeline already has a change at {latest.changed_at:%Y-%m-%d %H:%M}."}
        )
    change = StatusChange.objects.create(
        claim=locked,
        old_status="" if latest is None else locked.status,
        new_status=status,
        rationale=rationale,
        changed_by=user,
        changed_at=at,
    )
    locked.status = status
    locked.status_rationale = rationale
    if user is not None:
        locked.updated_by = user
    _audit(locked, by, f"status → {status}")
    locked.save(update_fields=["status", "status_rationale", "updated_by", "updated_at"])
    claim.status, claim.status_rationale = locked.status, locked.status_rationale
    return change


@service
def add_citation(*, claim, source, role, quote="", note="", by):
    return create_record(
        Citation(claim=claim, source=source, role=role, quote=quote, note=note), by=by
    )


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
