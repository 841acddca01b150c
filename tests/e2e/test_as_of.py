"""The record as of a date in real Chromium: set the date from the page by its label, see
the banner and the older verdicts, follow a chart bar to its date range; a screenshot of
each picture."""

import re

import pytest
from django.core.management import call_command
from playwright.sync_api import expect

from claims.models import Actor

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


def test_analyst_reads_the_record_as_of_a_date(analyst_page, live_server, artifacts_dir):
    page, base = analyst_page, live_server.url
    console_errors = []
    page.on("console", lambda m: m.type == "error" and console_errors.append(m.text))
    call_command("load_demo", stdout=open("/dev/null", "w"))  # noqa: SIM115
    kremlin = Actor.objects.get(slug="kremlin").claims.get()

    page.goto(f"{base}/claims/")
    page.get_by_label("Record as of").fill("2024-10-20")
    page.get_by_role("button", name="Apply filters").click()
    expect(page.get_by_role("note")).to_contain_text(
        "The record as it stood on 20 October 2024 — show today's"
    )
    row = page.get_by_role("row").filter(has_text=kremlin.headline)
    expect(row).to_contain_text("Unverified")
    expect(page.get_by_text("Kursk")).to_have_count(0)  # stated in 2025
    page.locator("#claims-over-time").screenshot(path=str(artifacts_dir / "claims-over-time.png"))

    page.get_by_role("link", name=re.compile(r"^week of 14 Oct 2024: \d+ claims?")).click()
    expect(page).to_have_url(re.compile(r"stated_from=2024-10-14&stated_to=2024-10-20"))
    expect(page).to_have_url(re.compile(r"as_of=2024-10-20"))
    expect(page.get_by_role("note")).to_contain_text("20 October 2024")

    page.locator("tbody td a", has_text="National Intelligence Service").first.click()
    expect(page).to_have_url(re.compile(r"/actors/nis/\?as_of=2024-10-20"))
    page.goto(f"{base}/actors/nato/")
    page.locator("#track-strip").screenshot(path=str(artifacts_dir / "track-strip.png"))

    page.goto(f"{base}{kremlin.get_absolute_url()}?as_of=2024-10-20")
    expect(page.get_by_text("After this date")).to_be_visible()
    page.goto(f"{base}{kremlin.get_absolute_url()}")
    expect(page.locator("#verdict-bands")).to_contain_text("Denied")
    page.locator("#verdict-bands").screenshot(path=str(artifacts_dir / "verdict-bands.png"))

    assert console_errors == []
