"""Pages built by libraries (the admin's history pages, the API docs) work under the site's
CSP in real Chromium: the browser reports no refused style or script."""

import pytest
from playwright.sync_api import expect

from claims import services
from tests.conftest import PASSWORD
from tests.factories import ActorFactory, UserFactory

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


def _csp_reports(page):
    reports = []
    page.on(
        "console",
        lambda m: reports.append(m.text) if "Content Security Policy" in m.text else None,
    )
    return reports


def test_the_admin_history_pages_show_without_csp_violations(page, live_server):
    admin = UserFactory(username="admin", role="admin")
    claim = services.create_claim(
        by=admin, actor=ActorFactory(), headline="Troops seen", text="T.", stated_on="2024-11-04"
    )
    reports = _csp_reports(page)
    history = f"/admin/claims/claim/{claim.pk}/history/"
    page.goto(f"{live_server.url}/admin/login/?next={history}")
    page.get_by_label("Username").fill("admin")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page.locator("#change-history")).to_be_visible()
    version = page.locator("#change-history a[href*='/history/']").first
    version.click()
    expect(page.locator("form")).not_to_have_count(0)
    assert reports == []


def test_the_api_docs_show_without_csp_violations(page, live_server, settings):
    settings.CLAIMTRACKER_PUBLIC_READ = True
    reports = _csp_reports(page)
    page.goto(f"{live_server.url}/api/docs/")
    expect(page.locator(".opblock-summary-path").first).to_be_visible()
    assert reports == []
