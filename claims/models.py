import datetime
import unicodedata

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxLengthValidator, RegexValidator
from django.db import connections, models
from django.db.models import Q
from django.db.models.functions import Coalesce, Length
from django.db.models.lookups import LessThanOrEqual
from django.urls import reverse
from django.utils import timezone
from django.utils.text import slugify
from simple_history.models import HistoricalRecords

from .db import (
    COUNT_CAP,
    COUNT_TIMEOUT_MS,
    FACET_TIMEOUT_MS,
    capped_count,
    column_shares,
    estimated_counts,
    estimated_row_count,
    run_within,
)
from .duplicates import normalize_url
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
# /actors/new/ and /actors/suggest/ are pages, so no actor may have those slugs.
RESERVED_SLUGS = {"new", "suggest"}


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


LOOKUP_KEY_LENGTH = 200
# How many actors a name may fit before the error stops listing them; suggestions per reply.
MAX_CANDIDATES = 10
MAX_SUGGESTIONS = 20
# Sub-actors are followed this many levels down (Peskov under the Kremlin is one level).
MAX_ACTOR_DEPTH = 5


def lookup_key(text):
    """How a name is compared: case folded, accents dropped, spaces collapsed, so "Sécurité",
    "securite" and "SECURITE" are one key ("Кремль" and "кремль" too). Computed in Python
    and stored, so both databases compare the same keys with a plain index."""
    text = unicodedata.normalize("NFKD", (text or "").casefold())
    text = "".join(char for char in text if not unicodedata.combining(char))
    return " ".join(text.split())[:LOOKUP_KEY_LENGTH]


class NameLookupError(ValidationError):
    """No record, or several, answer to a typed name; `candidates` lists the several."""

    def __init__(self, message, candidates=()):
        super().__init__(message, code="ambiguous" if candidates else "unknown")
        self.candidates = list(candidates)


def _candidate_list(records, describe):
    return "; ".join(describe(record) for record in records)


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


def confidence_label(value, status):
    """What a page shows for a stored confidence beside `status`: its label, "not recorded"
    (NULL) or "" (an unverified verdict given none: nothing to say, recorded or not)."""
    if status == "unverified" and not value:
        return ""
    if value is None:
        return CONFIDENCE_NOT_RECORDED
    return Confidence(value).label if value else ""


def confidence_constraints(prefix, field, status):
    """A known confidence (or none), and one with every confirmed or denied verdict unless it
    was recorded before confidence was kept (NULL). Claims, propositions and both timelines
    hold the same rule."""
    return [
        models.CheckConstraint(
            condition=Q(**{f"{field}__isnull": True})
            | Q(**{field: ""})
            | Q(**{f"{field}__in": Confidence.values}),
            name=f"{prefix}_confidence_valid",
        ),
        models.CheckConstraint(
            condition=Q(**{status: "unverified"})
            | Q(**{f"{field}__isnull": True})
            | ~Q(**{field: ""}),
            name=f"{prefix}_verdict_has_confidence",
            violation_error_message="A confirmed or denied verdict needs a confidence.",
        ),
    ]


class ActorQuerySet(models.QuerySet):
    def with_claim_count(self):
        return self.annotate(
            claim_count=count_per_row(Claim.objects.filter(actor=models.OuterRef("pk")), "actor")
        )

    def matching_key(self, key):
        """Actors with `key` (a lookup_key) as their name, short name, alias or slug."""
        return self.filter(pk__in=ActorName.objects.filter(key=key).values("actor_id"))

    def resolve(self, text):
        """The one actor `text` names: its slug, name, short name or an alias, whatever the
        case and accents. Raises NameLookupError (a ValidationError) naming the candidates
        when several actors answer to it, or saying none does.

        An exact slug or name wins over other actors' aliases: a page address or the name
        the forms show always finds its own actor."""
        if isinstance(text, Actor):
            return text
        text = (text or "").strip()
        if not text:
            raise NameLookupError("Enter an actor's name.")
        if "\x00" in text:  # no name holds one; the databases can't even compare it
            raise NameLookupError("Unknown actor: a name can't contain a NUL character.")
        exact = list(self.filter(Q(slug=text) | Q(name=text))[:2])
        if len(exact) == 1:
            return exact[0]
        key = lookup_key(text)
        found = list(self.matching_key(key).order_by("name", "pk")[: MAX_CANDIDATES + 1])
        if len(found) == 1:
            return found[0]
        shown = text[:100]
        if not found:
            raise NameLookupError(
                f"Unknown actor: {shown}. Type its name, short name, an alias or its slug, "
                "or add the actor first."
            )
        listed = _candidate_list(found[:MAX_CANDIDATES], lambda a: f"{a.name} ({a.slug})")
        more = " and more" if len(found) > MAX_CANDIDATES else ""
        raise NameLookupError(
            f"“{shown}” could be several actors: {listed}{more}. Enter the full name or the "
            "slug in brackets.",
            candidates=found[:MAX_CANDIDATES],
        )

    def suggest(self, text, limit=MAX_SUGGESTIONS):
        """Up to `limit` actors with a name, short name, alias or slug starting with `text`
        (case and accents ignored): an index range scan on the lookup keys, whatever the
        number of actors."""
        key = lookup_key(text)
        if not key:
            return self.none()
        names = ActorName.objects.starting_with(key).values("actor_id")
        return self.filter(pk__in=names[: limit * 5]).order_by("name", "pk")[:limit]

    def with_subactors(self, actors, *, depth=MAX_ACTOR_DEPTH):
        """The ids of `actors` and of every actor under them, down to `depth` levels, in one
        query (a recursive CTE, on both databases)."""
        ids = [a.pk if isinstance(a, Actor) else int(a) for a in actors]
        if not ids:
            return []
        table = Actor._meta.db_table
        marks = ", ".join(["%s"] * len(ids))
        sql = (
            f"WITH RECURSIVE tree(id, depth) AS ("  # noqa: S608 - table name and %s marks only
            f"SELECT id, 0 FROM {table} WHERE id IN ({marks}) "
            f"UNION SELECT child.id, tree.depth + 1 FROM {table} AS child "
            "JOIN tree ON child.parent_id = tree.id WHERE tree.depth < %s"
            ") SELECT DISTINCT id FROM tree"
        )
        with connections[self.db].cursor() as cursor:
            cursor.execute(sql, [*ids, depth])
            return sorted(row[0] for row in cursor.fetchall())


def unique_slug(model, text, *, exclude_pk=None, max_length=200):
    """A slug for `text` that no other row of `model` has: "kremlin", then "kremlin-2" ...
    Names in other scripts ("Кремль") fall back to the model's name ("actor")."""
    base = slugify(text)[: max_length - 8].strip("-") or model._meta.model_name
    if base in RESERVED_SLUGS:
        base = f"{base}-{model._meta.model_name}"
    rows = model._default_manager.exclude(pk=exclude_pk) if exclude_pk else model._default_manager
    taken = set(
        rows.filter(Q(slug=base) | Q(slug__startswith=f"{base}-")).values_list("slug", flat=True)
    )
    if base not in taken:
        return base
    number = 2
    while f"{base}-{number}" in taken:
        number += 1
    return f"{base}-{number}"


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
        blank=True,
        validators=[slug_validator],
        help_text="Used in page addresses. Leave it empty to make one from the name.",
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

    def save(self, *args, **kwargs):
        if not self.slug:
            self.slug = unique_slug(Actor, self.name, exclude_pk=self.pk)
        super().save(*args, **kwargs)
        ActorName.refresh_for([self])

    def get_absolute_url(self):
        return reverse("claims:actor-detail", kwargs={"slug": self.slug})

    def clean_fields(self, exclude=None):
        # A blank slug is derived from the name (in save()); derive it now, so the checks
        # below and the uniqueness check see the slug that will be stored.
        if not self.slug and self.name:
            self.slug = unique_slug(Actor, self.name, exclude_pk=self.pk)
        super().clean_fields(exclude=exclude)

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

    def lookup_keys(self):
        names = [self.name, self.short_name, self.slug, *self.alias_list]
        return {key for key in map(lookup_key, names) if key}


class ActorNameQuerySet(models.QuerySet):
    def starting_with(self, key):
        # Both walk the key index: PostgreSQL's LIKE 'x%' through the pattern operator class
        # (the default collation's order doesn't keep prefixes together); on SQLite, whose
        # LIKE ignores the index for non-ASCII text, a range in its binary order.
        if connections[self.db].vendor == "postgresql":
            return self.filter(key__startswith=key)
        return self.filter(key__gte=key, key__lt=key + "\U0010ffff")


class ActorName(models.Model):
    """One name an actor answers to (name, short name, slug or alias) as a lookup_key:
    what the name fields and filters resolve and the suggestions search, with an index.
    Kept by Actor.save(), so every path that saves an actor keeps it."""

    actor = models.ForeignKey(Actor, on_delete=models.CASCADE, related_name="lookup_names")
    key = models.CharField(max_length=LOOKUP_KEY_LENGTH)

    objects = ActorNameQuerySet.as_manager()

    class Meta:
        indexes = [
            models.Index(
                fields=["key"], name="actorname_key_idx", opclasses=["varchar_pattern_ops"]
            )
        ]
        constraints = [
            models.UniqueConstraint(fields=["actor", "key"], name="actorname_unique_per_actor")
        ]

    def __str__(self):
        return self.key

    @classmethod
    def refresh_for(cls, actors):
        """Make the stored keys of `actors` match their current names."""
        actors = list(actors)
        if not actors:
            return
        wanted = {(a.pk, key) for a in actors for key in a.lookup_keys()}
        stored = set(cls.objects.filter(actor__in=actors).values_list("actor_id", "key"))
        for actor_id, key in stored - wanted:
            cls.objects.filter(actor_id=actor_id, key=key).delete()
        cls.objects.bulk_create(
            [cls(actor_id=actor_id, key=key) for actor_id, key in wanted - stored],
            ignore_conflicts=True,
        )


class SourceQuerySet(models.QuerySet):
    def with_citation_count(self):
        citations = Citation.objects.filter(source=models.OuterRef("pk"))
        return self.annotate(citation_count=count_per_row(citations, "source"))

    def resolve(self, text):
        """The one source `text` names: its number, its URL or its title (any case).
        Raises NameLookupError listing the candidates when several share the title."""
        if isinstance(text, Source):
            return text
        text = (text or "").strip()
        if "\x00" in text:
            raise NameLookupError("No source has a NUL character in its title or URL.")
        shown = text[:100]
        if text.isascii() and text.isdecimal():
            found = self.filter(pk=int(text)).first() if int(text) < 2**63 else None
            if found is None:
                raise NameLookupError(f"No source is numbered {shown}.")
            return found
        if text.startswith(("http://", "https://")):
            found = self.filter(url=text).first()
            if found is not None:
                return found
        found = list(self.filter(title__iexact=text).order_by("pk")[: MAX_CANDIDATES + 1])
        if len(found) == 1:
            return found[0]
        if not found:
            raise NameLookupError(
                f"No source has the title or URL “{shown}”: check it, or add the source."
            )
        listed = _candidate_list(found[:MAX_CANDIDATES], lambda s: f"{s.pk}: {s.url or s.title}")
        raise NameLookupError(
            f"Several sources are titled “{shown}”: {listed}. Enter the number or the URL.",
            candidates=found[:MAX_CANDIDATES],
        )


class SourceKind(models.TextChoices):
    OFFICIAL_STATEMENT = "official_statement", "Official statement"
    NEWS_REPORT = "news_report", "News report"
    PRESS_CONFERENCE = "press_conference", "Press conference"
    SOCIAL_MEDIA = "social_media", "Social media"
    INTELLIGENCE_ASSESSMENT = "intelligence_assessment", "Intelligence assessment"
    COURT_RULING = "court_ruling", "Court ruling"
    DOCUMENT = "document", "Document"
    OTHER = "other", "Other"


class LinkState(models.TextChoices):
    OK = "ok", "Answers as captured"
    BROKEN = "broken", "Broken (4xx/5xx or unreachable)"
    CHANGED = "changed", "Text changed since the first capture"


class Source(VersionedModel):
    Kind = SourceKind

    title = models.CharField(max_length=300)
    url = models.URLField("URL", max_length=2000, blank=True)
    publisher = models.CharField(max_length=200, blank=True)
    kind = models.CharField(max_length=30, choices=Kind.choices, default=Kind.OTHER)
    published_on = models.DateField(null=True, blank=True)
    archive_url = models.URLField("archive URL", max_length=2000, blank=True)
    notes = models.TextField(blank=True, max_length=NOTE_MAX_LENGTH)
    # The URL as two spellings of one page share it (claims.duplicates.normalize_url), kept
    # by save(): a second source for the same page is refused by it.
    url_key = models.CharField(
        max_length=2000, blank=True, editable=False, default="", db_default=""
    )
    # Written by the capture job (services.finish_capture), never by a form.
    link_state = models.CharField(
        "link",
        max_length=10,
        choices=LinkState.choices,
        blank=True,
        editable=False,
        default="",
        db_default="",  # bulk COPY (generate_claims) names only its own columns
    )
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
            models.Index(fields=["link_state", "-published_on", "-id"], name="source_link_idx"),
            models.Index(fields=["url_key"], condition=~Q(url_key=""), name="source_url_key_idx"),
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

    def clean(self):
        # Here, so the forms, the admin and the API all refuse a second source for one page.
        from .duplicates import same_url_message, source_with_url

        existing = source_with_url(self.url, exclude_pk=self.pk) if self.url else None
        if existing is not None:
            raise ValidationError({"url": same_url_message(existing)})

    def save(self, *args, **kwargs):
        self.url_key = normalize_url(self.url)
        update_fields = kwargs.get("update_fields")
        if update_fields is not None and "url" in update_fields:
            kwargs["update_fields"] = {*update_fields, "url_key"}
        super().save(*args, **kwargs)

    def get_absolute_url(self):
        return reverse("claims:source-detail", kwargs={"pk": self.pk})

    @property
    def reliability_definition(self):
        return RELIABILITY_DEFINITIONS[self.reliability]


def as_of_end(date):
    """The first moment after `date` (midnight at its end, in the site's time zone): a verdict
    dated before it had taken effect on that date."""
    midnight = datetime.datetime.combine(date + datetime.timedelta(days=1), datetime.time())
    return timezone.make_aware(midnight)


def verdict_as_of(date, claim="pk", *, timeline=None, owner="claim", current=None):
    """{"as_of_status": ..., "as_of_rationale": ..., "as_of_confidence": ...}: the record's
    latest verdict that had taken effect by the end of `date` (its changed_at, the date the
    verdict took effect), as correlated subqueries. Each is one probe of the timeline's
    (owner, changed_at, id) index per listed row, so a page of 50 claims costs 50 short index
    scans, not a scan of the timeline. A claim stated by then but with no verdict yet
    recorded was unverified.
    `claim`: the outer query's column holding the record's id ("claim_id" from citations).
    `timeline` and `owner`: another verdict timeline and its foreign key (a proposition's:
    PropositionStatusChange, "proposition"); a claim's StatusChange by default.
    `current`: the path from the outer query to the claim whose current verdict may answer
    ("" when the outer rows are claims, "claim__" from citations or stances), None for none.

    For a claim whose current verdict took effect by then (Claim.status_changed_at) that
    verdict is the answer and the timeline isn't read: at 1M claims, a year back, that is 99%
    of them (bench/RESULTS.md). PostgreSQL and SQLite evaluate the CASE lazily."""
    end = as_of_end(date)
    latest = (
        (timeline or StatusChange)
        .objects.filter(**{owner: models.OuterRef(claim)}, changed_at__lt=end)
        .order_by("-changed_at", "-pk")
    )
    status = Coalesce(
        models.Subquery(latest.values("new_status")[:1]),
        models.Value(ClaimStatus.UNVERIFIED),
        output_field=models.CharField(),
    )
    rationale = Coalesce(
        models.Subquery(latest.values("rationale")[:1]),
        models.Value(""),
        output_field=models.TextField(),
    )
    # NULL both when no verdict had been recorded by then (unverified: nothing to show) and
    # when that verdict predates confidence ("not recorded"), as in the timeline.
    confidence = models.Subquery(latest.values("confidence")[:1], output_field=models.CharField())
    if current is not None:
        settled = Q(**{f"{current}status_changed_at__lt": end})
        status = models.Case(
            models.When(settled, then=models.F(f"{current}status")),
            default=status,
            output_field=models.CharField(),
        )
        rationale = models.Case(
            models.When(settled, then=models.F(f"{current}status_rationale")),
            default=rationale,
            output_field=models.TextField(),
        )
        confidence = models.Case(
            models.When(settled, then=models.F(f"{current}status_confidence")),
            default=confidence,
            output_field=models.CharField(),
        )
    return {"as_of_status": status, "as_of_rationale": rationale, "as_of_confidence": confidence}


def as_of_counts_sampled(queryset, counts, cap=COUNT_CAP):
    """Whether status_counts() of an as-of `queryset` counted a full sample of cap + 1
    claims: there are more matches, and each count is a lower bound."""
    return status_field(queryset) != "status" and sum(counts.values()) > cap


def status_field(queryset):
    """The column that holds each claim's status in `queryset`: its as-of status when it was
    narrowed by as_of(), else the current one. Filters, facets and exports ask this."""
    return "as_of_status" if "as_of_status" in queryset.query.annotations else "status"


class AsOfClaimIterable(models.query.ModelIterable):
    """Claims (or propositions) whose status and rationale are those of the as-of date: every
    page, serializer and template that reads .status then shows the record as it stood."""

    def __iter__(self):
        for claim in super().__iter__():
            claim.status = claim.as_of_status
            claim.status_rationale = claim.as_of_rationale
            claim.status_confidence = claim.as_of_confidence
            yield claim


class ClaimQuerySet(models.QuerySet):
    def by_actor(self, actor):
        return self.filter(actor=actor)

    def as_of(self, date):
        """The record as it stood at the end of `date`: claims stated after it left out, each
        claim's status and rationale those of its latest verdict in effect by then."""
        narrowed = self.filter(stated_on__lte=date).annotate(**verdict_as_of(date, current=""))
        # Django has no public hook to post-process the instances a queryset yields; the
        # iterable class is kept by filter(), order_by() and slicing, dropped by values().
        narrowed._iterable_class = AsOfClaimIterable
        return narrowed

    def status_groups(self):
        """{status: count} in one GROUP BY, by the as-of status when there is one."""
        field = status_field(self)
        rows = self.order_by().values(field).annotate(n=models.Count("pk")).values_list(field, "n")
        return dict(rows)

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

    def status_counts(self, cap=COUNT_CAP, timeout_ms=COUNT_TIMEOUT_MS):
        """{status: count capped at cap + 1} for the status facet, in one query whose work is
        bounded by the cap and, on PostgreSQL, by `timeout_ms`: None when over budget (a
        full-text search matching a third of the table can't be counted cheaply)."""
        if status_field(self) != "status":
            # One pass over at most cap + 1 claims: bounded by the cap itself, so it gets the
            # facets' budget (a planner estimate of an as-of status would be far off).
            return self._as_of_status_counts(cap, max(timeout_ms, FACET_TIMEOUT_MS))
        parts, params = [], []
        for status in ClaimStatus.values:
            sql, args = (
                self.filter(**{status_field(self): status})
                .order_by()
                .values("pk")[: cap + 1]
                .query.get_compiler(self.db)
                .as_sql()
            )
            parts.append(f"(SELECT COUNT(*) FROM ({sql}) AS capped)")  # noqa: S608
            params.extend(args)
        rows = run_within(self.db, "SELECT " + ", ".join(parts), params, timeout_ms)
        return None if rows is None else dict(zip(ClaimStatus.values, rows[0], strict=True))

    def estimated_status_counts(self, total=None):
        """{status: the planner's estimate of its matches}, for when status_counts() was over
        its budget (one EXPLAIN, nothing counted, none when the caller has the planner's
        `total` already); None on databases without estimates."""
        estimate = [total] if total is not None else estimated_counts([self])
        if estimate is None:
            return None
        # What the planner would say of each status too: the matches times the status's
        # share of the table in its statistics (one EXPLAIN, not one per status).
        shares = column_shares(self.model, "status", self.db)
        if shares is None:
            field = status_field(self)
            estimates = estimated_counts([self.filter(**{field: s}) for s in ClaimStatus.values])
            return dict(zip(ClaimStatus.values, estimates, strict=True))
        return {s: round(estimate[0] * shares.get(s, 0)) for s in ClaimStatus.values}

    def _as_of_status_counts(self, cap, timeout_ms):
        """As of a date a claim's status is a probe of its timeline, and no index orders
        claims by it: counting each status up to the cap would probe up to three caps' worth
        of claims (over the time budget at 1M). So one pass over the newest cap + 1 matches
        instead: the exact counts when those are all the matches, else counts among that
        sample (lower bounds; the facet then shows "+", see as_of_counts_sampled)."""
        sample = self.order_by(*self.model._meta.ordering).values("as_of_status")[: cap + 1]
        sql, args = sample.query.get_compiler(self.db).as_sql()
        grouped = f"SELECT as_of_status, COUNT(*) FROM ({sql}) AS sampled GROUP BY 1"  # noqa: S608
        rows = run_within(self.db, grouped, args, timeout_ms)
        return None if rows is None else {status: n for status, n in rows}

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
    # When the current verdict took effect (its timeline entry's changed_at), kept by the
    # status service: as of any later date the claim's verdict is the current one, so as-of
    # pages read the timeline only for the claims whose verdict changed since that date.
    status_changed_at = models.DateTimeField(null=True, blank=True, editable=False)
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
            # The actor last, after the order: the busiest actors among the newest claims
            # (top_actors) read the index alone, not 10,000 rows out of the table (SQLite,
            # 1M claims: 33 ms -> 3 ms; bench/DATASETTE.md).
            models.Index(fields=["-stated_on", "-id", "actor"], name="claim_stated_idx"),
            models.Index(fields=["actor", "-stated_on", "-id"], name="claim_actor_stated_idx"),
            models.Index(
                fields=["status", "-stated_on", "-id", "actor"], name="claim_status_stated_idx"
            ),
            # One actor's claims of one status, in list order; also counts them per status
            # from the index alone (status_counts under an actor filter: 0.8 s -> 4 ms at 1M).
            models.Index(
                fields=["actor", "status", "-stated_on", "-id"], name="claim_actor_status_idx"
            ),
            models.Index(
                fields=["status_confidence", "-stated_on", "-id"], name="claim_confidence_idx"
            ),
            # Every other ?ordering= of the list and the API, read forwards or backwards, so
            # its first page and its deepest (by cursor) read 50 index entries, not the table.
            models.Index(fields=["headline", "id"], name="claim_headline_idx"),
            models.Index(fields=["status", "id"], name="claim_status_order_idx"),
            models.Index(fields=["updated_at", "id"], name="claim_updated_idx"),
            # By actor name needs none of its own: PostgreSQL walks the actors in name order
            # (their unique index) and sorts each one's claims, read by the actor_id index.
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
            *confidence_constraints("claim", "status_confidence", "status"),
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

    @property
    def confidence_label(self):
        """The current verdict's confidence as shown beside the status."""
        return confidence_label(self.status_confidence, self.status)

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


class ClaimDayCount(models.Model):
    """How many claims were stated on each day with each status, kept exact by triggers on the
    claim table (migration 0015): every insert, update and delete, whatever wrote it, moves
    these numbers in the same transaction. The unfiltered claim list, and one filtered only by
    status and dates, reads its counts and its chart here instead of counting a million claims.
    Derived data, like an index: no service writes it, and exports leave it out."""

    day = models.DateField()
    status = models.CharField(max_length=12, choices=ClaimStatus.choices)
    n = models.IntegerField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["day", "status"], name="claim_day_count_unique"),
        ]

    def __str__(self):
        return f"{self.day} {self.status}: {self.n}"


class CitationRole(models.TextChoices):
    APPEARANCE = "appearance", "Appearance (where the claim was made or reported)"
    EVIDENCE = "evidence", "Evidence (bears on whether it is true)"


class QuoteCheck(models.TextChoices):
    FOUND = "found", "Found in the capture"
    CHANGED = "changed", "Found with changes"
    NOT_FOUND = "not_found", "Not found"


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
    # Whether the quote is in the source's latest capture (services.check_quote writes these).
    quote_check = models.CharField(
        max_length=10,
        choices=QuoteCheck.choices,
        blank=True,
        editable=False,
        db_index=True,
        default="",
        db_default="",  # bulk COPY (generate_claims) names only its own columns
    )
    quote_score = models.FloatField(null=True, blank=True, editable=False)
    quote_capture = models.ForeignKey(
        "Capture",
        null=True,
        blank=True,
        editable=False,
        on_delete=models.SET_NULL,
        related_name="+",
    )
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


def verdict_timeline_constraints(prefix):
    """The rules every verdict timeline (a claim's, a proposition's) holds in the database:
    known statuses, and a rationale and a confidence with every confirmed or denied verdict."""
    return [
        models.CheckConstraint(
            condition=Q(new_status__in=ClaimStatus.values), name=f"{prefix}_new_status_valid"
        ),
        models.CheckConstraint(
            condition=Q(old_status="") | Q(old_status__in=ClaimStatus.values),
            name=f"{prefix}_old_status_valid",
        ),
        models.CheckConstraint(
            condition=Q(new_status="unverified") | ~Q(rationale=""),
            name=f"{prefix}_verdict_has_rationale",
        ),
        *confidence_constraints(prefix, "confidence", "new_status"),
    ]


class VerdictEntry(models.Model):
    """What a claim's and a proposition's timeline entries share beyond their fields' shape."""

    class Meta:
        abstract = True

    @property
    def confidence_label(self):
        return confidence_label(self.confidence, self.new_status)

    @property
    def confidence_definition(self):
        return CONFIDENCE_DEFINITIONS.get(self.confidence or "", "")


class StatusChangeQuerySet(models.QuerySet):
    def latest_first(self):
        """Newest entry first: the current status is the timeline's first row here (a
        claim's timeline and a proposition's alike)."""
        return self.order_by("-changed_at", "-pk")


class StatusChange(VerdictEntry):
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

    objects = StatusChangeQuerySet.as_manager()

    class Meta:
        ordering = ["changed_at", "pk"]
        indexes = [
            models.Index(fields=["claim", "changed_at", "id"], name="statuschange_claim_idx"),
            models.Index(fields=["-changed_at", "-id"], name="statuschange_recent_idx"),
        ]
        constraints = verdict_timeline_constraints("statuschange")

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


# Page captures: what a source's address answered when the server fetched it.


class CaptureQuerySet(models.QuerySet):
    def active(self):
        return self.filter(state__in=[Capture.State.QUEUED, Capture.State.RUNNING])

    def succeeded(self):
        return self.filter(state=Capture.State.DONE)


class Capture(models.Model):
    """One fetch of a source's URL: the exchange as a WARC file, its hash and its main text.

    Written only by the capture functions in services.py; a source has at most one queued or
    running capture at a time (the constraint below), so two workers never fetch it at once."""

    class State(models.TextChoices):
        QUEUED = "queued", "Queued"
        RUNNING = "running", "Running"
        DONE = "done", "Captured"
        FAILED = "failed", "Failed"

    source = models.ForeignKey(Source, on_delete=models.CASCADE, related_name="captures")
    url = models.URLField("URL asked for", max_length=2000)
    state = models.CharField(max_length=10, choices=State.choices, default=State.QUEUED)
    failure = models.CharField("why it failed", max_length=500, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    requested_at = models.DateTimeField()
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    final_url = models.URLField("final URL", max_length=2000, blank=True)
    http_status = models.PositiveSmallIntegerField("HTTP status", null=True, blank=True)
    content_type = models.CharField(max_length=200, blank=True)
    size = models.PositiveBigIntegerField("size in bytes", null=True, blank=True)
    sha256 = models.CharField("SHA-256", max_length=64, blank=True)
    warc = models.FileField("WARC file", upload_to="captures/", max_length=300, blank=True)
    text = models.TextField("extracted text", blank=True)
    text_changed = models.BooleanField(
        default=False, help_text="The text differs from the source's previous capture."
    )

    objects = CaptureQuerySet.as_manager()

    class Meta:
        ordering = ["-requested_at", "-pk"]
        indexes = [
            models.Index(fields=["source", "-requested_at", "-id"], name="capture_source_idx"),
            models.Index(fields=["state", "finished_at"], name="capture_state_idx"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(state__in=["queued", "running", "done", "failed"]),
                name="capture_state_valid",
            ),
            models.UniqueConstraint(
                fields=["source"],
                condition=Q(state__in=["queued", "running"]),
                name="capture_one_active_per_source",
            ),
        ]

    def __str__(self):
        return f"Capture of {self.url} ({self.state})"

    @property
    def status_text(self):
        """What the source page says: "captured", "queued", "failed: <reason>"."""
        if self.state == self.State.FAILED:
            return f"failed: {self.failure}"
        return self.get_state_display().lower()


# Propositions ---------------------------------------------------------------------------------
# A proposition is the question behind several claims ("North Korean troops are deployed in
# Russia"); a stance says how one claim bears on it. Once the proposition has a verdict, the
# verdicts of its claims follow from their stances (see PropositionQuerySet / expected_status).

PROPOSITION_STATEMENT_MAX_LENGTH = 300


class StanceKind(models.TextChoices):
    ASSERTS = "asserts", "Asserts"
    DENIES = "denies", "Denies"
    DOUBTS = "doubts", "Doubts"


def expected_claim_status(proposition_status, stance):
    """The verdict a claim with `stance` should have once the proposition is decided, or None
    when no rule applies (an unverified proposition, or a claim that only doubts it)."""
    if proposition_status == ClaimStatus.UNVERIFIED or stance == StanceKind.DOUBTS:
        return None
    agrees = stance == StanceKind.ASSERTS
    if proposition_status == ClaimStatus.CONFIRMED:
        return ClaimStatus.CONFIRMED if agrees else ClaimStatus.DENIED
    return ClaimStatus.DENIED if agrees else ClaimStatus.CONFIRMED


def _inconsistency_condition(prefix="", status=None, prop=None):
    """Q on stances (fields reached through `prefix`) whose claim disagrees with the
    proposition's verdict: the rules of expected_claim_status, as one SQL condition.
    `status` and `prop`: other columns holding the claim's and the proposition's verdicts
    (those of an as-of date)."""
    p = prefix
    status, prop = status or f"{p}claim__status", prop or f"{p}proposition__status"
    rules = [
        (ClaimStatus.CONFIRMED, StanceKind.ASSERTS, ClaimStatus.CONFIRMED),
        (ClaimStatus.CONFIRMED, StanceKind.DENIES, ClaimStatus.DENIED),
        (ClaimStatus.DENIED, StanceKind.ASSERTS, ClaimStatus.DENIED),
        (ClaimStatus.DENIED, StanceKind.DENIES, ClaimStatus.CONFIRMED),
    ]
    condition = Q(pk__in=[])
    for verdict, stance, expected in rules:
        condition |= Q(**{prop: verdict, f"{p}stance": stance}) & ~Q(**{status: expected})
    return condition


def by_claim_date():
    """An ORDER BY key for stances: their claim's date, newest first (then the claim id).

    Wrapped in COALESCE on purpose: on a plain claims.stated_on PostgreSQL walks the whole
    claim index by date probing each claim for a stance (1.5 s for a proposition with
    10,000 stances among 1M claims); this way it reads the proposition's stances and sorts
    those (a few ms)."""
    day = Coalesce("claim__stated_on", "claim__stated_on")
    return (day.desc(), models.F("claim_id").desc())


class PropositionQuerySet(models.QuerySet):
    def as_of(self, date):
        """The propositions as they stood at the end of `date`: those whose timeline had
        begun by then (a proposition's first entry is its creation), each with the status
        and rationale of its latest verdict in effect by then."""
        begun = PropositionStatusChange.objects.filter(
            proposition=models.OuterRef("pk"), changed_at__lt=as_of_end(date)
        )
        narrowed = self.filter(models.Exists(begun)).annotate(
            **verdict_as_of(date, timeline=PropositionStatusChange, owner="proposition")
        )
        narrowed._iterable_class = AsOfClaimIterable
        return narrowed

    def for_list(self, as_of=None):
        """A list row: how many claims assert, deny and doubt it, and when it last moved.
        Correlated subqueries, so a page computes its own rows' counts only. With `as_of`,
        only the claims stated by that date count."""
        row = {"proposition": models.OuterRef("pk")}
        if as_of is not None:
            row["claim__stated_on__lte"] = as_of
        counts = {
            f"{kind}_count": count_per_row(Stance.objects.filter(**row, stance=kind), "proposition")
            for kind in StanceKind.values
        }
        return self.annotate(**counts)

    def search(self, words):
        """Propositions whose statement or slug holds every one of `words`."""
        queryset = self
        for word in (words or "").split()[:10]:
            queryset = queryset.filter(Q(statement__icontains=word) | Q(slug__icontains=word))
        return queryset


class Proposition(VersionedModel):
    Status = ClaimStatus

    statement = models.CharField(
        max_length=PROPOSITION_STATEMENT_MAX_LENGTH,
        unique=True,
        help_text="A short statement that can be true or false.",
    )
    slug = models.SlugField(
        max_length=200,
        unique=True,
        blank=True,
        validators=[slug_validator],
        help_text="Used in URLs and filters; made from the statement when left blank.",
    )
    description = models.TextField(blank=True, max_length=NOTE_MAX_LENGTH)
    status = models.CharField(
        max_length=12, choices=ClaimStatus.choices, default=ClaimStatus.UNVERIFIED, editable=False
    )
    status_rationale = models.TextField(blank=True, max_length=NOTE_MAX_LENGTH, editable=False)
    # As on Claim: the latest verdict's confidence; NULL for verdicts recorded before it was kept.
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
    # Any activity: an edit, a verdict or a stance added or removed (the list's "latest").
    updated_at = models.DateTimeField(auto_now=True, db_index=True)

    history = HistoricalRecords()
    objects = PropositionQuerySet.as_manager()

    class Meta:
        ordering = ["-updated_at", "-pk"]
        indexes = [
            models.Index(fields=["status", "-updated_at", "-id"], name="proposition_status_idx"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=ClaimStatus.values), name="proposition_status_valid"
            ),
            models.CheckConstraint(
                condition=Q(status="unverified") | ~Q(status_rationale=""),
                name="proposition_verdict_has_rationale",
            ),
            *confidence_constraints("proposition", "status_confidence", "status"),
            models.CheckConstraint(
                condition=~Q(statement=""), name="proposition_statement_not_empty"
            ),
            models.CheckConstraint(condition=~Q(slug=""), name="proposition_slug_not_empty"),
            models.CheckConstraint(
                condition=Q(slug__regex=SLUG_PATTERN), name="proposition_slug_format"
            ),
        ]

    def __str__(self):
        return self.statement

    def get_absolute_url(self):
        return reverse("claims:proposition-detail", kwargs={"slug": self.slug})

    def clean(self):
        if not self.slug:
            self.slug = proposition_slug(self.statement, exclude_pk=self.pk)
        if message := reserved_slug_error(self.slug) or (
            "“grid” is taken by a page address; choose another." if self.slug == "grid" else None
        ):
            raise ValidationError({"slug": message})

    @property
    def confidence_label(self):
        return confidence_label(self.status_confidence, self.status)

    @property
    def confidence_definition(self):
        return CONFIDENCE_DEFINITIONS.get(self.status_confidence or "", "")

    def inconsistent_stances(self, as_of=None):
        """The stances whose claim's verdict disagrees with this proposition's, in one query.
        With `as_of` (on a proposition from Proposition.objects.as_of(), whose status is that
        day's): those that disagreed then, among the claims stated by then."""
        if as_of is None:
            stances = self.stances.filter(_inconsistency_condition())
        else:
            stances = (
                self.stances.as_of(as_of)
                .annotate(proposition_as_of_status=models.Value(self.status))
                .filter(
                    _inconsistency_condition(
                        status="claim_as_of_status", prop="proposition_as_of_status"
                    )
                )
            )
        return stances.select_related("claim__actor").order_by(*by_claim_date())


def proposition_slug(statement, *, exclude_pk=None):
    """A unique slug from the statement's first words: "north-korean-troops-are-deployed"."""
    from django.utils.text import slugify

    base = "-".join(slugify(statement).split("-")[:8])[:80].strip("-") or "proposition"
    if base in RESERVED_SLUGS | {"grid"}:
        base = f"{base}-proposition"
    taken = set(
        Proposition.objects.filter(slug__startswith=base)
        .exclude(pk=exclude_pk)
        .values_list("slug", flat=True)
    )
    slug, n = base, 2
    while slug in taken:
        slug, n = f"{base}-{n}", n + 1
    return slug


class PropositionStatusChange(VerdictEntry):
    """One entry of a proposition's verdict timeline; the same shape as a claim's StatusChange
    (a separate table, so each timeline keeps its own foreign key and constraints)."""

    proposition = models.ForeignKey(
        Proposition, on_delete=models.CASCADE, related_name="status_changes"
    )
    old_status = models.CharField(max_length=12, choices=ClaimStatus.choices, blank=True)
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
        related_name="proposition_status_changes",
    )
    changed_at = models.DateTimeField()

    objects = StatusChangeQuerySet.as_manager()

    class Meta:
        ordering = ["changed_at", "pk"]
        indexes = [
            models.Index(
                fields=["proposition", "changed_at", "id"], name="propchange_proposition_idx"
            ),
        ]
        constraints = verdict_timeline_constraints("propchange")

    def __str__(self):
        return f"{self.proposition}: {self.old_status or '—'} → {self.new_status}"


class AsOfStanceIterable(models.query.ModelIterable):
    """Stances whose claim shows the status and rationale of the as-of date."""

    def __iter__(self):
        for stance in super().__iter__():
            if "claim" in stance._state.fields_cache:  # selected with it, no query here
                stance.claim.status = stance.claim_as_of_status
                stance.claim.status_rationale = stance.claim_as_of_rationale
            yield stance


class StanceQuerySet(models.QuerySet):
    def as_of(self, date):
        """The stances of the claims stated by the end of `date`, each claim's verdict that of
        its latest timeline entry by then (claim_as_of_status / claim_as_of_rationale, and
        on stance.claim when the claim is selected with it)."""
        verdict = verdict_as_of(date, claim="claim_id", current="claim__")
        narrowed = self.filter(claim__stated_on__lte=date).annotate(
            claim_as_of_status=verdict["as_of_status"],
            claim_as_of_rationale=verdict["as_of_rationale"],
        )
        narrowed._iterable_class = AsOfStanceIterable
        return narrowed

    def inconsistent(self):
        """Stances whose claim's verdict disagrees with their decided proposition."""
        return self.filter(_inconsistency_condition())


class Stance(models.Model):
    Kind = StanceKind

    claim = models.ForeignKey(Claim, on_delete=models.CASCADE, related_name="stances")
    proposition = models.ForeignKey(Proposition, on_delete=models.CASCADE, related_name="stances")
    stance = models.CharField(max_length=8, choices=StanceKind.choices)
    note = models.TextField(blank=True, max_length=NOTE_MAX_LENGTH)
    created_at = models.DateTimeField(auto_now_add=True)

    history = HistoricalRecords()
    objects = StanceQuerySet.as_manager()

    class Meta:
        ordering = ["proposition_id", "stance", "pk"]
        indexes = [
            models.Index(fields=["proposition", "stance", "claim"], name="stance_proposition_idx"),
            models.Index(fields=["claim", "proposition"], name="stance_claim_idx"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["claim", "proposition"], name="stance_unique_per_claim"
            ),
            models.CheckConstraint(
                condition=Q(stance__in=StanceKind.values), name="stance_kind_valid"
            ),
        ]

    def __str__(self):
        return f"{self.claim} {self.stance} “{self.proposition}”"

    @property
    def expected_status(self):
        return expected_claim_status(self.proposition.status, self.stance)
