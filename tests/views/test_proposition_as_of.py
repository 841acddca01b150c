"""The proposition pages and API as of a date (?as_of=), against the demo's known history:
the troops proposition was unverified until 28 October 2024 and confirmed from then; the
Kremlin's "fake news" claim denies it, unverified until 26 April 2025 and denied since."""

import datetime
import io

import pytest
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from claims.models import Claim
from tests.views.test_proposition_query_counts import (
    DETAIL_QUERIES,
    GRID_QUERIES,
    LIST_QUERIES,
    SIZES,
    make_world,
)

pytestmark = pytest.mark.django_db

MAIN = "north-korean-troops-deployed-to-russia"
KURSK = "north-korean-units-fighting-in-kursk"
BEFORE, VERDICT_DAY, AFTER = "2024-10-20", "2024-10-28", "2025-05-01"
BANNER_20_OCT = 'The record as it stood on <time datetime="2024-10-20">20 October 2024</time>'


@pytest.fixture
def demo(db):
    call_command("load_demo", stdout=io.StringIO())


def _page(client, slug=MAIN, query=""):
    return client.get(reverse("claims:proposition-detail", args=[slug]) + query)


def _kremlin():
    return Claim.objects.get(actor__slug="kremlin")


def _column(response, kind):
    return next(c for c in response.context["columns"] if c["kind"] == kind)


# The page of one proposition ----------------------------------------------------------------


def test_before_the_verdict_the_proposition_is_unverified(analyst_client, demo):
    response = _page(analyst_client, query=f"?as_of={BEFORE}")
    assert response.status_code == 200
    proposition = response.context["proposition"]
    assert (proposition.status, proposition.status_rationale) == ("unverified", "")
    page = response.content.decode()
    assert "Verdict on 20 October 2024" in page
    assert "The proposition was unverified" in page
    # Today it is confirmed (the rationale names the Pentagon).
    today = _page(analyst_client).context["proposition"]
    assert today.status == "confirmed" and "Pentagon" in today.status_rationale


def test_on_the_verdict_day_it_is_confirmed(analyst_client, demo):
    proposition = _page(analyst_client, query=f"?as_of={VERDICT_DAY}").context["proposition"]
    assert proposition.status == "confirmed" and "Pentagon" in proposition.status_rationale


def test_the_timeline_is_cut_at_the_date(analyst_client, demo):
    response = _page(analyst_client, query=f"?as_of={BEFORE}")
    assert [c.new_status for c in response.context["timeline"]] == ["unverified"]
    assert response.context["later_changes"] == 1
    assert "1 later verdict entry not shown" in response.content.decode()
    today = _page(analyst_client)
    assert [c.new_status for c in today.context["timeline"]] == ["unverified", "confirmed"]


def test_columns_and_counts_hold_only_the_claims_stated_by_then(analyst_client, demo):
    response = _page(analyst_client, query=f"?as_of={BEFORE}")
    counts = {c["kind"]: c["count"] for c in response.context["columns"]}
    assert counts == {"asserts": 7, "denies": 1, "doubts": 2}
    listed = [s.claim.stated_on for c in response.context["columns"] for s in c["stances"]]
    assert len(listed) == 10 and max(listed) <= datetime.date(2024, 10, 20)
    # The Pentagon's and Rutte's claims of 28 October, Austin's of 23 October: not yet.
    assert "Pentagon" not in "".join(
        s.claim.headline for c in response.context["columns"] for s in c["stances"]
    )
    today = {c["kind"]: c["count"] for c in _page(analyst_client).context["columns"]}
    assert today["asserts"] > 7


@pytest.mark.parametrize(("as_of", "status"), [(BEFORE, "unverified"), (AFTER, "denied")])
def test_each_claim_shows_its_verdict_of_the_date(analyst_client, demo, as_of, status):
    response = _page(analyst_client, query=f"?as_of={as_of}")
    [stance] = _column(response, "denies")["stances"]
    assert stance.claim.pk == _kremlin().pk
    assert stance.claim.status == status
    assert f'href="{_kremlin().get_absolute_url()}?as_of={as_of}"' in response.content.decode()


def test_the_disagreeing_claims_are_those_of_the_date(analyst_client, demo):
    # On 28 October the proposition was confirmed while the Kremlin's denial was still
    # unverified: it disagreed then. On 20 October the proposition was undecided: no rule.
    on_verdict_day = _page(analyst_client, query=f"?as_of={VERDICT_DAY}")
    assert _kremlin().pk in [s.claim_id for s in on_verdict_day.context["inconsistent"]]
    assert _page(analyst_client, query=f"?as_of={BEFORE}").context["inconsistent"] == []
    # Today the Kremlin's claim is denied, as its stance implies.
    today = _page(analyst_client)
    assert _kremlin().pk not in [s.claim_id for s in today.context["inconsistent"]]


def test_the_past_view_is_read_only_and_says_so(analyst_client, demo):
    page = _page(analyst_client, query=f"?as_of={VERDICT_DAY}").content.decode()
    assert "A read-only view of the past" in page
    assert reverse("claims:proposition-apply", args=[MAIN]) not in page
    assert reverse("claims:proposition-status", args=[MAIN]) not in page
    assert reverse("claims:proposition-update", args=[MAIN]) not in page
    today = _page(analyst_client).content.decode()
    assert reverse("claims:proposition-status", args=[MAIN]) in today
    assert reverse("claims:proposition-update", args=[MAIN]) in today


def test_the_past_view_has_the_banner_and_keeps_as_of_in_links(analyst_client, demo):
    page = _page(analyst_client, query=f"?as_of={BEFORE}").content.decode()
    assert BANNER_20_OCT in page and "show today's</a>" in page
    assert f'href="{reverse("claims:proposition-list")}?as_of={BEFORE}"' in page
    assert f"?proposition={MAIN}&amp;as_of={BEFORE}" in page  # its claims in the claim list
    assert "application/ld+json" not in page  # today's review is not published as of then


def test_a_proposition_not_yet_recorded_is_not_found(analyst_client, demo):
    assert _page(analyst_client, query="?as_of=2024-10-01").status_code == 404


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("28 October", "Enter a valid date"),
        ("1899-12-31", "on or after 1900-01-01"),
        ("2999-01-01", "future date"),
    ],
)
def test_a_bad_date_is_a_400_naming_the_field(analyst_client, demo, value, message):
    for url in (
        reverse("claims:proposition-detail", args=[MAIN]),
        reverse("claims:proposition-list"),
        reverse("claims:proposition-grid"),
    ):
        response = analyst_client.get(url, {"as_of": value})
        assert response.status_code == 400, url
        page = response.content.decode()
        assert "Record as of" in page and message in page, url


# The list and the grid ------------------------------------------------------------------------


def test_list_shows_the_verdicts_and_counts_of_the_date(analyst_client, demo):
    response = analyst_client.get(reverse("claims:proposition-list"), {"as_of": BEFORE})
    assert response.status_code == 200
    rows = {p.slug: p for p in response.context["propositions"]}
    assert rows[MAIN].status == "unverified" and rows[KURSK].status == "unverified"
    assert (rows[MAIN].asserts_count, rows[MAIN].denies_count, rows[MAIN].doubts_count) == (
        7,
        1,
        2,
    )
    page = response.content.decode()
    assert BANNER_20_OCT in page
    assert f'href="{reverse("claims:proposition-detail", args=[MAIN])}?as_of={BEFORE}"' in page
    after = analyst_client.get(reverse("claims:proposition-list"), {"as_of": AFTER})
    assert {p.slug: p.status for p in after.context["propositions"]}[KURSK] == "confirmed"


def test_list_status_filter_uses_the_verdict_of_the_date(analyst_client, demo):
    url = reverse("claims:proposition-list")
    then = analyst_client.get(url, {"as_of": BEFORE, "status": "confirmed"})
    assert [p.slug for p in then.context["propositions"]] == []
    now = analyst_client.get(url, {"status": "confirmed"})
    assert MAIN in [p.slug for p in now.context["propositions"]]


def test_list_leaves_out_propositions_not_yet_recorded(analyst_client, demo):
    response = analyst_client.get(reverse("claims:proposition-list"), {"as_of": "2024-10-10"})
    # The Kursk proposition was first recorded on 17 October.
    assert KURSK not in [p.slug for p in response.context["propositions"]]
    assert MAIN in [p.slug for p in response.context["propositions"]]


def test_grid_counts_only_the_claims_stated_by_then(analyst_client, demo):
    url = reverse("claims:proposition-grid")
    then = analyst_client.get(url, {"as_of": BEFORE})
    assert then.status_code == 200
    # Austin (stated 23 October) and the Pentagon (28 October) had not spoken yet.
    actors = [row["actor"].slug for row in then.context["rows"]]
    now_actors = [row["actor"].slug for row in analyst_client.get(url).context["rows"]]
    assert set(actors) < set(now_actors)
    page = then.content.decode()
    assert BANNER_20_OCT in page
    assert f"as_of={BEFORE}" in page.split("<tbody>")[1]  # cells and actor links keep it


# Query counts -----------------------------------------------------------------------------------


def _today():
    return timezone.localdate().isoformat()


@pytest.mark.parametrize("rows", SIZES)
def test_past_proposition_page_costs_the_same_at_any_size(
    analyst_client, django_assert_num_queries, rows
):
    make_world(rows)
    with django_assert_num_queries(DETAIL_QUERIES):
        response = analyst_client.get(
            reverse("claims:proposition-detail", args=["main"]), {"as_of": _today()}
        )
    assert response.status_code == 200
    assert sum(c["count"] for c in response.context["columns"]) == rows


@pytest.mark.parametrize("rows", SIZES)
def test_past_proposition_list_costs_the_same_at_any_size(
    analyst_client, django_assert_num_queries, rows
):
    make_world(rows)
    with django_assert_num_queries(LIST_QUERIES):
        response = analyst_client.get(reverse("claims:proposition-list"), {"as_of": _today()})
    assert response.status_code == 200
    assert len(response.context["propositions"]) == min(rows + 1, 50)


@pytest.mark.parametrize("rows", SIZES)
def test_past_grid_costs_the_same_at_any_size(analyst_client, django_assert_num_queries, rows):
    make_world(rows)
    with django_assert_num_queries(GRID_QUERIES):
        response = analyst_client.get(reverse("claims:proposition-grid"), {"as_of": _today()})
    assert response.status_code == 200
    assert response.context["rows"]
