"""The claim list's pages over HTTP: the wiring of claims.listing (tests/test_listing.py
tests cursors and page boundaries). "Older" / "Newer" links carry a cursor, numbered pages
stop at OFFSET_ROWS_LIMIT rows, a damaged cursor is a 400 with a message, never a 500."""

import datetime
from urllib.parse import parse_qs

import pytest
from django.urls import reverse

from claims import listing
from tests.factories import ActorFactory, ClaimFactory

pytestmark = pytest.mark.django_db
LIST = reverse("claims:claim-list")


@pytest.fixture
def small_pages(monkeypatch):
    monkeypatch.setattr(listing, "CLAIMS_PER_PAGE", 3)


def make_claims(count, **kwargs):
    # Several claims share each date, so the id breaks ties.
    base = datetime.date(2024, 1, 1)
    return [
        ClaimFactory(stated_on=base + datetime.timedelta(days=n // 3), **kwargs)
        for n in range(count)
    ]


def walk(client, url, link):
    """Follow `link` ("next_query" or "previous_query") from `url` to its end: the claims seen."""
    seen = []
    for _ in range(50):
        response = client.get(url)
        assert response.status_code == 200
        browser = response.context["browser"]
        seen.extend(browser.claims)
        if not getattr(browser.page, link):
            return seen, response
        url = f"{LIST}?{getattr(browser.page, link)}"
    raise AssertionError("the links never ended")


def test_older_then_newer_links_come_back_to_the_same_page(analyst_client, small_pages):
    make_claims(8)
    first = analyst_client.get(LIST).context["browser"]
    older = analyst_client.get(f"{LIST}?{first.page.next_query}").context["browser"]
    back = analyst_client.get(f"{LIST}?{older.page.previous_query}")
    assert back.status_code == 200
    assert back.context["browser"].claims == first.claims
    assert "after" in parse_qs(older.page.previous_query)


def test_cursor_links_keep_the_filter(analyst_client, small_pages):
    actor = ActorFactory(slug="kremlin")
    mine = make_claims(7, actor=actor)
    make_claims(4)  # another actor's
    seen, _ = walk(analyst_client, LIST + "?actor=kremlin", "next_query")
    assert sorted(c.pk for c in seen) == sorted(c.pk for c in mine)


@pytest.mark.parametrize(
    "query",
    [
        "before=2024-01-01.%EF%BC%91",
        "before=2024-01-01.1&after=2024-01-01.1",
        "after=",
        "before=2024-01-01.1&ordering=headline",
    ],
)
def test_a_damaged_cursor_is_a_400_with_a_message(analyst_client, claim, query):
    response = analyst_client.get(f"{LIST}?{query}")
    assert response.status_code == 400
    assert b"This page link is out of date or damaged" in response.content
    assert response.context["browser"].claims == []


def test_a_damaged_cursor_on_an_actor_page_is_a_400(analyst_client, claim):
    response = analyst_client.get(claim.actor.get_absolute_url() + "?before=x")
    assert response.status_code == 400


def test_numbered_pages_stop_at_the_offset_limit_in_other_orders(
    analyst_client, small_pages, monkeypatch
):
    monkeypatch.setattr(listing, "OFFSET_ROWS_LIMIT", 6)
    make_claims(10)
    # Two sort columns: no index serves that order, so it pages by number (one column pages
    # by cursor at any depth).
    response = analyst_client.get(LIST + "?ordering=status,headline&page=999")
    browser = response.context["browser"]
    assert response.status_code == 200
    assert browser.page.number == 2  # clamped: no OFFSET past the limit
    assert browser.page.next_query is None and browser.page.limit_reached
    assert b"Only the first 6 claims can be paged in this order" in response.content


def test_unfiltered_list_shows_the_total(analyst_client):
    make_claims(4)
    response = analyst_client.get(LIST)
    assert b"4 claims" in response.content
