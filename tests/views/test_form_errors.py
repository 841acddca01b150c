"""Form errors on every form page: one summary listing each error as a link to its field,
first in the main content, and "Error: " at the start of the page title. A refused verdict
answers with the claim page itself."""

import re

import pytest
from django.contrib.auth.models import User

from claims.models import Actor, Claim, Proposition, Source, StatusChange

pytestmark = pytest.mark.django_db


def title(response):
    return re.search(r"<title>(.*?)</title>", response.content.decode(), re.S).group(1).strip()


def main_content(response):
    return response.content.decode().split('<main id="main"', 1)[1]


@pytest.mark.parametrize(
    ("url", "data", "field", "model"),
    [
        ("/actors/new/", {"name": ""}, "name", Actor),
        ("/sources/new/", {"title": ""}, "title", Source),
        ("/claims/new/", {"headline": ""}, "headline", Claim),
        ("/propositions/new/", {"statement": ""}, "statement", Proposition),
    ],
)
def test_refused_form_lists_each_error_as_a_link_to_its_field(
    analyst_client, url, data, field, model
):
    response = analyst_client.post(url, data)

    assert response.status_code in (200, 400)
    assert title(response).startswith("Error: ")
    assert f'href="#id_{field}"' in main_content(response)
    assert model.objects.count() == 0


def test_error_summary_comes_first_in_the_main_content(analyst_client):
    main = main_content(analyst_client.post("/actors/new/", {"name": ""}))

    assert "data-error-summary" in main
    assert main.index("data-error-summary") < main.index("<h1")


def test_form_page_without_errors_has_no_error_title(analyst_client):
    response = analyst_client.get("/actors/new/")

    assert not title(response).startswith("Error")
    assert "data-error-summary" not in response.content.decode()


def test_refused_import_has_an_error_title_and_a_link_to_the_file_field(analyst_client):
    response = analyst_client.post("/claims/import/", {})

    assert title(response).startswith("Error: ")
    assert 'href="#id_file"' in main_content(response)


def test_refused_login_has_an_error_title(client):
    User.objects.create_user("ana", password="right password")

    response = client.post("/accounts/login/", {"username": "ana", "password": "wrong"})

    assert title(response).startswith("Error: Log in")
    assert "_auth_user_id" not in client.session


def test_refused_verdict_answers_with_the_claim_page_and_its_error(analyst_client, claim):
    before = StatusChange.objects.filter(claim=claim).count()

    response = analyst_client.post(
        claim.get_absolute_url(), {"status": "confirmed", "rationale": ""}
    )

    assert response.status_code == 400
    assert title(response).startswith(f"Error: {claim.headline}")
    assert 'id="status-errors"' in response.content.decode()
    assert StatusChange.objects.filter(claim=claim).count() == before


def test_verdict_posted_to_the_claim_page_is_recorded(analyst_client, claim):
    response = analyst_client.post(
        claim.get_absolute_url(),
        {"status": "denied", "rationale": "Troops seen in Kursk.", "confidence": "high"},
    )

    assert response.status_code == 302
    assert Claim.objects.get(pk=claim.pk).status == "denied"


def test_reader_cannot_post_a_verdict_to_the_claim_page(reader_client, claim):
    response = reader_client.post(
        claim.get_absolute_url(), {"status": "denied", "rationale": "Troops seen in Kursk."}
    )

    assert response.status_code == 403
    assert Claim.objects.get(pk=claim.pk).status == "unverified"


def test_claim_page_verdict_form_posts_to_the_claim_page_at_the_form(analyst_client, claim):
    body = analyst_client.get(claim.get_absolute_url()).content.decode()

    assert f'action="{claim.get_absolute_url()}#mark-status"' in body
    assert 'id="mark-status"' in body


def test_links_styled_as_buttons_are_links(analyst_client, claim):
    for url in ["/claims/", claim.get_absolute_url(), claim.actor.get_absolute_url()]:
        body = analyst_client.get(url).content.decode()
        assert 'class="button' in body
        assert 'role="button"' not in body


def test_admin_names_the_app_apart_from_its_claim_model(admin_client):
    body = admin_client.get("/admin/").content.decode()

    assert "Claim tracking" in body
    assert ">Claims</a>" in body  # the model keeps its name
