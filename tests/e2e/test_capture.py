"""In real Chromium: an analyst cites a new source by its URL with a quote; the worker
captures the page; the claim shows the quote found and the source page shows the hash."""

import re

import pytest
from playwright.sync_api import expect

from claims.models import Capture, Claim
from tests.captures.conftest import capture_settings, page_server  # noqa: F401 - fixtures
from tests.captures.pageserver import QUOTE
from tests.captures.workers import WorkerThread
from tests.factories import ActorFactory

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


def reload_until(page, locator, text, seconds=20):
    """The page has no script that polls: reload it, as a person would, until `text` shows."""
    for _ in range(seconds * 2):
        if text in locator.inner_text():
            return
        page.wait_for_timeout(500)
        page.reload()
    expect(locator).to_contain_text(text)


def test_new_source_is_captured_and_its_quote_marked_found(
    capture_settings,  # noqa: F811
    page_server,  # noqa: F811
    analyst_page,
    live_server,
    artifacts_dir,
):
    capture_settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    page, base = analyst_page, live_server.url
    ActorFactory(slug="ministry", name="Ministry of Defence")
    url = page_server.url("/quote")

    page.goto(f"{base}/claims/new/")
    page.get_by_label("Actor:", exact=True).fill("ministry")
    page.get_by_label("Headline:", exact=True).fill("No troops will be sent")
    page.get_by_label("Claim:", exact=True).fill("The minister ruled out sending troops.")
    page.get_by_label("Date stated:", exact=True).fill("2026-11-30")
    page.get_by_label("New source title").first.fill("Ministry statement")
    page.get_by_label("New source URL").first.fill(url)
    page.get_by_label("Quote").first.fill(QUOTE)
    with WorkerThread():
        page.get_by_role("button", name="Create claim").click()
        claim = Claim.objects.get(headline="No troops will be sent")
        expect(page).to_have_url(f"{base}/claims/{claim.pk}/")
        reload_until(page, page.locator("main"), "found in the capture of")
    capture = Capture.objects.get(url=url)
    assert capture.state == "done"

    page.get_by_role("link", name="Ministry statement").first.click()
    expect(page.get_by_role("heading", name="Captures")).to_be_visible()
    expect(page.locator("code.sha256").first).to_have_text(capture.sha256)
    expect(page.get_by_role("cell", name=re.compile("^captured"))).to_be_visible()
    page.screenshot(path=str(artifacts_dir / "source-captures.png"), full_page=True)
