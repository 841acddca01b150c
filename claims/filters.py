"""The one claim filter: the HTML list, the exports, the API and the feed all use it, so a
URL that filters one filters them all the same way."""

import django_filters
from django import forms
from django.core.validators import RegexValidator
from django.db import connection
from django.db.models import BooleanField, Exists, Expression, OuterRef, Q

from .models import (
    Actor,
    ActorKind,
    Citation,
    Claim,
    ClaimStatus,
    Confidence,
    Credibility,
    Direction,
    Reliability,
)

SEARCH_CONFIG = "english"  # must match migration 0002's generated search_vector
MAX_QUERY_LENGTH = 500
# ISO dates (YYYY-MM-DD) in the URL; browsers show a date picker for type="date".
DATE_INPUT = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


class RepeatableTextInput(forms.TextInput):
    """A text box whose parameter may repeat (?actor=a&actor=b): no <select> of every actor."""

    allow_multiple_selected = True

    def value_from_datadict(self, data, files, name):
        getter = getattr(data, "getlist", None)
        values = getter(name) if getter else data.get(name)
        if isinstance(values, str):
            values = [values]
        return [v.strip() for v in values or [] if v and v.strip()]

    def format_value(self, value):
        return ""


class ActorSlugsField(forms.ModelMultipleChoiceField):
    def _check_values(self, value):
        # Name each unknown slug, rather than Django's generic "not one of the choices".
        try:
            return super()._check_values(value)
        except forms.ValidationError as error:
            if error.code != "invalid_choice":
                raise
            known = set(self.queryset.filter(slug__in=value).values_list("slug", flat=True))
            unknown = ", ".join(v for v in value if v not in known)
            raise forms.ValidationError(
                f"Unknown actor: {unknown}.", code="invalid_choice"
            ) from None


class ActorSlugsFilter(django_filters.ModelMultipleChoiceFilter):
    field_class = ActorSlugsField

    def get_filter_predicate(self, v):
        # The field resolves slugs to actors; match on the actor's key, not on the slug
        # (django-filter would compare the foreign key with the to_field_name value).
        return {self.field_name: v.pk}


class SearchVectorMatches(Expression):
    """`<claims table>.search_vector @@ websearch_to_tsquery(...)` (PostgreSQL).

    search_vector is a generated column the model doesn't declare, so Django can't name it;
    the table's alias is looked up when the SQL is compiled: inside a subquery Django calls
    the table U0, and a hard-coded claims_claim would then name the outer query's rows."""

    output_field = BooleanField()
    conditional = True

    def __init__(self, query):
        super().__init__()
        self.query = query

    def as_sql(self, compiler, connection):
        table = compiler.quote_name_unless_alias(compiler.query.get_initial_alias())
        sql = f"{table}.search_vector @@ websearch_to_tsquery(%s::regconfig, %s)"
        return sql, [SEARCH_CONFIG, self.query]


def full_text_search(queryset, query):
    """PostgreSQL: websearch syntax over the indexed search_vector. SQLite: contains-match."""
    if connection.vendor == "postgresql":
        return queryset.filter(SearchVectorMatches(query))
    return queryset.filter(Q(headline__icontains=query) | Q(text__icontains=query))


class IdFilter(django_filters.NumberFilter):
    """A whole-number id: "1.5" is an error, not silently id 1."""

    field_class = forms.IntegerField


class ClaimOrderingFilter(django_filters.OrderingFilter):
    def filter(self, qs, value):
        # Always end on the primary key, so pages are stable whatever the sort.
        qs = super().filter(qs, value)
        ordering = list(qs.query.order_by) or ["-stated_on"]
        if not any(o.lstrip("-") in ("pk", "id") for o in ordering):
            last = ordering[-1]
            ordering.append("pk" if isinstance(last, str) and not last.startswith("-") else "-pk")
        return qs.order_by(*ordering)


def evidence_citations(*, min_reliability=None, min_credibility=None, direction=None):
    """The outer claim's evidence citations at or above the given grades (A best, 1 best),
    judged by the item's reliability override where it has one."""
    citations = Citation.objects.filter(claim=OuterRef("pk"), role=Citation.Role.EVIDENCE)
    if min_reliability:
        good = [r for r in Reliability.values if r <= min_reliability]
        citations = citations.filter(
            Q(reliability_override__in=good)
            | Q(reliability_override="", source__reliability__in=good)
        )
    if min_credibility:
        citations = citations.filter(credibility__lte=int(min_credibility))
    if direction:
        citations = citations.filter(direction=direction)
    return citations


class ClaimFilter(django_filters.FilterSet):
    actor = ActorSlugsFilter(
        field_name="actor",
        to_field_name="slug",
        queryset=Actor.objects.all(),
        widget=RepeatableTextInput(attrs={"list": "actor-suggestions", "autocomplete": "off"}),
        distinct=False,  # no join: DISTINCT would only slow the list down
        label="Actor",
        help_text="Actor slug, e.g. kremlin. Repeat to match any of several.",
    )
    status = django_filters.MultipleChoiceFilter(
        choices=ClaimStatus.choices,
        widget=forms.CheckboxSelectMultiple,
        distinct=False,
        label="Status",
    )
    source = IdFilter(method="filter_source", label="Source id", min_value=1, max_value=2**63 - 1)
    kind = django_filters.ChoiceFilter(
        field_name="actor__kind", choices=ActorKind.choices, label="Actor kind", empty_label="Any"
    )
    country = django_filters.CharFilter(
        field_name="actor__country",
        label="Country",
        max_length=2,
        validators=[RegexValidator(r"^[A-Za-z]{2}$", "Use a two-letter country code, e.g. KR.")],
        method="filter_country",
    )
    stated_from = django_filters.DateFilter(
        field_name="stated_on", lookup_expr="gte", label="Stated from", widget=DATE_INPUT
    )
    stated_to = django_filters.DateFilter(
        field_name="stated_on", lookup_expr="lte", label="Stated to", widget=DATE_INPUT
    )
    q = django_filters.CharFilter(method="filter_text", label="Text", max_length=MAX_QUERY_LENGTH)
    # Grades: the verdict's confidence, and claims with evidence of at least a grade. -------
    confidence = django_filters.MultipleChoiceFilter(
        field_name="status_confidence",
        choices=Confidence.choices,
        widget=forms.CheckboxSelectMultiple,
        distinct=False,
        label="Confidence",
    )
    min_reliability = django_filters.ChoiceFilter(
        choices=Reliability.choices,
        method="filter_evidence",
        label="Evidence reliability at least",
        empty_label="Any",
        help_text="Claims with an evidence citation whose source (or its override for that "
        "item) is graded this or better.",
    )
    min_credibility = django_filters.ChoiceFilter(
        choices=[(str(value), label) for value, label in Credibility.choices],
        method="filter_evidence",
        label="Evidence credibility at least",
        empty_label="Any",
    )
    direction = django_filters.ChoiceFilter(
        choices=Direction.choices,
        method="filter_evidence",
        label="Evidence that",
        empty_label="Any",
    )
    # ---------------------------------------------------------------------------------------
    ordering = ClaimOrderingFilter(
        fields=(
            ("stated_on", "stated"),
            ("headline", "headline"),
            ("actor__name", "actor"),
            ("status", "status"),
            ("updated_at", "updated"),
        ),
        label="Order by",
        empty_label="Newest stated first",
    )

    class Meta:
        model = Claim
        fields = []

    @property
    def qs(self):
        qs = super().qs
        if not qs.query.order_by:
            qs = qs.order_by("-stated_on", "-pk")
        return qs

    def qs_without(self, *names):
        """The rows every filter but `names` keeps (for facet counts); needs is_valid()."""
        queryset = self.queryset.all()
        for name, value in self.form.cleaned_data.items():
            if name not in names:
                queryset = self.filters[name].filter(queryset, value)
        return queryset

    EVIDENCE_FILTERS = ("min_reliability", "min_credibility", "direction")

    def filter_evidence(self, queryset, name, value):
        """The three evidence filters together mean one citation meeting them all
        (?direction=refutes&min_credibility=2: refuted by a 1 or 2), so the first given
        applies them all and the others pass."""
        given = {
            n: self.form.cleaned_data.get(n)
            for n in self.EVIDENCE_FILTERS
            if self.form.cleaned_data.get(n) not in (None, "")
        }
        if not given or name != next(iter(given)):
            return queryset
        return queryset.filter(Exists(evidence_citations(**given)))

    def filter_source(self, queryset, name, value):
        return queryset.filter(
            Exists(Citation.objects.filter(claim=OuterRef("pk"), source_id=value))
        )

    def filter_country(self, queryset, name, value):
        return queryset.filter(actor__country=value.upper())

    def filter_text(self, queryset, name, value):
        value = value.replace("\x00", "").strip()
        return full_text_search(queryset, value) if value else queryset
