"""Order and paging for every list: the claim list page, an actor's page and the API lists.

- `Ordering`: a total order (its last column unique) of one model. A model's default order is
  its Meta.ordering (for claims: newest stated first, then the newest id), declared nowhere else.
- `Cursor`: a position in an ordering and a direction, written in links as
  ``before=2025-06-29.123`` (the rows listed after that row: older, in the default order) or
  ``after=2025-06-29.123`` (the rows listed before it): the row's ordering values joined by ".".
- `Page`: one page of an ordered queryset. Orderings an index serves in both directions
  page by cursor (a deep page costs what the first costs); the others by number, within the
  first OFFSET_ROWS_LIMIT rows. It builds the query strings of its neighbours' links.
- `Facets`: the claim list's counts per status and busiest actors, bounded and cached.
- `ClaimBrowser`: the one ClaimFilter, its facets and one page, for a claim list page.

Nothing here knows about HTTP beyond a QueryDict: the HTML views and the API's pagination
(claims/api/pagination.py) both build on it.
"""

import base64
import binascii
import datetime
import hashlib
import math
import re
from dataclasses import dataclass
from functools import cached_property
from urllib.parse import parse_qs, quote, unquote

from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import FieldDoesNotExist, ValidationError
from django.db.models import Count, Q
from django.http import QueryDict
from django.urls import reverse
from django.utils.dates import MONTHS_3
from django.utils.html import format_html_join
from django.utils.safestring import mark_safe

from . import charts
from .caching import data_version
from .db import COUNT_CAP, COUNT_TIMEOUT_MS, estimated_counts, run_within
from .filters import ClaimFilter
from .models import Actor, Claim, as_of_counts_sampled, status_field

CLAIMS_PER_PAGE = 50
TOP_ACTORS = 10
# Numbered (OFFSET) pages reach this many rows deep. Deeper, an ordering with a cursor goes
# on with "Older" links; the others stop there: an OFFSET of 500,000 reads half the table.
OFFSET_ROWS_LIMIT = COUNT_CAP

# The two cursor parameters. In the claims' newest-first order "before" a row's date means
# the rows listed after it, hence the names; in any ordering "before" is the next page.
NEXT, PREVIOUS = "before", "after"
CURSOR_PARAMS = (NEXT, PREVIOUS)
# The API's earlier links: ?cursor=<base64 of "r=1&p=2025-06-29_123"> (see legacy_cursor).
LEGACY_CURSOR = "cursor"
PAGE_PARAMS = ("page", *CURSOR_PARAMS, LEGACY_CURSOR)
MAX_CURSOR_LENGTH = 1000


# Query strings ------------------------------------------------------------------------------


def page_free(query):
    """A copy of the QueryDict `query` without the page number or cursor."""
    query = query.copy()
    for name in PAGE_PARAMS:
        query.pop(name, None)
    return query


def link(query, **params):
    """The query string of a neighbouring page: the filter plus one page parameter."""
    linked = page_free(query)
    for name, value in params.items():
        linked[name] = str(value)
    return linked.urlencode()


def with_value(query, name, value):
    """The query string (first page) with one more value of one parameter."""
    added = page_free(query)
    values = added.getlist(name)
    if value not in values:
        added.setlist(name, values + [value])
    return added.urlencode()


def without_value(query, name, value):
    """The query string (first page) minus one value of one parameter."""
    remaining = QueryDict(mutable=True)
    for key, values in page_free(query).lists():
        kept = [v for v in values if not (key == name and v == value)]
        if kept:
            remaining.setlist(key, kept)
    return remaining.urlencode()


def page_number(value, *, last):
    """?page= as a number within 1..last: text, 0 or past the end show the nearest page."""
    try:
        number = int(value or 1)
    except ValueError:
        return 1
    return min(max(number, 1), last)


# Orderings ----------------------------------------------------------------------------------


def _field(model, path):
    """The model field at the end of `path` ("pk", "stated_on", "actor__name")."""
    *relations, name = path.split("__")
    for relation in relations:
        model = model._meta.get_field(relation).related_model
    return model._meta.pk if name == "pk" else model._meta.get_field(name)


@dataclass(frozen=True, eq=False)
class Ordering:
    """A total order of `model`'s rows: `fields` as order_by() takes them, the last one
    unique (the primary key, or a unique column of the model itself). Cursors need every
    column NOT NULL: a NULL compares as neither before nor after a position."""

    model: type
    fields: tuple

    def __post_init__(self):
        last = _field(self.model, self.fields[-1].lstrip("-"))
        if "__" in self.fields[-1] or not (last.primary_key or last.unique):
            raise ValueError(f"{self.fields} does not end on a unique column")

    @classmethod
    def default(cls, model):
        """The model's default order: its Meta.ordering."""
        return cls(model, tuple(model._meta.ordering))

    @classmethod
    def of(cls, queryset):
        """The queryset's order, or None when it is not a total order of plain columns."""
        fields = tuple(queryset.query.order_by) or tuple(queryset.model._meta.ordering)
        if not fields or not all(isinstance(f, str) for f in fields):
            return None
        try:
            return cls(queryset.model, fields)
        except (ValueError, FieldDoesNotExist):
            return None

    def __eq__(self, other):
        return isinstance(other, Ordering) and self._key() == other._key()

    def __hash__(self):
        return hash(self._key())

    def _key(self):
        # "-id" and "-pk" are the same order.
        pk = self.model._meta.pk.name
        return self.model, tuple(re.sub(r"^(-?)pk$", rf"\g<1>{pk}", f) for f in self.fields)

    @property
    def tag(self):
        """A short name of this order written at the start of its cursors, so that a cursor
        from another order is refused instead of read as a position in this one. Empty for
        the model's default order, whose cursors were written without one."""
        if self == Ordering.default(self.model):
            return ""
        name = ",".join(self._key()[1])
        return "o" + hashlib.sha256(name.encode()).hexdigest()[:6]

    @property
    def columns(self):
        """[(path, descending)] for each field."""
        return [(f.lstrip("-"), f.startswith("-")) for f in self.fields]

    def reversed(self):
        return Ordering(self.model, tuple(f[1:] if f[0] == "-" else f"-{f}" for f in self.fields))

    def values_of(self, row):
        """The row's position: its value of each column."""
        values = []
        for path, _ in self.columns:
            value = row
            for attribute in path.split("__"):
                value = getattr(value, attribute)
            values.append(value)
        return tuple(values)

    def after(self, queryset, values):
        """The rows listed after position `values` in this order, in this order (keyset
        pagination: an index range scan, where OFFSET would walk every earlier row)."""
        (first, first_descending), *_ = self.columns
        condition = Q()
        for n, (path, descending) in enumerate(self.columns):
            equal = {p: v for (p, _), v in zip(self.columns[:n], values, strict=False)}
            beyond = {f"{path}__{'lt' if descending else 'gt'}": values[n]}
            condition |= Q(**equal, **beyond)
        # Redundant, but it lets the index bound the scan on its first column.
        bound = {f"{first}__{'lte' if first_descending else 'gte'}": values[0]}
        return queryset.filter(condition, **bound).order_by(*self.fields)


# Cursors ------------------------------------------------------------------------------------


class BadCursor(ValueError):
    """A page link whose cursor can't be read, or belongs to another order."""

    def __init__(self, message, param=NEXT):
        super().__init__(message)
        self.param = param


_DATE = re.compile(r"\d{4}-\d{2}-\d{2}", re.ASCII)
_INTEGER = re.compile(r"-?\d{1,19}", re.ASCII)
_ESCAPED = re.compile(r"(?:[A-Za-z0-9_~:+-]|%[0-9A-Fa-f]{2})*", re.ASCII)
_INTEGER_TYPES = {
    "AutoField",
    "BigAutoField",
    "SmallAutoField",
    "IntegerField",
    "BigIntegerField",
    "SmallIntegerField",
    "PositiveIntegerField",
    "PositiveBigIntegerField",
    "PositiveSmallIntegerField",
}


def _format_value(value):
    if isinstance(value, datetime.date):  # dates and datetimes
        text = value.isoformat()
    else:
        text = str(value)
    # "." separates the values, so it is escaped inside one.
    return quote(text, safe="-:").replace(".", "%2E")


def _parse_value(field, text):
    """One value of a cursor, as strict as the format it was written in: never a 500."""
    kind = field.get_internal_type()
    if kind == "DateField":
        if not _DATE.fullmatch(text):
            raise ValueError(text)
        return datetime.date.fromisoformat(text)
    if kind in _INTEGER_TYPES or field.primary_key:
        if not _INTEGER.fullmatch(text):
            raise ValueError(text)
        number = int(text)
        if not -(2**63) < number < 2**63 or (field.primary_key and number < 1):
            raise ValueError(text)
        return number
    if not _ESCAPED.fullmatch(text):
        raise ValueError(text)
    value = unquote(text, errors="strict")
    if "\x00" in value:  # PostgreSQL can't compare text with NUL in it
        raise ValueError(text)
    if kind == "DateTimeField":
        return datetime.datetime.fromisoformat(value)
    return field.to_python(value)


@dataclass(frozen=True)
class Cursor:
    """A position in an ordering (the row's value of each column) and the way to go from it:
    forwards, the rows listed after it (``before=``); backwards, the rows listed before it
    (``after=``). Text: the values joined by ".", each escaped; "2025-06-29.123" for claims."""

    values: tuple
    backwards: bool = False
    tag: str = ""  # the ordering's tag, first in the text

    @property
    def param(self):
        return PREVIOUS if self.backwards else NEXT

    def __str__(self):
        values = ".".join(_format_value(v) for v in self.values)
        return f"{self.tag}.{values}" if self.tag else values

    @classmethod
    def of_row(cls, ordering, row, *, backwards=False):
        return cls(ordering.values_of(row), backwards, ordering.tag)

    @classmethod
    def parse(cls, text, ordering, *, backwards=False):
        """The cursor written as `text` in `ordering`; BadCursor for any other text."""
        param = PREVIOUS if backwards else NEXT
        parts = text.split(".") if len(text) <= MAX_CURSOR_LENGTH else []
        tag = ordering.tag
        if tag:
            if not parts or parts[0] != tag:
                raise BadCursor("This page link belongs to another order.", param)
            parts = parts[1:]
        if len(parts) != len(ordering.fields):
            raise BadCursor("This page link is damaged.", param)
        try:
            values = tuple(
                _parse_value(_field(ordering.model, path), part)
                for (path, _), part in zip(ordering.columns, parts, strict=True)
            )
        except (ValueError, ValidationError, UnicodeDecodeError) as error:
            raise BadCursor("This page link is damaged.", param) from error
        return cls(values, backwards, tag)

    @classmethod
    def from_query(cls, query, ordering):
        """The cursor in QueryDict `query`, or None. `ordering`: the list's order, None when
        it pages by number only (then any cursor is an error: it belongs to another order)."""
        given = [name for name in CURSOR_PARAMS if name in query]
        if not given:
            return None
        param = given[0]
        if len(given) != 1 or len(query.getlist(param)) != 1:
            raise BadCursor("A page link takes one cursor.", param)
        if ordering is None:
            raise BadCursor("This page link belongs to another order.", param)
        return cls.parse(query[param], ordering, backwards=param == PREVIOUS)


def legacy_cursor(token, ordering):
    """A cursor from the API's earlier links: base64 of "o=0&r=1&p=<position>", the position
    being the values joined by "_" ("2025-06-29_123"). None for the first page."""
    try:
        fields = parse_qs(base64.b64decode(token.encode("ascii"), validate=True).decode("ascii"))
        offset = int(fields.get("o", ["0"])[0])
        backwards = bool(int(fields.get("r", ["0"])[0]))
    except (ValueError, UnicodeError, binascii.Error) as error:
        raise BadCursor("This page link is damaged.", LEGACY_CURSOR) from error
    position = fields.get("p", [None])[0]
    if ordering is None or offset:
        raise BadCursor("This page link belongs to another order.", LEGACY_CURSOR)
    if position is None:
        return None
    parts = position.rsplit("_", len(ordering.fields) - 1)
    try:
        text = ".".join(_format_value(part) for part in parts)
        return Cursor.parse(text, ordering, backwards=backwards)
    except BadCursor as error:
        raise BadCursor(str(error), LEGACY_CURSOR) from error


# Pages --------------------------------------------------------------------------------------


class Page:
    """One page of `queryset` (filtered and in its final order), as `query` asks for it.

    With a `cursor` (ordering given): the rows next to it. Without: page ?page=, numbered
    within the first OFFSET_ROWS_LIMIT rows (within `total` when known); from there on an
    ordering with a cursor links "Older" by cursor, others stop (`limit_reached`).
    `rows(queryset)` adds what a shown row needs (select_related, annotations) to the query
    that fetches the page only: the OFFSET of a numbered page runs on ids alone.

    Links are query strings (the filter plus one page parameter): `next_query` (older),
    `previous_query` (newer) and `first_query` (newest, on cursor pages)."""

    def __init__(
        self, queryset, query, *, per_page, ordering=None, cursor=None, total=None, rows=None
    ):
        self.query = query
        self.per_page = per_page
        self.ordering = ordering
        self.number = self.pages = None
        self.next_query = self.previous_query = self.first_query = None
        self.limit_reached = False
        rows = rows or (lambda listed: listed)
        if cursor is None:
            self._numbered(queryset, rows, total)
        else:
            self._beside(rows(queryset), cursor)

    def _numbered(self, queryset, rows, total):
        per_page, limit = self.per_page, OFFSET_ROWS_LIMIT
        known = total if total is not None else limit
        pages = max(1, math.ceil(min(known, limit) / per_page))
        number = page_number(self.query.get("page"), last=pages)
        start = (number - 1) * per_page
        # One more row than a page: is there a next? Past page 1 the OFFSET runs on ids
        # alone, so skipped rows cost an index entry, not what a shown row needs.
        window = slice(start, start + per_page + 1)
        listed = rows(queryset)
        if start:
            listed = listed.filter(pk__in=queryset.values("pk")[window])
            window = slice(None)
        fetched = list(listed[window])
        more = len(fetched) > per_page
        self.rows = fetched[:per_page]
        self.number = number
        if total is not None and total <= limit:
            self.pages = pages
        if number > 1:
            previous = {"page": number - 1} if number > 2 else {}
            self.previous_query = link(self.query, **previous)
        if more and self.ordering is not None:
            self.next_query = self._cursor_link(self.rows[-1])
        elif more and number < pages:
            self.next_query = link(self.query, page=number + 1)
        elif more:
            self.limit_reached = True

    def _beside(self, listed, cursor):
        per_page = self.per_page
        self.first_query = link(self.query)
        if cursor.backwards:
            fetched = list(self.ordering.reversed().after(listed, cursor.values)[: per_page + 1])
            self.rows = fetched[:per_page][::-1]
            more_after, more_before = True, len(fetched) > per_page
        else:
            fetched = list(self.ordering.after(listed, cursor.values)[: per_page + 1])
            self.rows = fetched[:per_page]
            more_after = len(fetched) > per_page
            more_before = True  # the cursor's own row, at least
        if self.rows and more_before:
            self.previous_query = self._cursor_link(self.rows[0], backwards=True)
        if self.rows and more_after:
            self.next_query = self._cursor_link(self.rows[-1])

    def _cursor_link(self, row, *, backwards=False):
        cursor = Cursor.of_row(self.ordering, row, backwards=backwards)
        return link(self.query, **{cursor.param: cursor})

    @property
    def limit_label(self):
        return f"{OFFSET_ROWS_LIMIT:,}"

    @property
    def other_pages(self):
        return bool(self.next_query or self.previous_query or self.first_query)


# Claim lists --------------------------------------------------------------------------------

CLAIM_ORDER = Ordering.default(Claim)
# Each ?ordering= the list and the API offer (claims.filters), as the filter writes it: the
# column, then the primary key in the same direction.
CLAIM_SORTS = {
    "stated": ("stated_on", "pk"),
    "headline": ("headline", "pk"),
    "actor": ("actor__name", "pk"),
    "status": ("status", "pk"),
    "updated": ("updated_at", "pk"),
}
# The orderings an index serves in both directions, so they page by cursor at any depth: all
# of the sorts above and their reverses (claims.models.Claim.Meta.indexes).
CLAIM_CURSOR_ORDERINGS = frozenset(
    {CLAIM_ORDER}
    | {Ordering(Claim, fields) for fields in CLAIM_SORTS.values()}
    | {Ordering(Claim, fields).reversed() for fields in CLAIM_SORTS.values()}
)


def claim_cursor_ordering(queryset):
    """The claim queryset's order if it pages by cursor, else None (numbered pages only)."""
    ordering = Ordering.of(queryset)
    return ordering if ordering in CLAIM_CURSOR_ORDERINGS else None


def _count_label(n):
    return f"{COUNT_CAP:,}+" if n > COUNT_CAP else f"{n:,}"


def _about(n):
    """An estimate as a page shows it: two significant figures ("about 160,000")."""
    if n >= 100:
        digits = len(str(n)) - 2
        n = round(n, -digits)
    return f"about {n:,}"


def _budgeted_group_by_status(queryset):
    """{status: count} in one GROUP BY within the count budget, None when over it: for a
    text search, where capped counts per status would run the full-text match three times."""
    field = status_field(queryset)
    grouped = queryset.order_by().values(field).annotate(n=Count("pk"))
    grouped = grouped.values_list(field, "n")
    sql, params = grouped.query.get_compiler(queryset.db).as_sql()
    rows = run_within(queryset.db, sql, params, COUNT_TIMEOUT_MS)
    return None if rows is None else dict(rows)


class Facets:
    """The status and actor facets of a valid ClaimFilter, and the total they give.

    Bounded at any table size (bench/RESULTS.md): the total and the status facets are counted
    up to COUNT_CAP each within COUNT_TIMEOUT_MS, and when that is not enough (a common word
    among a million claims) they are the planner's estimates, so the page always has a count;
    the unfiltered total is PostgreSQL's estimate; the actor facet samples the newest
    COUNT_CAP matches. All cached per filter and data version for CLAIM_FACET_CACHE_SECONDS,
    so a write shows in the counts at the next request. `total` is None when not known
    exactly (estimated or over the cap)."""

    def __init__(self, filterset, query, *, base_queryset, fixed=()):
        self.filterset, self.query = filterset, query
        self.base_queryset, self.fixed = base_queryset, fixed
        self.statuses, self.actors, self.actors_sampled = [], [], False
        self.chart_unit, self.chart_bars, self.chart, self.months = None, [], {}, []
        self.chart_bars_html = self.chart_rows_html = ""
        seconds = settings.CLAIM_FACET_CACHE_SECONDS
        if seconds > 0:
            counted = cache.get_or_set(self._cache_key(), self._count, seconds)
        else:
            counted = self._count()
        self._show(counted)

    sample_label = f"{COUNT_CAP:,}"

    @property
    def is_filtered(self):
        return bool(self.fixed) or any(
            value not in (None, "", [], ())
            for name, value in self.filterset.form.cleaned_data.items()
            if name != "ordering"
        )

    def _cache_key(self):
        query = page_free(self.query)
        query.pop("ordering", None)
        normalized = sorted((k, sorted(v)) for k, v in query.lists() if any(x.strip() for x in v))
        scope = f"{self.base_queryset.query}|{normalized}"
        digest = hashlib.sha256(scope.encode()).hexdigest()
        return f"claim-facets:{data_version()}:{digest}"

    # Filters the per-day counts can answer exactly (ClaimDayCount): statuses and dates.
    DAY_COUNT_FILTERS = frozenset({"status", "stated_from", "stated_to", "ordering"})

    def _from_day_counts(self):
        """The facets of the whole table, or of statuses and a date range of it, from the
        per-day counts: exact and some milliseconds at any size. None for other filters."""
        used = {
            name
            for name, value in self.filterset.form.cleaned_data.items()
            if value not in (None, "", [], ())
        }
        if self.fixed or self.base_queryset.query.where or not used <= self.DAY_COUNT_FILTERS:
            return None
        data = self.filterset.form.cleaned_data
        dates = {"stated_from": data.get("stated_from"), "stated_to": data.get("stated_to")}
        # The status facet counts every status, ticked or not; the chart the ticked ones.
        every_status = charts.day_count_rows(**dates)
        ticked = set(data.get("status") or ())
        over_time = [row for row in every_status if row[2] in ticked] if ticked else every_status
        statuses = dict.fromkeys(Claim.Status.values, 0)
        for _month, _week, status, n in every_status:
            statuses[status] += n
        return {
            "statuses": statuses,
            "statuses_exact": True,
            "actors": self._busiest_actors(),
            "estimate": None,
            "over_time": over_time,
        }

    def _busiest_actors(self):
        """[(Actor, claims)] of the actor facet, or None when over its time budget."""
        top = self.filterset.qs.top_actors(limit=TOP_ACTORS)
        if top is None:
            return None
        by_id = Actor.objects.only("slug", "name").in_bulk([pk for pk, _ in top])
        return [(by_id[pk], n) for pk, n in top if pk in by_id]

    def _count(self):
        """What the facets show, from the database: the statuses counted over every filter
        but the status (so a ticked status leaves the others' links), the busiest actors, and
        for an unfiltered list the table's estimated size."""
        from_day_counts = self._from_day_counts()
        if from_day_counts is not None:
            return from_day_counts
        others = self.filterset.qs_without("status")
        sampled = estimated = False
        expected = None
        if self.filterset.form.cleaned_data.get("q"):
            # A search's GROUP BY reads every match, and PostgreSQL stops a full-text match
            # only late when over its time limit (30 ms for a 15 ms budget): when the planner
            # expects more matches than a count could show exactly, go to estimates at once.
            expected = estimated_counts([others])
            if expected is not None and expected[0] > COUNT_CAP:
                statuses = None
            else:
                statuses = _budgeted_group_by_status(others)
        else:
            statuses = others.status_counts()
            sampled = statuses is not None and as_of_counts_sampled(others, statuses, COUNT_CAP)
        if statuses is None:
            # Over the budget means many matches (or a costly filter): estimates, and neither
            # the actor sample nor the chart, which would cost as much again for a common word.
            statuses = others.estimated_status_counts(expected and expected[0])
            estimated = True
        actors = over_time = None
        if not estimated:
            if "actor" not in self.fixed:
                actors = self._busiest_actors()
            # Claims over time and the month facet: one GROUP BY, cached with the counts. Not
            # for more than COUNT_CAP claims as of a date: each one's status of then would be
            # looked up (a quarter of a second at a million claims).
            if not sampled:
                over_time = charts.over_time_rows(self.filterset.qs)
        estimate = None if self.is_filtered else Claim.objects.estimated_count()
        return {
            "statuses": statuses,
            "statuses_sampled": sampled,
            "statuses_estimated": estimated,
            "actors": actors,
            "estimate": estimate,
            "over_time": over_time,
        }

    def _show(self, counted):
        self._show_over_time(counted.get("over_time"))
        counts = counted["statuses"]
        sampled = counted.get("statuses_sampled", False)
        estimated = counted.get("statuses_estimated", False)
        exact = counted.get("statuses_exact", False)
        active = set(self.filterset.form.cleaned_data.get("status") or ())
        capped = False
        if counts is None:  # over the budget, and no estimates on this database
            self.total, self.total_label = None, ""
        else:
            shown = [n for status, n in counts.items() if not active or status in active]
            # As-of counts of a full sample are lower bounds: more than the cap in all.
            capped = not exact and (sampled or any(n > COUNT_CAP for n in shown))
            self.total = None if estimated else sum(shown)
            if estimated:
                self.total_label = _about(sum(shown))
            else:
                self.total_label = f"{COUNT_CAP:,}+" if capped else f"{self.total:,}"
        if counted["estimate"] is not None and (counts is None or capped or estimated):
            self.total, self.total_label = None, _about(counted["estimate"])

        def label(status):
            if counts is None:
                return ""
            n = counts.get(status, 0)
            if estimated:
                return _about(n)
            if exact:
                return f"{n:,}"
            return f"{n:,}+" if sampled else _count_label(n)

        self.statuses = [
            {
                "value": status,
                "label": name,
                "count": None if counts is None or estimated else counts.get(status, 0),
                "count_label": label(status),
                "active": status in active,
                "query": with_value(self.query, "status", status),
            }
            for status, name in Claim.Status.choices
        ]
        if counted["actors"] is None:
            return
        # top_actors() looks at the newest COUNT_CAP matches only: say so when there are more.
        self.actors_sampled = self.total is None or self.total > COUNT_CAP
        active_actors = set(self.query.getlist("actor"))
        self.actors = [
            {
                "actor": actor,
                "count": n,
                "active": actor.slug in active_actors,
                "query": with_value(self.query, "actor", actor.slug),
            }
            for actor, n in counted["actors"]
        ]

    def _show_over_time(self, rows):
        """The chart's bars and the month facet, each linking to its date range."""
        self.chart_unit, self.chart_bars = charts.buckets(rows or [])
        self.chart = charts.lay_out(self.chart_bars)
        for bar in self.chart_bars:
            bar.query = self._range_query(bar.start, bar.end)
        self.chart_bars_html, self.chart_rows_html = charts.bars_html(self.chart_bars, self.chart)
        self.months = [
            {"start": start, "count": n, "query": self._range_query(start, end)}
            for start, end, n in charts.month_facet(rows)
        ]

    def _range_query(self, start, end):
        ranged = page_free(self.query)
        ranged["stated_from"], ranged["stated_to"] = start.isoformat(), end.isoformat()
        return ranged.urlencode()


def _url_pattern(name, **placeholder):
    """A function of one value giving the path of `name` for it: reverse() once, with
    `placeholder` (a value that appears once in the path) standing in for the value."""
    ((key, value),) = placeholder.items()
    path = reverse(name, kwargs={key: value})
    head, tail = path.rsplit(f"/{value}/", 1)
    return lambda actual: f"{head}/{actual}/{tail}"


def _day_label(day):
    """A date as the lists show it, "18 Oct 2024" (the template filter's "j M Y")."""
    return f"{day.day} {MONTHS_3[day.month].title()} {day.year}"


class ClaimBrowser:
    """The filtered claim list of a page: the one ClaimFilter, its facets, one page of rows.

    `fixed` names parameters the page sets itself (the actor on an actor's page). A filter
    that doesn't validate, or a damaged cursor, shows no rows: `status_code` is then 400."""

    def __init__(self, request, queryset, *, fixed=()):
        self.query = request.GET.copy()
        for name in fixed:
            self.query.pop(name, None)
        self.fixed = fixed
        self.filterset = ClaimFilter(page_free(self.query), queryset=queryset, request=request)
        self.is_valid = self.filterset.is_valid()
        self.cursor_error = False
        self.facets = self.page = None
        if self.is_valid:
            listed = self.filterset.qs
            ordering = claim_cursor_ordering(listed)
            try:
                cursor = Cursor.from_query(self.query, ordering)
            except BadCursor:
                self.cursor_error = True
            else:
                self.facets = Facets(
                    self.filterset, self.query, base_queryset=queryset, fixed=fixed
                )
                self.page = Page(
                    listed,
                    self.query,
                    per_page=CLAIMS_PER_PAGE,
                    ordering=ordering,
                    cursor=cursor,
                    total=self.facets.total,
                    rows=lambda claims: claims.for_list(),
                )
        self.ok = self.is_valid and not self.cursor_error
        self.status_code = 200 if self.ok else 400

    @property
    def claims(self):
        return self.page.rows if self.page else []

    @cached_property
    def form_fields(self):
        """[(name, HTML)] of the filter form's fields, rendered once per query string (and
        data version: an unknown actor's error depends on the data) and then kept in the
        shared cache; Django's field groups cost more to render than the whole list's SQL."""
        query = page_free(self.query).urlencode()
        scope = f"{query}|{','.join(self.fixed)}"
        key = f"filter-form:{data_version()}:{hashlib.sha256(scope.encode()).hexdigest()}"
        fields = cache.get(key)
        if fields is None:
            form = self.filterset.form
            fields = [(field.name, str(field.as_field_group())) for field in form]
            # Kept even with the page cache off: the key has the data version, so it is
            # never stale, and rendering it costs more than the list's SQL.
            cache.set(key, fields, settings.CLAIM_PAGE_CACHE_SECONDS or 60)
        return [(name, mark_safe(html)) for name, html in fields]  # noqa: S308 - rendered

    @cached_property
    def rows_html(self):
        """The table's rows, built here in one format_html_join: the links from one reverse()
        each, the dates formatted in Python, every value escaped. A template would spend a
        variable lookup per cell, ten times the list's own SQL at 50 rows."""
        claim_url = _url_pattern("claims:claim-detail", pk=0)
        actor_url = _url_pattern("claims:actor-detail", slug="x")
        labels = dict(Claim.Status.choices)
        as_of = self.as_of
        suffix = f"?as_of={as_of.isoformat()}" if as_of else ""
        # An actor's own page leaves its actor column out.
        actor_cell = "" if self.actor_fixed else '<td data-label="Actor"><a href="{}">{}</a></td>'
        row = (
            '<tr><td data-label="Claim"><a href="{}">{}</a></td>'
            + actor_cell
            + '<td data-label="Stated"><time datetime="{}">{}</time></td>'
            '<td data-label="Status"><span class="status status-{}">{}</span></td>'
            '<td data-label="Sources">{}</td></tr>\n'
        )

        def cells(claim):
            actor = (
                () if self.actor_fixed else (actor_url(claim.actor.slug) + suffix, claim.actor.name)
            )
            return (
                claim_url(claim.pk) + suffix,
                claim.headline,
                *actor,
                claim.stated_on.isoformat(),
                _day_label(claim.stated_on),
                claim.status,
                labels.get(claim.status, claim.status),
                claim.source_count,
            )

        return format_html_join("", row, (cells(claim) for claim in self.claims))

    @property
    def total(self):
        return self.facets.total if self.facets else 0

    @property
    def total_label(self):
        return self.facets.total_label if self.facets else ""

    @property
    def status_facets(self):
        return self.facets.statuses if self.facets else []

    @property
    def actor_facets(self):
        return self.facets.actors if self.facets else []

    @property
    def actor_facets_sampled(self):
        return bool(self.facets and self.facets.actors_sampled)

    @property
    def first_page_query(self):
        return page_free(self.query).urlencode()

    @cached_property
    def active_filters(self):
        """Each parameter value now applied, with the link that removes just that one."""
        form = self.filterset.form
        statuses = dict(Claim.Status.choices)
        active = []
        for name, values in self.query.lists():
            # The as-of date has its own banner, with its own "show today's" link.
            if name in PAGE_PARAMS or name not in form.fields or name == "as_of":
                continue
            field = form.fields[name]
            offered = [(str(k), str(v)) for k, v in getattr(field, "choices", None) or ()]
            choices = dict(offered)
            # A choice with no blank option (sub-actors: included) starts on its first
            # value: that is the default, not a filter the user added.
            default = offered[0][0] if offered and "" not in choices else None
            for value in values:
                if not value.strip() or (name != "status" and value == default):
                    continue
                shown = statuses.get(value, value) if name == "status" else value
                shown = choices.get(shown, shown)
                active.append(
                    {
                        "label": str(form.fields[name].label or name),
                        "value": shown,
                        "query": without_value(self.query, name, value),
                    }
                )
        return active

    @property
    def as_of(self):
        """The date the list shows the record as of, or None (today's record)."""
        return self.filterset.form.cleaned_data.get("as_of") if self.is_valid else None

    @property
    def actor_fixed(self):
        return "actor" in self.fixed

    @property
    def actor_values(self):
        return self.query.getlist("actor")
