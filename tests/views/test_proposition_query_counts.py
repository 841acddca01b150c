"""The proposition pages cost the same number of queries at 5 stances as at 50."""

import datetime

import pytest
from django.db import connection
from django.urls import reverse

from claims import services
from claims.story_timeline import MAX_ACTORS
from tests.factories import ActorFactory

pytestmark = pytest.mark.django_db
SIZES = [5, 50]
# session, user, rows, capped count, user permissions, group permissions
LIST_QUERIES = 6
# session, user, proposition, stance counts, three stance columns, inconsistent claims,
# story marks, timeline, permissions (user, group)
DETAIL_QUERIES = 12
# session, user, permissions (user, group), top propositions, top actors, cells,
# propositions, actors
GRID_QUERIES = 9


def make_world(count):
    """`count` propositions, and one confirmed proposition with `count` claims on it, each
    by its own actor, a third of them denying it."""
    main = services.create_proposition(by=None, statement="Troops are deployed", slug="main")
    services.proposition_set_status(
        confidence="moderate", proposition=main, status="confirmed", rationale="Settled.", by=None
    )
    for n in range(count):
        services.create_proposition(by=None, statement=f"Proposition {n}")
        claim = services.create_claim(
            by=None,
            actor=ActorFactory(),
            headline=f"Claim {n}",
            text="What was said.",
            stated_on=datetime.date(2024, 10, 1) + datetime.timedelta(days=n),
        )
        stance = ("asserts", "denies", "doubts")[n % 3]
        services.set_stance(claim=claim, proposition=main, stance=stance, by=None)
    return main


@pytest.mark.parametrize("rows", SIZES)
def test_proposition_list_costs_the_same_at_any_size(
    analyst_client, django_assert_num_queries, rows
):
    make_world(rows)
    with django_assert_num_queries(LIST_QUERIES):
        response = analyst_client.get(reverse("claims:proposition-list"))
    assert response.status_code == 200


@pytest.mark.parametrize("rows", SIZES)
def test_proposition_page_costs_the_same_at_any_size(
    analyst_client, django_assert_num_queries, rows
):
    make_world(rows)
    with django_assert_num_queries(DETAIL_QUERIES):
        response = analyst_client.get(reverse("claims:proposition-detail", args=["main"]))
    assert response.status_code == 200
    # One row per actor, at most story_timeline.MAX_ACTORS of them.
    assert response.content.count(b'class="stance-mark') == min(rows, MAX_ACTORS)


@pytest.mark.parametrize("rows", SIZES)
def test_grid_costs_the_same_at_any_size(analyst_client, django_assert_num_queries, rows):
    make_world(rows)
    with django_assert_num_queries(GRID_QUERIES):
        response = analyst_client.get(reverse("claims:proposition-grid"))
    assert response.status_code == 200


@pytest.mark.parametrize("rows", SIZES)
def test_claim_page_with_contradictions_costs_the_same_at_any_size(
    analyst_client, django_assert_num_queries, rows
):
    main = make_world(rows)
    claim = main.stances.filter(stance="asserts").first().claim
    # session, user, claim, citations, timeline, its stances, contradicting claims, permissions,
    # and the similar claims (tests/views/test_query_counts.py says which)
    similar = 7 if connection.vendor == "postgresql" else 2
    with django_assert_num_queries(9 + similar):
        response = analyst_client.get(claim.get_absolute_url())
    assert len(response.context["contradictions"]) == len(range(1, rows, 3))
