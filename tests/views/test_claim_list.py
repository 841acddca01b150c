import datetime

import pytest
from django.urls import reverse

from claims import services
from claims.models import Claim
from tests.factories import ActorFactory, ClaimFactory

pytestmark = pytest.mark.django_db
LIST = reverse("claims:claim-list")


def test_list_shows_each_claim_with_actor_status_and_source_count(analyst_client, claim):
    response = analyst_client.get(LIST)
    assert response.status_code == 200
    assert response.context["browser"].claims == [claim]
    assert claim.actor.get_absolute_url().encode() in response.content
    assert b'class="status status-unverified">Unverified' in response.content


def test_home_is_the_claim_list(analyst_client, claim):
    response = analyst_client.get(reverse("claims:home"))
    assert response.status_code == 200
    assert response.context["browser"].claims == [claim]


def test_list_is_newest_stated_first_then_newest_id(analyst_client):
    older = ClaimFactory(stated_on=datetime.date(2024, 1, 1))
    first = ClaimFactory(stated_on=datetime.date(2024, 5, 1))
    second = ClaimFactory(stated_on=datetime.date(2024, 5, 1))
    response = analyst_client.get(LIST)
    assert response.context["browser"].claims == [second, first, older]


def test_status_facets_count_the_current_filter(analyst_client):
    actor = ActorFactory(slug="kremlin")
    for status in ["denied", "denied", "confirmed"]:
        services.claim_set_status(
            confidence="moderate",
            claim=ClaimFactory(actor=actor),
            status=status,
            rationale="x",
            by=None,
        )
    ClaimFactory()  # another actor's: not counted
    response = analyst_client.get(LIST + "?actor=kremlin")
    counts = {f["value"]: f["count"] for f in response.context["browser"].status_facets}
    assert counts == {"confirmed": 1, "denied": 2, "unverified": 0}
    assert response.context["browser"].total == 3


def test_status_facet_link_adds_the_status_to_the_filter(analyst_client):
    ClaimFactory(actor=ActorFactory(slug="kremlin"))
    response = analyst_client.get(LIST + "?actor=kremlin")
    unverified = response.context["browser"].status_facets[2]
    assert unverified["query"] == "actor=kremlin&status=unverified"
    assert b'href="?actor=kremlin&amp;status=unverified"' in response.content


def test_actor_facets_list_the_busiest_actors_as_links(analyst_client):
    busy, quiet = ActorFactory(slug="busy"), ActorFactory(slug="quiet")
    ClaimFactory.create_batch(3, actor=busy)
    ClaimFactory(actor=quiet)
    response = analyst_client.get(LIST)
    facets = response.context["browser"].actor_facets
    assert [(f["actor"], f["count"]) for f in facets] == [(busy, 3), (quiet, 1)]
    assert b'href="?actor=busy"' in response.content


def test_actor_facets_stop_at_ten(analyst_client):
    for _ in range(12):
        ClaimFactory()
    response = analyst_client.get(LIST)
    assert len(response.context["browser"].actor_facets) == 10


def test_each_active_filter_has_a_link_removing_only_it(analyst_client):
    ActorFactory(slug="kremlin")
    ActorFactory(slug="nato")
    response = analyst_client.get(LIST + "?actor=kremlin&actor=nato&status=denied")
    links = {
        (f["label"], f["value"]): f["query"] for f in response.context["browser"].active_filters
    }
    assert links == {
        ("Actor", "kremlin"): "actor=nato&status=denied",
        ("Actor", "nato"): "actor=kremlin&status=denied",
        ("Status", "Denied"): "actor=kremlin&actor=nato",
    }


@pytest.mark.parametrize(
    "query, shown",
    [("subactors=1", set()), ("subactors=0", {("Sub-actors' claims", "Left out")})],
)
def test_a_choice_left_at_its_default_is_not_an_active_filter(analyst_client, query, shown):
    """Submitting the form sends every select; the default choice filters nothing."""
    ActorFactory(slug="kremlin")
    response = analyst_client.get(f"{LIST}?actor=kremlin&{query}")
    active = {(f["label"], f["value"]) for f in response.context["browser"].active_filters}
    assert response.status_code == 200
    assert active - {("Actor", "kremlin")} == shown


def test_active_actor_filter_is_kept_when_the_form_is_submitted_again(analyst_client):
    ActorFactory(slug="kremlin")
    response = analyst_client.get(LIST + "?actor=kremlin")
    assert b'<input type="hidden" name="actor" value="kremlin">' in response.content


def test_actor_filter_is_a_text_box_not_a_select_of_every_actor(analyst_client):
    ActorFactory.create_batch(3)
    response = analyst_client.get(LIST)
    assert b'<input type="text" name="actor"' in response.content
    assert b'<select name="actor"' not in response.content


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("stated_from=not-a-date", "Stated from"),
        ("status=maybe", "Status"),
        ("source=abc", "Source"),
        ("actor=nobody", "Actor"),
        ("kind=martian", "Actor kind"),
        ("country=RUS", "Country"),
        ("ordering=secret", "Order by"),
        ("q=a%00b", "Text"),
    ],
)
def test_bad_parameter_gives_400_naming_the_field(analyst_client, claim, query, field):
    response = analyst_client.get(f"{LIST}?{query}")
    assert response.status_code == 400
    assert f"<strong>{field}</strong>:".encode() in response.content
    assert response.context["browser"].claims == []


def test_unknown_actor_message_names_the_slug(analyst_client, claim):
    response = analyst_client.get(LIST + "?actor=nobody")
    assert b"Unknown actor: nobody." in response.content


def test_list_paginates_fifty_per_page_and_keeps_the_filter(analyst_client):
    actor = ActorFactory(slug="kremlin")
    ClaimFactory.create_batch(51, actor=actor)
    response = analyst_client.get(LIST + "?actor=kremlin")
    assert len(response.context["browser"].claims) == 50
    older = response.context["browser"].page.next_query
    assert older.startswith("actor=kremlin&before=")
    assert f'href="?{older.replace("&", "&amp;")}"'.encode() in response.content
    second = analyst_client.get(f"{LIST}?{older}")
    assert len(second.context["browser"].claims) == 1
    # Numbered pages still answer within the first 10,000 rows (old links, other orders).
    assert len(analyst_client.get(LIST + "?actor=kremlin&page=2").context["browser"].claims) == 1


@pytest.mark.parametrize("sort", ["headline", "-headline", "actor", "-status", "updated"])
def test_every_sort_pages_by_cursor_through_every_row_once(analyst_client, sort):
    actors = [ActorFactory(name=f"Actor {n}") for n in range(3)]
    made = [ClaimFactory(actor=actors[n % 3], headline=f"Claim {n % 7}") for n in range(120)]
    seen, query, pages = [], f"ordering={sort}", 0
    while query is not None:
        response = analyst_client.get(f"{LIST}?{query}")
        assert response.status_code == 200
        browser = response.context["browser"]
        seen += [claim.pk for claim in browser.claims]
        query, pages = browser.page.next_query, pages + 1
        assert query is None or f"ordering={sort}" in query and "before=" in query
    assert pages == 3 and sorted(seen) == sorted(c.pk for c in made)
    expected = Claim.objects.order_by(
        *{"actor": ["actor__name", "pk"], "-status": ["-status", "-pk"]}.get(
            sort, [sort.replace("updated", "updated_at"), "-pk" if sort[0] == "-" else "pk"]
        )
    )
    assert seen == list(expected.values_list("pk", flat=True))


# Not named `page`: pytest-playwright would take it for its browser page fixture.
@pytest.mark.parametrize("number", ["abc", "0", "999", "-1"])
def test_odd_page_numbers_show_a_page_not_an_error(analyst_client, claim, number):
    response = analyst_client.get(f"{LIST}?page={number}")
    assert response.status_code == 200
    assert response.context["browser"].claims == [claim]


def test_empty_list_tells_an_analyst_to_add_the_first_claim(analyst_client):
    response = analyst_client.get(LIST)
    assert b"No claims yet." in response.content
    assert reverse("claims:claim-create").encode() in response.content


def test_empty_list_tells_a_reader_who_can_add_claims(reader_client):
    response = reader_client.get(LIST)
    assert b"An analyst can add them" in response.content
    assert reverse("claims:claim-create").encode() not in response.content


def test_no_match_suggests_removing_a_filter(analyst_client, claim):
    response = analyst_client.get(LIST + "?status=denied")
    assert b"No claims match these filters" in response.content
    assert Claim.objects.count() == 1


def test_page_has_one_h1_and_labels_for_every_filter(analyst_client, claim):
    content = analyst_client.get(LIST).content.decode()
    assert content.count("<h1") == 1
    for name in ["actor", "source", "kind", "country", "stated_from", "stated_to", "q", "ordering"]:
        assert f'<label for="id_{name}"' in content


def test_actor_box_suggests_only_the_busiest_actors(analyst_client):
    for _ in range(12):
        ClaimFactory()
    content = analyst_client.get(LIST).content.decode()
    suggestions = content.split('<datalist id="actor-suggestions"')[1].split("</datalist>")[0]
    assert suggestions.count("<option") == 10
    assert 'list="actor-suggestions"' in content


def test_status_facets_ignore_the_ticked_status_so_the_others_stay_links(analyst_client):
    actor = ActorFactory(slug="kremlin")
    for status in ["denied", "denied", "confirmed"]:
        services.claim_set_status(
            confidence="moderate",
            claim=ClaimFactory(actor=actor),
            status=status,
            rationale="x",
            by=None,
        )
    response = analyst_client.get(LIST + "?actor=kremlin&status=denied")
    browser = response.context["browser"]
    assert {f["value"]: f["count"] for f in browser.status_facets} == {
        "confirmed": 1,
        "denied": 2,
        "unverified": 0,
    }
    assert (browser.total, len(browser.claims)) == (2, 2)
    assert b'href="?actor=kremlin&amp;status=denied&amp;status=confirmed"' in response.content
