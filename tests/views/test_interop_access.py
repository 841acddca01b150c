"""Exports, feed and import page for every role: the pages' read rule, analysts import."""

import pytest
from django.urls import reverse

READS = [
    "claim-export-csv",
    "claim-export-json",
    "claim-export-jsonld",
    "claim-export-bundle",
    "status-feed",
]


@pytest.mark.parametrize("name", READS)
@pytest.mark.parametrize("role", ["reader", "analyst", "admin"])
def test_every_role_reads_exports_and_feed(client, users, story, name, role):
    client.force_login(users[role])
    response = client.get(reverse(f"claims:{name}"))
    assert response.status_code == 200
    body = b"".join(response.streaming_content) if response.streaming else response.content
    assert story["claims"]["troops"].headline.encode() in body


@pytest.mark.parametrize("name", READS)
def test_a_user_without_a_role_reads_no_export_nor_feed(client, norole, story, name):
    client.force_login(norole)
    response = client.get(reverse(f"claims:{name}"))
    assert response.status_code == 403
    body = b"".join(response.streaming_content) if response.streaming else response.content
    assert story["claims"]["troops"].headline.encode() not in body


@pytest.mark.parametrize(
    ("role", "expected"),
    [(None, 302), ("norole", 403), ("reader", 403), ("analyst", 200), ("admin", 200)],
)
def test_import_page_is_for_analysts_and_admins(client, users, role, expected):
    if role:
        client.force_login(users[role])
    response = client.get(reverse("claims:claim-import"))
    assert response.status_code == expected
    assert ("form" in (response.context or {})) == (expected == 200)
