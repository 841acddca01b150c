"""Scale (a million claims), on small data: the generator, bounded counts, constant query counts and
the indexes each list query uses. Timings live in bench/, never here."""

import json

import pytest
from django.core.management import call_command
from django.db import connection
from django.http import QueryDict
from django.test.utils import CaptureQueriesContext

from claims.db import approximate_count, estimated_row_count
from claims.filters import ClaimFilter
from claims.listing import CLAIM_ORDER
from claims.models import Actor, Citation, Claim, Source, StatusChange
from tests.factories import ActorFactory


def generate(claims=300, actors=12, seed=7):
    call_command("generate_claims", claims=claims, actors=actors, seed=seed, verbosity=0)


def snapshot():
    return list(
        Claim.objects.order_by("pk").values_list("actor__slug", "headline", "stated_on", "status")
    )


def claim_filter(query):
    filterset = ClaimFilter(QueryDict(query), queryset=Claim.objects.all())
    assert filterset.is_valid(), filterset.errors
    return filterset.qs


def plan_nodes(queryset):
    """Every node of PostgreSQL's plan for `queryset`, sequential scans made unattractive so
    the plan shows which index the query can use (a few hundred rows fit in one page)."""
    sql, params = queryset.query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE claims_claim")
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute("EXPLAIN (FORMAT JSON) " + sql, params)
        plan = cursor.fetchone()[0]
    plan = json.loads(plan) if isinstance(plan, str) else plan
    nodes, todo = [], [plan[0]["Plan"]]
    while todo:
        node = todo.pop()
        nodes.append(node)
        todo.extend(node.get("Plans", []))
    return nodes


def index_names(nodes):
    return {node.get("Index Name") for node in nodes} - {None}


def seq_scans_on_claims(nodes):
    return [
        node
        for node in nodes
        if node["Node Type"] == "Seq Scan" and node["Relation Name"] == "claims_claim"
    ]


# The generator ---------------------------------------------------------------------------


@pytest.mark.django_db
def test_generate_claims_creates_what_was_asked():
    generate(claims=300, actors=12)
    assert (Claim.objects.count(), Actor.objects.count(), Source.objects.count()) == (300, 12, 30)
    assert not Claim.objects.filter(citations=None).exists()


@pytest.mark.django_db
def test_generated_status_is_the_last_entry_of_each_timeline():
    generate()
    last = {}
    for claim_id, status in StatusChange.objects.order_by("changed_at", "pk").values_list(
        "claim_id", "new_status"
    ):
        last[claim_id] = status
    assert last == dict(Claim.objects.values_list("pk", "status"))
    assert set(last.values()) == set(Claim.Status.values)


@pytest.mark.django_db
def test_generate_claims_gives_the_same_data_for_the_same_seed():
    generate(seed=11)
    first = snapshot()
    for model in (StatusChange, Citation, Claim, Source, Actor):
        model.objects.all().delete()
    generate(seed=11)
    assert snapshot() == first


@pytest.mark.django_db
def test_generate_claims_adds_to_existing_data_without_clashing():
    ActorFactory(name="Existing actor", slug="existing-actor")
    generate(claims=50, actors=5)
    generate(claims=50, actors=5)
    assert Claim.objects.count() == 100
    assert Actor.objects.count() == 11


# Bounded counts and facets ---------------------------------------------------------------


@pytest.mark.django_db
def test_capped_count_stops_after_the_cap():
    generate(claims=120)
    assert Claim.objects.capped_count(cap=50) == 51
    assert Claim.objects.capped_count(cap=500) == 120


@pytest.mark.django_db
def test_status_counts_are_capped_per_status_in_one_query(django_assert_num_queries):
    generate(claims=200)
    exact = {s: Claim.objects.filter(status=s).count() for s in Claim.Status.values}
    with django_assert_num_queries(1):
        counts = Claim.objects.all().status_counts(cap=10, timeout_ms=None)
    assert counts == {s: min(n, 11) for s, n in exact.items()}
    assert Claim.objects.all().status_counts(cap=1000) == exact


@pytest.mark.django_db
def test_top_actors_counts_the_newest_matching_claims(django_assert_num_queries):
    generate(claims=200)
    newest = list(Claim.objects.order_by("-stated_on", "-pk").values_list("actor_id", flat=True))
    with django_assert_num_queries(1):
        top = Claim.objects.all().top_actors(limit=3, sample=40, timeout_ms=None)
    assert [n for _, n in top] == sorted((newest[:40].count(a) for a, _ in top), reverse=True)
    assert top[0][1] == max(newest[:40].count(a) for a in set(newest[:40]))


@pytest.mark.postgres
@pytest.mark.django_db
def test_a_facet_over_its_time_budget_gives_none_and_the_request_carries_on():
    generate(claims=20)
    slow = Claim.objects.extra(where=["pg_sleep(0.05) IS NOT NULL"])  # noqa: S610 - constant
    assert slow.status_counts(timeout_ms=10) is None
    assert Claim.objects.count() == 20  # the connection (and its transaction) still work
    with connection.cursor() as cursor:
        cursor.execute("SHOW statement_timeout")
        assert cursor.fetchone()[0] != "10ms"


@pytest.mark.postgres
@pytest.mark.django_db
def test_a_facet_within_its_budget_leaves_the_requests_own_timeout_alone():
    generate(claims=20)
    with connection.cursor() as cursor:
        cursor.execute("SHOW statement_timeout")
        before = cursor.fetchone()[0]
        assert Claim.objects.all().status_counts(timeout_ms=5000) is not None
        cursor.execute("SHOW statement_timeout")
        assert cursor.fetchone()[0] == before


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_facet_over_budget_outside_a_transaction_restores_the_session_timeout():
    generate(claims=20)
    with connection.cursor() as cursor:
        cursor.execute("SHOW statement_timeout")
        before = cursor.fetchone()[0]
    slow = Claim.objects.extra(where=["pg_sleep(0.05) IS NOT NULL"])  # noqa: S610 - constant
    assert slow.status_counts(timeout_ms=10) is None
    assert Claim.objects.all().top_actors(timeout_ms=5000)
    with connection.cursor() as cursor:
        cursor.execute("SHOW statement_timeout")
        assert cursor.fetchone()[0] == before
    assert connection.get_autocommit()


@pytest.mark.django_db
def test_approximate_count_is_exact_up_to_the_cap():
    generate(claims=60)
    unverified = Claim.objects.filter(status="unverified")
    assert approximate_count(unverified, cap=100) == unverified.count()


@pytest.mark.django_db
def test_approximate_count_beyond_the_cap_is_at_least_the_cap():
    generate(claims=60)
    assert approximate_count(Claim.objects.filter(version=1), cap=10) > 10


@pytest.mark.postgres
@pytest.mark.django_db
def test_estimated_row_count_reads_the_statistics():
    generate(claims=80)  # ends with VACUUM ANALYZE
    assert estimated_row_count(Claim) == 80


@pytest.mark.django_db
def test_keyset_page_continues_where_the_previous_page_ended():
    generate(claims=90)
    ordered = list(Claim.objects.order_by("-stated_on", "-pk").values_list("pk", flat=True))
    last = Claim.objects.get(pk=ordered[29])
    after = CLAIM_ORDER.after(Claim.objects.all(), (last.stated_on, last.pk))
    page = list(after.values_list("pk", flat=True)[:30])
    assert page == ordered[30:60]


# Query counts that don't grow with the page ------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize("rows", [10, 100])
def test_a_page_of_the_claim_list_is_one_query(rows, django_assert_num_queries):
    generate(claims=150)
    with django_assert_num_queries(1):
        page = list(Claim.objects.for_list()[:rows])
        shown = [(claim.actor.name, claim.source_count) for claim in page]
    assert len(shown) == rows
    assert all(count >= 1 for _, count in shown)


@pytest.mark.django_db
def test_list_rows_count_distinct_sources():
    generate(claims=40)
    claim = Claim.objects.for_list().order_by("pk").first()
    assert claim.source_count == claim.citations.values("source").distinct().count()


@pytest.mark.django_db
def test_admin_changelist_costs_the_same_queries_at_any_size(admin_client):
    url = "/admin/claims/claim/?status__exact=denied"
    generate(claims=10)
    with CaptureQueriesContext(connection) as small:
        assert admin_client.get(url).status_code == 200
    generate(claims=300)
    with CaptureQueriesContext(connection) as large:
        response = admin_client.get(url)
    assert response.status_code == 200
    assert len(large) == len(small)


@pytest.mark.django_db
def test_admin_search_finds_claims_by_text_and_by_actor_name(admin_client):
    generate(claims=100)
    claim = Claim.objects.order_by("pk").first()
    word = claim.headline.split()[-1]
    response = admin_client.get("/admin/claims/claim/", {"q": word})
    assert response.status_code == 200
    assert claim in response.context["cl"].result_list
    actor = claim.actor
    response = admin_client.get("/admin/claims/claim/", {"q": actor.name})
    assert set(response.context["cl"].result_list) >= set(actor.claims.all()[:10])


@pytest.mark.django_db
def test_healthz_answers_ok_without_the_database(client, django_assert_num_queries):
    with django_assert_num_queries(0):
        response = client.get("/healthz")
    assert response.status_code == 200
    assert response.content == b"ok"


# Indexes (PostgreSQL plans) ----------------------------------------------------------------


@pytest.mark.postgres
@pytest.mark.django_db
def test_full_text_search_uses_the_gin_index():
    generate(claims=400)
    nodes = plan_nodes(claim_filter("q=kestrel").order_by())
    assert not seq_scans_on_claims(nodes)
    assert "claim_search_vector_gin" in index_names(nodes)


ACTOR_FK_INDEX = "claims_claim_actor_id_938e3254"  # Django's own index on the foreign key


def by_actor(qs, actor):
    return qs.filter(actor=actor)


def by_actor_and_status(qs, actor):
    return qs.filter(actor=actor, status="confirmed")


@pytest.mark.postgres
@pytest.mark.django_db
@pytest.mark.parametrize(
    ("query", "narrow", "indexes"),
    [
        ("", None, {"claim_stated_idx"}),
        (
            "status=denied&stated_from=2024-01-01&stated_to=2024-12-31",
            None,
            {"claim_status_stated_idx"},
        ),
        # Either actor index serves; which one the planner takes depends on the table's size.
        ("", by_actor, {"claim_actor_stated_idx", "claim_actor_status_idx", ACTOR_FK_INDEX}),
        ("", by_actor_and_status, {"claim_actor_status_idx"}),
    ],
)
def test_claim_list_filters_use_their_index(query, narrow, indexes):
    generate(claims=400)
    queryset = claim_filter(query)
    if narrow:
        queryset = narrow(queryset, Claim.objects.values_list("actor", flat=True).first())
    nodes = plan_nodes(queryset.for_list()[:50])
    assert not seq_scans_on_claims(nodes)
    assert indexes & index_names(nodes)


@pytest.mark.django_db
def test_generated_data_passes_the_validation_rules():
    generate(claims=60, actors=6)
    for model in (Actor, Source, Claim, Citation):
        for record in model.objects.all():
            record.full_clean(validate_unique=False, validate_constraints=False)
    assert Actor.objects.count() >= 6
