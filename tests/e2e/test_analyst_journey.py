"""An analyst's day in real Chromium against the live server: log in, add an actor, a source
and a claim citing it, deny the claim, filter the list, then edit the claim in the admin."""

import re

import pytest
from playwright.sync_api import expect

from claims.models import Actor, Claim, Source
from tests.factories import ClaimFactory

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


def test_analyst_journey(analyst_page, live_server, artifacts_dir):
    page, base = analyst_page, live_server.url
    # The Content-Security-Policy forbids inline script and style: any violation is a bug.
    console_errors = []
    page.on("console", lambda m: m.type == "error" and console_errors.append(m.text))
    other = ClaimFactory(headline="Someone else's claim")

    # An actor.
    page.goto(f"{base}/actors/new/")
    page.get_by_label("Name:", exact=True).fill("Korean Central News Agency")
    page.get_by_label("Slug:", exact=True).fill("kcna")
    page.get_by_label("Kind:", exact=True).select_option("media")
    page.get_by_label("Country:", exact=True).fill("KP")
    page.get_by_role("button", name="Create actor").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Korean Central News Agency")
    assert Actor.objects.filter(slug="kcna", country="KP").exists()

    # A source.
    page.goto(f"{base}/sources/new/")
    page.get_by_label("Title:", exact=True).fill("North Korean state media confirm the deployment")
    page.get_by_label("URL:", exact=True).fill("https://example.org/kcna-2025-04-28")
    page.get_by_role("button", name="Create source").click()
    source = Source.objects.get(url="https://example.org/kcna-2025-04-28")
    expect(page).to_have_url(f"{base}/sources/{source.pk}/")

    # A claim by that actor citing that source, started from the actor's page.
    page.goto(f"{base}/actors/kcna/")
    page.get_by_role("link", name="Add a claim by Korean Central News Agency").click()
    expect(page.get_by_label("Actor:", exact=True)).to_have_value("kcna")
    page.get_by_label("Headline:", exact=True).fill("No North Korean troops are in Russia")
    page.get_by_label("Claim:", exact=True).fill("KCNA said no troops had been sent.")
    page.get_by_label("Date stated:", exact=True).fill("2024-10-20")
    page.locator("#id_citations-0-source").fill(str(source.pk))
    page.locator("#id_citations-0-role").select_option("evidence")
    page.locator("#id_citations-0-quote").fill("confirmed the deployment")
    page.get_by_role("button", name="Create claim").click()
    claim = Claim.objects.get(headline="No North Korean troops are in Russia")
    expect(page).to_have_url(f"{base}/claims/{claim.pk}/")
    expect(page.get_by_role("link", name=source.title)).to_be_visible()

    # Deny it with a rationale; the timeline shows it at once.
    page.get_by_label("Denied").check()
    page.get_by_label("Rationale:", exact=True).fill(
        "KCNA itself confirmed the deployment in April 2025."
    )
    page.get_by_role("radio", name=re.compile(r"^High confidence")).check()
    page.get_by_role("button", name="Save status").click()
    timeline = page.locator("#timeline li").last
    expect(timeline).to_contain_text("KCNA itself confirmed the deployment in April 2025.")
    expect(timeline).to_contain_text("analyst")
    expect(timeline.locator(".status-denied")).to_have_text("Denied")
    claim.refresh_from_db()
    assert claim.status == "denied"
    page.screenshot(path=str(artifacts_dir / "claim-page.png"), full_page=True)

    # Filter the list by that actor: only its claims.
    page.goto(f"{base}/claims/")
    expect(page.get_by_role("link", name=other.headline)).to_be_visible()
    page.get_by_label("Actor:", exact=True).fill("kcna")
    page.get_by_role("button", name="Apply filters").click()
    expect(page).to_have_url(re.compile(r"actor=kcna"))
    rows = page.locator("main table.claim-table tbody tr")
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text("No North Korean troops are in Russia")
    expect(rows.first).to_contain_text("Denied")
    page.screenshot(path=str(artifacts_dir / "claim-list.png"), full_page=True)

    assert console_errors == []

    # The same claim in the admin.
    page.goto(f"{base}/admin/claims/claim/{claim.pk}/change/")
    page.locator("#id_headline").fill("KCNA: no North Korean troops are in Russia")
    page.locator("input[name=_save]").click()
    expect(page.locator(".messagelist")).to_contain_text("was changed successfully")
    claim.refresh_from_db()
    assert claim.headline == "KCNA: no North Korean troops are in Russia"
    assert claim.version == 2


def test_keyboard_focus_is_visible(analyst_page, live_server):
    page = analyst_page
    page.keyboard.press("Tab")
    focused = page.locator(":focus")
    expect(focused).to_have_text("Skip to results")  # the claim list's first skip link
    expect(focused).to_be_visible()
    outline = focused.evaluate("el => getComputedStyle(el).outlineStyle")
    assert outline == "solid"
