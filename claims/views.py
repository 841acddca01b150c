import logging
from functools import cached_property

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db import IntegrityError, transaction
from django.db.models import Count, Prefetch, ProtectedError, Q
from django.http import JsonResponse, QueryDict, StreamingHttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.html import format_html, format_html_join
from django.views.decorators.http import require_POST, require_safe
from django.views.generic import CreateView, DeleteView, DetailView, ListView, TemplateView
from django.views.generic.edit import UpdateView

from . import charts, duplicates, exports, grades, imports, jsonld, services
from .caching import cached_fragment
from .changes import Changes
from .changes import csv_lines as changes_csv_lines
from .context_processors import as_of_date
from .db import COUNT_CAP, clean_query
from .filters import ClaimFilter
from .forms import (
    ActorForm,
    CitationEditFormSet,
    CitationFormSet,
    ClaimForm,
    ImportForm,
    SourceForm,
    StatusForm,
    VerdictForm,
    error_summary,
    parse_id,
)
from .listing import CLAIMS_PER_PAGE, BadCursor, ClaimBrowser
from .models import (
    LOOKUP_KEY_LENGTH,
    Actor,
    Capture,
    Citation,
    Claim,
    LinkState,
    Source,
    as_of_end,
    verdict_as_of,
)
from .permissions import AccessMixin, permission_required, read_access_required
from .versioning import VersionConflict

logger = logging.getLogger(__name__)

CAPTURES_SHOWN = 50
MAX_SEARCH_LENGTH = 200


class ClaimListView(AccessMixin, TemplateView):
    model = Claim
    template_name = "claims/claim_list.html"

    def get(self, request, *args, **kwargs):
        browser_html, status, built = cached_fragment(
            request, "claim-list", BROWSER_TEMPLATE, lambda: _browse(request, Claim.objects.all())
        )
        context = self.get_context_data(browser_html=browser_html, **(built or {}))
        return self.render_to_response(context, status=status)


# The filtered list (form, facets, table, pages) of the claim list and an actor's page: the
# part that depends on the data and the query string only, cached in the shared cache.
BROWSER_TEMPLATE = "claims/_claim_browser.html"


def _browse(request, queryset, **context):
    browser = ClaimBrowser(request, queryset, fixed=("actor",) if "object" in context else ())
    return {"browser": browser, "status": browser.status_code, **context}


def _claim_detail_context(claim, status_form, as_of=None):
    from .proposition_views import claim_proposition_context  # it imports this module

    citations = list(claim.citations.all())  # prefetched by _get_claim
    timeline = list(claim.status_changes.select_related("changed_by"))
    if as_of is not None:
        # Entries dated after the as-of day stay visible, marked: the reader sees what was
        # known then and that more came later.
        end = as_of_end(as_of)
        for change in timeline:
            change.after_as_of = change.changed_at >= end
    evidence_groups = grades.evidence_groups(citations)
    return {
        "claim": claim,
        "bands": charts.verdict_bands(claim, timeline, as_of=as_of),
        "appearances": [c for c in citations if c.role == c.Role.APPEARANCE],
        "evidence": [c for c in citations if c.role == c.Role.EVIDENCE],
        "evidence_groups": evidence_groups,
        "evidence_summary": grades.evidence_summary(evidence_groups),
        "timeline": timeline,
        "status_form": status_form,
        # At most duplicates.SHOWN, in a fixed number of queries.
        "similar_claims": duplicates.similar_to(claim),
        # The propositions the claim bears on, and the claims that contradict it there.
        **claim_proposition_context(claim),
    }


def _get_claim(pk, as_of=None):
    claims = Claim.objects.select_related("actor", "actor__parent").prefetch_related(
        Prefetch(
            "citations",
            queryset=Citation.objects.select_related("source", "quote_capture").defer(
                "quote_capture__text"
            ),
        )
    )
    if as_of is not None:
        claims = claims.as_of(as_of)  # a claim stated after that day is not found
    claims = jsonld.with_review_date(claims)  # the ClaimReview's date, in the same query
    return get_object_or_404(claims, pk=pk)


class AsOfMixin:
    """?as_of= on a detail page: a bad date answers 400 naming the field, as the list does."""

    def dispatch(self, request, *args, **kwargs):
        self.as_of_filter = ClaimFilter({"as_of": request.GET.get("as_of", "")})
        if not self.as_of_filter.is_valid():
            context = {"as_of_errors": self.as_of_filter.errors.get("as_of", [])}
            return render(request, "claims/as_of_invalid.html", context, status=400)
        self.as_of = self.as_of_filter.form.cleaned_data.get("as_of")
        return super().dispatch(request, *args, **kwargs)


class ClaimDetailView(AccessMixin, AsOfMixin, TemplateView):
    model = Claim
    template_name = "claims/claim_detail.html"

    def get_context_data(self, **kwargs):
        claim = _get_claim(self.kwargs["pk"], self.as_of)
        form = StatusForm(initial={"status": claim.status, "confidence": claim.status_confidence})
        context = _claim_detail_context(claim, form, self.as_of)
        return super().get_context_data(**kwargs, **context)

    def post(self, request, *args, **kwargs):
        # The page's verdict form posts here, so a refused verdict is shown on the claim's
        # own address with its errors in place (the form's action adds #mark-status).
        return claim_status(request, self.kwargs["pk"])


@require_POST
@permission_required("claims.change_claim")
def claim_status(request, pk):
    """Mark a claim confirmed / denied / unverified through the one status service."""
    claim = _get_claim(pk)
    form = StatusForm(request.POST)
    if form.is_valid():
        try:
            services.claim_set_status(claim=claim, by=request.user, **form.verdict())
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, f"Marked {claim.get_status_display().lower()}.")
            return redirect(f"{claim.get_absolute_url()}#timeline")
    return render(
        request,
        "claims/claim_detail.html",
        _claim_detail_context(claim, form),
        status=400,
    )


# The import creates and changes claims and creates actors, sources and citations.
IMPORT_PERMISSIONS = [
    "claims.add_claim",
    "claims.change_claim",
    "claims.add_actor",
    "claims.add_source",
    "claims.add_citation",
]


# One request holds the write lock (SQLite) for the whole import: keep it short.
IMPORT_PAGE_MAX_ROWS = 2_000


@permission_required(*IMPORT_PERMISSIONS)
def claim_import(request):
    report = None
    if request.method == "POST":
        form = ImportForm(request.POST, request.FILES)
        if form.is_valid():
            # The upload is read as a stream: a hostile file is refused at its first rows
            # past the limit, never held in memory whole.
            report = imports.import_claims(
                form.cleaned_data["file"].open("rb"),
                by=request.user,
                dry_run=form.cleaned_data["dry_run"],
                max_rows=IMPORT_PAGE_MAX_ROWS,
            )
    else:
        form = ImportForm()
    context = {
        "form": form,
        "report": report,
        "separator": exports.URL_SEPARATOR,
        "max_rows": f"{IMPORT_PAGE_MAX_ROWS:,}",
        "max_errors": imports.MAX_ERRORS,
    }
    refused = form.is_bound and (not form.is_valid() or not report.ok)
    return render(request, "claims/claim_import.html", context, status=400 if refused else 200)


class VersionedEditMixin:
    """Create through services.create_record; edit through services.save_versioned, and on a
    stale save show the form again (409) with the user's input and what the other changed."""

    def form_valid(self, form):
        try:
            with transaction.atomic():
                self.object = self.save_form(form)
        except VersionConflict as conflict:
            form.refuse_stale_save(conflict.current)
            return self.render_to_response(self.get_context_data(form=form), status=409)
        except IntegrityError:
            # A race past the form's checks (a row saved meanwhile); the details go to the log.
            logger.warning("Save refused by the database", exc_info=True)
            form.add_error(
                None, "This clashes with a record saved meanwhile; check and save again."
            )
            return self.render_to_response(self.get_context_data(form=form), status=400)
        messages.success(self.request, f"Saved “{self.object}”.")
        self.warn_similar()
        return redirect(self.get_success_url())

    def warn_similar(self):
        """After a save: say which existing records look like the one just saved."""

    def save_form(self, form):
        if form.instance.pk is None:
            return services.create_record(form.instance, by=self.request.user)
        return services.save_versioned(
            form.instance, by=self.request.user, version=form.cleaned_data["version"]
        )

    def get_object(self, queryset=None):
        obj = super().get_object(queryset)
        # The form writes the user's input into the instance; headings name the saved row.
        self.saved_label = str(obj)
        return obj

    def form_invalid(self, form):
        return self.render_to_response(self.get_context_data(form=form), status=400)

    def get_context_data(self, **kwargs):
        meta = self.model._meta
        kwargs.setdefault("verbose_name", meta.verbose_name)
        kwargs.setdefault("cancel_url", reverse(f"claims:{meta.model_name}-list"))
        kwargs.setdefault("saved_label", getattr(self, "saved_label", ""))
        return super().get_context_data(**kwargs)


class ClaimFormMixin(VersionedEditMixin):
    """The claim form in one submit: the claim, its citation rows (existing or new sources,
    each new one with its title, URL, kind, publisher and date), on create its first verdict
    and on edit its existing citations' roles and quotes."""

    model = Claim
    form_class = ClaimForm
    template_name = "claims/claim_form.html"

    def get_context_data(self, **kwargs):
        kwargs.setdefault("citation_formset", self.citation_formset())
        if getattr(self, "object", None):
            kwargs.setdefault("citation_edit_formset", self.citation_edit_formset())
        else:
            kwargs.setdefault("verdict_form", self.verdict_form())
        kwargs["error_list"] = error_summary(
            (kwargs.get("form"), ""),
            (kwargs.get("citation_edit_formset"), "Cited source"),
            (kwargs["citation_formset"], "Citation"),
            (kwargs.get("verdict_form"), "First verdict: "),
        )
        return super().get_context_data(**kwargs)

    def get_form_kwargs(self):
        kwargs = super().get_form_kwargs()
        kwargs["can_remove_citations"] = self.request.user.has_perm("claims.delete_citation")
        return kwargs

    def get_initial(self):
        # "Add a claim by <actor>" links pass the actor's slug.
        initial = super().get_initial()
        if "actor" in self.request.GET:
            initial["actor"] = self.request.GET["actor"][:200]
        return initial

    def _data(self):
        return self.request.POST if self.request.method == "POST" else None

    def citation_formset(self):
        claim = self.object if getattr(self, "object", None) else None
        return CitationFormSet(self._data(), prefix="citations", claim=claim)

    def verdict_form(self):
        return VerdictForm(
            self._data(), prefix="verdict", initial={"status": Claim.Status.UNVERIFIED}
        )

    def citation_edit_formset(self):
        citations = list(self.object.citations.select_related("source").order_by("pk"))
        data = self._data()
        if data is not None and "cited-TOTAL_FORMS" not in data:
            # A post without these rows (a script, an older page) edits no citation.
            data = {"cited-TOTAL_FORMS": "0", "cited-INITIAL_FORMS": "0"}
            return CitationEditFormSet(data, prefix="cited", citations=[])
        return CitationEditFormSet(data, prefix="cited", citations=citations)

    def post(self, request, *args, **kwargs):
        self.object = self.get_object() if "pk" in self.kwargs else None
        form = self.get_form()
        formset = self.citation_formset()
        extra = {}
        if self.object is None:
            extra["verdict_form"] = self.verdict_form()
        else:
            extra["citation_edit_formset"] = self.citation_edit_formset()
        valid = form.is_valid()
        valid = all([part.is_valid() for part in extra.values()]) and valid
        edits = extra.get("citation_edit_formset")
        if edits is not None and edits.is_valid():
            # New rows are checked against the citations as this submit leaves them.
            removed = form.cleaned_data.get("remove_citations", ()) if valid else ()
            formset.edited = edits.kept_keys(removed)
        if valid and formset.is_valid():
            self.formset, self.extra = formset, extra
            return self.form_valid(form)
        formset.is_valid()
        context = self.get_context_data(form=form, citation_formset=formset, **extra)
        return self.render_to_response(context, status=400)

    def form_valid(self, form):
        try:
            return super().form_valid(form)
        except ValidationError as error:
            # The model's own checks (full_clean in create_claim): shown above the form.
            form.add_error(None, error.messages)
            context = self.get_context_data(form=form, citation_formset=self.formset, **self.extra)
            return self.render_to_response(context, status=400)

    def save_form(self, form):
        # One transaction (form_valid's): the claim and its stance are saved together.
        claim = self._save_claim(form)
        if form.cleaned_data.get("proposition"):
            services.set_stance(
                claim=claim,
                proposition=form.cleaned_data["proposition"],
                stance=form.cleaned_data["stance"],
                by=self.request.user,
            )
        return claim

    def _save_claim(self, form):
        data, citations = form.cleaned_data, self.formset.citations()
        fields = {name: data[name] for name in ClaimForm.Meta.fields}
        if form.instance.pk is None:
            verdict = self.extra["verdict_form"].verdict()
            return services.create_claim(
                by=self.request.user, citations=citations, **verdict, **fields
            )
        removed = data.get("remove_citations", ())
        return services.update_claim(
            claim=form.instance,
            changes=fields,
            add_citations=citations,
            remove_citations=removed,
            edit_citations=self.extra["citation_edit_formset"].edits(removed),
            by=self.request.user,
            version=data["version"],
        )

    def warn_similar(self):
        # New sources typed on the form whose title is like an existing source's.
        cited = set(self.object.citations.values_list("source_id", flat=True))
        for spec in self.formset.citations():
            if spec.source is None:
                _warn_similar_titles(self.request, spec.new_source_title, exclude=cited)

    def get_success_url(self):
        return self.object.get_absolute_url()


def _warn_similar_titles(request, title, *, exclude=()):
    found = [m for m in duplicates.similar_source_titles(title) if m.record.pk not in exclude]
    if found:
        links = format_html_join(
            ", ", '<a href="{}">{}</a>', ((m.record.get_absolute_url(), m.record) for m in found)
        )
        messages.warning(
            request,
            format_html(
                "Sources with a similar title exist; check it is not one of them: {}.", links
            ),
        )


class ClaimCreateView(AccessMixin, ClaimFormMixin, CreateView):
    permission_action = "add"


class ClaimUpdateView(AccessMixin, ClaimFormMixin, UpdateView):
    permission_action = "change"
    queryset = Claim.objects.select_related("actor")


class RecordDeleteView(AccessMixin, DeleteView):
    """Confirm, say what else goes, then delete through services.delete_record."""

    permission_action = "delete"
    template_name = "claims/confirm_delete.html"
    success_url = None

    def form_valid(self, form):
        name = str(self.object)
        try:
            services.delete_record(self.object, by=self.request.user)
        except ProtectedError:
            context = self.get_context_data(protected=True)
            return self.render_to_response(context, status=409)
        messages.success(self.request, f"Deleted “{name}”.")
        return redirect(self.get_success_url())

    def get_context_data(self, **kwargs):
        kwargs.setdefault("consequences", self.consequences())
        kwargs.setdefault("kind", self.model._meta.verbose_name)
        return super().get_context_data(**kwargs)


class ClaimDeleteView(RecordDeleteView):
    model = Claim

    def consequences(self):
        return {"blocked": "", "also": services.claim_delete_consequences(self.object)}

    def get_success_url(self):
        return reverse("claims:claim-list")


class LenientPaginationMixin:
    """An odd ?page= (text, 0, past the end) shows the nearest page instead of a 404."""

    def paginate_queryset(self, queryset, page_size):
        paginator = self.get_paginator(queryset, page_size)
        page = paginator.get_page(self.request.GET.get(self.page_kwarg))
        return paginator, page, page.object_list, page.has_other_pages()


class SearchListMixin(LenientPaginationMixin):
    """A paginated list with one ?q= search box (claims/_search_box.html)."""

    paginate_by = 50

    @cached_property
    def search_query(self):
        return clean_query(self.request.GET.get("q", ""), MAX_SEARCH_LENGTH)

    def get_context_data(self, **kwargs):
        query = self.request.GET.get("q", "")[:MAX_SEARCH_LENGTH]
        page_query = QueryDict(mutable=True)
        if query:
            page_query["q"] = query
        return super().get_context_data(**kwargs, q=query, page_query=page_query.urlencode())


class ActorListView(AccessMixin, SearchListMixin, ListView):
    model = Actor
    template_name = "claims/actor_list.html"

    def get_queryset(self):
        actors = Actor.objects.with_claim_count().order_by("name", "pk")
        query = self.search_query
        if query:
            actors = actors.filter(
                Q(name__icontains=query) | Q(slug__icontains=query) | Q(short_name__icontains=query)
            )
        return actors


class ActorDetailView(AccessMixin, DetailView):
    model = Actor
    template_name = "claims/actor_detail.html"
    queryset = Actor.objects.select_related("parent")

    def get(self, request, *args, **kwargs):
        self.object = self.get_object()
        # Sub-actors' claims are the actor's too (Peskov's under the Kremlin) unless the
        # page is asked to leave them out, as ?actor= does on the claim list.
        with_subactors = request.GET.get("subactors") != "0"
        ids = [self.object.pk]
        if with_subactors:
            ids = Actor.objects.with_subactors([self.object])
        claims = Claim.objects.by_actor(self.object)
        if len(ids) > 1:
            claims = Claim.objects.filter(actor_id__in=ids)
        browser_html, status, built = cached_fragment(
            request,
            "actor",
            BROWSER_TEMPLATE,
            lambda: _browse(request, claims, object=self.object),
        )
        # The track record counts as the list does: as of the list's date, if it has one
        # (none when the list's filter is refused, whether or not the list came from the cache).
        if built:
            as_of = built["browser"].as_of
        else:
            as_of = as_of_date(request) if status == 200 else None
        counts = (claims.as_of(as_of) if as_of else claims).status_groups()
        track_record = [
            {"value": value, "label": label, "count": counts.get(value, 0)}
            for value, label in Claim.Status.choices
        ]
        strip = charts.track_strip(claims, as_of=as_of)
        toggle = request.GET.copy()
        toggle.pop("page", None)
        if with_subactors:
            toggle["subactors"] = "0"
        else:
            toggle.pop("subactors", None)
        context = self.get_context_data(
            object=self.object,
            browser_html=browser_html,
            track_record=track_record,
            strip=strip,
            with_subactors=with_subactors,
            has_subactors=len(ids) > 1 or not with_subactors,
            subactors_toggle=toggle.urlencode(),
            **{k: v for k, v in (built or {}).items() if k == "browser"},
        )
        return self.render_to_response(context, status=status)


@read_access_required
@require_safe
def actor_suggest(request):
    """Actors whose name, short name, alias or slug starts with ?q= (case and accents
    ignored), at most MAX_SUGGESTIONS, for the actor boxes' suggestion lists."""
    text = clean_query(request.GET.get("q", ""), LOOKUP_KEY_LENGTH)
    actors = Actor.objects.suggest(text).only("name", "short_name", "slug")
    results = [{"name": a.name, "short_name": a.short_name, "slug": a.slug} for a in actors]
    return JsonResponse({"results": results})


class ActorCreateView(AccessMixin, VersionedEditMixin, CreateView):
    model = Actor
    form_class = ActorForm
    permission_action = "add"
    template_name = "claims/record_form.html"


class ActorUpdateView(AccessMixin, VersionedEditMixin, UpdateView):
    model = Actor
    form_class = ActorForm
    permission_action = "change"
    template_name = "claims/record_form.html"
    queryset = Actor.objects.select_related("parent")


class ActorDeleteView(RecordDeleteView):
    model = Actor

    def consequences(self):
        actor = self.object
        claims = actor.claims.count()
        children = actor.children.count()
        return {
            "blocked": (
                f"{actor} has {claims} claim(s). Delete them or move them to another actor "
                "first: an actor with claims can't be deleted."
                if claims
                else ""
            ),
            "also": [f"{children} actor(s) that name it as parent will have no parent"]
            if children
            else [],
        }

    def get_success_url(self):
        return reverse("claims:actor-list")


class SourceListView(AccessMixin, SearchListMixin, ListView):
    model = Source
    template_name = "claims/source_list.html"

    @cached_property
    def link_filter(self):
        value = self.request.GET.get("link", "")
        return value if value in LinkState.values or value == "never" else ""

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        if self.link_filter:
            query = QueryDict(context["page_query"], mutable=True)
            query["link"] = self.link_filter
            context["page_query"] = query.urlencode()
        return {**context, "link": self.link_filter, "link_choices": LinkState.choices}

    def get_queryset(self):
        sources = Source.objects.with_citation_count().order_by("-published_on", "-pk")
        if self.link_filter == "never":
            sources = sources.exclude(url="").filter(link_state="")
        elif self.link_filter:
            sources = sources.filter(link_state=self.link_filter)
        query = self.search_query
        source_id = parse_id(query)
        if source_id is not None:
            return sources.filter(pk=source_id)
        if query:
            sources = sources.filter(
                Q(title__icontains=query) | Q(publisher__icontains=query) | Q(url__icontains=query)
            )
        return sources


def evidence_track_record(source, *, sample=COUNT_CAP):
    """How the claims this source was evidence for ended: rows per direction (supports,
    refutes, context) with confirmed / denied / unverified counts. One query, over the
    newest `sample` evidence citations at most, so a much-cited source costs the same."""
    from .models import Direction  # noqa: PLC0415 - kept beside its one use

    newest = (
        Citation.objects.filter(source=source, role=Citation.Role.EVIDENCE)
        .order_by("-pk")
        .values("pk")[: sample + 1]
    )
    counts = (
        Citation.objects.filter(pk__in=newest)
        .order_by()
        .values_list("direction", "claim__status")
        .annotate(n=Count("pk"))
    )
    tally = {(direction, status): n for direction, status, n in counts}
    rows = []
    for direction, label in Direction.choices:
        cells = [tally.get((direction, status), 0) for status in Claim.Status.values]
        if any(cells):
            rows.append(
                {"direction": direction, "label": label, "counts": cells, "total": sum(cells)}
            )
    total = sum(row["total"] for row in rows)
    return {"rows": rows, "total": total, "sampled": total > sample, "sample": sample}


class SourceDetailView(AccessMixin, AsOfMixin, DetailView):
    model = Source
    template_name = "claims/source_detail.html"

    def get_context_data(self, **kwargs):
        citations = (
            self.object.citations.select_related("claim__actor", "quote_capture", "source")
            .defer("quote_capture__text")
            .order_by("-claim__stated_on", "-claim_id", "role", "pk")
        )
        if self.as_of is not None:
            # The claims stated by then, each with its verdict of that day.
            verdict = verdict_as_of(self.as_of, claim="claim_id", current="claim__")
            citations = citations.filter(claim__stated_on__lte=self.as_of).annotate(**verdict)
        paginator = Paginator(citations, CLAIMS_PER_PAGE)
        page_obj = paginator.get_page(self.request.GET.get("page"))
        if self.as_of is not None:
            for citation in page_obj.object_list:
                citation.claim.status = citation.as_of_status
                citation.claim.status_confidence = citation.as_of_confidence
        captures = list(self.object.captures.defer("text")[:CAPTURES_SHOWN])
        return super().get_context_data(
            **kwargs,
            page_obj=page_obj,
            captures=captures,
            latest_text=services.latest_readable_capture(self.object),
            query=f"as_of={self.as_of.isoformat()}" if self.as_of else "",
            track_record=evidence_track_record(self.object),
            statuses=Claim.Status.choices,
        )


class SourceCreateView(AccessMixin, VersionedEditMixin, CreateView):
    model = Source
    form_class = SourceForm
    permission_action = "add"
    template_name = "claims/record_form.html"

    def warn_similar(self):
        _warn_similar_titles(self.request, self.object.title, exclude={self.object.pk})


class SourceUpdateView(AccessMixin, VersionedEditMixin, UpdateView):
    model = Source
    form_class = SourceForm
    permission_action = "change"
    template_name = "claims/record_form.html"


class SourceDeleteView(RecordDeleteView):
    model = Source

    def consequences(self):
        citations = self.object.citations.select_related("claim")
        total = citations.count()
        shown = [f"its citation in “{c.claim}”" for c in citations[:20]]
        if total > len(shown):
            shown.append(f"and {total - len(shown)} more citation(s)")
        return {"blocked": "", "also": shown}

    def get_success_url(self):
        return reverse("claims:source-list")


@read_access_required
@require_safe
def changes(request):
    """Every verdict between two dates, newest first, grouped by day, with counts."""
    found = Changes(request.GET, request=request)
    context = {"changes": found, "cursor_error": False}
    if found.is_valid:
        try:
            found.paginate()
        except BadCursor:
            context["cursor_error"] = True
        else:
            context["counts"] = found.counts
    status = 200 if found.is_valid and not context["cursor_error"] else 400
    return render(request, "claims/changes.html", context, status=status)


@read_access_required
@require_safe
def changes_csv(request):
    found = Changes(request.GET, request=request)
    if not found.is_valid:
        return JsonResponse({"errors": found.errors}, status=400)
    lines = exports.started(changes_csv_lines(found.rows(found.queryset)))
    response = StreamingHttpResponse(lines, content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="changes.csv"'
    return response


# Page captures ------------------------------------------------------------------------------


@require_POST
@permission_required("claims.add_capture")
def source_capture(request, pk):
    """ "Capture again": queue a capture now (or say one is already under way)."""
    source = get_object_or_404(Source, pk=pk)
    if not source.url:
        messages.error(request, "This source has no URL to capture.")
        return redirect(source)
    capture = services.request_capture(source=source, by=request.user)
    if capture.requested_by_id == request.user.pk and capture.state == Capture.State.QUEUED:
        messages.success(request, "Capture queued: this page shows it when it is done.")
    else:
        messages.info(request, "A capture of this source is already under way.")
    return redirect(source)


@read_access_required
@require_safe
def capture_download(request, pk, capture_pk):
    """The WARC file, always as a download: captured pages are never served as pages of this
    site (their scripts would run with its cookies)."""
    from django.http import FileResponse, Http404

    capture = get_object_or_404(Capture, pk=capture_pk, source_id=pk)
    if not capture.warc:
        raise Http404("This capture has no file.")
    response = FileResponse(
        capture.warc.open("rb"),
        as_attachment=True,
        filename=f"source-{pk}-capture-{capture.pk}.warc.gz",
        content_type="application/warc",
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "sandbox; default-src 'none'"
    return response
