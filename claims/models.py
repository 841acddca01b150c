import datetime
import json

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator
from django.db import OperationalError, connections, models, transaction
from django.db.models import Q
from django.db.models.functions import Coalesce, Length
from django.db.models.lookups import LessThanOrEqual
from django.urls import reverse
from simple_history.models import HistoricalRecords

HEADLINE_MAX_LENGTH = 120
CLAIM_TEXT_MAX_LENGTH = 20_000
# Quotes, notes, rationales, descriptions: long enough for any real one, not for a novel.
NOTE_MAX_LENGTH = 10_000
# No claim is dated before this, nor after tomorrow (a day's grace for time zones).
EARLIEST_STATED_ON = datetime.date(1900, 1, 1)
# Beyond this many matches a list says "10,000+" instead of counting every row.
COUNT_CAP = 10_000
# A facet (status counts, top actors) gives up after this long; the page shows without it.
FACET_TIMEOUT_MS = 250
QUERY_CANCELED = "57014"  # PostgreSQL's SQLSTATE for a statement_timeout

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


class VersionedModel(models.Model):
    """A row edited in forms: `version` goes up on every save so a stale edit is refused."""

    version = models.PositiveIntegerField(default=1, editable=False)

    class Meta:
        abstract = True


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


# Grading evidence. The Admiralty (NATO) system grades a report twice: how reliable its
# source is (A-F) and how credible this item of information is (1-6), written together as
# "B2". The definitions are those of NATO STANAG 2511 / US Army FM 2-22.3, appendix B.
class Reliability(models.TextChoices):
    A = "A", "A: completely reliable"
    B = "B", "B: usually reliable"
    C = "C", "C: fairly reliable"
    D = "D", "D: not usually reliable"
    E = "E", "E: unreliable"
    F = "F", "F: reliability cannot be judged"


RELIABILITY_DEFINITIONS = {
    "A": "No doubt of authenticity, trustworthiness or competency; a history of complete "
    "reliability.",
    "B": "Minor doubt about authenticity, trustworthiness or competency; a history of valid "
    "information most of the time.",
    "C": "Doubt of authenticity, trustworthiness or competency, but has provided valid "
    "information in the past.",
    "D": "Significant doubt about authenticity, trustworthiness or competency, but has "
    "provided valid information in the past.",
    "E": "Lacking in authenticity, trustworthiness and competency; a history of invalid "
    "information.",
    "F": "No basis exists for evaluating the reliability of the source.",
}


class Credibility(models.IntegerChoices):
    CONFIRMED = 1, "1: confirmed by other independent sources"
    PROBABLE = 2, "2: probably true"
    POSSIBLE = 3, "3: possibly true"
    DOUBTFUL = 4, "4: doubtful"
    IMPROBABLE = 5, "5: improbable"
    CANNOT_JUDGE = 6, "6: truth cannot be judged"


CREDIBILITY_DEFINITIONS = {
    1: "Confirmed by other independent sources; logical in itself; consistent with other "
    "information on the subject.",
    2: "Not confirmed; logical in itself; consistent with other information on the subject.",
    3: "Not confirmed; reasonably logical in itself; agrees with some other information on "
    "the subject.",
    4: "Not confirmed; possible but not logical; no other information on the subject.",
    5: "Not confirmed; not logical in itself; contradicted by other information on the subject.",
    6: "No basis exists for evaluating the validity of the information.",
}


class Direction(models.TextChoices):
    SUPPORTS = "supports", "Supports"
    REFUTES = "refutes", "Refutes"
    CONTEXT = "context", "Context"


class Confidence(models.TextChoices):
    """How sure the analysts are of a verdict, apart from the verdict itself: the three
    levels of the US intelligence community's analytic standards (ICD 203)."""

    LOW = "low", "Low confidence"
    MODERATE = "moderate", "Moderate confidence"
    HIGH = "high", "High confidence"


CONFIDENCE_DEFINITIONS = {
    "low": "The information is scant, questionable or fragmented; solid conclusions can't be "
    "drawn.",
    "moderate": "The information is credibly sourced and plausible, but not of enough quality "
    "or corroboration for high confidence.",
    "high": "Judgements rest on high-quality information from several sources; the "
    "conclusion could still be wrong.",
}
# Verdicts recorded before confidence was kept have NULL: "not recorded", never a guess.
CONFIDENCE_NOT_RECORDED = "not recorded"


def _definitions_help(definitions, choices):
    labels = dict(choices)
    return " ".join(f"{labels[key]}: {text}" for key, text in definitions.items())


def rating_text(reliability, credibility):
    """The meaning of a two-character rating, e.g. "B: usually reliable; 2: probably true"."""
    return f"{Reliability(reliability).label}; {Credibility(credibility).label}"


def grade_key(reliability, credibility):
    """Sorts ratings best first: A1, A2, ..., B1, ... F6."""
    return (reliability, credibility)


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
    reliability = models.CharField(
        "source reliability",
        max_length=1,
        choices=Reliability.choices,
        default=Reliability.F,
        help_text=_definitions_help(RELIABILITY_DEFINITIONS, Reliability.choices),
    )

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
            models.CheckConstraint(
                condition=Q(reliability__in=Reliability.values), name="source_reliability_valid"
            ),
            # Imports match sources by URL, so a URL names at most one source.
            models.UniqueConstraint(fields=["url"], condition=~Q(url=""), name="source_url_unique"),
        ]

    def __str__(self):
        return self.title

    def get_absolute_url(self):
        return reverse("claims:source-detail", kwargs={"pk": self.pk})

    @property
    def reliability_definition(self):
        return RELIABILITY_DEFINITIONS[self.reliability]


def run_within(using, sql, params, timeout_ms):
    """Rows of `sql`, or None if it runs longer than `timeout_ms` (PostgreSQL; elsewhere, and
    with timeout_ms=None, no limit). For optional extras like facets: a page shows without
    them rather than wait. The shorter statement_timeout applies to this query only."""
    connection = connections[using]
    if timeout_ms is None or connection.vendor != "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            return cursor.fetchall()
    if connection.in_atomic_block:
        return _run_within_transaction(connection, using, sql, params, timeout_ms)
    # Autocommit (a normal request): each statement is its own transaction, so a cancelled
    # query leaves nothing to roll back; the session's limit is put back either way.
    with connection.cursor() as cursor:
        previous = _set_statement_timeout(cursor, f"{timeout_ms}ms", local=False)
        try:
            cursor.execute(sql, params)
            return cursor.fetchall()
        except OperationalError as error:
            if _cancelled(error):
                return None
            raise
        finally:
            _set_statement_timeout(cursor, previous, local=False)


def _run_within_transaction(connection, using, sql, params, timeout_ms):
    # A savepoint: a cancelled query rolls back to it (undoing the local setting too) and
    # the enclosing transaction carries on; after a success the setting is put back.
    try:
        with transaction.atomic(using=using), connection.cursor() as cursor:
            previous = _set_statement_timeout(cursor, f"{timeout_ms}ms", local=True)
            cursor.execute(sql, params)
            rows = cursor.fetchall()
            _set_statement_timeout(cursor, previous, local=True)
            return rows
    except OperationalError as error:
        if _cancelled(error):
            return None
        raise


def _set_statement_timeout(cursor, value, *, local):
    """Set statement_timeout; return what it was."""
    cursor.execute(
        "SELECT current_setting('statement_timeout'), set_config('statement_timeout', %s, %s)",
        [value, local],
    )
    return cursor.fetchone()[0]


def _cancelled(error):
    return getattr(error.__cause__, "pgcode", None) == QUERY_CANCELED


def estimated_row_count(model, using="default"):
    """A table's size from PostgreSQL's statistics (pg_class.reltuples, kept by (auto)ANALYZE):
    free, and good for "about 1,000,000 claims" on an unfiltered list. Ignores filters. An
    exact COUNT(*) on other databases and before the table's first ANALYZE."""
    connection = connections[using]
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT reltuples::bigint FROM pg_class WHERE oid = %s::regclass",
                [model._meta.db_table],
            )
            row = cursor.fetchone()
        if row and row[0] >= 0:
            return row[0]
    return model._default_manager.using(using).count()


def approximate_count(queryset, *, cap=COUNT_CAP):
    """Exact up to `cap` rows (counting no further than cap + 1); beyond that, PostgreSQL's
    estimate of how many rows the query returns (EXPLAIN, nothing executed). Bounded cost
    for filtered admin changelists, where an exact count of 200,000 matches takes 0.1 s.
    Always the same two queries on PostgreSQL, so a page's query count doesn't vary."""
    capped = queryset.order_by().values("pk")[: cap + 1].count()
    connection = connections[queryset.db]
    if connection.vendor != "postgresql":
        return capped if capped <= cap else queryset.count()
    sql, params = queryset.order_by().values("pk").query.get_compiler(queryset.db).as_sql()
    with connection.cursor() as cursor:
        cursor.execute("EXPLAIN (FORMAT JSON) " + sql, params)
        plan = cursor.fetchone()[0]
    if capped <= cap:
        return capped
    plan = json.loads(plan) if isinstance(plan, str) else plan
    return max(capped, int(plan[0]["Plan"]["Plan Rows"]))


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
        return self.order_by().values("pk")[: cap + 1].count()

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
        latest = self.order_by("-stated_on", "-pk").values("actor_id")[:sample]
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

    def before(self, stated_on, pk):
        """Keyset pagination in the default order (-stated_on, -pk): the claims listed after
        the one (stated_on, pk). A deep page then costs what the first costs (an index range
        scan) where OFFSET would walk every earlier row."""
        return self.filter(
            Q(stated_on__lt=stated_on) | Q(stated_on=stated_on, pk__lt=pk),
            stated_on__lte=stated_on,  # redundant, but it lets the index bound the scan
        ).order_by("-stated_on", "-pk")


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
        help_text="What the actor said, as closely as known.",
    )
    stated_on = models.DateField("date stated")
    status = models.CharField(
        max_length=12, choices=Status.choices, default=Status.UNVERIFIED, editable=False
    )
    status_rationale = models.TextField(blank=True, max_length=NOTE_MAX_LENGTH, editable=False)
    # The latest verdict's confidence, cached like the status; NULL when that verdict was
    # recorded before confidence was kept. NULL here is SQL's "unknown", on purpose: it is
    # the one value a confirmed or denied verdict may have without a confidence.
    status_confidence = models.CharField(  # noqa: DJ001
        "confidence",
        max_length=8,
        choices=Confidence.choices,
        blank=True,
        null=True,
        default="",
        editable=False,
    )
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
            models.Index(
                fields=["status_confidence", "-stated_on", "-id"], name="claim_confidence_idx"
            ),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=ClaimStatus.values), name="claim_status_valid"
            ),
            models.CheckConstraint(
                condition=Q(status="unverified") | ~Q(status_rationale=""),
                name="claim_verdict_has_rationale",
            ),
            models.CheckConstraint(
                condition=Q(status_confidence__isnull=True)
                | Q(status_confidence="")
                | Q(status_confidence__in=Confidence.values),
                name="claim_confidence_valid",
            ),
            models.CheckConstraint(
                condition=Q(status="unverified")
                | Q(status_confidence__isnull=True)
                | ~Q(status_confidence=""),
                name="claim_verdict_has_confidence",
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

    @property
    def confidence_label(self):
        """The current verdict's confidence as shown beside the status."""
        if self.status == ClaimStatus.UNVERIFIED and not self.status_confidence:
            return ""
        return confidence_label(self.status_confidence)

    @property
    def confidence_definition(self):
        return CONFIDENCE_DEFINITIONS.get(self.status_confidence or "", "")


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
    Direction = Direction

    claim = models.ForeignKey(Claim, on_delete=models.CASCADE, related_name="citations")
    source = models.ForeignKey(Source, on_delete=models.CASCADE, related_name="citations")
    role = models.CharField(max_length=12, choices=Role.choices, default=Role.APPEARANCE)
    quote = models.TextField(
        blank=True,
        max_length=NOTE_MAX_LENGTH,
        help_text="The exact words, if the source has them.",
    )
    note = models.TextField(blank=True, max_length=NOTE_MAX_LENGTH)
    # Evidence only (NULL / empty on an appearance): how credible this item is, whether it
    # supports or refutes the claim, and the source's reliability when it differs for this
    # item (a usually reliable outlet relaying a rumour).
    credibility = models.PositiveSmallIntegerField(
        "information credibility",
        choices=Credibility.choices,
        null=True,
        blank=True,
        help_text=_definitions_help(CREDIBILITY_DEFINITIONS, Credibility.choices),
    )
    direction = models.CharField(max_length=8, choices=Direction.choices, blank=True)
    reliability_override = models.CharField(
        "reliability for this item",
        max_length=1,
        choices=Reliability.choices,
        blank=True,
        help_text="Leave empty to use the source's own reliability.",
    )

    history = HistoricalRecords()

    class Meta:
        ordering = ["role", "pk"]
        indexes = [
            # The grade filters look for a claim's evidence at or above a grade.
            models.Index(
                fields=["claim", "credibility", "direction"],
                condition=Q(role="evidence"),
                name="citation_evidence_idx",
            ),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(role__in=CitationRole.values), name="citation_role_valid"
            ),
            models.CheckConstraint(
                condition=Q(role="appearance", credibility__isnull=True, direction="")
                | Q(
                    role="evidence",
                    credibility__isnull=False,
                    credibility__gte=1,
                    credibility__lte=6,
                ),
                name="citation_credibility_on_evidence",
            ),
            models.CheckConstraint(
                condition=Q(role="appearance", direction="")
                | Q(role="evidence", direction__in=Direction.values),
                name="citation_direction_on_evidence",
            ),
            models.CheckConstraint(
                condition=Q(reliability_override="")
                | Q(role="evidence", reliability_override__in=Reliability.values),
                name="citation_reliability_override_valid",
            ),
            models.UniqueConstraint(
                fields=["claim", "source", "role"], name="citation_unique_per_role"
            ),
        ]

    def __str__(self):
        return f"{self.source} ({self.role}) for {self.claim}"

    def clean(self):
        from .services import citation_defaults, validate_citation_grades  # a cycle otherwise

        citation_defaults(self)
        validate_citation_grades(
            role=self.role,
            credibility=self.credibility,
            direction=self.direction,
            reliability_override=self.reliability_override,
        )

    @property
    def is_evidence(self):
        return self.role == CitationRole.EVIDENCE

    @property
    def reliability(self):
        """The reliability this item is graded with: the override, else the source's."""
        return self.reliability_override or self.source.reliability

    @property
    def rating(self):
        """The two-character Admiralty rating, e.g. "B2"; "" for an appearance."""
        if not self.is_evidence or self.credibility is None:
            return ""
        return f"{self.reliability}{self.credibility}"

    @property
    def rating_meaning(self):
        if not self.rating:
            return ""
        meaning = rating_text(self.reliability, self.credibility)
        if self.reliability_override:
            meaning += f" (the source itself is graded {self.source.reliability})"
        return meaning

    @property
    def grade_key(self):
        return grade_key(self.reliability, self.credibility or 6)


class StatusChange(models.Model):
    """One entry of a claim's verdict timeline; append-only, written by services only."""

    claim = models.ForeignKey(Claim, on_delete=models.CASCADE, related_name="status_changes")
    old_status = models.CharField(
        max_length=12, choices=ClaimStatus.choices, blank=True, help_text="Empty for the first."
    )
    new_status = models.CharField(max_length=12, choices=ClaimStatus.choices)
    rationale = models.TextField(blank=True, max_length=NOTE_MAX_LENGTH)
    # Empty: none given (allowed for unverified only). NULL: recorded before confidence was
    # kept, shown as "not recorded"; only the migration writes it.
    confidence = models.CharField(  # noqa: DJ001 - NULL is "unknown", see Claim
        max_length=8, choices=Confidence.choices, blank=True, null=True, default=""
    )
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="status_changes",
    )
    changed_at = models.DateTimeField()

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
            models.CheckConstraint(
                condition=Q(confidence__isnull=True)
                | Q(confidence="")
                | Q(confidence__in=Confidence.values),
                name="statuschange_confidence_valid",
            ),
            models.CheckConstraint(
                condition=Q(new_status="unverified")
                | Q(confidence__isnull=True)
                | ~Q(confidence=""),
                name="statuschange_verdict_has_confidence",
            ),
        ]

    def __str__(self):
        return f"{self.claim}: {self.old_status or '—'} → {self.new_status}"

    @property
    def confidence_label(self):
        # An unverified entry needs no confidence: nothing to say, recorded or not.
        if self.new_status == ClaimStatus.UNVERIFIED and not self.confidence:
            return ""
        return confidence_label(self.confidence)

    @property
    def confidence_definition(self):
        return CONFIDENCE_DEFINITIONS.get(self.confidence or "", "")


def confidence_label(value):
    """What a page shows for a stored confidence: its label, "not recorded" or ""."""
    if value is None:
        return CONFIDENCE_NOT_RECORDED
    return Confidence(value).label if value else ""
