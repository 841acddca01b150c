"""Pictures of the record, drawn on the server as SVG (templates/claims/_chart_*.html) from
small data computed here: claims over time stacked by status, an actor's track-record strip
and a claim's verdict timeline. Each takes a fixed number of queries (aggregates in the
database, never one per bar) and the claim list caches its chart with the facets."""

import datetime
from dataclasses import dataclass, field

from django.db import connections
from django.db.models import Count, F, OuterRef, Subquery
from django.db.models.functions import TruncMonth, TruncWeek
from django.utils import timezone
from django.utils.html import format_html_join

from .models import (
    FACET_TIMEOUT_MS,
    Claim,
    ClaimDayCount,
    StatusChange,
    run_within,
    status_field,
)

WEEK, MONTH, YEAR = "week", "month", "year"
# Up to this many days of claims: a bar a week; up to MONTHS_SPAN_DAYS a bar a month; beyond,
# a bar a year (a century of claims is some 127 bars, never thousands).
WEEKS_SPAN_DAYS = 26 * 7
MONTHS_SPAN_DAYS = 3 * 366
MONTH_FACET_LENGTH = 24  # the newest months in the month facet
STRIP_LENGTH = 60  # marks on an actor's track-record strip: its newest claims
STATUSES = list(Claim.Status.values)
# Text, a fill and a pattern for each status: the pattern and the label say it too, so the
# colour never carries the meaning alone. Fills reach 4.5:1 or more against white.
STATUS_WORDS = {"confirmed": "confirmed", "denied": "refuted", "unverified": "unverified"}


def _week_start(day):
    return day - datetime.timedelta(days=day.weekday())


def _month_start(day):
    return day.replace(day=1)


def _next(start, unit):
    if unit == WEEK:
        return start + datetime.timedelta(days=7)
    if unit == MONTH:
        return (start.replace(day=28) + datetime.timedelta(days=4)).replace(day=1)
    return start.replace(year=start.year + 1, month=1, day=1)


def _as_date(value):
    return value.date() if isinstance(value, datetime.datetime) else value


def over_time_rows(queryset, timeout_ms=FACET_TIMEOUT_MS):
    """[(month, week, status, count)] for the claims of `queryset` in ONE GROUP BY; None when
    over the time budget. The week and the month both: the chart picks its bar width from
    the range, the month facet sums the months, without a second query.

    The database groups by day and the days are folded into weeks and months here: a few
    thousand groups (ten years of days, three statuses). Truncating in SQL instead costs
    two date functions per claim, which on SQLite are Python functions Django registers:
    4.6 s for a million claims, where grouping by day reads the (status, stated_on) index
    in order (bench/DATASETTE.md). PostgreSQL's own date_trunc costs next to nothing, and
    it hands back a tenth of the rows to fold (weeks, not days)."""
    field_name = status_field(queryset)
    postgres = connections[queryset.db].vendor == "postgresql"
    if postgres:
        queryset = queryset.annotate(month=TruncMonth("stated_on"), day=TruncWeek("stated_on"))
    else:
        queryset = queryset.annotate(day=F("stated_on"))
    grouped = (
        queryset.order_by()
        .values(*(["month"] if postgres else []), "day", field_name)
        .annotate(n=Count("pk"))
        .values_list(*(["month"] if postgres else []), "day", field_name, "n")
    )
    sql, params = grouped.query.get_compiler(queryset.db).as_sql()
    rows = run_within(queryset.db, sql, params, timeout_ms)
    if rows is None:
        return None
    if postgres:
        return [(_parse_day(m), _parse_day(w), status, n) for m, w, status, n in rows]
    return _fold_days(rows)


def day_count_rows(statuses=(), stated_from=None, stated_to=None):
    """over_time_rows() for all claims, or those of some statuses between two dates, read
    from the per-day counts (ClaimDayCount) instead of the claims: some thousand rows for
    ten years of claims, whatever their number."""
    days = ClaimDayCount.objects.filter(n__gt=0)
    if statuses:
        days = days.filter(status__in=statuses)
    if stated_from:
        days = days.filter(day__gte=stated_from)
    if stated_to:
        days = days.filter(day__lte=stated_to)
    # Straight from the cursor, as over_time_rows: no ORM converters on a thousand rows.
    rows = days.order_by().values_list("day", "status", "n")
    sql, params = rows.query.get_compiler(rows.db).as_sql()
    return _fold_days(run_within(rows.db, sql, params, None))


def _fold_days(rows):
    """[(month, week, status, count)] from [(day, status, count)]."""
    totals, starts = {}, {}
    one_day = datetime.timedelta(days=1)
    for day, status, n in rows:
        # Each day comes once per status: its month and week are worked out once.
        start = starts.get(day)
        if start is None:
            parsed = _parse_day(day)  # raw SQL hands SQLite's dates back as text
            week = parsed - one_day * parsed.weekday()
            start = starts[day] = (parsed.replace(day=1), week)
        key = (start[0], start[1], status)
        totals[key] = totals.get(key, 0) + n
    return [(month, week, status, n) for (month, week, status), n in totals.items()]


def _parse_day(value):
    if isinstance(value, str):
        return datetime.date.fromisoformat(value[:10])
    return _as_date(value)


def choose_unit(first, last):
    span = (last - first).days
    if span <= WEEKS_SPAN_DAYS:
        return WEEK
    if span <= MONTHS_SPAN_DAYS:
        return MONTH
    return YEAR


@dataclass
class Bar:
    start: datetime.date
    end: datetime.date  # the last day in the bar
    counts: dict
    label: str = ""
    query: str = ""
    segments: list = field(default_factory=list)
    x: float = 0

    @property
    def total(self):
        return sum(self.counts.values())


def buckets(rows, unit=None):
    """The bars for `over_time_rows`: one per week, month or year from the first claim's to
    the last's, empty ones included (a gap shows as a gap), each with its counts by status."""
    if not rows:
        return unit, []
    weeks = [r[1] for r in rows]
    unit = unit or choose_unit(min(weeks), max(weeks) + datetime.timedelta(days=6))
    if unit == WEEK:
        start_of = _week_start
    elif unit == MONTH:
        start_of = _month_start
    else:
        start_of = lambda day: day.replace(month=1, day=1)  # noqa: E731
    totals = {}
    for month, week, status, n in rows:
        key = start_of(week if unit == WEEK else month)
        counts = totals.setdefault(key, dict.fromkeys(STATUSES, 0))
        counts[status] = counts.get(status, 0) + n
    bars = []
    start = start_of(min(totals))
    while start <= max(totals):
        after = _next(start, unit)
        bars.append(
            Bar(
                start=start,
                end=after - datetime.timedelta(days=1),
                counts=totals.get(start, dict.fromkeys(STATUSES, 0)),
                label=_label(start, unit),
            )
        )
        start = after
    return unit, bars


def _label(start, unit):
    if unit == WEEK:
        return f"week of {start:%-d %b %Y}"
    if unit == MONTH:
        return f"{start:%b %Y}"
    return f"{start.year}"


def month_facet(rows, limit=MONTH_FACET_LENGTH):
    """[(month start, month end, count)], newest first, at most `limit` months with claims."""
    months = {}
    for month, _week, _status, n in rows or ():
        months[month] = months.get(month, 0) + n
    newest = sorted(months.items(), reverse=True)[:limit]
    return [(m, _next(m, MONTH) - datetime.timedelta(days=1), n) for m, n in newest]


def bars_html(bars, chart):
    """The chart's bars as SVG links and the same numbers as table rows, built here with
    format_html_join (every value escaped): the template's loop cost a variable lookup per
    attribute, more than the chart's query, on a chart of many bars."""
    width = chart.get("bar_width", 0)
    height = chart.get("height", CHART_HEIGHT)
    segment = (
        '<rect x="{}" y="{}" width="{}" height="{}" fill="url(#fill-{})" stroke="#000" '
        'stroke-width="0.5"><title>{}: {} {}</title></rect>'
    )
    links = format_html_join(
        "\n",
        '<a href="?{}" aria-label="{}: {} claim{}"><rect x="{}" y="0" width="{}" height="{}" '
        'fill="#ffffff" fill-opacity="0"/>{}</a>',
        (
            (
                bar.query,
                bar.label,
                bar.total,
                "" if bar.total == 1 else "s",
                bar.x,
                width,
                height,
                format_html_join(
                    "",
                    segment,
                    (
                        (bar.x, s["y"], width, s["height"], s["status"], bar.label)
                        + (s["count"], s["status"])
                        for s in bar.segments
                    ),
                ),
            )
            for bar in bars
        ),
    )
    rows = format_html_join(
        "\n",
        '<tr><th scope="row"><a href="?{}">{}</a></th><td>{}</td><td>{}</td><td>{}</td>'
        "<td>{}</td></tr>",
        (
            (bar.query, bar.label)
            + tuple(bar.counts.get(status, 0) for status in STATUSES)
            + (bar.total,)
            for bar in bars
            if bar.total
        ),
    )
    return links, rows


# Geometry: the SVG's own units, scaled to the page's width by the viewBox.
CHART_WIDTH, CHART_HEIGHT, CHART_PAD = 600, 160, 4


def lay_out(bars):
    """Give each bar its x and its stacked segments' y and height (status order fixed)."""
    if not bars:
        return {"width": CHART_WIDTH, "height": CHART_HEIGHT, "bar_width": 0}
    tallest = max(bar.total for bar in bars) or 1
    slot = CHART_WIDTH / len(bars)
    for n, bar in enumerate(bars):
        bar.x = round(n * slot, 2)
        y = CHART_HEIGHT
        bar.segments = []
        for status in STATUSES:
            count = bar.counts.get(status, 0)
            if not count:
                continue
            height = round(count / tallest * (CHART_HEIGHT - CHART_PAD), 2)
            y = round(y - height, 2)
            bar.segments.append({"status": status, "count": count, "y": y, "height": height})
    return {
        "width": CHART_WIDTH,
        "height": CHART_HEIGHT,
        "bar_width": round(max(slot - 1, 0.5), 2),
        "tallest": tallest,
    }


# An actor's track record -------------------------------------------------------------------


def decided_on_subquery():
    """The day a claim got its first verdict other than unverified, or NULL."""
    first = (
        StatusChange.objects.filter(claim=OuterRef("pk"))
        .exclude(new_status=Claim.Status.UNVERIFIED)
        .order_by("changed_at", "pk")
        .values("changed_at")[:1]
    )
    return Subquery(first)


def track_strip(claims, *, as_of=None, limit=STRIP_LENGTH):
    """The actor's newest `limit` claims in date order (oldest first), each with its final
    (or as-of) verdict and how long it took to be decided: one query."""
    listed = claims.as_of(as_of) if as_of else claims
    rows = list(
        listed.annotate(decided_at=decided_on_subquery())
        .order_by("-stated_on", "-pk")
        .only("pk", "headline", "stated_on", "status")[:limit]
    )
    rows.reverse()
    end = (
        timezone.make_aware(datetime.datetime.combine(as_of, datetime.time.max)) if as_of else None
    )
    marks = []
    for claim in rows:
        decided = claim.decided_at
        if decided is not None and end is not None and decided > end:
            decided = None  # decided only later than the as-of date
        days = (
            None
            if decided is None
            else max((timezone.localdate(decided) - claim.stated_on).days, 0)
        )
        word = STATUS_WORDS[claim.status]
        if claim.status == Claim.Status.UNVERIFIED or days is None:
            summary = "not decided yet" if claim.status == Claim.Status.UNVERIFIED else word
        else:
            summary = f"{word} {days} day{'s' if days != 1 else ''} later"
        marks.append({"claim": claim, "status": claim.status, "days": days, "summary": summary})
    slot = CHART_WIDTH / max(len(marks), 1)
    for n, mark in enumerate(marks):
        mark["x"] = round(n * slot, 2)
    return {"marks": marks, "mark_width": round(max(slot - 2, 1), 2), "width": CHART_WIDTH}


# A claim's verdict timeline ------------------------------------------------------------------


def verdict_bands(claim, timeline, *, as_of=None, today=None):
    """The claim's timeline as bands on a line from the day it was stated to today (or the
    as-of date): each band the status between two changes, with its dates and width."""
    today = as_of or today or timezone.localdate()
    start = claim.stated_on
    changes = [c for c in timeline if not getattr(c, "after_as_of", False)]
    points = []
    for change in changes:
        day = max(timezone.localdate(change.changed_at), start)
        if points and points[-1][1] == change.new_status:
            continue  # the same verdict again: one band
        points.append((day, change.new_status))
    if not points or points[0][0] > start:
        points.insert(0, (start, Claim.Status.UNVERIFIED))
    total = max((today - start).days, 1)
    bands = []
    for n, (day, status) in enumerate(points):
        until = points[n + 1][0] if n + 1 < len(points) else today
        x = (day - start).days / total * CHART_WIDTH
        width = max((until - day).days / total * CHART_WIDTH, 2)
        bands.append(
            {
                "status": status,
                "word": STATUS_WORDS[status],
                "from": day,
                "to": until,
                "x": round(min(x, CHART_WIDTH - 2), 2),
                "width": round(min(width, CHART_WIDTH - x) if x < CHART_WIDTH else 2, 2),
            }
        )
    return {"bands": bands, "start": start, "end": today, "width": CHART_WIDTH}
