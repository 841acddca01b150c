import datetime

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxLengthValidator, RegexValidator
from django.db import models
from django.db.models import Q
from django.db.models.functions import Coalesce, Length
from django.db.models.lookups import LessThanOrEqual
from django.urls import reverse
from simple_history.models import HistoricalRecords

from .db import COUNT_CAP, FACET_TIMEOUT_MS, capped_count, estimated_row_count, run_within
from .versioning import VersionedModel

HEADLINE_MAX_LENGTH = 120
CLAIM_TEXT_MAX_LENGTH = 20_000
# Quotes, notes, rationales, descriptions: long enough for any real one, not for a novel.
NOTE_MAX_LENGTH = 10_000
# No claim is dated before this, nor after tomorrow (a day's grace for time zones).
EARLIEST_STATED_ON = datetime.date(1900, 1, 1)

country_code_validator = RegexValidator(
    r"^[A-Z]{2}$", "Use an ISO 3166-1 alpha-2 code in capitals, e.g. KR, RU, UA."
)
WIKIDATA_ID_PATTERN = r"^Q[1-9][0-9]*$"
wikidata_id_validator = RegexValidator(WIKIDATA_ID_PATTERN, "A Wikidata id looks like Q42.")
# Lowercase only, so "NATO" and "nato" can't be two actors.
SLUG_PATTERN = r"^[a-z0-9]+(?:-[a-z0-9]+)*$"
slug_validator = RegexValidator(
    SLUG_PATTERN, "Use lowercase letters, digits and single hyphens, e.g. north-korea."
)
# /actors/new/ is the create page, so no actor may be called "new".
RESERVED_SLUGS = {"new"}


def reserved_slug_error(slug):
    """The message for a slug a page address already uses, or None."""
    if slug in RESERVED_SLUGS:
        return f"“{slug}” is taken by a page address; choose another."
    return None


def count_per_row(related, key, *, distinct_field="pk"):
    """How many `related` rows point at each listed row, as a subquery (`related` filtered on
    OuterRef("pk")): a page then reads its own rows' counts instead of a join with GROUP BY
    over every row before the LIMIT."""
    counted = (
        related.order_by()
        .values(key)
        .annotate(n=models.Count(distinct_field, distinct=distinct_field != "pk"))
        .values("n")
    )
    return Coalesce(models.Subquery(counted), 0)


class ActorQuerySet(models.QuerySet):
    def with_claim_count(self):
        return self.annotate(
            claim_count=count_per_row(Claim.objects.filter(actor=models.OuterRef("pk")), "actor")
        )


class ActorKind(models.TextChoices):
    GOVERNMENT = "government", "Government"
    AGENCY = "agency", "Agency"
    PERSON = "person", "Person"
    ORGANIZATION = "organization", "Organization"
    MEDIA = "media", "Media"
    ALLIANCE = "alliance", "Alliance"
    COURT = "court", "Court"
    OTHER = "other", "Other"


class Actor(VersionedModel):
    Kind = ActorKind

    name = models.CharField(max_length=200, unique=True)
    slug = models.SlugField(
        max_length=200,
        unique=True,
        validators=[slug_validator],
        help_text="Used in URLs and filters: lowercase letters, digits and hyphens.",
    )
    short_name = models.CharField(max_length=100, blank=True, help_text="e.g. NIS")
    aliases = models.TextField(
        blank=True, max_length=NOTE_MAX_LENGTH, help_text="Other names, one per line."
    )
    kind = models.CharField(max_length=20, choices=Kind.choices, default=Kind.OTHER)
    country = models.CharField(
        max_length=2,
        blank=True,
        validators=[country_code_validator],
        help_text="ISO 3166-1 alpha-2, e.g. KR.",
    )
    parent = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="children",
        help_text="Who this actor speaks for, e.g. Peskov for the Kremlin.",
    )
    wikidata_id = models.CharField(
        "Wikidata id", max_length=20, blank=True, validators=[wikidata_id_validator]
    )
    description = models.TextField(blank=True, max_length=NOTE_MAX_LENGTH)

    history = HistoricalRecords()
    objects = ActorQuerySet.as_manager()

    class Meta:
        ordering = ["name"]
        indexes = [
            models.Index(fields=["kind"], name="actor_kind_idx"),
            models.Index(fields=["country"], name="actor_country_idx"),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(kind__in=ActorKind.values), name="actor_kind_valid"),
            models.CheckConstraint(
                condition=Q(country="") | Q(country__regex=r"^[A-Z]{2}$"),
                name="actor_country_iso_alpha2",
            ),
            models.CheckConstraint(
                condition=Q(wikidata_id="") | Q(wikidata_id__regex=WIKIDATA_ID_PATTERN),
                name="actor_wikidata_id_format",
            ),
            models.CheckConstraint(condition=~Q(name=""), name="actor_name_not_empty"),
            models.CheckConstraint(condition=~Q(slug=""), name="actor_slug_not_empty"),
            models.CheckConstraint(condition=Q(slug__regex=SLUG_PATTERN), name="actor_slug_format"),
            models.CheckConstraint(
                condition=~Q(parent=models.F("pk")), name="actor_not_own_parent"
            ),
        ]

    def __str__(self):
        return self.name

    def get_absolute_url(self):
        return reverse("claims:actor-detail", kwargs={"slug": self.slug})

    def clean(self):
        # Here, not in a form: the forms, the admin, the API and the import all run it.
        errors = {}
        if message := reserved_slug_error(self.slug):
            errors["slug"] = message
        if self.parent_id is not None and self.pk is not None and self._parent_loops():
            errors["parent"] = "An actor can't be its own parent or ancestor."
        if errors:
            raise ValidationError(errors)

    def _parent_loops(self):
        """Walk up from the new parent: meeting this actor would make a loop."""
        seen, step = set(), self.parent_id
        while step is not None and step not in seen:
            if step == self.pk:
                return True
            seen.add(step)
            step = Actor.objects.filter(pk=step).values_list("parent_id", flat=True).first()
        return False

    @property
    def alias_list(self):
        return [line.strip() for line in self.aliases.splitlines() if line.strip()]


class SourceQuerySet(models.QuerySet):
    def with_citation_count(self):
        citations = Citation.objects.filter(source=models.OuterRef("pk"))
        return self.annotate(citation_count=count_per_row(citations, "source"))


class SourceKind(models.TextChoices):
    OFFICIAL_STATEMENT = "official_statement", "Official statement"
    NEWS_REPORT = "news_report", "News report"
    PRESS_CONFERENCE = "press_conference", "Press conference"
    SOCIAL_MEDIA = "social_media", "Social media"
    INTELLIGENCE_ASSESSMENT = "intelligence_assessment", "Intelligence assessment"
    COURT_RULING = "court_ruling", "Court ruling"
    DOCUMENT = "document", "Document"
    OTHER = "other", "Other"


class Source(VersionedModel):
    Kind = SourceKind

    title = models.CharField(max_length=300)
    url = models.URLField("URL", max_length=2000, blank=True)
    publisher = models.CharField(max_length=200, blank=True)
    kind = models.CharField(max_length=30, choices=Kind.choices, default=Kind.OTHER)
    published_on = models.DateField(null=True, blank=True)
    archive_url = models.URLField("archive URL", max_length=2000, blank=True)
    notes = models.TextField(blank=True, max_length=NOTE_MAX_LENGTH)

    history = HistoricalRecords()
    objects = SourceQuerySet.as_manager()

    class Meta:
        ordering = ["-published_on", "-pk"]
        indexes = [
            models.Index(fields=["-published_on", "-id"], name="source_published_idx"),
            models.Index(fields=["kind"], name="source_kind_idx"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(kind__in=SourceKind.values), name="source_kind_valid"
            ),
            models.CheckConstraint(condition=~Q(title=""), name="source_title_not_empty"),
            # Imports match sources by URL, so a URL names at most one source.
            models.UniqueConstraint(fields=["url"], condition=~Q(url=""), name="source_url_unique"),
        ]

    def __str__(self):
        return self.title

    def get_absolute_url(self):
        return reverse("claims:source-detail", kwargs={"pk": self.pk})


class ClaimQuerySet(models.QuerySet):
    def by_actor(self, actor):
        return self.filter(actor=actor)

    def for_list(self):
        """What a claim list row shows: its actor and how many sources it cites.

        The count is a correlated subquery, not a JOIN + GROUP BY: PostgreSQL then walks an
        index in the list's order and stops after one page, instead of aggregating every
        matching claim first (0.5 s for a busy actor at 1M claims; see bench/RESULTS.md)."""
        citations = Citation.objects.filter(claim=models.OuterRef("pk"))
        return self.select_related("actor").annotate(
            source_count=count_per_row(citations, "claim", distinct_field="source")
        )

    # Bounded counts: at a million claims an exact COUNT(*) or GROUP BY visits every match,
    # so lists show "10,000+" (as Datasette does) and facets sample the newest matches.

    def capped_count(self, cap=COUNT_CAP):
        """How many rows, counting no further than cap + 1: more than `cap` means "cap+"."""
        return capped_count(self, cap)

    def status_counts(self, cap=COUNT_CAP, timeout_ms=FACET_TIMEOUT_MS):
        """{status: count capped at cap + 1} for the status facet, in one query whose work is
        bounded by the cap and, on PostgreSQL, by `timeout_ms`: None when over budget (a
        full-text search matching a third of the table can't be counted cheaply)."""
        parts, params = [], []
        for status in ClaimStatus.values:
            sql, args = (
                self.filter(status=status)
                .order_by()
                .values("pk")[: cap + 1]
                .query.get_compiler(self.db)
                .as_sql()
            )
            parts.append(f"(SELECT COUNT(*) FROM ({sql}) AS capped)")  # noqa: S608
            params.extend(args)
        rows = run_within(self.db, "SELECT " + ", ".join(parts), params, timeout_ms)
        return None if rows is None else dict(zip(ClaimStatus.values, rows[0], strict=True))

    def top_actors(self, limit=10, sample=COUNT_CAP, timeout_ms=FACET_TIMEOUT_MS):
        """[(actor_id, claims)] for the busiest actors among the newest `sample` matching
        claims (all of them when there are fewer): an actor facet of bounded cost; None when
        over the time budget, as for status_counts."""
        latest = self.order_by(*self.model._meta.ordering).values("actor_id")[:sample]
        sql, params = latest.query.get_compiler(self.db).as_sql()
        rows = run_within(
            self.db,
            f"SELECT actor_id, COUNT(*) FROM ({sql}) AS latest "  # noqa: S608 - compiled SQL
            "GROUP BY actor_id ORDER BY COUNT(*) DESC, actor_id LIMIT %s",
            [*params, limit],
            timeout_ms,
        )
        return None if rows is None else [tuple(row) for row in rows]

    def estimated_count(self):
        """The whole table's size, from statistics on PostgreSQL (see estimated_row_count)."""
        return estimated_row_count(self.model, self.db)


class ClaimStatus(models.TextChoices):
    CONFIRMED = "confirmed", "Confirmed"
    DENIED = "denied", "Denied"
    UNVERIFIED = "unverified", "Unverified"


class Claim(VersionedModel):
    Status = ClaimStatus

    actor = models.ForeignKey(Actor, on_delete=models.PROTECT, related_name="claims")
    headline = models.CharField(
        max_length=HEADLINE_MAX_LENGTH, help_text="A short summary shown in lists."
    )
    text = models.TextField(
        "claim",
        max_length=CLAIM_TEXT_MAX_LENGTH,
        # A TextField's max_length only sizes the form's box; the validator makes the model
        # itself refuse longer text (the import validates rows with the model's validators).
        validators=[MaxLengthValidator(CLAIM_TEXT_MAX_LENGTH)],
        help_text="What the actor said, as closely as known.",
    )
    stated_on = models.DateField("date stated")
    status = models.CharField(
        max_length=12, choices=Status.choices, default=Status.UNVERIFIED, editable=False
    )
    status_rationale = models.TextField(blank=True, max_length=NOTE_MAX_LENGTH, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        editable=False,
    )
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        editable=False,
    )

    history = HistoricalRecords()
    objects = ClaimQuerySet.as_manager()

    class Meta:
        # The default order of every claim list (claims.listing pages it by cursor).
        ordering = ["-stated_on", "-pk"]
        indexes = [
            models.Index(fields=["-stated_on", "-id"], name="claim_stated_idx"),
            models.Index(fields=["actor", "-stated_on", "-id"], name="claim_actor_stated_idx"),
            models.Index(fields=["status", "-stated_on", "-id"], name="claim_status_stated_idx"),
            # One actor's claims of one status, in list order; also counts them per status
            # from the index alone (status_counts under an actor filter: 0.8 s -> 4 ms at 1M).
            models.Index(
                fields=["actor", "status", "-stated_on", "-id"], name="claim_actor_status_idx"
            ),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=ClaimStatus.values),
                name="claim_status_valid",
                violation_error_message=(
                    f"Unknown status: use one of {', '.join(ClaimStatus.values)}."
                ),
            ),
            models.CheckConstraint(
                condition=Q(status="unverified") | ~Q(status_rationale=""),
                name="claim_verdict_has_rationale",
                violation_error_message="A confirmed or denied status needs a rationale.",
            ),
            models.CheckConstraint(condition=~Q(headline=""), name="claim_headline_not_empty"),
            models.CheckConstraint(
                condition=LessThanOrEqual(Length("headline"), HEADLINE_MAX_LENGTH),
                name="claim_headline_max_length",
            ),
            models.CheckConstraint(condition=~Q(text=""), name="claim_text_not_empty"),
            models.CheckConstraint(
                condition=LessThanOrEqual(Length("text"), CLAIM_TEXT_MAX_LENGTH),
                name="claim_text_max_length",
                violation_error_message=(
                    f"The text is longer than {CLAIM_TEXT_MAX_LENGTH:,} characters."
                ),
            ),
        ]

    def __str__(self):
        return self.headline

    def get_absolute_url(self):
        return reverse("claims:claim-detail", kwargs={"pk": self.pk})

    def clean(self):
        # Here, not in a form: the forms, the admin, the API and the import all run it.
        if message := stated_on_error(self.stated_on):
            raise ValidationError({"stated_on": message})


def stated_on_error(stated_on, *, today=None):
    """Why a claim can't be dated `stated_on`, or None. Not a database check: today moves."""
    if not isinstance(stated_on, datetime.date):
        return None
    today = today or datetime.date.today()  # noqa: DTZ011
    if stated_on > today + datetime.timedelta(days=1):
        return "The date stated can't be in the future."
    if stated_on < EARLIEST_STATED_ON:
        return f"The date stated can't be before {EARLIEST_STATED_ON.isoformat()}."
    return None


class CitationRole(models.TextChoices):
    APPEARANCE = "appearance", "Appearance (where the claim was made or reported)"
    EVIDENCE = "evidence", "Evidence (bears on whether it is true)"


class Citation(models.Model):
    Role = CitationRole

    claim = models.ForeignKey(Claim, on_delete=models.CASCADE, related_name="citations")
    source = models.ForeignKey(Source, on_delete=models.CASCADE, related_name="citations")
    role = models.CharField(max_length=12, choices=Role.choices, default=Role.APPEARANCE)
    quote = models.TextField(
        blank=True,
        max_length=NOTE_MAX_LENGTH,
        help_text="The exact words, if the source has them.",
    )
    note = models.TextField(blank=True, max_length=NOTE_MAX_LENGTH)

    history = HistoricalRecords()

    class Meta:
        ordering = ["role", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(role__in=CitationRole.values), name="citation_role_valid"
            ),
            models.UniqueConstraint(
                fields=["claim", "source", "role"], name="citation_unique_per_role"
            ),
        ]

    def __str__(self):
        return f"{self.source} ({self.role}) for {self.claim}"


class StatusChangeQuerySet(models.QuerySet):
    def latest_first(self):
        """Newest entry first: a claim's current status is its timeline's first row here."""
        return self.order_by("-changed_at", "-pk")


class StatusChange(models.Model):
    """One entry of a claim's verdict timeline; append-only, written by services only."""

    claim = models.ForeignKey(Claim, on_delete=models.CASCADE, related_name="status_changes")
    old_status = models.CharField(
        max_length=12, choices=ClaimStatus.choices, blank=True, help_text="Empty for the first."
    )
    new_status = models.CharField(max_length=12, choices=ClaimStatus.choices)
    rationale = models.TextField(blank=True, max_length=NOTE_MAX_LENGTH)
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="status_changes",
    )
    changed_at = models.DateTimeField()

    objects = StatusChangeQuerySet.as_manager()

    class Meta:
        ordering = ["changed_at", "pk"]
        indexes = [
            models.Index(fields=["claim", "changed_at", "id"], name="statuschange_claim_idx"),
            models.Index(fields=["-changed_at", "-id"], name="statuschange_recent_idx"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(new_status__in=ClaimStatus.values),
                name="statuschange_new_status_valid",
            ),
            models.CheckConstraint(
                condition=Q(old_status="") | Q(old_status__in=ClaimStatus.values),
                name="statuschange_old_status_valid",
            ),
            models.CheckConstraint(
                condition=Q(new_status="unverified") | ~Q(rationale=""),
                name="statuschange_verdict_has_rationale",
            ),
        ]

    def __str__(self):
        return f"{self.claim}: {self.old_status or '—'} → {self.new_status}"


class IdempotencyKey(models.Model):
    """The first answer to an API write sent with an `Idempotency-Key` header, so a client
    that retries (it got a timeout or a 503 and can't tell whether the write was saved) gets
    that answer again instead of writing twice. Saved in the write's own transaction: there
    is never a key without its write, nor a write without its key."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    key = models.CharField(max_length=255)
    # SHA-256 of method, path and body: the same key with another request is refused.
    request_hash = models.CharField(max_length=64)
    status_code = models.PositiveSmallIntegerField()
    response_body = models.TextField()
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "key"], name="idempotency_key_unique")
        ]
        indexes = [models.Index(fields=["expires_at"], name="idempotency_expires_idx")]

    def __str__(self):
        return f"{self.key} ({self.status_code})"
