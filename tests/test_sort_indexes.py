"""Every sort the claim list and the API offer is read from an index (PostgreSQL plans)."""

import datetime

import pytest
from django.db import connection
from django.http import QueryDict

from claims.filters import ClaimFilter
from claims.listing import CLAIM_SORTS, claim_cursor_ordering
from claims.models import Actor, Claim

pytestmark = [pytest.mark.postgres, pytest.mark.django_db]

CLAIMS, ACTORS = 20_000, 200

# The index that serves each sort (both directions: PostgreSQL reads a b-tree backwards).
SORT_INDEXES = {
    "stated": ["claim_stated_idx"],
    "headline": ["claim_headline_idx"],
    # The actors by name, then each actor's few claims sorted (an incremental sort).
    "actor": ["claims_actor_name_key", "Presorted Key: claims_actor.name"],
    "status": ["claim_status_order_idx"],
    "updated": ["claim_updated_idx"],
}


@pytest.fixture
def many_claims(db):
    """Enough rows that reading the table and sorting it costs more than the index."""
    actors = Actor.objects.bulk_create(
        Actor(name=f"Actor {n:04}", slug=f"actor-{n}", kind="government") for n in range(ACTORS)
    )
    start = datetime.date(2000, 1, 1)
    statuses = ["confirmed", "denied", "unverified"]
    Claim.objects.bulk_create(
        (
            Claim(
                actor=actors[n % ACTORS],
                headline=f"Headline {(n * 7919) % CLAIMS:06}",
                text="Said.",
                stated_on=start + datetime.timedelta(days=n % 5000),
                status=statuses[n % 3],
                status_rationale="" if n % 3 == 2 else "Checked.",
                status_confidence="" if n % 3 == 2 else "moderate",
            )
            for n in range(CLAIMS)
        ),
        batch_size=5000,
    )
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE claims_claim")
        cursor.execute("ANALYZE claims_actor")


def _plan(queryset):
    return queryset.explain()


def _listed(ordering):
    filterset = ClaimFilter(QueryDict(f"ordering={ordering}"), queryset=Claim.objects.all())
    assert filterset.is_valid()
    return filterset.qs


@pytest.mark.parametrize("descending", [False, True], ids=["ascending", "descending"])
@pytest.mark.parametrize("sort", list(CLAIM_SORTS))
def test_each_sort_reads_its_index_on_the_first_and_a_deep_page(many_claims, sort, descending):
    listed = _listed(f"-{sort}" if descending else sort)
    ordering = claim_cursor_ordering(listed)
    assert ordering is not None, "the sort pages by cursor"
    first = _plan(listed.for_list()[:51])
    # A deep page: the rows after the 10,000th in this order, found by cursor.
    row = listed[10_000]
    deep = _plan(ordering.after(listed, ordering.values_of(row)).for_list()[:51])
    for plan in (first, deep):
        for index in SORT_INDEXES[sort]:
            assert index in plan, plan
        assert "Seq Scan on claims_claim" not in plan, plan
        assert "Sort Key" not in plan or "Presorted Key" in plan, plan
