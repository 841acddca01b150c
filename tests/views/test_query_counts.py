"""A page costs the same number of queries at 5 rows as at 50 (no query per row)."""

import datetime

import pytest
from django.db import connection
from django.urls import reverse

from claims import services
from claims.models import Citation
from tests.factories import ActorFactory, SourceFactory

pytestmark = pytest.mark.django_db
SIZES = [5, 50]
# On PostgreSQL each facet query with a time budget (claims.db.run_within: status counts,
# top actors) also sets and restores statement_timeout in a savepoint (tests run inside a
# transaction): 4 more queries each; outside a transaction 2 more.
BUDGET = 4 if connection.vendor == "postgresql" else 0
# A filtered list: session, user, status facet, actor facet, its actors, claims over time (one
# GROUP BY, for the chart and the month facet), rows, user permissions, group permissions; the
# facets and the chart come from the cache on the next request.
FILTERED_LIST_QUERIES = 9 + 3 * BUDGET
# The unfiltered list (or one filtered by status and dates only) reads its status counts and
# chart from the per-day counts in one query: session, user, per-day counts, actor facet, its
# actors, rows, user permissions, group permissions.
CLAIM_LIST_QUERIES = 8 + BUDGET
# A search is parsed by the database once before it runs (claims.search.check_with_database),
# in a savepoint when inside a transaction, as tests are: 3 queries. On PostgreSQL its facets
# first ask the planner how many matches to expect (one EXPLAIN).
SEARCH_CHECK = 3 + (1 if connection.vendor == "postgresql" else 0)


def make_claims(count, *, actor=None, source=None):
    """`count` claims, each by its own actor unless one is given, citing a source, with a
    verdict timeline of two entries: every relation a row of a page shows."""
    claims = []
    for n in range(count):
        claim = services.create_claim(
            by=None,
            actor=actor or ActorFactory(),
            headline=f"Claim {n} about troops",
            text="What was said.",
            stated_on=datetime.date(2024, 10, 1) + datetime.timedelta(days=n),
            citations=[Citation(source=source or SourceFactory(), role="appearance")],
        )
        services.claim_set_status(
            confidence="moderate", claim=claim, status="denied", rationale="No.", by=None
        )
        claims.append(claim)
    return claims


@pytest.mark.parametrize("rows", SIZES)
def test_claim_list_costs_the_same_at_any_size(analyst_client, django_assert_num_queries, rows):
    make_claims(rows)
    if connection.vendor == "postgresql":
        # The unfiltered total is PostgreSQL's table estimate; before the table's first
        # ANALYZE there is none and an exact count is one query more. Which tests ran
        # before must not decide this test's number.
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE claims_claim")
    with django_assert_num_queries(CLAIM_LIST_QUERIES):
        response = analyst_client.get(reverse("claims:claim-list"))
    assert len(response.context["browser"].claims) == rows


@pytest.mark.parametrize("rows", SIZES)
def test_filtered_claim_list_costs_the_same_at_any_size(
    analyst_client, django_assert_num_queries, rows
):
    actor = ActorFactory(slug="kremlin")
    make_claims(rows, actor=actor)
    # Unfiltered's, minus the table estimate, plus the actor's name resolved, its sub-actors
    # looked up and the search checked.
    with django_assert_num_queries(FILTERED_LIST_QUERIES + 2 + SEARCH_CHECK):
        response = analyst_client.get(
            reverse("claims:claim-list") + "?actor=kremlin&status=denied&q=troops&ordering=-stated"
        )
    assert len(response.context["browser"].claims) == rows


@pytest.mark.parametrize("rows", SIZES)
def test_actor_page_costs_the_same_at_any_size(analyst_client, django_assert_num_queries, rows):
    actor = ActorFactory(slug="kremlin", parent=ActorFactory())
    make_claims(rows, actor=actor)
    # session, user, actor with parent, its sub-actors, status facet, claims over time, track
    # record, its strip, rows, 2 x permissions
    with django_assert_num_queries(11 + 2 * BUDGET):
        response = analyst_client.get(actor.get_absolute_url())
    assert len(response.context["browser"].claims) == rows


@pytest.mark.parametrize("rows", SIZES)
def test_claim_page_costs_the_same_whatever_its_citations_and_timeline(
    analyst_client, django_assert_num_queries, rows
):
    (claim,) = make_claims(1)
    for n in range(rows):
        services.add_citation(claim=claim, source=SourceFactory(), role="evidence", by=None)
        services.claim_set_status(
            confidence="moderate", claim=claim, status="confirmed", rationale=f"{n}", by=None
        )
    # session, user, claim with actor, citations with sources, timeline, its stances,
    # 2 x permissions; then the similar claims (near candidates scored, the similar
    # headline anywhere within its time budget: savepoint, set, query, reset, release on
    # PostgreSQL; the claims found)
    similar = 7 if connection.vendor == "postgresql" else 2
    with django_assert_num_queries(8 + similar):
        response = analyst_client.get(claim.get_absolute_url())
    assert len(response.context["evidence"]) == rows


@pytest.mark.parametrize("rows", SIZES)
def test_actor_list_costs_the_same_at_any_size(analyst_client, django_assert_num_queries, rows):
    make_claims(rows)
    # session, user, count, rows, 2 x permissions
    with django_assert_num_queries(6):
        response = analyst_client.get(reverse("claims:actor-list"))
    assert len(response.context["actor_list"]) == rows


@pytest.mark.parametrize("rows", SIZES)
def test_source_pages_cost_the_same_at_any_size(analyst_client, django_assert_num_queries, rows):
    source = SourceFactory()
    make_claims(rows, source=source)
    with django_assert_num_queries(6):
        listed = analyst_client.get(reverse("claims:source-list"))
    # session, user, source, count, citations with claims and actors, its track record as
    # evidence, 2 x permissions, its captures, the latest capture's text
    with django_assert_num_queries(10):
        detail = analyst_client.get(source.get_absolute_url())
    assert len(listed.context["source_list"]) == 1
    assert len(detail.context["page_obj"]) == rows


def test_claim_list_facets_come_from_the_cache_the_second_time(
    analyst_client, django_assert_num_queries
):
    make_claims(5)
    analyst_client.get(reverse("claims:claim-list"))
    # session, user, rows, 2 x permissions: no facet query within CLAIM_FACET_CACHE_SECONDS.
    with django_assert_num_queries(5):
        response = analyst_client.get(reverse("claims:claim-list") + "?ordering=-stated&page=1")
    assert response.context["browser"].total == 5


@pytest.mark.parametrize("rows", SIZES)
def test_grade_filtered_claim_list_costs_the_same_at_any_size(
    analyst_client, django_assert_num_queries, rows
):
    for claim in make_claims(rows):
        services.add_citation(
            claim=claim,
            source=SourceFactory(reliability="B"),
            role="evidence",
            credibility=2,
            direction="refutes",
            by=None,
        )
    # Any filtered list's queries: the grade filters are subqueries of those, never a query
    # of their own.
    with django_assert_num_queries(FILTERED_LIST_QUERIES):
        response = analyst_client.get(
            reverse("claims:claim-list")
            + "?min_reliability=B&min_credibility=2&direction=refutes&confidence=moderate"
        )
    assert len(response.context["browser"].claims) == rows
