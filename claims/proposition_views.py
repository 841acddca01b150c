"""Pages about propositions: the list, one proposition with its claims side by side, its
verdict and "apply to N claims", the actor × proposition grid, and attaching a claim to a
proposition from the claim's page. Every write goes through claims.services."""

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db import IntegrityError
from django.db.models import Count, Q
from django.http import QueryDict
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST
from django.views.generic import CreateView, TemplateView, UpdateView

from . import jsonld, services, story_timeline
from .db import clean_query
from .filters import AsOfDateField, ClaimFilter
from .forms import ApplyVerdictForm, PropositionForm, StanceForm, StatusForm
from .models import (
    COUNT_CAP,
    Actor,
    Claim,
    Proposition,
    Stance,
    StanceKind,
    as_of_end,
    by_claim_date,
)
from .permissions import AccessMixin, permission_required
from .views import AsOfMixin, RecordDeleteView, VersionedEditMixin

PROPOSITIONS_PER_PAGE = 50
STANCES_PER_COLUMN = 50
# "Apply to N claims" lists at most this many at once; the rest show after applying these.
APPLY_LIMIT = 200
GRID_ACTORS = 20
GRID_PROPOSITIONS = 12
MAX_PAGE = COUNT_CAP // PROPOSITIONS_PER_PAGE


def _page(request, name="page"):
    try:
        number = int(request.GET.get(name) or 1)
    except ValueError:
        return 1
    return min(max(number, 1), MAX_PAGE)


def _page_link(query, name, number):
    linked = query.copy()
    linked[name] = str(number)
    return linked.urlencode()


class PropositionFilterForm(forms.Form):
    q = forms.CharField(required=False, max_length=300, label="Words of the statement")
    status = forms.MultipleChoiceField(
        required=False,
        choices=Proposition.Status.choices,
        widget=forms.CheckboxSelectMultiple,
        label="Verdict",
    )
    as_of = AsOfDateField(
        required=False,
        label="Record as of",
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text="Show each proposition's verdict as it stood on this date.",
    )


class PropositionListView(AccessMixin, TemplateView):
    """Newest activity first; bounded: a capped count and at most MAX_PAGE numbered pages."""

    model = Proposition
    template_name = "claims/proposition_list.html"

    def get(self, request, *args, **kwargs):
        form = PropositionFilterForm(request.GET)
        propositions = Proposition.objects.all()
        as_of = None
        if form.is_valid():
            data = form.cleaned_data
            as_of = data["as_of"]
            if as_of is not None:
                # Before the other filters: "confirmed" then means confirmed on that date.
                propositions = propositions.as_of(as_of)
            propositions = propositions.search(clean_query(data["q"]))
            if data["status"]:
                field = "as_of_status" if as_of else "status"
                propositions = propositions.filter(**{f"{field}__in": data["status"]})
        else:
            propositions = propositions.none()
        number = _page(request)
        start = (number - 1) * PROPOSITIONS_PER_PAGE
        rows = list(
            propositions.for_list(as_of=as_of).order_by("-updated_at", "-pk")[
                start : start + PROPOSITIONS_PER_PAGE + 1
            ]
        )
        total = propositions.order_by().values("pk")[: COUNT_CAP + 1].count()
        query = request.GET.copy()
        query.pop("page", None)
        pager = {
            "number": number,
            "newer": _page_link(query, "page", number - 1) if number > 1 else None,
            "older": _page_link(query, "page", number + 1)
            if len(rows) > PROPOSITIONS_PER_PAGE and number < MAX_PAGE
            else None,
        }
        pager["other_pages"] = bool(pager["newer"] or pager["older"])
        context = self.get_context_data(
            form=form,
            propositions=rows[:PROPOSITIONS_PER_PAGE],
            total_label=f"{COUNT_CAP:,}+" if total > COUNT_CAP else f"{total:,}",
            pager=pager,
        )
        return self.render_to_response(context, status=200 if form.is_valid() else 400)


def _stance_columns(proposition, request, as_of=None):
    """Asserting, denying and doubting claims, each column paged on its own (?asserts=2).
    With `as_of`: the claims stated by then, each with its verdict of that date."""
    stances = proposition.stances.all() if as_of is None else proposition.stances.as_of(as_of)
    stances = stances.select_related("claim__actor").order_by(*by_claim_date())
    query = request.GET.copy()
    columns = []
    for kind, label in StanceKind.choices:
        number = _page(request, kind)
        start = (number - 1) * STANCES_PER_COLUMN
        rows = list(stances.filter(stance=kind)[start : start + STANCES_PER_COLUMN + 1])
        columns.append(
            {
                "kind": kind,
                "label": label,
                "stances": rows[:STANCES_PER_COLUMN],
                "newer": _page_link(query, kind, number - 1) if number > 1 else None,
                "older": _page_link(query, kind, number + 1)
                if len(rows) > STANCES_PER_COLUMN
                else None,
            }
        )
    return columns


def _proposition_context(proposition, request, *, status_form=None, apply_form=None, as_of=None):
    """What the proposition page shows; with `as_of` (and a proposition from
    Proposition.objects.as_of()), the record as it stood at the end of that date: the
    verdict of then, the claims stated by then with their verdicts of then, the timeline up
    to then. The same queries either way, so the page costs the same."""
    stances = proposition.stances.all()
    if as_of is not None:
        stances = stances.filter(claim__stated_on__lte=as_of)
    counts = stances.aggregate(
        **{kind: Count("pk", filter=Q(stance=kind)) for kind in StanceKind.values}
    )
    columns = _stance_columns(proposition, request, as_of)
    for column in columns:
        column["count"] = counts[column["kind"]]
    inconsistent = list(proposition.inconsistent_stances(as_of)[: APPLY_LIMIT + 1])
    for stance in inconsistent:
        stance.proposition = proposition  # no query per row for expected_status
    marks = story_timeline.marks_for(proposition, as_of=as_of)
    timeline = list(proposition.status_changes.select_related("changed_by"))
    later = 0
    if as_of is not None:
        # Cut at the date: what came later was not known then (the page says how many).
        end = as_of_end(as_of)
        kept = [change for change in timeline if change.changed_at < end]
        later, timeline = len(timeline) - len(kept), kept
    asserting = columns[0]["stances"]
    return {
        "proposition": proposition,
        "timeline": timeline,
        "later_changes": later,
        "columns": columns,
        "inconsistent": inconsistent[:APPLY_LIMIT],
        "inconsistent_more": len(inconsistent) > APPLY_LIMIT,
        "status_form": status_form
        or StatusForm(
            initial={"status": proposition.status, "confidence": proposition.status_confidence}
        ),
        "apply_form": apply_form
        or ApplyVerdictForm(initial={"confidence": proposition.status_confidence or ""}),
        "default_rationale": f"Follows from the proposition “{proposition.statement}”, "
        f"now {proposition.get_status_display().lower()}: {proposition.status_rationale}",
        "story": story_timeline.render(marks, timeline),
        # The review is today's verdict; a page of the past record publishes none.
        "review_jsonld": ""
        if as_of
        else jsonld.proposition_review_script(proposition, asserting, timeline, request),
    }


class PropositionDetailView(AccessMixin, AsOfMixin, TemplateView):
    """One proposition; ?as_of=YYYY-MM-DD shows it as it stood then, read-only (a bad date
    answers 400 naming the field)."""

    model = Proposition
    template_name = "claims/proposition_detail.html"

    def get_context_data(self, **kwargs):
        propositions = Proposition.objects.all()
        if self.as_of is not None:
            propositions = propositions.as_of(self.as_of)  # not yet recorded then: 404
        proposition = get_object_or_404(propositions, slug=self.kwargs["slug"])
        context = _proposition_context(proposition, self.request, as_of=self.as_of)
        return super().get_context_data(**kwargs, **context)


@require_POST
@permission_required("claims.change_proposition")
def proposition_status(request, slug):
    proposition = get_object_or_404(Proposition, slug=slug)
    form = StatusForm(request.POST)
    if form.is_valid():
        try:
            services.proposition_set_status(
                proposition=proposition,
                status=form.cleaned_data["status"],
                rationale=form.cleaned_data["rationale"],
                confidence=form.cleaned_data["confidence"],
                by=request.user,
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, f"Marked {proposition.get_status_display().lower()}.")
            return redirect(f"{proposition.get_absolute_url()}#consistency")
    context = _proposition_context(proposition, request, status_form=form)
    return render(request, "claims/proposition_detail.html", context, status=400)


@require_POST
@permission_required("claims.change_claim")
def proposition_apply(request, slug):
    """Give each ticked claim the verdict its stance implies; skip and name stale ones."""
    proposition = get_object_or_404(Proposition, slug=slug)
    form = ApplyVerdictForm(request.POST)
    if form.is_valid():
        try:
            applied, skipped = services.apply_proposition_verdict(
                proposition=proposition,
                claim_versions=form.cleaned_data["claims"],
                rationale=form.cleaned_data["rationale"],
                confidence=form.cleaned_data["confidence"],
                by=request.user,
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, f"Applied the verdict to {len(applied)} claim(s).")
            if skipped:
                names = "; ".join(f"“{c.headline}”" for c in skipped[:20])
                messages.warning(
                    request,
                    f"Skipped {len(skipped)} claim(s) changed by someone else since the page "
                    f"was shown, or no longer attached: {names}. Check them and apply again.",
                )
            return redirect(f"{proposition.get_absolute_url()}#consistency")
    context = _proposition_context(proposition, request, apply_form=form)
    return render(request, "claims/proposition_detail.html", context, status=400)


class PropositionFormMixin(VersionedEditMixin):
    model = Proposition
    form_class = PropositionForm
    template_name = "claims/record_form.html"

    def save_form(self, form):
        user = self.request.user
        if form.instance.pk is None:
            data = form.cleaned_data
            return services.create_proposition(
                by=user,
                statement=data["statement"],
                slug=data["slug"],
                description=data["description"],
            )
        return services.update_proposition(
            form.instance, by=user, version=form.cleaned_data["version"]
        )

    def get_success_url(self):
        return self.object.get_absolute_url()


class PropositionCreateView(AccessMixin, PropositionFormMixin, CreateView):
    permission_action = "add"


class PropositionUpdateView(AccessMixin, PropositionFormMixin, UpdateView):
    permission_action = "change"
    slug_url_kwarg = "slug"


class PropositionDeleteView(RecordDeleteView):
    model = Proposition

    def consequences(self):
        proposition = self.object
        stances = proposition.stances.count()
        return {
            "blocked": "",
            "also": [
                f"its {stances} stance(s): the claims stay, no longer attached to it",
                f"its verdict timeline ({proposition.status_changes.count()} entries)",
            ],
        }

    def get_success_url(self):
        return reverse("claims:proposition-list")


# The claim page -----------------------------------------------------------------------------


def claim_proposition_context(claim):
    """The claim page's propositions: its stances, and the claims that take the opposite
    stance on a shared proposition (they contradict this one). Two queries."""
    stances = list(claim.stances.select_related("proposition").order_by("proposition__statement"))
    opposite = {StanceKind.ASSERTS: StanceKind.DENIES, StanceKind.DENIES: StanceKind.ASSERTS}
    condition = Q(pk__in=[])
    for kind, other in opposite.items():
        ids = [s.proposition_id for s in stances if s.stance == kind]
        if ids:
            condition |= Q(proposition_id__in=ids, stance=other)
    contradictions = []
    if any(s.stance in opposite for s in stances):
        contradictions = list(
            Stance.objects.filter(condition)
            .exclude(claim=claim)
            .select_related("claim__actor", "proposition")
            .order_by(*by_claim_date())[:50]
        )
    return {"stances": stances, "contradictions": contradictions, "stance_form": StanceForm()}


def _render_claim_page(request, claim, stance_form):
    from .views import _claim_detail_context, _get_claim

    claim = _get_claim(claim.pk)
    context = _claim_detail_context(claim, StatusForm(initial={"status": claim.status}))
    context["stance_form"] = stance_form
    return render(request, "claims/claim_detail.html", context, status=400)


@require_POST
@permission_required("claims.add_stance")
def claim_stance_add(request, pk):
    claim = get_object_or_404(Claim, pk=pk)
    form = StanceForm(request.POST, claim=claim)
    if form.is_valid():
        data = form.cleaned_data
        if data["new_statement"] and not request.user.has_perm("claims.add_proposition"):
            form.add_error("new_statement", "You may not create propositions.")
        else:
            try:
                proposition = data["proposition"] or services.create_proposition(
                    by=request.user, statement=data["new_statement"]
                )
                services.set_stance(
                    claim=claim,
                    proposition=proposition,
                    stance=data["stance"],
                    note=data["note"],
                    by=request.user,
                )
            except (ValidationError, IntegrityError) as error:
                messages_ = getattr(
                    error, "messages", ["This clashes with a record saved meanwhile."]
                )
                form.add_error(None, messages_)
            else:
                messages.success(request, f"Attached to “{proposition.statement}”.")
                return redirect(f"{claim.get_absolute_url()}#propositions")
    return _render_claim_page(request, claim, form)


@require_POST
@permission_required("claims.delete_stance")
def claim_stance_remove(request, pk, stance_pk):
    stance = get_object_or_404(
        Stance.objects.select_related("proposition"), pk=stance_pk, claim_id=pk
    )
    services.remove_stance(stance=stance, by=request.user)
    messages.success(request, f"Detached from “{stance.proposition.statement}”.")
    return redirect(reverse("claims:claim-detail", kwargs={"pk": pk}) + "#propositions")


# The grid -----------------------------------------------------------------------------------


class PropositionGridView(AccessMixin, TemplateView):
    """Who asserted, denied or doubted what among any filtered set of claims: the busiest
    GRID_ACTORS actors × GRID_PROPOSITIONS propositions among the newest COUNT_CAP matching
    claims, so its cost is bounded whatever the filter."""

    model = Proposition
    template_name = "claims/proposition_grid.html"

    def get(self, request, *args, **kwargs):
        filterset = ClaimFilter(request.GET, queryset=Claim.objects.all(), request=request)
        context = {
            "filterset": filterset,
            "rows": [],
            "propositions": [],
            "sample_size": f"{COUNT_CAP:,}",
        }
        if not filterset.is_valid():
            context = self.get_context_data(**context)
            return self.render_to_response(context, status=400)
        sample = filterset.qs.order_by("-stated_on", "-pk").values("pk")[:COUNT_CAP]
        stances = Stance.objects.filter(claim_id__in=sample).order_by()
        top_props = list(
            stances.values_list("proposition_id")
            .annotate(n=Count("pk"))
            .order_by("-n", "proposition_id")[:GRID_PROPOSITIONS]
        )
        top_actors = list(
            stances.values_list("claim__actor_id")
            .annotate(n=Count("pk"))
            .order_by("-n", "claim__actor_id")[:GRID_ACTORS]
        )
        prop_ids = [pk for pk, _ in top_props]
        actor_ids = [pk for pk, _ in top_actors]
        cells = {}
        if prop_ids and actor_ids:
            grouped = (
                stances.filter(proposition_id__in=prop_ids, claim__actor_id__in=actor_ids)
                .values_list("claim__actor_id", "proposition_id", "stance")
                .annotate(n=Count("pk"))
            )
            for actor_id, prop_id, kind, n in grouped:
                cells.setdefault((actor_id, prop_id), {})[kind] = n
        as_of = filterset.form.cleaned_data.get("as_of")
        propositions = Proposition.objects.all()
        if as_of is not None:
            propositions = propositions.as_of(as_of)
        propositions = propositions.only("slug", "statement", "status").in_bulk(prop_ids)
        actors = Actor.objects.only("slug", "name").in_bulk(actor_ids)
        base = QueryDict(mutable=True)
        base.update({k: v for k, v in request.GET.items() if k not in ("page", "before", "after")})
        claim_list = reverse("claims:claim-list")
        ordered_props = [propositions[pk] for pk in prop_ids if pk in propositions]
        rows = []
        for actor_id in actor_ids:
            actor = actors.get(actor_id)
            if actor is None:
                continue
            row = []
            for proposition in ordered_props:
                counts = cells.get((actor_id, proposition.pk), {})
                query = base.copy()
                query.setlist("actor", [actor.slug])
                query["proposition"] = proposition.slug
                row.append(
                    {
                        "proposition": proposition,
                        "marks": [
                            (kind, label, counts[kind])
                            for kind, label in StanceKind.choices
                            if counts.get(kind)
                        ],
                        "url": f"{claim_list}?{query.urlencode()}",
                    }
                )
            rows.append({"actor": actor, "cells": row})
        context.update(rows=rows, propositions=ordered_props)
        return self.render_to_response(self.get_context_data(**context))
