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
from .db import insert_history, insert_rows
from .models import (
    NOTE_MAX_LENGTH,
    Actor,
    Capture,
    Citation,
    Claim,
    IdempotencyKey,
    LinkState,
    Proposition,
    Source,
    Stance,
    StatusChange,
)

# Raised by save_versioned and update_claim; callers catch it from here.
VersionConflict = versioning.VersionConflict

NEEDS_RATIONALE = {Claim.Status.CONFIRMED, Claim.Status.DENIED}

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
    # The status is not edited here; keep what claim_set_status (or proposition_set_status)
    # last wrote, or the history row of this save would show the status the editor loaded.
    instance.status, instance.status_rationale = current.status, current.status_rationale


@service
def save_versioned(instance, *, by, version, reason=""):
    """Save an edit of an existing actor, source or claim unless someone saved it first.

    Raises VersionConflict (carrying the current row) when `version` is stale."""
    if hasattr(instance, "updated_by_id") and _user(by) is not None:
        instance.updated_by = by
    _audit(instance, by, reason)
    stored = {}

    def prepare(instance, current):
        stored["url"] = getattr(current, "url", None)
        if isinstance(instance, (Claim, Proposition)):
            _keep_status(instance, current)

    versioning.save_versioned(instance, version=version, prepare=prepare)
    _after_record_saved(instance, by=by, old_url=stored["url"])
    return instance


@service
def create_record(instance, *, by, reason=""):
    """Create an actor, source or citation with its author recorded in the history."""
    _audit(instance, by, reason)
    instance.save()
    _after_record_saved(instance, by=by)
    return instance


@service
def update_citation(citation, *, by, reason=""):
    """Save an edited citation (its source, role, quote or note) and check its quote again
    (an emptied quote loses its old check)."""
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


def _append_verdict(locked, *, status, rationale, by, at):
    """The half of a verdict that claims and propositions share: check it, append it to the
    locked record's own timeline (`status_changes`) and make it the current status.

    The current status is the timeline's latest entry, so a verdict dated before that entry
    is refused: it would make the two disagree."""
    rationale = (rationale or "").strip()
    validate_status_change(status=status, rationale=rationale)
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
        changed_by=_user(by),
        changed_at=at,
    )
    locked.status, locked.status_rationale = status, rationale
    return change


@dataclasses.dataclass(frozen=True)
class NewClaim:
    """One claim for create_claims_bulk: checked by the caller (the import checks each line
    with the models' own validators), with the sources it appears in."""

    actor: Actor
    headline: str
    text: str
    stated_on: datetime.date
    status: str = Claim.Status.UNVERIFIED
    rationale: str = ""
    sources: tuple = ()


class BulkClaimInvalid(ValidationError):
    """create_claims_bulk refused claim number `index` of its list (nothing was written)."""

    def __init__(self, index, error):
        super().__init__(error.messages)
        self.index = index


@service
def create_claims_bulk(claims, *, by, reason="import"):
    """Create many claims at once (the import), each with what create_claim writes: the
    claim with its status, its first timeline entry, a citation per source and the history
    rows, by `by` with `reason`. A few INSERTs per list instead of a dozen statements per
    claim: the rows are written together, with their status set at insert.

    One history row per claim (already in its status) stands for create_claim's two
    ("created", then the status). Returns the saved Claim rows, in the list's order."""
    claims = list(claims)
    for index, spec in enumerate(claims):
        try:
            validate_status_change(status=spec.status, rationale=spec.rationale)
        except ValidationError as error:
            raise BulkClaimInvalid(index, error) from error
    user = _user(by)
    now = timezone.now()
    rows = [
        Claim(
            actor=spec.actor,
            headline=spec.headline,
            text=spec.text,
            stated_on=spec.stated_on,
            status=spec.status,
            status_rationale=(spec.rationale or "").strip(),
            created_by=user,
            updated_by=user,
        )
        for spec in claims
    ]
    insert_rows(Claim, rows)
    history = {"user": user, "reason": reason[:100], "date": now}
    insert_history(Claim, rows, **history)
    insert_rows(
        StatusChange,
        [
            StatusChange(
                claim=row,
                old_status="",
                new_status=row.status,
                rationale=row.status_rationale,
                changed_by=user,
                changed_at=now,
            )
            for row in rows
        ],
    )
    citations = [
        Citation(claim=row, source=source, role=Citation.Role.APPEARANCE)
        for row, spec in zip(rows, claims, strict=True)
        for source in spec.sources
    ]
    insert_rows(Citation, citations)
    if citations:
        insert_history(Citation, citations, **history)
    return rows


@service
def create_sources_bulk(urls, *, by, reason="import"):
    """A new Source for each of `urls` (titled by its URL), with its history rows and its
    first capture queued, as create_record gives one source: in a few INSERTs for all of
    them. Returns {url: Source}."""
    from simple_history.utils import bulk_create_with_history

    title_length = Source._meta.get_field("title").max_length
    sources = [Source(url=url, title=url[:title_length]) for url in urls]
    user = _user(by)
    bulk_create_with_history(sources, Source, default_user=user, default_change_reason=reason[:100])
    now = timezone.now()
    captures = Capture.objects.bulk_create(
        Capture(source=source, url=source.url, requested_by=user, requested_at=now)
        for source in sources
    )
    in_database = _db_queue()
    for capture in captures:
        # As request_capture: the database queue's task rows commit with the capture rows;
        # another queue gets the job once they are committed.
        if in_database:
            _enqueue_capture(capture.pk)
        else:
            transaction.on_commit(lambda pk=capture.pk: _enqueue_capture(pk))
    return {source.url: source for source in sources}


def _db_queue():
    from django_tasks_db import DatabaseBackend

    from .tasks import capture_source

    return isinstance(capture_source.get_backend(), DatabaseBackend)


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
    locked = Claim.objects.select_for_update().get(pk=claim.pk)
    change = _append_verdict(locked, status=status, rationale=rationale, by=by, at=at)
    if change.changed_by is not None:
        locked.updated_by = change.changed_by
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


@service
def proposition_set_status(*, proposition, status, rationale="", by, at=None):
    """Record a proposition's verdict: append to its timeline and make it current.

    Never changes its claims: the proposition page lists those that now disagree and offers
    to apply the verdict to them (apply_proposition_verdict)."""
    locked = Proposition.objects.select_for_update().get(pk=proposition.pk)
    change = _append_verdict(locked, status=status, rationale=rationale, by=by, at=at)
    locked.version += 1
    _audit(locked, by, f"status → {status}")
    locked.save(update_fields=["status", "status_rationale", "version", "updated_at"])
    proposition.status, proposition.status_rationale = locked.status, locked.status_rationale
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


@service
def update_proposition(proposition, *, by, version):
    """Save an edit of a proposition's statement, slug or description (not its verdict:
    save_versioned keeps what proposition_set_status last wrote)."""
    return save_versioned(proposition, by=by, version=version)
