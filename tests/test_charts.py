"""The charts' data: buckets and their edges, empty ranges, the as-of status, the strip and
the verdict bands, computed in the database with one GROUP BY."""

import datetime

import pytest

from claims import charts, services
from claims.models import Claim
from tests.factories import ActorFactory

pytestmark = pytest.mark.django_db
D = datetime.date


def make(stated_on, status="unverified", actor=None):
    claim = services.create_claim(
        by=None,
        actor=actor or ActorFactory(),
        headline=f"Claim of {stated_on}",
        text="Said.",
        stated_on=stated_on,
        at=datetime.datetime.combine(stated_on, datetime.time(12), tzinfo=datetime.UTC),
    )
    if status != "unverified":
        services.claim_set_status(
            confidence="moderate", claim=claim, status=status, rationale="Checked.", by=None
        )
    return claim


def test_months_bucket_at_their_edges():
    make(D(2024, 10, 31), "confirmed")
    make(D(2024, 11, 1), "denied")
    make(D(2024, 11, 30))
    make(D(2025, 6, 1))
    unit, bars = charts.buckets(charts.over_time_rows(Claim.objects.all()))
    assert unit == "month"
    assert [(b.start, b.end) for b in bars[:2]] == [
        (D(2024, 10, 1), D(2024, 10, 31)),
        (D(2024, 11, 1), D(2024, 11, 30)),
    ]
    assert bars[0].counts == {"confirmed": 1, "denied": 0, "unverified": 0}
    assert bars[1].counts == {"confirmed": 0, "denied": 1, "unverified": 1}


def test_empty_months_between_claims_are_empty_bars():
    make(D(2024, 1, 15))
    make(D(2024, 12, 15))
    _unit, bars = charts.buckets(charts.over_time_rows(Claim.objects.all()))
    assert len(bars) == 12 and [b.total for b in bars] == [1] + [0] * 10 + [1]


def test_no_claims_no_bars():
    assert charts.buckets(charts.over_time_rows(Claim.objects.all())) == (None, [])


def test_a_short_range_has_a_bar_a_week_starting_monday():
    make(D(2024, 10, 20))  # a Sunday
    make(D(2024, 10, 21))  # the Monday after
    unit, bars = charts.buckets(charts.over_time_rows(Claim.objects.all()))
    assert unit == "week"
    assert [(b.start, b.total) for b in bars] == [(D(2024, 10, 14), 1), (D(2024, 10, 21), 1)]


def test_a_century_is_bucketed_by_year_and_bounded():
    make(D(1920, 3, 1))
    make(D(2024, 10, 20))
    unit, bars = charts.buckets(charts.over_time_rows(Claim.objects.all()))
    assert unit == "year" and len(bars) == 2024 - 1920 + 1
    assert bars[0].start == D(1920, 1, 1) and bars[-1].end == D(2024, 12, 31)


def test_chart_counts_the_as_of_status():
    claim = make(D(2024, 10, 20))
    services.claim_set_status(
        confidence="moderate",
        claim=claim,
        status="denied",
        rationale="Refuted.",
        by=None,
        at=datetime.datetime(2025, 4, 26, 12, tzinfo=datetime.UTC),
    )
    as_of = Claim.objects.as_of(D(2024, 12, 1))
    _unit, bars = charts.buckets(charts.over_time_rows(as_of))
    _unit, today = charts.buckets(charts.over_time_rows(Claim.objects.all()))
    assert bars[0].counts["unverified"] == 1 and today[0].counts["denied"] == 1


def test_month_facet_is_newest_first_and_bounded():
    for month in range(1, 13):
        make(D(2023, month, 5))
        make(D(2024, month, 5))
    months = charts.month_facet(charts.over_time_rows(Claim.objects.all()), limit=24)
    assert len(months) == 24 and months[0] == (D(2024, 12, 1), D(2024, 12, 31), 1)
    assert len(charts.month_facet(charts.over_time_rows(Claim.objects.all()), limit=5)) == 5


def test_track_strip_says_how_long_each_verdict_took():
    actor = ActorFactory()
    claim = make(D(2024, 10, 10), actor=actor)
    services.claim_set_status(
        confidence="moderate",
        claim=claim,
        status="denied",
        rationale="Refuted.",
        by=None,
        at=datetime.datetime(2025, 4, 26, 12, tzinfo=datetime.UTC),
    )
    make(D(2024, 10, 11), actor=actor)
    strip = charts.track_strip(Claim.objects.by_actor(actor))
    assert [m["summary"] for m in strip["marks"]] == ["refuted 198 days later", "not decided yet"]
    before = charts.track_strip(Claim.objects.by_actor(actor), as_of=D(2024, 12, 1))
    assert [m["status"] for m in before["marks"]] == ["unverified", "unverified"]


def test_verdict_bands_between_changes():
    claim = make(D(2024, 10, 10))
    services.claim_set_status(
        confidence="moderate",
        claim=claim,
        status="denied",
        rationale="Refuted.",
        by=None,
        at=datetime.datetime(2025, 4, 26, 12, tzinfo=datetime.UTC),
    )
    timeline = list(claim.status_changes.all())
    bands = charts.verdict_bands(claim, timeline, today=D(2025, 5, 26))["bands"]
    assert [(b["status"], b["from"], b["to"]) for b in bands] == [
        ("unverified", D(2024, 10, 10), D(2025, 4, 26)),
        ("denied", D(2025, 4, 26), D(2025, 5, 26)),
    ]
    assert bands[0]["x"] == 0 and bands[1]["x"] + bands[1]["width"] <= charts.CHART_WIDTH
