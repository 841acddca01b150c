"""The record as of a date (?as_of=) on every page and face, against the demo's history:
on 2024-10-20 the Kremlin's "fake news" claim was unverified, on 2025-05-01 denied."""

import csv
import datetime
import io

import pytest
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from claims.models import Actor, Claim, Source
from tests.views.test_query_counts import FILTERED_LIST_QUERIES, SIZES, make_claims

pytestmark = pytest.mark.django_db

BEFORE, AFTER = "2024-10-20", "2025-05-01"
BANNER_20_OCT = 'The record as it stood on <time datetime="2024-10-20">20 October 2024</time>'


@pytest.fixture
def demo(db):
    call_command("load_demo", stdout=io.StringIO())


@pytest.fixture
def kremlin_claim(demo):
    return Actor.objects.get(slug="kremlin").claims.get()


def test_queryset_as_of_gives_each_claim_its_verdict_of_that_day(kremlin_claim):
    before = Claim.objects.as_of(datetime.date(2024, 10, 20)).get(pk=kremlin_claim.pk)
    after = Claim.objects.as_of(datetime.date(2025, 5, 1)).get(pk=kremlin_claim.pk)
    assert (before.status, before.status_rationale) == ("unverified", "")
    assert after.status == "denied" and "Gerasimov" in after.status_rationale


def test_queryset_as_of_leaves_out_claims_stated_later(demo):
    stated = Claim.objects.as_of(datetime.date(2024, 10, 20)).values_list("stated_on", flat=True)
    assert stated and max(stated) <= datetime.date(2024, 10, 20)
    assert Claim.objects.filter(stated_on__gt=datetime.date(2024, 10, 20)).exists()


def test_a_verdict_takes_effect_on_its_own_day(kremlin_claim):
    # The denial is dated 2025-04-26: shown on that day, not the day before.
    assert Claim.objects.as_of(datetime.date(2025, 4, 25)).get(pk=kremlin_claim.pk).status == (
        "unverified"
    )
    assert Claim.objects.as_of(datetime.date(2025, 4, 26)).get(pk=kremlin_claim.pk).status == (
        "denied"
    )


@pytest.mark.parametrize(("as_of", "status"), [(BEFORE, "unverified"), (AFTER, "denied")])
def test_claim_list_shows_the_verdict_of_the_date(reader_client, kremlin_claim, as_of, status):
    response = reader_client.get(reverse("claims:claim-list") + f"?as_of={as_of}&actor=kremlin")
    assert response.status_code == 200
    assert [c.status for c in response.context["browser"].claims] == [status]


def test_claim_list_as_of_has_the_banner_and_keeps_as_of_in_row_links(reader_client, kremlin_claim):
    response = reader_client.get(reverse("claims:claim-list") + f"?as_of={BEFORE}")
    page = response.content.decode()
    assert BANNER_20_OCT in page and "show today's</a>" in page
    assert f'href="{kremlin_claim.get_absolute_url()}?as_of={BEFORE}"' in page
    assert f'href="/actors/kremlin/?as_of={BEFORE}"' in page


def test_claim_list_as_of_leaves_out_later_claims(reader_client, demo):
    response = reader_client.get(reverse("claims:claim-list") + f"?as_of={BEFORE}")
    claims = response.context["browser"].claims
    assert claims and all(c.stated_on <= datetime.date(2024, 10, 20) for c in claims)
    assert "Kursk" not in response.content.decode()  # the 2025 claims


def test_status_facet_and_filter_count_the_as_of_status(reader_client, demo):
    response = reader_client.get(reverse("claims:claim-list") + f"?as_of={BEFORE}&status=denied")
    counts = {f["value"]: f["count"] for f in response.context["browser"].status_facets}
    assert counts == {"confirmed": 0, "denied": 0, "unverified": 11}
    assert response.context["browser"].claims == []


def test_status_facet_today_differs(reader_client, demo):
    response = reader_client.get(reverse("claims:claim-list"))
    counts = {f["value"]: f["count"] for f in response.context["browser"].status_facets}
    assert counts["unverified"] < 11 and counts["confirmed"] > 0


@pytest.mark.parametrize(("as_of", "status"), [(BEFORE, "unverified"), (AFTER, "denied")])
def test_claim_page_as_of(reader_client, kremlin_claim, as_of, status):
    response = reader_client.get(kremlin_claim.get_absolute_url() + f"?as_of={as_of}")
    assert response.status_code == 200
    assert response.context["claim"].status == status


def test_claim_page_as_of_marks_later_timeline_entries(reader_client, kremlin_claim):
    response = reader_client.get(kremlin_claim.get_absolute_url() + f"?as_of={BEFORE}")
    timeline = response.context["timeline"]
    assert [c.after_as_of for c in timeline] == [False, True]
    assert "After this date" in response.content.decode()
    assert "Mark status" not in response.content.decode()  # no writing into the past


def test_claim_page_of_a_claim_stated_later_is_not_found(reader_client, demo):
    later = Claim.objects.filter(stated_on__gt=datetime.date(2024, 10, 20)).first()
    response = reader_client.get(later.get_absolute_url() + f"?as_of={BEFORE}")
    assert response.status_code == 404


@pytest.mark.parametrize(("as_of", "denied"), [(BEFORE, 0), (AFTER, 1)])
def test_actor_page_track_record_counts_as_of(reader_client, demo, as_of, denied):
    response = reader_client.get(
        reverse("claims:actor-detail", args=["kremlin"]) + f"?as_of={as_of}"
    )
    counts = {e["value"]: e["count"] for e in response.context["track_record"]}
    assert response.status_code == 200
    assert counts["denied"] == denied and counts["unverified"] == 1 - denied


def test_source_page_as_of_shows_the_verdicts_of_that_day(reader_client, kremlin_claim):
    source = kremlin_claim.citations.first().source
    response = reader_client.get(source.get_absolute_url() + f"?as_of={BEFORE}")
    rows = response.context["page_obj"].object_list
    assert response.status_code == 200
    assert [c.claim.status for c in rows if c.claim_id == kremlin_claim.pk] == ["unverified"]
    assert BANNER_20_OCT in response.content.decode()


def test_source_page_as_of_leaves_out_claims_stated_later(reader_client, demo):
    source = Source.objects.filter(citations__claim__stated_on__gt="2024-10-20").first()
    response = reader_client.get(source.get_absolute_url() + f"?as_of={BEFORE}")
    rows = response.context["page_obj"].object_list
    assert all(c.claim.stated_on <= datetime.date(2024, 10, 20) for c in rows)


@pytest.mark.parametrize(("as_of", "status"), [(BEFORE, "unverified"), (AFTER, "denied")])
def test_csv_export_as_of(reader_client, kremlin_claim, as_of, status):
    response = reader_client.get(reverse("claims:claim-export-csv") + f"?as_of={as_of}")
    rows = list(csv.DictReader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert response.status_code == 200
    assert [r["status"] for r in rows if r["id"] == str(kremlin_claim.pk)] == [status]
    assert all(r["stated_on"] <= as_of for r in rows)


def test_json_export_as_of(reader_client, kremlin_claim):
    response = reader_client.get(reverse("claims:claim-export-json") + f"?as_of={BEFORE}")
    import json

    rows = json.loads(b"".join(response.streaming_content))
    assert [r["status"] for r in rows if r["id"] == kremlin_claim.pk] == ["unverified"]


TOMORROW = (timezone.localdate() + datetime.timedelta(days=1)).isoformat()
BAD_DATES = [
    ("not-a-date", "Enter a valid date"),
    ("2024-02-30", "Enter a valid date"),
    ("1899-12-31", "on or after 1900-01-01"),
    (TOMORROW, "future date"),
]


@pytest.mark.parametrize(("value", "message"), BAD_DATES)
@pytest.mark.parametrize("page", ["list", "claim", "actor", "source", "csv"])
def test_bad_as_of_is_a_400_naming_the_field(reader_client, kremlin_claim, page, value, message):
    url = {
        "list": reverse("claims:claim-list"),
        "claim": kremlin_claim.get_absolute_url(),
        "actor": reverse("claims:actor-detail", args=["kremlin"]),
        "source": kremlin_claim.citations.first().source.get_absolute_url(),
        "csv": reverse("claims:claim-export-csv"),
    }[page]
    response = reader_client.get(url, {"as_of": value})
    text = response.content.decode()
    assert response.status_code == 400
    assert message in text and ("Record as of" in text or "as_of" in text)


@pytest.mark.parametrize("rows", SIZES)
def test_as_of_list_costs_what_todays_list_costs(analyst_client, django_assert_num_queries, rows):
    make_claims(rows)
    today = timezone.localdate().isoformat()
    # The same filtered list of today and as of today: the as-of verdicts are subqueries of
    # the queries the list makes anyway, never one query per row.
    with django_assert_num_queries(FILTERED_LIST_QUERIES):
        todays = analyst_client.get(reverse("claims:claim-list") + "?confidence=moderate")
    with django_assert_num_queries(FILTERED_LIST_QUERIES):
        as_of = analyst_client.get(
            reverse("claims:claim-list") + f"?as_of={today}&confidence=moderate"
        )
    assert len(todays.context["browser"].claims) == len(as_of.context["browser"].claims) == rows


# The shortcut for settled verdicts, and the sampled status facet ------------------------------


def test_the_status_service_keeps_when_the_current_verdict_took_effect(kremlin_claim):
    latest = kremlin_claim.status_changes.latest_first().first()
    assert kremlin_claim.status_changed_at == latest.changed_at
    from claims import services

    at = timezone.now()
    services.claim_set_status(
        claim=kremlin_claim,
        status="confirmed",
        rationale="Checked again.",
        confidence="high",
        by=None,
        at=at,
    )
    kremlin_claim.refresh_from_db()
    assert kremlin_claim.status_changed_at == at


def test_as_of_reads_the_timeline_when_the_verdict_changed_later_or_is_unknown(kremlin_claim):
    # A row without status_changed_at (written before it existed) is answered from its
    # timeline, as is one whose verdict changed after the date.
    day = datetime.date(2024, 10, 20)
    assert Claim.objects.as_of(day).get(pk=kremlin_claim.pk).status == "unverified"
    Claim.objects.filter(pk=kremlin_claim.pk).update(status_changed_at=None)
    assert Claim.objects.as_of(day).get(pk=kremlin_claim.pk).status == "unverified"
    assert Claim.objects.as_of(datetime.date(2025, 5, 1)).get(pk=kremlin_claim.pk).status == (
        "denied"
    )


def test_as_of_status_counts_of_a_full_sample_are_lower_bounds(demo, monkeypatch):
    from claims import listing
    from claims.filters import ClaimFilter
    from claims.models import ClaimQuerySet, as_of_counts_sampled

    claims = Claim.objects.as_of(datetime.date(2025, 5, 1))
    exact = claims.status_counts()
    assert sum(exact.values()) == claims.count()  # fewer than the cap: exact
    assert not as_of_counts_sampled(claims, exact)
    sampled = claims.status_counts(cap=3)
    assert sum(sampled.values()) == 4 and as_of_counts_sampled(claims, sampled, cap=3)
    # The facet then says "+" after each count, and the total is "more than the cap".
    monkeypatch.setattr(listing, "COUNT_CAP", 3)
    monkeypatch.setattr(
        ClaimQuerySet, "status_counts", lambda self, cap=3, timeout_ms=None: sampled
    )
    filterset = ClaimFilter({"as_of": "2025-05-01"}, queryset=Claim.objects.all())
    assert filterset.is_valid()
    from django.http import QueryDict

    query = QueryDict("as_of=2025-05-01")
    facets = listing.Facets(filterset, query, base_queryset=Claim.objects.all())
    assert all(s["count_label"].endswith("+") for s in facets.statuses)
    assert facets.total_label == "3+"
