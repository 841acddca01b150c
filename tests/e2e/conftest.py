import re

import pytest
from django.db import connections
from playwright.sync_api import expect

from tests.conftest import PASSWORD
from tests.factories import UserFactory


@pytest.fixture(scope="session")
def serialized_db_contents(django_db_setup):
    """The migrated test data (roles) Django serialized when it created the test database,
    read before Playwright starts."""
    return {
        alias: getattr(connections[alias], "_test_serialized_contents", None)
        for alias in connections
    }


@pytest.fixture(autouse=True)
def keep_serialized_contents(serialized_db_contents):
    """Browser tests are transactional: each ends by emptying the tables, and the next one
    restores the migrated data (serialized_rollback). Playwright's sync API runs later code in
    its own context, where Django opens new connection objects that lack the serialized data,
    so the restore would silently do nothing. Hand the data over to them."""
    yield
    for alias, contents in serialized_db_contents.items():
        if contents is not None:
            connections[alias]._test_serialized_contents = contents


def log_in(page, base, username, *, path="/claims/"):
    """Log `username` in through the login form, starting from a page that needs it."""
    page.goto(f"{base}{path}")
    expect(page).to_have_url(re.compile(r"/accounts/login/\?next="))
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page).to_have_url(f"{base}{path}")
    return page


@pytest.fixture
def analyst_page(page, live_server):
    """A browser page logged in as an analyst through the login form."""
    UserFactory(username="analyst", role="analyst")
    return log_in(page, live_server.url, "analyst")
