"""What changed between two dates: every verdict in the range, newest first, for the
/changes/ page, its CSV and the API. The claim list's filters (the one ClaimFilter) narrow
the claims whose verdicts are listed."""

import csv
import datetime

from django import forms
from django.db.models import Count, Q
from django.utils import timezone

from .filters import DATE_INPUT, AsOfDateField, ClaimFilter
from .listing import Cursor, Ordering, Page, page_free
from .models import FACET_TIMEOUT_MS, Claim, StatusChange, as_of_end, run_within

CHANGES_PER_PAGE = 50
DEFAULT_DAYS = 30  # without dates: the last month
CHANGE_ORDER = Ordering(StatusChange, ("-changed_at", "-pk"))
CSV_COLUMNS = [
    "changed_at",
    "claim_id",
    "claim_headline",
    "actor_slug",
    "actor_name",
    "old_status",
    "new_status",
    "rationale",
    "changed_by",
]


class ChangesForm(forms.Form):
    """The date range. Its fields are named for the URL, ?from=&to= ("from" is a Python
    keyword, so they are added here rather than declared)."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["from"] = AsOfDateField(label="Changed from", required=False, widget=DATE_INPUT)
        self.fields["to"] = AsOfDateField(label="Changed to", required=False, widget=DATE_INPUT)

    def clean(self):
        data = super().clean()
        if data.get("from") and data.get("to") and data["from"] > data["to"]:
            self.add_error("from", "The start date is after the end date: swap them.")
        return data


class Changes:
    """The verdict changes a query asks for: `is_valid`, `errors` (field: [messages]),
    `date_from`/`date_to`, `queryset` (newest first), `counts` ({new status: n} or None
    when over the time budget) and, after `paginate()`, `page`."""

    def __init__(self, query, request=None):
        self.query = query
        self.form = ChangesForm(query)
        claim_query = page_free(query)
        for name in ("from", "to"):
            claim_query.pop(name, None)
        self.filterset = ClaimFilter(claim_query, queryset=Claim.objects.all(), request=request)
        form_ok, filter_ok = self.form.is_valid(), self.filterset.is_valid()
        self.is_valid = form_ok and filter_ok
        self.errors = {**self.form.errors, **self.filterset.errors}
        self.page = None
        if not self.is_valid:
            return
        today = timezone.localdate()
        self.date_to = self.form.cleaned_data.get("to") or today
        self.date_from = self.form.cleaned_data.get("from") or (
            self.date_to - datetime.timedelta(days=DEFAULT_DAYS)
        )

    @property
    def filtered(self):
        data = self.filterset.form.cleaned_data
        return any(v not in (None, "", [], ()) for k, v in data.items() if k != "ordering")

    @property
    def queryset(self):
        start = as_of_end(self.date_from - datetime.timedelta(days=1))
        changes = StatusChange.objects.filter(
            changed_at__gte=start, changed_at__lt=as_of_end(self.date_to)
        ).exclude(
            # Recording a claim as unverified is not a verdict: only what an analyst decided.
            Q(old_status="") & Q(new_status=Claim.Status.UNVERIFIED)
        )
        if self.filtered:
            # Only with a filter: "claim in (every claim)" would cost a scan for nothing.
            changes = changes.filter(claim__in=self.filterset.qs.order_by().values("pk"))
        return changes.order_by(*CHANGE_ORDER.fields)

    @property
    def counts(self):
        """{new status: how many} in one GROUP BY, None when over the facet time budget."""
        grouped = (
            self.queryset.order_by()
            .values("new_status")
            .annotate(n=Count("pk"))
            .values_list("new_status", "n")
        )
        sql, params = grouped.query.get_compiler(grouped.db).as_sql()
        rows = run_within(grouped.db, sql, params, FACET_TIMEOUT_MS)
        if rows is None:
            return None
        found = dict(rows)
        return {status: found.get(status, 0) for status in Claim.Status.values}

    def rows(self, changes):
        return changes.select_related("claim__actor", "changed_by")

    def paginate(self):
        """Page of the changes, by cursor; raises listing.BadCursor for a damaged link."""
        cursor = Cursor.from_query(self.query, CHANGE_ORDER)
        self.page = Page(
            self.queryset,
            self.query,
            per_page=CHANGES_PER_PAGE,
            ordering=CHANGE_ORDER,
            cursor=cursor,
            rows=self.rows,
        )
        return self.page


def change_record(change):
    return {
        "changed_at": change.changed_at.isoformat(),
        "claim_id": change.claim_id,
        "claim_headline": change.claim.headline,
        "actor_slug": change.claim.actor.slug,
        "actor_name": change.claim.actor.name,
        "old_status": change.old_status,
        "new_status": change.new_status,
        "rationale": change.rationale,
        "changed_by": change.changed_by.get_username() if change.changed_by else "",
    }


class _Echo:
    def write(self, value):
        return value


def csv_lines(changes):
    """CSV text of a changes queryset, streamed a chunk at a time."""
    from .exports import quote_formula

    writer = csv.writer(_Echo())
    yield writer.writerow(CSV_COLUMNS)
    for change in changes.iterator(chunk_size=2000):
        record = change_record(change)
        yield writer.writerow([quote_formula(record[c]) for c in CSV_COLUMNS])
