"""Full-text search: one table of queries and the claims each must find, run on whichever
database the suite uses (PostgreSQL in CI, SQLite by default): the two engines agree."""

import datetime

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.http import QueryDict

from claims import search, services
from claims.filters import ClaimFilter
from claims.models import Claim
from tests.factories import ActorFactory, ClaimFactory

STORY = {
    "troops": ("North Korean troops deployed to Kursk", "Thousands of soldiers arrived."),
    "fake": ("Kremlin calls reports fake news", "Peskov said the Kursk reports were fake."),
    "drill": ("Joint drill in the Far East", "Exercises near Vladivostok with tanks."),
    "securite": ("Sécurité renforcée à la frontière", "Le ministère parle de sécurité."),
    "zelensky": ("Zelenskyy asks for more air defence", "Air defence systems are needed."),
}


@pytest.fixture
def story(db):
    kremlin = ActorFactory(name="Kremlin", short_name="", aliases="Кремль\nMoscow Kremlin")
    ukraine = ActorFactory(name="Office of the President of Ukraine", short_name="OP")
    nis = ActorFactory(name="National Intelligence Service", short_name="NIS")
    actor_of = {"fake": kremlin, "zelensky": ukraine}
    return {
        key: ClaimFactory(actor=actor_of.get(key, nis), headline=headline, text=text)
        for key, (headline, text) in STORY.items()
    }


def found(query):
    filterset = ClaimFilter(QueryDict(mutable=True) | {"q": query}, queryset=Claim.objects.all())
    assert filterset.is_valid(), filterset.errors
    return set(filterset.qs.values_list("pk", flat=True))


PARITY = [
    ("kursk", {"troops", "fake"}),
    ("KURSK", {"troops", "fake"}),
    ("north korean kursk", {"troops"}),  # every word
    ("kursk -fake", {"troops"}),  # excluded word
    ('"fake news"', {"fake"}),  # phrase
    ('"news fake"', set()),  # a phrase keeps its order
    ("vladivostok or zelenskyy", {"drill", "zelensky"}),
    ("vladivostok OR tanks drill", {"drill"}),
    ("soldier", {"troops"}),  # stemming: "soldiers"
    ("deploy", {"troops"}),  # stemming: "deployed"
    ("securite", {"securite"}),  # accents ignored
    ("SÉCURITÉ", {"securite"}),
    ("Кремль", {"fake"}),  # an actor's alias
    ("kremlin", {"fake"}),  # the actor's name (and the headline)
    ("nis", {"troops", "drill", "securite"}),  # an actor's short name
    ("intelligence kursk", {"troops"}),  # actor name and claim text together
    ("the", set()),  # only a stop word: nothing, as PostgreSQL
    ("- - - - - - - - - - - - - - - - - - - - - - - - - - - - - - - - - - - - - - - -", set()),
    ("kursk " + "- " * 40, {"troops", "fake"}),  # lone operators dropped
    ("troops*", {"troops"}),  # no prefix search: the * is not an operator
    ('kursk "unclosed', set()),
    ("kursk AND NOT fake", {"fake"}),  # FTS5 operators are plain (stop) words here
    ("NEAR(kursk fake)", set()),  # "near kursk" is not in any claim
    ('<script>"><img src=x onerror=alert(1)> {{ 7*7 }} javascript:alert(1)', set()),
]


@pytest.mark.parametrize(("query", "expected"), PARITY, ids=[q[:30] for q, _ in PARITY])
def test_search_finds_the_same_claims_on_either_database(story, query, expected):
    assert found(query) == {story[key].pk for key in expected}


def test_search_follows_an_edited_claim(story, analyst):
    claim = story["drill"]
    claim.headline = "Joint drill near Khabarovsk"
    services.save_versioned(claim, by=analyst, version=claim.version)
    assert found("khabarovsk") == {claim.pk}


def test_search_follows_a_renamed_actor(story, analyst):
    kremlin = story["fake"].actor
    kremlin.aliases = "Kreml"
    services.save_versioned(kremlin, by=analyst, version=kremlin.version)
    assert (found("kreml"), found("Кремль")) == ({story["fake"].pk}, set())


def test_search_forgets_a_deleted_claim(story, admin):
    services.delete_record(story["troops"], by=admin)  # deleting a claim is for admins
    assert found("kursk") == {story["fake"].pk}


def test_search_finds_a_claim_made_through_the_service(db, analyst):
    actor = ActorFactory(name="Ministry of Defence", aliases="MoD")
    claim = services.create_claim(
        by=analyst,
        actor=actor,
        headline="Drones shot down",
        text="Over the border.",
        stated_on=datetime.date(2024, 11, 1),
    )
    assert found("mod drones") == {claim.pk}


@pytest.mark.parametrize(
    "query",
    [
        "-fake",  # only what to leave out
        "kursk or -fake",
        " ".join(f"word{n}" for n in range(search.MAX_TERMS + 1)),
        '"' + " ".join(f"w{n}" for n in range(search.MAX_WORDS + 1)) + '"',
    ],
)
def test_search_the_engines_cannot_bound_is_an_error_naming_q(db, query):
    filterset = ClaimFilter(QueryDict(mutable=True) | {"q": query}, queryset=Claim.objects.all())
    assert not filterset.is_valid() and "q" in filterset.errors


def test_fts5_expression_quotes_every_word():
    query = search.parse('kursk -"fake news" or NEAR(a b) col:x')
    assert query.as_fts5() == '(("kursk") NOT "fake news") OR (("near" AND "b" AND "col x"))'


def test_websearch_text_is_rebuilt_from_the_parsed_words():
    assert search.parse("north-korean - - -troops or  OR kursk").as_websearch() == (
        '"north korean" -troops or kursk'
    )


def test_database_refusal_is_a_validation_error(db):
    # A query that slipped past the parser still can't reach the page: the database's own
    # error becomes the field's message. (Built by hand: parse() never makes these.)
    word = 'x" OR' if connection.vendor == "sqlite" else "- - - - " * 10 + "x"
    with pytest.raises(ValidationError):
        search.check_with_database(search.SearchQuery(((search.Term((word,)),),)))


@pytest.mark.parametrize(
    ("matches", "rows", "limit", "in_order"),
    [
        (159_000, 1_000_000, 51, True),  # a common word: the first page is near the top
        (13_000, 1_000_000, 51, True),
        (200, 1_000_000, 51, False),  # a rare word: reading the index would read it all
        (31_000, 1_000_000, 10_000, False),  # a sample of 10,000: most of the index
        (159_000, 1_000_000, None, False),  # no LIMIT: every match is needed anyway
        (0, 1_000_000, 51, False),
    ],
)
def test_scan_in_order_only_when_the_first_rows_are_near_the_top(matches, rows, limit, in_order):
    assert search.scan_in_order(matches, rows, limit) is in_order


@pytest.mark.skipif(connection.vendor != "sqlite", reason="SQLite's full-text query plan")
def test_a_common_word_pages_the_same_claims_by_reading_the_ordering_in_order(db):
    nis = ActorFactory()
    for day in range(1, 29):
        ClaimFactory(
            actor=nis,
            headline="Troops at the border" if day % 2 else "Tanks at the border",
            stated_on=datetime.date(2025, 2, day),
        )
    query = search.parse("troops")
    checked = search.check_with_database(query)
    assert (checked.matches, checked.rows) == (14, max(Claim.objects.values_list("pk", flat=True)))
    dense = search.SearchQuery(query.groups, matches=10**6, rows=10**6)
    page = Claim.objects.filter(search.matches(dense))[:5]
    assert '+"claims_claim"."id" IN' in str(page.query)
    expected = list(Claim.objects.filter(search.matches(query))[:5].values_list("pk", flat=True))
    assert list(page.values_list("pk", flat=True)) == expected
