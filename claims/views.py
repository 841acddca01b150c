import datetime
import hashlib
import logging
import math
import re
from functools import cached_property

from django.conf import settings
from django.contrib import messages
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db import IntegrityError, transaction
from django.db.models import Count, Prefetch, ProtectedError, Q
from django.http import QueryDict
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST
from django.views.generic import CreateView, DeleteView, DetailView, ListView, TemplateView
from django.views.generic.edit import UpdateView

from . import exports, grades, imports, jsonld, services
from .filters import ClaimFilter
from .forms import (
    ActorForm,
    CitationFormSet,
    ClaimForm,
    ImportForm,
    SourceForm,
    StatusForm,
    parse_id,
)
from .models import COUNT_CAP, FACET_TIMEOUT_MS, Actor, Citation, Claim, Source, run_within
from .permissions import AccessMixin, permission_required

logger = logging.getLogger(__name__)

CLAIMS_PER_PAGE = 50
TOP_ACTORS = 10
MAX_SEARCH_LENGTH = 200
# Numbered (OFFSET) pages reach this many rows deep. Deeper, the default order goes on with a
# cursor; other orders stop there: an OFFSET of 500,000 reads half the table (6 s, issue 6).
OFFSET_ROWS_LIMIT = COUNT_CAP
DEFAULT_ORDER = ("-stated_on", "-pk")
CURSOR_PARAMS = ("before", "after")
PAGE_PARAMS = ("page", *CURSOR_PARAMS)


def _without(query, name, value):
    """The query string `query` minus one value of one parameter (and minus the page)."""
    remaining = QueryDict(mutable=True)
    for key, values in query.lists():
        if key in PAGE_PARAMS:
            continue
        kept = [v for v in values if not (key == name and v == value)]
        if kept:
            remaining.setlist(key, kept)
    return remaining.urlencode()


def _with(query, name, value):
    added = _page_free(query)
    values = added.getlist(name)
    if value not in values:
        added.setlist(name, values + [value])
    return added.urlencode()


def _page_free(query):
    """A copy of `query` without the page number or cursor."""
    query = query.copy()
    for name in PAGE_PARAMS:
        query.pop(name, None)
    return query


def _link(query, **params):
    """The query string of a neighbouring page: the filter plus one page parameter."""
    linked = _page_free(query)
    for name, value in params.items():
        linked[name] = str(value)
    return linked.urlencode()


def _page_number(value, *, last):
    """?page= as a number within 1..last: text, 0 or past the end show the nearest page."""
    try:
        number = int(value or 1)
    except ValueError:
        return 1
    return min(max(number, 1), last)


class BadCursor(ValueError):
    pass


CURSOR_PATTERN = re.compile(r"(\d{4}-\d{2}-\d{2})\.(\d{1,19})", re.ASCII)


def parse_cursor(value):
    """ "2025-06-29.123" (a claim's stated_on and id) -> (date, 123); BadCursor otherwise."""
    match = CURSOR_PATTERN.fullmatch(value)
    if not match:
        raise BadCursor(value)
    try:
        stated_on = datetime.date.fromisoformat(match[1])
    except ValueError as error:
        raise BadCursor(value) from error
    pk = int(match[2])
    if not 0 < pk < 2**63:
        raise BadCursor(value)
    return stated_on, pk


def cursor_of(claim):
    return f"{claim.stated_on.isoformat()}.{claim.pk}"


def _newer_than(claims, stated_on, pk):
    """The keyset step the other way from Claim.objects.before(): the claims listed just
    above (stated_on, pk), nearest first."""
    return claims.filter(
        Q(stated_on__gt=stated_on) | Q(stated_on=stated_on, pk__gt=pk),
        stated_on__gte=stated_on,
    ).order_by("stated_on", "pk")


def _budgeted_group_by_status(queryset):
    """{status: count} in one GROUP BY within the facet time budget, None when over it: for a
    text search, where capped counts per status would run the full-text match three times."""
    grouped = queryset.order_by().values("status").annotate(n=Count("pk"))
    grouped = grouped.values_list("status", "n")
    sql, params = grouped.query.get_compiler(queryset.db).as_sql()
    rows = run_within(queryset.db, sql, params, FACET_TIMEOUT_MS)
    return None if rows is None else dict(rows)


def _count_label(n):
    return f"{COUNT_CAP:,}+" if n > COUNT_CAP else f"{n:,}"


class ClaimBrowser:
    """The filtered claim list of a page: the one ClaimFilter, its facets, one page of rows.

    `fixed` names parameters the page sets itself (the actor on an actor's page).

    Bounded at any table size (issue 6, bench/RESULTS.md): status facets are counted up to
    COUNT_CAP each within a time budget, the unfiltered total is PostgreSQL's estimate, the
    actor facet samples the newest COUNT_CAP matches; facets are cached per filter for
    CLAIM_FACET_CACHE_SECONDS. Pages: numbered within the first OFFSET_ROWS_LIMIT rows, then
    (in the default order) "Older" / "Newer" links with a cursor on (stated_on, id)."""

    def __init__(self, request, queryset, *, fixed=()):
        self.query = request.GET.copy()
        for name in fixed:
            self.query.pop(name, None)
        self.fixed = fixed
        self.base_queryset = queryset
        data = _page_free(self.query)
        self.filterset = ClaimFilter(data, queryset=queryset, request=request)
        self.is_valid = self.filterset.is_valid()
        self.cursor_error = False
        self.status_facets, self.actor_facets = [], []
        self.total, self.total_label, self.actor_facets_sampled = 0, "", False
        self.claims, self.pager = [], {}
        if self.is_valid:
            self.keyset = tuple(self.filterset.qs.query.order_by) == DEFAULT_ORDER
            try:
                cursor = self._cursor()
            except BadCursor:
                self.cursor_error = True
            else:
                self._count_facets()
                self._paginate(cursor)
        self.ok = self.is_valid and not self.cursor_error
        self.status_code = 200 if self.ok else 400

    # Facets ---------------------------------------------------------------------------------

    @property
    def is_filtered(self):
        return bool(self.fixed) or any(
            value not in (None, "", [], ())
            for name, value in self.filterset.form.cleaned_data.items()
            if name != "ordering"
        )

    def _facet_cache_key(self):
        query = _page_free(self.query)
        query.pop("ordering", None)
        normalized = sorted((k, sorted(v)) for k, v in query.lists() if any(x.strip() for x in v))
        scope = f"{self.base_queryset.query}|{normalized}"
        return "claim-facets:" + hashlib.sha256(scope.encode()).hexdigest()

    def _facet_counts(self):
        """What the facets show, from the database: the statuses counted over every filter
        but the status (so a ticked status leaves the others' links), the busiest actors, and
        for an unfiltered list the table's estimated size."""
        others = self.filterset.qs_without("status")
        if self.filterset.form.cleaned_data.get("q"):
            statuses = _budgeted_group_by_status(others)
        else:
            statuses = others.status_counts()
        actors = None
        # Statuses over budget means many matches: the actor sample would be too (a common
        # search word: 250 ms more for nothing), so the page shows neither.
        if "actor" not in self.fixed and statuses is not None:
            top = self.filterset.qs.top_actors(limit=TOP_ACTORS)
            if top is not None:
                by_id = Actor.objects.only("slug", "name").in_bulk([pk for pk, _ in top])
                actors = [(by_id[pk], n) for pk, n in top if pk in by_id]
        estimate = None if self.is_filtered else Claim.objects.estimated_count()
        return {"statuses": statuses, "actors": actors, "estimate": estimate}

    def _count_facets(self):
        seconds = settings.CLAIM_FACET_CACHE_SECONDS
        if seconds > 0:
            facets = cache.get_or_set(self._facet_cache_key(), self._facet_counts, seconds)
        else:
            facets = self._facet_counts()
        counts = facets["statuses"]
        active = set(self.filterset.form.cleaned_data.get("status") or ())
        if counts is None:  # over the time budget: the rows, without numbers
            self.total, self.total_label = None, ""
        else:
            shown = [n for status, n in counts.items() if not active or status in active]
            capped = any(n > COUNT_CAP for n in shown)
            self.total = sum(shown)
            if capped:
                self.total_label = f"{COUNT_CAP:,}+"
            else:
                self.total_label = f"{self.total:,}"
        if facets["estimate"] is not None and (counts is None or capped):
            self.total, self.total_label = None, f"about {facets['estimate']:,}"
        self.status_facets = [
            {
                "value": status,
                "label": label,
                "count": None if counts is None else counts.get(status, 0),
                "count_label": "" if counts is None else _count_label(counts.get(status, 0)),
                "active": status in active,
                "query": _with(self.query, "status", status),
            }
            for status, label in Claim.Status.choices
        ]
        if facets["actors"] is None:
            return
        # top_actors() looks at the newest COUNT_CAP matches only: say so when there are more.
        self.actor_facets_sampled = self.total is None or self.total > COUNT_CAP
        active_actors = set(self.query.getlist("actor"))
        self.actor_facets = [
            {
                "actor": actor,
                "count": n,
                "active": actor.slug in active_actors,
                "query": _with(self.query, "actor", actor.slug),
            }
            for actor, n in facets["actors"]
        ]

    @property
    def first_page_query(self):
        return _page_free(self.query).urlencode()

    # Pages ----------------------------------------------------------------------------------

    def _cursor(self):
        """("before" | "after", stated_on, pk) from the query string, or None."""
        given = [name for name in CURSOR_PARAMS if name in self.query]
        if not given:
            return None
        (name,) = given if len(given) == 1 else (None,)
        if name is None or len(self.query.getlist(name)) != 1 or not self.keyset:
            raise BadCursor(given)
        return (name, *parse_cursor(self.query[name]))

    def _paginate(self, cursor):
        rows = self.filterset.qs.for_list()
        per_page = CLAIMS_PER_PAGE
        pager = {"number": None, "pages": None, "newer": None, "older": None, "newest": None}
        pager["limit_reached"] = False
        if cursor is None:
            known = self.total if self.total is not None else OFFSET_ROWS_LIMIT
            pages = max(1, math.ceil(min(known, OFFSET_ROWS_LIMIT) / per_page))
            number = _page_number(self.query.get("page"), last=pages)
            start = (number - 1) * per_page
            # One more row than a page: is there a next? Past page 1 the OFFSET runs on ids
            # alone, so skipped rows cost an index entry, not their actor and source count.
            window = slice(start, start + per_page + 1)
            if start:
                rows = rows.filter(pk__in=self.filterset.qs.values("pk")[window])
                window = slice(None)
            fetched = list(rows[window])
            more = len(fetched) > per_page
            self.claims = fetched[:per_page]
            pager["number"] = number
            if self.total is not None and self.total <= OFFSET_ROWS_LIMIT:
                pager["pages"] = pages
            if number > 1:
                pager["newer"] = (
                    _link(self.query, page=number - 1) if number > 2 else _link(self.query)
                )
            if more and self.keyset:
                pager["older"] = _link(self.query, before=cursor_of(self.claims[-1]))
            elif more and number < pages:
                pager["older"] = _link(self.query, page=number + 1)
            elif more:
                pager["limit_reached"] = True  # other orders: numbered pages only
        else:
            direction, stated_on, pk = cursor
            pager["newest"] = _link(self.query)
            if direction == "before":
                fetched = list(rows.before(stated_on, pk)[: per_page + 1])
                self.claims = fetched[:per_page]
                more_older = len(fetched) > per_page
                more_newer = True  # the cursor's own claim, at least
            else:
                fetched = list(_newer_than(rows, stated_on, pk)[: per_page + 1])
                self.claims = fetched[:per_page][::-1]
                more_older, more_newer = True, len(fetched) > per_page
            if self.claims and more_newer:
                pager["newer"] = _link(self.query, after=cursor_of(self.claims[0]))
            if self.claims and more_older:
                pager["older"] = _link(self.query, before=cursor_of(self.claims[-1]))
        pager["other_pages"] = bool(pager["newer"] or pager["older"] or pager["newest"])
        self.pager = pager

    @cached_property
    def active_filters(self):
        """Each parameter value now applied, with the link that removes just that one."""
        form = self.filterset.form
        statuses = dict(Claim.Status.choices)
        active = []
        for name, values in self.query.lists():
            if name in PAGE_PARAMS or name not in form.fields:
                continue
            for value in values:
                if not value.strip():
                    continue
                shown = statuses.get(value, value) if name == "status" else value
                active.append(
                    {
                        "label": str(form.fields[name].label or name),
                        "value": shown,
                        "query": _without(self.query, name, value),
                    }
                )
        return active

    @property
    def actor_fixed(self):
        return "actor" in self.fixed

    @property
    def actor_values(self):
        return self.query.getlist("actor")


class ClaimListView(AccessMixin, TemplateView):
    model = Claim
    template_name = "claims/claim_list.html"

    def get(self, request, *args, **kwargs):
        browser = ClaimBrowser(request, Claim.objects.all())
        context = self.get_context_data(browser=browser)
        return self.render_to_response(context, status=browser.status_code)


def _claim_detail_context(claim, status_form):
    citations = list(claim.citations.all())  # prefetched by _get_claim
    evidence_groups = grades.evidence_groups(citations)
    return {
        "claim": claim,
        "appearances": [c for c in citations if c.role == c.Role.APPEARANCE],
        "evidence": [c for c in citations if c.role == c.Role.EVIDENCE],
        "evidence_groups": evidence_groups,
        "evidence_summary": grades.evidence_summary(evidence_groups),
        "timeline": claim.status_changes.select_related("changed_by"),
        "status_form": status_form,
    }


def _get_claim(pk):
    claims = Claim.objects.select_related("actor", "actor__parent").prefetch_related(
        Prefetch("citations", queryset=Citation.objects.select_related("source"))
    )
    claims = jsonld.with_review_date(claims)  # the ClaimReview's date, in the same query
    return get_object_or_404(claims, pk=pk)


class ClaimDetailView(AccessMixin, TemplateView):
    model = Claim
    template_name = "claims/claim_detail.html"

    def get_context_data(self, **kwargs):
        claim = _get_claim(self.kwargs["pk"])
        form = StatusForm(initial={"status": claim.status})
        return super().get_context_data(**kwargs, **_claim_detail_context(claim, form))


@require_POST
@permission_required("claims.change_claim")
def claim_status(request, pk):
    """Mark a claim confirmed / denied / unverified through the one status service."""
    claim = _get_claim(pk)
    form = StatusForm(request.POST)
    if form.is_valid():
        try:
            services.claim_set_status(
                claim=claim,
                status=form.cleaned_data["status"],
                rationale=form.cleaned_data["rationale"],
                confidence=form.cleaned_data["confidence"],
                by=request.user,
            )
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
            report = imports.import_claims(
                form.cleaned_data["file"].read(),
                by=request.user,
                dry_run=form.cleaned_data["dry_run"],
                max_rows=IMPORT_PAGE_MAX_ROWS,
            )
    else:
        form = ImportForm()
    context = {"form": form, "report": report, "separator": exports.URL_SEPARATOR}
    return render(request, "claims/claim_import.html", context, status=200)


class VersionedEditMixin:
    """Create through services.create_record; edit through services.save_versioned, and on a
    stale save show the form again (409) with the user's input and what the other changed."""

    def form_valid(self, form):
        try:
            with transaction.atomic():
                self.object = self.save_form(form)
        except services.VersionConflict as conflict:
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
        return redirect(self.get_success_url())

    def save_form(self, form):
        if form.instance.pk is None:
            return services.create_record(form.instance, by=self.request.user)
        return services.save_versioned(
            form.instance, by=self.request.user, expected_version=form.cleaned_data["version"]
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
    """The claim form with its citation rows (existing or new sources) in one submit."""

    model = Claim
    form_class = ClaimForm
    template_name = "claims/claim_form.html"

    def get_context_data(self, **kwargs):
        kwargs.setdefault("citation_formset", self.citation_formset())
        if getattr(self, "object", None):
            kwargs["existing_citations"] = self.object.citations.select_related("source")
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

    def citation_formset(self):
        claim = self.object if getattr(self, "object", None) else None
        data = self.request.POST if self.request.method == "POST" else None
        return CitationFormSet(data, prefix="citations", claim=claim)

    def post(self, request, *args, **kwargs):
        self.object = self.get_object() if "pk" in self.kwargs else None
        form = self.get_form()
        formset = self.citation_formset()
        if form.is_valid() and formset.is_valid():
            self.formset = formset
            return self.form_valid(form)
        context = self.get_context_data(form=form, citation_formset=formset)
        return self.render_to_response(context, status=400)

    def form_valid(self, form):
        try:
            return super().form_valid(form)
        except ValidationError as error:
            # The model's own checks (full_clean in create_claim): shown above the form.
            form.add_error(None, error.messages)
            context = self.get_context_data(form=form, citation_formset=self.formset)
            return self.render_to_response(context, status=400)

    def save_form(self, form):
        user = self.request.user
        citations = self.formset.citations(by=user)
        if form.instance.pk is None:
            data = form.cleaned_data
            return services.create_claim(
                by=user,
                actor=data["actor"],
                headline=data["headline"],
                text=data["text"],
                stated_on=data["stated_on"],
                citations=citations,
            )
        claim = super().save_form(form)
        for citation in form.cleaned_data.get("remove_citations", ()):
            services.delete_record(citation, by=user)
        for citation in citations:
            services.add_citation(
                claim=claim,
                source=citation.source,
                role=citation.role,
                quote=citation.quote,
                credibility=citation.credibility,
                direction=citation.direction,
                reliability_override=citation.reliability_override,
                by=user,
            )
        return claim

    def get_success_url(self):
        return self.object.get_absolute_url()


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
        claim = self.object
        return {
            "blocked": "",
            "also": [
                f"its citations ({claim.citations.count()}); the sources themselves stay",
                f"its verdict timeline ({claim.status_changes.count()} entries)",
            ],
        }

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
        return self.request.GET.get("q", "").replace("\x00", "").strip()[:MAX_SEARCH_LENGTH]

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
        browser = ClaimBrowser(request, Claim.objects.by_actor(self.object), fixed=("actor",))
        counts = dict(
            self.object.claims.order_by()
            .values("status")
            .annotate(n=Count("pk"))
            .values_list("status", "n")
        )
        track_record = [
            {"value": value, "label": label, "count": counts.get(value, 0)}
            for value, label in Claim.Status.choices
        ]
        context = self.get_context_data(
            object=self.object, browser=browser, track_record=track_record
        )
        return self.render_to_response(context, status=browser.status_code)


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

    def get_queryset(self):
        sources = Source.objects.with_citation_count().order_by("-published_on", "-pk")
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


class SourceDetailView(AccessMixin, DetailView):
    model = Source
    template_name = "claims/source_detail.html"

    def get_context_data(self, **kwargs):
        citations = self.object.citations.select_related("claim__actor", "source").order_by(
            "-claim__stated_on", "-claim_id", "role", "pk"
        )
        paginator = Paginator(citations, CLAIMS_PER_PAGE)
        page_obj = paginator.get_page(self.request.GET.get("page"))
        return super().get_context_data(
            **kwargs,
            page_obj=page_obj,
            track_record=evidence_track_record(self.object),
            statuses=Claim.Status.choices,
        )


class SourceCreateView(AccessMixin, VersionedEditMixin, CreateView):
    model = Source
    form_class = SourceForm
    permission_action = "add"
    template_name = "claims/record_form.html"


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
