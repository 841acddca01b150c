"""/changes/: every verdict between two dates, against the demo's history."""

import csv
import io

import pytest
from django.core.management import call_command
from django.urls import reverse

from claims.models import StatusChange
from tests.views.test_query_counts import BUDGET, SIZES, make_claims

pytestmark = pytest.mark.django_db
RANGE = {"from": "2024-10-01", "to": "2025-05-01"}


@pytest.fixture
def demo(db):
    call_command("load_demo", stdout=io.StringIO())


def test_changes_counts_the_demos_verdicts_by_new_status(reader_client, demo):
    response = reader_client.get(reverse("claims:changes"), RANGE)
    assert response.status_code == 200
    # Recording a claim as unverified is no verdict: 13 confirmations, 3 denials.
    assert response.context["counts"] == {"confirmed": 13, "denied": 3, "unverified": 0}


def test_changes_are_newest_first_and_name_who_what_and_why(reader_client, demo):
    response = reader_client.get(reverse("claims:changes"), RANGE)
    rows = response.context["changes"].page.rows
    assert [r.changed_at for r in rows] == sorted((r.changed_at for r in rows), reverse=True)
    page = response.content.decode()
    assert "Monday 28 April 2025" in page  # grouped by day
    assert "The Kremlin" in page and "fake news" in page and "Gerasimov" in page


def test_changes_take_the_claim_lists_filters(reader_client, demo):
    response = reader_client.get(reverse("claims:changes"), {**RANGE, "actor": "kremlin"})
    rows = response.context["changes"].page.rows
    assert [(r.claim.actor.slug, r.old_status, r.new_status) for r in rows] == [
        ("kremlin", "unverified", "denied")
    ]


def test_changes_outside_the_range_are_left_out(reader_client, demo):
    response = reader_client.get(
        reverse("claims:changes"), {"from": "2024-10-29", "to": "2025-04-25"}
    )
    assert response.context["counts"] == {
        "confirmed": 0,
        "denied": 1,
        "unverified": 0,
    }  # NATO, 5 Nov


def test_from_after_to_is_a_form_error_keeping_the_input(reader_client, demo):
    response = reader_client.get(
        reverse("claims:changes"), {"from": "2025-05-01", "to": "2024-10-01"}
    )
    page = response.content.decode()
    assert response.status_code == 400
    assert "after the end date" in page and 'value="2025-05-01"' in page


def test_changes_csv(reader_client, demo):
    response = reader_client.get(
        reverse("claims:changes-export-csv"), {**RANGE, "actor": "kremlin"}
    )
    rows = list(csv.DictReader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert response.status_code == 200
    assert [(r["actor_slug"], r["new_status"]) for r in rows] == [("kremlin", "denied")]


def test_changes_csv_refuses_a_reversed_range(reader_client, demo):
    response = reader_client.get(
        reverse("claims:changes-export-csv"), {"from": "2025-05-01", "to": "2024-10-01"}
    )
    assert response.status_code == 400 and "from" in response.json()["errors"]


def test_feed_links_to_the_changes_page(reader_client, demo):
    response = reader_client.get(reverse("claims:status-feed"))
    assert b'href="http://testserver/changes/"' in response.content


@pytest.mark.parametrize("rows", SIZES)
def test_changes_page_costs_the_same_at_any_size(analyst_client, django_assert_num_queries, rows):
    make_claims(rows)
    # session, user, permissions (user, group: the read rule), rows, counts (with its time
    # budget)
    with django_assert_num_queries(6 + BUDGET):
        response = analyst_client.get(reverse("claims:changes"))
    assert len(response.context["changes"].page.rows) == rows
    assert StatusChange.objects.count() == 2 * rows
