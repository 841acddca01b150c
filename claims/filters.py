"""The one claim filter: the HTML list, the exports, the API and the feed all use it, so a
URL that filters one filters them all the same way."""

import django_filters
from django import forms
from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator
from django.db.models import Exists, OuterRef, Q
from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field

from . import search
from .db import clean_query
from .forms import PropositionField
from .models import (
    EARLIEST_STATED_ON,
    Actor,
    ActorKind,
    Citation,
    Claim,
    ClaimStatus,
    Confidence,
    Credibility,
    Direction,
    QuoteCheck,
    Reliability,
    Source,
    Stance,
    StanceKind,
    status_field,
)

MAX_QUERY_LENGTH = 500
MAX_ACTOR_VALUES = 20
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


class ActorNamesField(forms.Field):
    """?actor= values, each an actor's name, short name, alias or slug (Actor.objects.resolve):
    the actors, in order; each value that names no actor, or several, is one message."""

    widget = RepeatableTextInput

    def clean(self, value):
        values = value or []
        if isinstance(values, str):
            values = [values]
        actors, errors = [], []
        for text in values[:MAX_ACTOR_VALUES]:
            try:
                actors.append(Actor.objects.resolve(text))
            except ValidationError as error:
                errors.extend(error.messages)
        if len(values) > MAX_ACTOR_VALUES:
            errors.append(f"Filter on at most {MAX_ACTOR_VALUES} actors at once.")
        if errors:
            raise ValidationError(errors)
        return actors


class ActorFilter(django_filters.Filter):
    """Claims by any of the actors, and (unless ?subactors=0) by the actors under them."""

    field_class = ActorNamesField

    def filter(self, qs, value):
        if not value:
            return qs
        include = self.parent.form.cleaned_data.get("subactors") != "0"
        key = (include, *(a.pk for a in value))
        if getattr(self, "_ids_for", None) != key:
            # The list applies its filters twice (facets, rows): look the tree up once.
            ids = Actor.objects.with_subactors(value) if include else [a.pk for a in value]
            self._ids_for, self._ids = key, ids
        ids = self._ids
        if len(ids) == 1:
            return qs.filter(actor_id=ids[0])  # the actor index, in list order
        return qs.filter(actor_id__in=ids)


class SourceNamesField(forms.CharField):
    """?source=: a source's number, title or URL (Source.objects.resolve)."""

    def clean(self, value):
        value = super().clean(value)
        if not value:
            return None
        return Source.objects.resolve(value)


class SearchField(forms.CharField):
    """The `q` box: websearch syntax parsed into a bounded SearchQuery (claims/search.py),
    checked by the database once, so a search it can't run is this field's error (a 400
    page or JSON naming `q`), never a 500 while the results render."""

    def clean(self, value):
        value = super().clean(value)
        value = clean_query(value or "")
        if not value:
            return None
        query = search.parse(value)
        return search.check_with_database(query)


class SearchFilter(django_filters.CharFilter):
    field_class = SearchField

    def filter(self, qs, value):
        return qs if value is None else search.search_claims(qs, value)


class SourceFilter(django_filters.CharFilter):
    field_class = SourceNamesField


class IdFilter(django_filters.NumberFilter):
    """A whole-number id: "1.5" is an error, not silently id 1."""

    field_class = forms.IntegerField


class AsOfDateField(forms.DateField):
    """A past date from 1900 on: the record can't be shown as it will stand tomorrow."""

    def validate(self, value):
        super().validate(value)
        if value is None:
            return
        if value < EARLIEST_STATED_ON:
            raise forms.ValidationError(
                f"Use a date on or after {EARLIEST_STATED_ON.isoformat()}.", code="too_early"
            )
        if value > timezone.localdate():
            raise forms.ValidationError(
                "The record can't be shown as of a future date.", code="future"
            )


class AsOfFilter(django_filters.DateFilter):
    field_class = AsOfDateField

    def filter(self, qs, value):
        return qs if value is None else qs.as_of(value)


class ClaimOrderingFilter(django_filters.OrderingFilter):
    def filter(self, qs, value):
        # Always end on the primary key, so pages are stable whatever the sort; no choice
        # means the model's default order (claims.listing pages it by cursor).
        qs = super().filter(qs, value)
        ordering = list(qs.query.order_by) or list(qs.model._meta.ordering)
        if status_field(qs) != "status":
            # As of a date, "by status" means by the status of that date.
            ordering = [
                o.replace("status", status_field(qs)) if o.lstrip("-") == "status" else o
                for o in ordering
            ]
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


class PropositionFilter(django_filters.Filter):
    field_class = PropositionField


class ClaimFilter(django_filters.FilterSet):
    # First: the filters after it (the status above all) then see the record of that date.
    as_of = AsOfFilter(
        label="Record as of",
        widget=DATE_INPUT,
        help_text="Show each claim's verdict as it stood on this date.",
    )
    actor = ActorFilter(
        widget=RepeatableTextInput(attrs={"list": "actor-suggestions", "autocomplete": "off"}),
        label="Actor",
        help_text="Name, alias or slug, e.g. Kremlin. Repeat to match any of several.",
    )
    subactors = django_filters.ChoiceFilter(
        choices=[("1", "Included"), ("0", "Left out")],
        empty_label=None,
        method="filter_nothing",  # read by the actor filter
        label="Sub-actors' claims",
        help_text="e.g. Peskov's, under the Kremlin.",
    )
    status = django_filters.MultipleChoiceFilter(
        method="filter_status",
        choices=ClaimStatus.choices,
        widget=forms.CheckboxSelectMultiple,
        distinct=False,
        label="Status",
    )
    source = SourceFilter(
        method="filter_source",
        label="Source",
        max_length=2000,
        help_text="Its number, title or URL.",
    )
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
    q = SearchFilter(
        label="Text",
        max_length=MAX_QUERY_LENGTH,
        help_text="All words must match; “a phrase”, -word to leave out, or between "
        "alternatives. Actor names and aliases count.",
    )
    # Propositions: ?proposition= (slug or words of the statement) and ?stance=; together,
    # the claims taking that stance on that proposition.
    proposition = PropositionFilter(method="filter_proposition", label="Proposition")
    stance = django_filters.MultipleChoiceFilter(
        choices=StanceKind.choices,
        widget=forms.CheckboxSelectMultiple,
        method="filter_stance",
        label="Stance",
    )
    quote_check = django_filters.ChoiceFilter(
        choices=QuoteCheck.choices,
        method="filter_quote_check",
        label="Quote in the capture",
        empty_label="Any",
    )
    # Grades: the verdict's confidence, and claims with evidence of at least a grade.
    confidence = django_filters.MultipleChoiceFilter(
        method="filter_confidence",
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

    def qs_without(self, *names):
        """The rows every filter but `names` keeps (for facet counts); needs is_valid()."""
        queryset = self.queryset.all()
        for name, value in self.form.cleaned_data.items():
            if name not in names or name == "as_of":
                queryset = self.filters[name].filter(queryset, value)
        return queryset

    def filter_status(self, queryset, name, value):
        return queryset.filter(**{f"{status_field(queryset)}__in": value})

    def filter_confidence(self, queryset, name, value):
        # As of a date: the confidence of that date's verdict, like the status.
        field = "as_of_confidence" if status_field(queryset) != "status" else "status_confidence"
        return queryset.filter(**{f"{field}__in": value})

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
            Exists(Citation.objects.filter(claim=OuterRef("pk"), source_id=value.pk))
        )

    def filter_nothing(self, queryset, name, value):
        return queryset

    def filter_quote_check(self, queryset, name, value):
        # Claims with at least one citation whose quote came out this way in its capture.
        return queryset.filter(
            Exists(Citation.objects.filter(claim=OuterRef("pk"), quote_check=value))
        )

    def filter_country(self, queryset, name, value):
        return queryset.filter(actor__country=value.upper())

    @extend_schema_field(OpenApiTypes.STR)
    def filter_proposition(self, queryset, name, value):
        stances = Stance.objects.filter(claim=OuterRef("pk"), proposition=value)
        kinds = self.form.cleaned_data.get("stance")
        if kinds:
            stances = stances.filter(stance__in=kinds)
        return queryset.filter(Exists(stances))

    def filter_stance(self, queryset, name, value):
        if self.form.cleaned_data.get("proposition"):
            return queryset  # filter_proposition applies the stance to that proposition
        return queryset.filter(
            Exists(Stance.objects.filter(claim=OuterRef("pk"), stance__in=value))
        )
