"""The record as of a date, in real Chromium: a reader sets the date from the claim list's
filter form, sees the banner and the verdicts of that day, goes back to today's, and follows
a bar of the claims-over-time chart to its date range."""

import re

import pytest
from django.core.management import call_command
from playwright.sync_api import expect

from tests.e2e.conftest import log_in
from tests.factories import UserFactory

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]
KREMLIN_CLAIM = "Reports of North Korean troops fighting for Russia are 'fake news'"


def _kremlin_row(page):
    return page.get_by_role("row").filter(has=page.get_by_role("link", name=KREMLIN_CLAIM))


def test_reader_sees_the_record_as_it_stood_and_follows_a_chart_bar(
    page, live_server, artifacts_dir
):
    call_command("load_demo", stdout=open("/dev/null", "w"))  # noqa: SIM115
    UserFactory(username="reader", role="reader")
    base = live_server.url
    log_in(page, base, "reader")

    # Today the Kremlin's "fake news" claim is refuted (Gerasimov, April 2025).
    expect(_kremlin_row(page)).to_contain_text("Denied")

    page.get_by_label("Record as of").fill("2024-10-20")
    page.get_by_role("button", name="Apply filters").click()
    expect(page).to_have_url(re.compile(r"as_of=2024-10-20"))
    banner = page.get_by_role("note")
    expect(banner).to_contain_text("The record as it stood on 20 October 2024")
    expect(_kremlin_row(page)).to_contain_text("Unverified")
    page.screenshot(path=str(artifacts_dir / "as-of-claim-list.png"), full_page=True)

    # The claim's own page keeps the date and shows the older verdict too.
    page.get_by_role("link", name=KREMLIN_CLAIM).click()
    expect(page).to_have_url(re.compile(r"as_of=2024-10-20"))
    expect(page.get_by_role("note")).to_contain_text("20 October 2024")
    page.screenshot(path=str(artifacts_dir / "as-of-claim-page.png"), full_page=True)
    page.go_back()

    banner.get_by_role("link", name="show today's").click()
    expect(page.get_by_role("note")).to_have_count(0)
    expect(_kremlin_row(page)).to_contain_text("Denied")

    # Each bar of the chart is a link to its date range.
    chart = page.locator("#claims-over-time")
    page.screenshot(path=str(artifacts_dir / "chart-over-time.png"), full_page=True)
    chart.locator("svg a").first.click()
    expect(page).to_have_url(
        re.compile(r"stated_from=\d{4}-\d{2}-\d{2}.*stated_to=|stated_to=.*stated_from=")
    )
    expect(page.get_by_role("heading", level=2, name=re.compile(r"\d+ claims?"))).to_be_visible()
