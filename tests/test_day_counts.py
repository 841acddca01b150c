"""The per-day claim counts (ClaimDayCount) stay equal to counting the claims, whatever wrote
them, and the claim list's counts and chart read them: exact totals at any size, and a write
shows in the counts at the next request."""

import datetime

import pytest
from django.db import connection
from django.db.models import Count
from django.urls import reverse

from claims import services
from claims.exports import COLUMNS
from claims.imports import import_claims
from claims.models import Claim, ClaimDayCount
from tests.factories import ActorFactory

pytestmark = pytest.mark.django_db
DAY = datetime.date(2024, 10, 18)


def counted():
    """{(day, status): n} from the claims themselves."""
    rows = Claim.objects.order_by().values("stated_on", "status").annotate(n=Count("pk"))
    return {(r["stated_on"], r["status"]): r["n"] for r in rows}


def kept():
    """{(day, status): n} as the triggers keep it (rows at 0 are left in place)."""
    rows = ClaimDayCount.objects.filter(n__gt=0).values_list("day", "status", "n")
    return {(day, status): n for day, status, n in rows}


def new_claim(stated_on=DAY, **extra):
    return services.create_claim(
        by=None,
        actor=ActorFactory(),
        headline="Troops seen",
        text="Troops were seen near Kursk.",
        stated_on=stated_on,
        **extra,
    )


def test_every_kind_of_write_keeps_the_day_counts_exact():
    first = new_claim()
    second = new_claim(status="confirmed", rationale="Seen.", confidence="high")
    assert kept() == counted() == {(DAY, "unverified"): 1, (DAY, "confirmed"): 1}

    services.claim_set_status(
        claim=first, status="denied", rationale="No.", confidence="moderate", by=None
    )
    first.refresh_from_db()
    later = DAY + datetime.timedelta(days=3)
    services.update_claim(claim=first, changes={"stated_on": later}, by=None, version=first.version)
    assert kept() == counted() == {(later, "denied"): 1, (DAY, "confirmed"): 1}

    services.delete_claim(second, by=None)
    assert kept() == counted() == {(later, "denied"): 1}


def test_the_bulk_import_keeps_the_day_counts_exact():
    new_claim()
    lines = [",".join(COLUMNS)]
    for n in range(30):
        status, rationale, confidence = (
            ("confirmed", "Seen.", "high") if n % 2 else ("unverified", "", "")
        )
        lines.append(
            f",Claim {n},Text {n}.,nis,NIS,2024-11-{1 + n % 3:02d},{status},{rationale},"
            f"{confidence},,,"
        )
    report = import_claims("\n".join(lines).encode())
    assert report.ok, report.errors
    assert Claim.objects.count() == 31
    assert kept() == counted()


def test_a_write_outside_the_orm_is_counted_too():
    """Triggers, not the services, keep the counts: a raw UPDATE moves them as well."""
    claim = new_claim()
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE claims_claim SET status = 'denied', status_confidence = 'low',"
            " status_rationale = 'No.' WHERE id = %s",
            [claim.pk],
        )
    assert kept() == counted() == {(DAY, "denied"): 1}


def test_the_unfiltered_list_counts_exactly_and_sees_a_write_at_once(analyst_client):
    for _ in range(3):
        new_claim()
    new_claim(status="denied", rationale="No.", confidence="moderate")
    page = analyst_client.get(reverse("claims:claim-list"))
    assert page.status_code == 200
    browser = page.context["browser"]
    assert (browser.total, browser.total_label) == (4, "4")
    counts = {facet["value"]: facet["count_label"] for facet in browser.status_facets}
    assert counts == {"confirmed": "0", "denied": "1", "unverified": "3"}

    # The counts are cached, but under the data version every write changes.
    new_claim(status="denied", rationale="Refuted.", confidence="high")
    again = analyst_client.get(reverse("claims:claim-list") + "?status=denied")
    browser = again.context["browser"]
    assert (browser.total, browser.total_label) == (2, "2")
    again = analyst_client.get(reverse("claims:claim-list"))
    assert again.context["browser"].total == 5


def test_status_and_date_filters_count_from_the_day_counts(analyst_client):
    new_claim(stated_on=DAY)
    new_claim(stated_on=DAY + datetime.timedelta(days=40))
    new_claim(
        stated_on=DAY + datetime.timedelta(days=40),
        status="denied",
        rationale="No.",
        confidence="low",
    )
    url = reverse("claims:claim-list") + "?stated_from=2024-11-01&status=denied"
    browser = analyst_client.get(url).context["browser"]
    assert (browser.total, len(browser.claims)) == (1, 1)
    counts = {facet["value"]: facet["count"] for facet in browser.status_facets}
    # The status facet counts every status within the dates, ticked or not.
    assert counts == {"confirmed": 0, "denied": 1, "unverified": 1}
    assert sum(bar.total for bar in browser.facets.chart_bars) == 1


@pytest.mark.postgres
def test_estimated_status_counts_are_the_planners_numbers():
    for n in range(20):
        new_claim(stated_on=DAY + datetime.timedelta(days=n))
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE claims_claim")
    estimates = Claim.objects.filter(headline__icontains="troops").estimated_status_counts()
    assert set(estimates) == {"confirmed", "denied", "unverified"}
    assert all(isinstance(n, int) and n >= 0 for n in estimates.values())
    assert estimates["unverified"] >= 1
