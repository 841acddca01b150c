import xml.etree.ElementTree as ET

import pytest
from django.urls import reverse

from claims import services

ATOM = "{http://www.w3.org/2005/Atom}"


def _entries(response):
    root = ET.fromstring(response.content)  # noqa: S314 - our own feed
    return [
        (e.find(f"{ATOM}title").text, e.find(f"{ATOM}id").text) for e in root.iter(f"{ATOM}entry")
    ]


def test_feed_lists_status_changes_newest_first(reader_client, story, analyst):
    services.claim_set_status(
        confidence="moderate",
        claim=story["claims"]["peskov"],
        status="denied",
        rationale="He did comment.",
        by=analyst,
    )
    response = reader_client.get(reverse("claims:status-feed"))
    entries = _entries(response)
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/atom+xml")
    assert entries[0][0] == "Denied: Peskov: no comment on troops (Dmitry Peskov)"
    assert len(entries) == 5
    assert len({entry_id for _, entry_id in entries}) == 5


def test_feed_filters_by_actor(reader_client, story):
    entries = _entries(reader_client.get("/feeds/status/?actor=kremlin"))
    assert [title for title, _ in entries] == [
        "Denied: Reports of North Korean troops are fake (The Kremlin)"
    ]


def test_feed_takes_the_list_filters(reader_client, story):
    entries = _entries(reader_client.get("/feeds/status/?actor=nis&status=unverified"))
    assert [title for title, _ in entries] == [
        "Unverified: Troops are training in the Far East (National Intelligence Service)"
    ]


@pytest.mark.parametrize("query", ["actor=nobody", "status=maybe", "stated_from=soon"])
def test_feed_with_a_bad_filter_is_404(reader_client, story, query):
    assert reader_client.get(f"/feeds/status/?{query}").status_code == 404


def test_anonymous_feed_goes_to_login(client, story):
    response = client.get("/feeds/status/")
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def test_public_read_opens_the_feed(client, story, settings):
    settings.CLAIMTRACKER_PUBLIC_READ = True
    response = client.get("/feeds/status/")
    assert response.status_code == 200
    assert len(_entries(response)) == 4
