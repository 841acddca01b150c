"""Odd addresses and forged form fields get a page or a message, never a server error."""

import pytest

pytestmark = pytest.mark.django_db
HUGE = "9" * 25


@pytest.mark.parametrize(
    ("url", "status"),
    [
        (f"/claims/{HUGE}/", 404),
        (f"/claims/{HUGE}/edit/", 404),
        (f"/sources/{HUGE}/", 404),
        (f"/sources/?q={HUGE}", 200),
        (f"/claims/?page={HUGE}", 200),
        (f"/actors/?page={HUGE}", 200),
        ("/sources/?page=last-but-one", 200),
        ("/actors/" + "a" * 300 + "/", 404),
        ("/claims/?actor=" + "a" * 300, 400),
        ("/claims/?q=" + "a'\"&|!:*()<>" * 10, 200),
        (f"/claims/?source={HUGE}", 400),
    ],
)
def test_odd_address_is_not_a_server_error(analyst_client, claim, url, status):
    assert analyst_client.get(url).status_code == status


@pytest.mark.parametrize("total", ["x", "100000"])
def test_forged_citation_row_count_is_refused(analyst_client, actor, total):
    data = {
        "actor": "kremlin",
        "headline": "h",
        "text": "t",
        "stated_on": "2024-01-01",
        "citations-TOTAL_FORMS": total,
        "citations-INITIAL_FORMS": "0",
    }
    response = analyst_client.post("/claims/new/", data)
    assert response.status_code == 400
    assert not actor.claims.exists()


@pytest.mark.parametrize("version", ["abc", "0", HUGE])
def test_forged_version_is_refused(analyst_client, claim, version):
    data = {
        "actor": "kremlin",
        "headline": "Forged",
        "text": "t",
        "stated_on": "2024-01-01",
        "version": version,
        "citations-TOTAL_FORMS": "0",
        "citations-INITIAL_FORMS": "0",
    }
    response = analyst_client.post(f"/claims/{claim.pk}/edit/", data)
    assert response.status_code == 400
    claim.refresh_from_db()
    assert claim.headline != "Forged"
