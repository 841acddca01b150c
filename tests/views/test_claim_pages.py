"""Claim list pages at any depth (a million claims): "Older" / "Newer" links carry a cursor on
(stated_on, id), so a deep page costs what the first costs; numbered pages stop at
OFFSET_ROWS_LIMIT rows; a damaged cursor is a 400 with a message, never a 500."""

import datetime
from urllib.parse import parse_qs

import pytest
from django.urls import reverse

from claims import views
from tests.factories import ActorFactory, ClaimFactory

pytestmark = pytest.mark.django_db
LIST = reverse("claims:claim-list")


@pytest.fixture
def small_pages(monkeypatch):
    monkeypatch.setattr(views, "CLAIMS_PER_PAGE", 3)


def make_claims(count, **kwargs):
    # Several claims share each date, so the id breaks ties.
    base = datetime.date(2024, 1, 1)
    return [
        ClaimFactory(stated_on=base + datetime.timedelta(days=n // 3), **kwargs)
        for n in range(count)
    ]


def walk(client, url, link):
    """Follow `link` ("older" or "newer") from `url` until it runs out: the claims seen."""
    seen = []
    for _ in range(50):
        response = client.get(url)
        assert response.status_code == 200
        browser = response.context["browser"]
        seen.extend(browser.claims)
        if not browser.pager[link]:
            return seen, response
        url = f"{LIST}?{browser.pager[link]}"
    raise AssertionError("the links never ended")


def test_older_links_reach_the_last_claim_listing_each_claim_once(analyst_client, small_pages):
    claims = make_claims(11)
    seen, last = walk(analyst_client, LIST, "older")
    expected = sorted(claims, key=lambda c: (c.stated_on, c.pk), reverse=True)
    assert seen == expected
    assert "after" in parse_qs(last.context["browser"].pager["newer"])


def test_newer_links_come_back_to_the_newest_claim(analyst_client, small_pages):
    claims = make_claims(8)
    oldest_first = sorted(claims, key=lambda c: (c.stated_on, c.pk))
    _, last = walk(analyst_client, LIST, "older")
    url = f"{LIST}?{last.context['browser'].pager['newer']}"
    seen, _ = walk(analyst_client, url, "newer")
    # Back from the last page: every claim but those on it, in list order, page by page.
    assert sorted(seen, key=lambda c: (c.stated_on, c.pk)) == oldest_first[2:]


def test_cursor_links_keep_the_filter(analyst_client, small_pages):
    actor = ActorFactory(slug="kremlin")
    mine = make_claims(7, actor=actor)
    make_claims(4)  # another actor's
    seen, _ = walk(analyst_client, LIST + "?actor=kremlin", "older")
    assert sorted(c.pk for c in seen) == sorted(c.pk for c in mine)


@pytest.mark.parametrize(
    "query",
    [
        "before=garbage",
        "before=2024-02-30.5",
        "before=2024-01-01.0",
        "before=2024-01-01.99999999999999999999",
        "before=2024-01-01.%EF%BC%91",
        "before=2024-01-01.1&after=2024-01-01.1",
        "before=2024-01-01.1&before=2024-01-02.1",
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
    monkeypatch.setattr(views, "OFFSET_ROWS_LIMIT", 6)
    make_claims(10)
    response = analyst_client.get(LIST + "?ordering=headline&page=999")
    browser = response.context["browser"]
    assert response.status_code == 200
    assert browser.pager["number"] == 2  # clamped: no OFFSET past the limit
    assert browser.pager["older"] is None and browser.pager["limit_reached"]
    assert b"Only the first 10,000 claims can be paged in this order" in response.content


def test_unfiltered_list_shows_the_total(analyst_client):
    make_claims(4)
    response = analyst_client.get(LIST)
    assert b"4 claims" in response.content
