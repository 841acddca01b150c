import datetime

import pytest
from django.db import connection
from django.http import QueryDict

from claims import services
from claims.filters import ClaimFilter
from claims.models import Actor, Claim
from tests.factories import ActorFactory, CitationFactory, ClaimFactory, SourceFactory

pytestmark = pytest.mark.django_db


def run(query):
    """The ClaimFilter over every claim for a query string: (is_valid, claims, errors)."""
    filterset = ClaimFilter(QueryDict(query), queryset=Claim.objects.all())
    valid = filterset.is_valid()
    return valid, list(filterset.qs) if valid else [], filterset.errors


def make_claim(**kwargs):
    status = kwargs.pop("status", Claim.Status.UNVERIFIED)
    claim = ClaimFactory(**kwargs)
    if status != Claim.Status.UNVERIFIED:
        services.claim_set_status(
            confidence="moderate", claim=claim, status=status, rationale="Checked.", by=None
        )
    return claim


@pytest.fixture
def kremlin():
    return ActorFactory(slug="kremlin", name="The Kremlin", kind="government", country="RU")


@pytest.fixture
def nato():
    return ActorFactory(slug="nato", name="NATO", kind="alliance", country="")


def test_no_parameters_lists_every_claim_newest_stated_first():
    old = make_claim(stated_on=datetime.date(2024, 1, 1))
    new = make_claim(stated_on=datetime.date(2024, 6, 1))
    assert run("") == (True, [new, old], {})


def test_same_date_claims_are_ordered_by_id_descending():
    first, second = make_claim(), make_claim()
    assert run("")[1] == [second, first]


def test_actor_slug_keeps_only_that_actors_claims(kremlin, nato):
    theirs = make_claim(actor=kremlin)
    make_claim(actor=nato)
    assert run("actor=kremlin")[1] == [theirs]


def test_repeated_actor_matches_any_of_them(kremlin, nato):
    claims = {make_claim(actor=kremlin), make_claim(actor=nato)}
    make_claim()
    assert set(run("actor=kremlin&actor=nato")[1]) == claims


def test_unknown_actor_slug_is_named_in_the_error(kremlin):
    valid, _, errors = run("actor=kremlin&actor=nobody")
    assert not valid
    assert [e.split(" Type")[0] for e in errors["actor"]] == ["Unknown actor: nobody."]


def test_status_keeps_only_that_status():
    denied = make_claim(status="denied")
    make_claim(status="confirmed")
    make_claim()
    assert run("status=denied")[1] == [denied]


def test_repeated_status_matches_any_of_them():
    claims = {make_claim(status="denied"), make_claim(status="confirmed")}
    make_claim()
    assert set(run("status=denied&status=confirmed")[1]) == claims


def test_unknown_status_is_an_error():
    valid, _, errors = run("status=false")
    assert not valid and "status" in errors


def test_source_keeps_claims_citing_it():
    citation = CitationFactory()
    make_claim()
    assert run(f"source={citation.source_id}")[1] == [citation.claim]


def test_claim_citing_a_source_twice_is_listed_once():
    source = SourceFactory()
    claim = make_claim()
    CitationFactory(claim=claim, source=source, role="appearance")
    CitationFactory(claim=claim, source=source, role="evidence")
    assert run(f"source={source.pk}")[1] == [claim]


@pytest.mark.parametrize("value", ["abc", "-1", "0", "1.5", "99999999999999999999999"])
def test_bad_source_id_is_an_error(value):
    valid, _, errors = run(f"source={value}")
    assert not valid and "source" in errors


def test_kind_keeps_actors_of_that_kind(kremlin, nato):
    make_claim(actor=kremlin)
    alliance = make_claim(actor=nato)
    assert run("kind=alliance")[1] == [alliance]


def test_unknown_kind_is_an_error():
    valid, _, errors = run("kind=martian")
    assert not valid and "kind" in errors


def test_country_matches_in_any_case(kremlin, nato):
    russian = make_claim(actor=kremlin)
    make_claim(actor=nato)
    assert run("country=ru")[1] == [russian]


@pytest.mark.parametrize("value", ["R", "RUS", "1A", "é1"])
def test_bad_country_is_an_error(value):
    valid, _, errors = run(f"country={value}")
    assert not valid and "country" in errors


def test_stated_from_and_to_bound_the_date_inclusively():
    make_claim(stated_on=datetime.date(2024, 9, 30))
    inside = make_claim(stated_on=datetime.date(2024, 10, 1))
    edge = make_claim(stated_on=datetime.date(2024, 10, 31))
    make_claim(stated_on=datetime.date(2024, 11, 1))
    assert run("stated_from=2024-10-01&stated_to=2024-10-31")[1] == [edge, inside]


@pytest.mark.parametrize("name", ["stated_from", "stated_to"])
@pytest.mark.parametrize("value", ["yesterday", "2024-13-01", "2024-02-30", "10000-01-01"])
def test_bad_date_is_an_error(name, value):
    valid, _, errors = run(f"{name}={value}")
    assert not valid and name in errors


def test_text_search_finds_words_of_the_headline():
    match = make_claim(headline="North Korean troops moved to Vladivostok")
    make_claim(headline="Weapons supplies continue")
    assert run("q=Vladivostok")[1] == [match]


def test_text_search_of_only_punctuation_is_accepted():
    make_claim()
    valid, _, errors = run("q=%22%27%28%21%3A%26")
    assert valid, errors


def test_text_search_with_a_nul_character_is_an_error():
    valid, _, errors = run("q=troops%00")
    assert not valid and "q" in errors


def test_too_long_text_search_is_an_error():
    valid, _, errors = run("q=" + "a" * 501)
    assert not valid and "q" in errors


@pytest.mark.parametrize(
    ("ordering", "expected"),
    [("headline", ["A", "B", "C"]), ("-headline", ["C", "B", "A"]), ("stated", ["B", "A", "C"])],
)
def test_ordering_sorts_by_the_named_column(ordering, expected):
    make_claim(headline="A", stated_on=datetime.date(2024, 2, 1))
    make_claim(headline="B", stated_on=datetime.date(2024, 1, 1))
    make_claim(headline="C", stated_on=datetime.date(2024, 3, 1))
    assert [c.headline for c in run(f"ordering={ordering}")[1]] == expected


def test_ordering_always_ends_on_the_id_so_pages_are_stable():
    filterset = ClaimFilter(QueryDict("ordering=status"), queryset=Claim.objects.all())
    assert filterset.is_valid()
    assert filterset.qs.query.order_by[-1] == "pk"


def test_unknown_ordering_is_an_error():
    valid, _, errors = run("ordering=password")
    assert not valid and "ordering" in errors


def test_filters_combine_with_and(kremlin, nato):
    wanted = make_claim(actor=kremlin, status="denied", stated_on=datetime.date(2024, 10, 10))
    make_claim(actor=kremlin, status="confirmed", stated_on=datetime.date(2024, 10, 10))
    make_claim(actor=nato, status="denied", stated_on=datetime.date(2024, 10, 10))
    make_claim(actor=kremlin, status="denied", stated_on=datetime.date(2023, 1, 1))
    query = "actor=kremlin&status=denied&country=RU&kind=government&stated_from=2024-01-01"
    assert run(query)[1] == [wanted]


def test_several_bad_values_each_get_a_message():
    valid, _, errors = run("status=x&stated_from=x&source=x&actor=x&ordering=x")
    assert not valid
    assert set(errors) == {"status", "stated_from", "source", "actor", "ordering"}


@pytest.mark.postgres
def test_text_search_works_inside_a_subquery(kremlin, nato):
    make_claim(actor=kremlin, headline="Troops moved to Vladivostok")
    make_claim(actor=nato, headline="Weapons supplies continue")
    searched = ClaimFilter(QueryDict("q=Vladivostok"), queryset=Claim.objects.all())
    assert searched.is_valid()
    assert list(Actor.objects.filter(pk__in=searched.qs.values("actor"))) == [kremlin]


@pytest.mark.postgres
def test_text_search_can_use_the_gin_index():
    ClaimFactory.create_batch(20)
    make_claim(headline="Troops moved to Vladivostok")
    searched = ClaimFilter(QueryDict("q=Vladivostok"), queryset=Claim.objects.all()).qs
    searched = searched.order_by()  # a few rows are cheaper read in order than sorted
    with connection.cursor() as cursor:
        # Fresh statistics (ANALYZE's row count outlives the test's rollback), and a handful
        # of rows is cheaper to scan: ask whether the index *can* serve the search.
        cursor.execute("ANALYZE claims_claim")
        cursor.execute("SET LOCAL enable_seqscan = off")
        plan = searched.explain()
        cursor.execute("RESET enable_seqscan")
    assert "claim_search_vector_gin" in plan
