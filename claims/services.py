"""The only writes that span models or need an audit: every caller (views, admin, API,
commands) goes through these, so the verdict timeline and the history can't be bypassed."""

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from .models import (
    NOTE_MAX_LENGTH,
    Citation,
    Claim,
    Proposition,
    PropositionStatusChange,
    Stance,
    StatusChange,
)

NEEDS_RATIONALE = {Claim.Status.CONFIRMED, Claim.Status.DENIED}


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


def validate_status_change(*, status, rationale):
    if status not in Claim.Status.values:
        raise ValidationError({"status": f"Unknown status {status!r}."})
    if status in NEEDS_RATIONALE and not (rationale or "").strip():
        raise ValidationError({"rationale": "Say why: a rationale is required for this verdict."})
    if len(rationale or "") > NOTE_MAX_LENGTH:
        raise ValidationError(
            {"rationale": f"Keep the rationale to {NOTE_MAX_LENGTH:,} characters or fewer."}
        )


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
    instance.version = current.version + 1
    if hasattr(instance, "updated_by_id") and by is not None and by.is_authenticated:
        instance.updated_by = by
    _audit(instance, by, reason)
    instance.save(update_fields=_saved_fields(instance))
    return instance


@transaction.atomic
def create_record(instance, *, by, reason=""):
    """Create an actor, source or citation with its author recorded in the history."""
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
    at=None,
    citations=(),
    checked=False,
):
    """Create a claim, its citations and the first entry of its verdict timeline.

    `checked=True` (the import, which has checked every row itself) skips the one query per
    database constraint that full_clean() makes; the database still enforces them."""
    validate_status_change(status=status, rationale=rationale)
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
    claim_set_status(claim=claim, status=status, rationale=rationale, by=by, at=at)
    claim.refresh_from_db()
    return claim


@transaction.atomic
def claim_set_status(*, claim, status, rationale="", by, at=None):
    """Record a verdict: append a StatusChange and make it the claim's current status.

    The claim row is locked, so concurrent changes land one after another in the timeline
    and the current status is always the latest."""
    rationale = (rationale or "").strip()
    validate_status_change(status=status, rationale=rationale)
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


@transaction.atomic
def add_citation(*, claim, source, role, quote="", note="", by):
    return create_record(
        Citation(claim=claim, source=source, role=role, quote=quote, note=note), by=by
    )


# Propositions and stances -----------------------------------------------------------------------


@transaction.atomic
def create_proposition(
    *, by, statement, description="", slug="", status=None, rationale="", at=None
):
    """Create a proposition (slug made from the statement when blank) and the first entry of
    its verdict timeline."""
    status = status or Proposition.Status.UNVERIFIED
    validate_status_change(status=status, rationale=rationale)
    proposition = Proposition(statement=statement.strip(), description=description, slug=slug)
    proposition.full_clean()
    _audit(proposition, by, "created")
    proposition.save()
    proposition_set_status(
        proposition=proposition, status=status, rationale=rationale, by=by, at=at
    )
    proposition.refresh_from_db()
    return proposition


@transaction.atomic
def proposition_set_status(*, proposition, status, rationale="", by, at=None):
    """Record a proposition's verdict: append to its timeline and make it current.

    Never changes its claims: the proposition page lists those that now disagree and offers
    to apply the verdict to them (apply_proposition_verdict)."""
    rationale = (rationale or "").strip()
    validate_status_change(status=status, rationale=rationale)
    locked = Proposition.objects.select_for_update().get(pk=proposition.pk)
    user = by if by is not None and by.is_authenticated else None
    latest = locked.status_changes.order_by("-changed_at", "-pk").first()
    at = at or timezone.now()
    if latest is not None and at < latest.changed_at:
        raise ValidationError(
            {"at": f"The timeline already has a change at {latest.changed_at:%Y-%m-%d %H:%M}."}
        )
    change = PropositionStatusChange.objects.create(
        proposition=locked,
        old_status="" if latest is None else locked.status,
        new_status=status,
        rationale=rationale,
        changed_by=user,
        changed_at=at,
    )
    locked.status, locked.status_rationale = status, rationale
    locked.version += 1
    _audit(locked, by, f"status → {status}")
    locked.save(update_fields=["status", "status_rationale", "version", "updated_at"])
    proposition.status, proposition.status_rationale = status, rationale
    proposition.version = locked.version
    return change


def _touch(proposition):
    # A stance added or removed is activity on the proposition (the list's "latest").
    Proposition.objects.filter(pk=proposition.pk).update(updated_at=timezone.now())


@transaction.atomic
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


@transaction.atomic
def remove_stance(*, stance, by):
    _audit(stance, by, "stance removed")
    stance.delete()
    _touch(stance.proposition)


class StaleClaims(Exception):
    pass


@transaction.atomic
def apply_proposition_verdict(*, proposition, claim_versions, rationale, by):
    """Give each listed claim the verdict its stance implies (claim_set_status, one entry in
    each timeline), all in one transaction.

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
        claim_set_status(claim=claim, status=expected, rationale=rationale, by=by)
        applied.append(claim)
    found = {s.claim_id for s in stances}
    skipped.extend(Claim.objects.filter(pk__in=set(claim_versions) - found))
    return applied, skipped


@transaction.atomic
def update_proposition(proposition, *, by, expected_version):
    """Save an edit of a proposition's statement, slug or description (not its verdict)."""
    current = Proposition.objects.select_for_update().get(pk=proposition.pk)
    # The verdict is not edited here: keep what proposition_set_status last wrote, so the
    # history row of this save doesn't show the verdict the editor loaded.
    proposition.status, proposition.status_rationale = current.status, current.status_rationale
    return save_versioned(proposition, by=by, expected_version=expected_version)
