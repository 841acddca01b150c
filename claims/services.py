"""The only writes that span models or need an audit: every caller (views, admin, API,
commands) goes through these, so the verdict timeline and the history can't be bypassed."""

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from .models import (
    NOTE_MAX_LENGTH,
    Citation,
    Claim,
    Confidence,
    Credibility,
    Direction,
    Reliability,
    StatusChange,
)

NEEDS_RATIONALE = {Claim.Status.CONFIRMED, Claim.Status.DENIED}
# A confirmed or denied verdict says how sure it is; unverified may say so or not.
NEEDS_CONFIDENCE = NEEDS_RATIONALE


class VersionConflict(Exception):
    """Someone else saved the record after this edit began; `current` is what they saved."""

    def __init__(self, current):
        super().__init__(f"{current._meta.verbose_name} was changed by someone else")
        self.current = current


def _audit(instance, by, reason):
    # simple-history reads these when it writes the history row for this save.
    if by is not None and by.is_authenticated:
        instance._history_user = by
    if reason:
        instance._change_reason = reason[:100]


def _saved_fields(instance):
    """The fields an edit may write: what forms edit plus the bookkeeping columns.
    Status is left out: only claim_set_status writes it."""
    names = [f.name for f in instance._meta.concrete_fields if f.editable and not f.primary_key]
    extra = {"version", "updated_at", "updated_by"}
    return names + [f.name for f in instance._meta.concrete_fields if f.name in extra]


def validate_status_change(*, status, rationale, confidence=None):
    """Raise ValidationError naming the field. `confidence=None` skips the confidence
    checks (callers that check it themselves); claim_set_status always checks it."""
    if status not in Claim.Status.values:
        raise ValidationError({"status": f"Unknown status {status!r}."})
    if status in NEEDS_RATIONALE and not (rationale or "").strip():
        raise ValidationError({"rationale": "Say why: a rationale is required for this verdict."})
    if len(rationale or "") > NOTE_MAX_LENGTH:
        raise ValidationError(
            {"rationale": f"Keep the rationale to {NOTE_MAX_LENGTH:,} characters or fewer."}
        )
    if confidence is not None:
        validate_confidence(status=status, confidence=confidence)


def validate_confidence(*, status, confidence):
    if confidence and confidence not in Confidence.values:
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
        if credibility not in Credibility.values:
            errors["credibility"] = (
                f"Unknown credibility {credibility!r}: use a number from 1 to 6."
            )
        if direction not in Direction.values:
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
    if reliability_override and reliability_override not in Reliability.values:
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


@transaction.atomic
def save_versioned(instance, *, by, expected_version, reason=""):
    """Save an edit of an existing actor, source or claim unless someone saved it first.

    Raises VersionConflict (carrying the current row) when `expected_version` is stale."""
    model = type(instance)
    current = model.objects.select_for_update().get(pk=instance.pk)
    if current.version != int(expected_version):
        raise VersionConflict(current)
    if isinstance(instance, Claim):
        # The status is not edited here; keep what claim_set_status last wrote, or the
        # history row of this save would show the status the editor loaded (a rollback).
        instance.status, instance.status_rationale = current.status, current.status_rationale
        instance.status_confidence = current.status_confidence
    instance.version = current.version + 1
    if hasattr(instance, "updated_by_id") and by is not None and by.is_authenticated:
        instance.updated_by = by
    _audit(instance, by, reason)
    instance.save(update_fields=_saved_fields(instance))
    return instance


@transaction.atomic
def create_record(instance, *, by, reason=""):
    """Create an actor, source or citation with its author recorded in the history."""
    if isinstance(instance, Citation):
        citation_defaults(instance)
        validate_citation_grades(
            role=instance.role,
            credibility=instance.credibility,
            direction=instance.direction,
            reliability_override=instance.reliability_override,
        )
    _audit(instance, by, reason)
    instance.save()
    return instance


@transaction.atomic
def delete_record(instance, *, by, reason=""):
    _audit(instance, by, reason)
    instance.delete()


@transaction.atomic
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
    """Create a claim, its citations and the first entry of its verdict timeline.

    Citations are unsaved Citation rows; an evidence one carries its grades (credibility,
    direction, reliability_override), defaulting to 6 and context.
    `checked=True` (the import, which has checked every row itself) skips the one query per
    database constraint that full_clean() makes; the database still enforces them."""
    validate_status_change(status=status, rationale=rationale, confidence=confidence or "")
    user = by if by is not None and by.is_authenticated else None
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
        citation.claim = claim
        create_record(citation, by=by)
    claim_set_status(
        claim=claim, status=status, rationale=rationale, confidence=confidence, by=by, at=at
    )
    claim.refresh_from_db()
    return claim


@transaction.atomic
def claim_set_status(*, claim, status, rationale="", confidence="", by, at=None):
    """Record a verdict: append a StatusChange and make it the claim's current status.

    `confidence` (low / moderate / high) is required with confirmed and denied.
    The claim row is locked, so concurrent changes land one after another in the timeline
    and the current status is always the latest."""
    rationale = (rationale or "").strip()
    confidence = confidence or ""
    validate_status_change(status=status, rationale=rationale, confidence=confidence)
    locked = Claim.objects.select_for_update().get(pk=claim.pk)
    user = by if by is not None and by.is_authenticated else None
    latest = locked.status_changes.order_by("-changed_at", "-pk").first()
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
        confidence=confidence,
        changed_by=user,
        changed_at=at,
    )
    locked.status = status
    locked.status_rationale = rationale
    locked.status_confidence = confidence
    if user is not None:
        locked.updated_by = user
    _audit(locked, by, f"status → {status}")
    locked.save(
        update_fields=[
            "status",
            "status_rationale",
            "status_confidence",
            "updated_by",
            "updated_at",
        ]
    )
    claim.status, claim.status_rationale = locked.status, locked.status_rationale
    claim.status_confidence = locked.status_confidence
    return change


@transaction.atomic
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


@transaction.atomic
def source_set_reliability(*, source, reliability, by, reason=""):
    """Grade a source (A-F), with who and why in its history."""
    if reliability not in Reliability.values:
        raise ValidationError(
            {"reliability": f"Unknown reliability {reliability!r}: use a letter from A to F."}
        )
    locked = type(source).objects.select_for_update().get(pk=source.pk)
    if locked.reliability == reliability:
        return locked
    locked.reliability = reliability
    locked.version += 1
    _audit(locked, by, reason or f"reliability → {reliability}")
    locked.save(update_fields=["reliability", "version"])
    source.reliability, source.version = locked.reliability, locked.version
    return locked


@transaction.atomic
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
