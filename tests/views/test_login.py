import pytest
from django.urls import reverse

from tests.conftest import PASSWORD

pytestmark = pytest.mark.django_db


def test_login_page_uses_the_site_style(client):
    response = client.get(reverse("login") + "?next=/claims/")
    content = response.content.decode()
    assert response.status_code == 200
    assert content.count("<h1") == 1 and "css/claimtracker.css" in content
    assert 'name="next" value="/claims/"' in content


def test_anonymous_visitor_is_sent_to_login_and_back(client, analyst, claim):
    page = claim.get_absolute_url()
    response = client.get(page)
    assert response.status_code == 302
    assert response["Location"] == f"{reverse('login')}?next={page}"
    response = client.post(
        reverse("login"), {"username": "analyst", "password": PASSWORD, "next": page}
    )
    assert response.status_code == 302 and response["Location"] == page
    assert client.get(page).status_code == 200


def test_wrong_password_shows_a_message_and_keeps_the_username(client, analyst):
    response = client.post(reverse("login"), {"username": "analyst", "password": "nope"})
    assert response.status_code == 200
    assert b"Please enter a correct username and password" in response.content
    assert b'value="analyst"' in response.content
    assert "_auth_user_id" not in client.session


def test_login_does_not_redirect_to_another_site(client, analyst):
    response = client.post(
        reverse("login"),
        {"username": "analyst", "password": PASSWORD, "next": "https://evil.example/"},
    )
    assert response.status_code == 302
    assert response["Location"] == reverse("claims:claim-list")


def test_logout_is_a_post_and_ends_the_session(analyst_client):
    response = analyst_client.post(reverse("logout"))
    assert response.status_code == 302
    assert "_auth_user_id" not in analyst_client.session
