"""A new analyst's first hour, in real Chromium, by visible labels only, on whatever database
the suite runs (the embedded SQLite by default): an actor by its name, a source, a claim
citing it with its verdict in one submit, found by the actor's name and by two words; a
near-copy stopped as a possible duplicate; a bad form fixed from its error summary."""

import re

import pytest
from playwright.sync_api import expect

from claims.models import Actor, Citation, Claim, Source

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

HEADLINE = "Russian drone factory in Yelabuga was hit overnight"
TEXT = "The SBU said its long-range drones hit the drone factory in Yelabuga overnight."


def open_new_claim(page):
    page.get_by_role("link", name="Claims", exact=True).first.click()
    page.get_by_role("link", name="Add a claim").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("New claim")


def fill_claim(page, *, actor, headline, text, day):
    page.get_by_label("Actor:", exact=True).fill(actor)
    page.get_by_label("Headline:", exact=True).fill(headline)
    page.get_by_label("Claim:", exact=True).fill(text)
    page.get_by_label("Date stated:", exact=True).fill(day)


def test_first_hour(analyst_page, live_server):
    page = analyst_page
    page.set_default_timeout(10_000)

    # An actor by its name only: the slug is made from it.
    page.get_by_role("link", name="Actors", exact=True).first.click()
    page.get_by_role("link", name="Add an actor").click()
    page.get_by_label("Name:", exact=True).fill("Security Service of Ukraine")
    page.get_by_label("Short name:", exact=True).fill("SBU")
    page.get_by_label("Kind:", exact=True).select_option(label="Agency")
    page.get_by_role("button", name="Create actor").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Security Service of Ukraine")
    assert Actor.objects.get(name="Security Service of Ukraine").slug

    # A source.
    page.get_by_role("link", name="Sources", exact=True).first.click()
    page.get_by_role("link", name="Add a source").click()
    page.get_by_label("Title:", exact=True).fill("SBU statement on Yelabuga")
    page.get_by_label("URL:", exact=True).fill("https://example.org/sbu/yelabuga")
    page.get_by_label("Kind:", exact=True).select_option(label="Official statement")
    page.get_by_role("button", name="Create source").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("SBU statement on Yelabuga")

    # A claim citing it and a new source, with its verdict, in one submit.
    open_new_claim(page)
    fill_claim(page, actor="SBU", headline=HEADLINE, text=TEXT, day="2024-04-02")
    citation_1 = page.get_by_role("group", name="Citation 1")
    citation_1.get_by_label("Existing source:").fill("SBU statement on Yelabuga")
    citation_2 = page.get_by_role("group", name="Citation 2")
    citation_2.get_by_label("New source title:").fill("Satellite images of Yelabuga")
    citation_2.get_by_label("New source URL:").fill("https://example.org/images/yelabuga")
    citation_2.get_by_label("New source kind:").select_option(label="Document")
    citation_2.get_by_label("New source publisher:").fill("Planet Labs")
    citation_2.get_by_label("New source date:").fill("2024-04-03")
    citation_2.get_by_label("Role:").select_option(label=Citation.Role.EVIDENCE.label)
    verdict = page.get_by_role("group", name="First verdict")
    verdict.get_by_label("Confirmed").check()
    verdict.get_by_label("Rationale:").fill("Satellite images show the damage.")
    verdict.get_by_role("radio", name=re.compile(r"^High confidence")).check()
    page.get_by_role("button", name="Create claim").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(HEADLINE)
    claim = Claim.objects.get(headline=HEADLINE)
    assert claim.status == "confirmed" and claim.citations.count() == 2
    assert Source.objects.get(title="Satellite images of Yelabuga").publisher == "Planet Labs"
    claim_url = page.url

    # Found by typing the actor's name in the filter, and by two words.
    page.get_by_role("link", name="Claims", exact=True).first.click()
    page.get_by_label("Actor:", exact=True).fill("Security Service of Ukraine")
    page.get_by_role("button", name="Apply filters").click()
    rows = page.locator("main table.claim-table tbody tr")
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text(HEADLINE)
    page.get_by_role("link", name="Claims", exact=True).first.click()
    page.get_by_label("Text:", exact=True).fill("drone factory")
    page.get_by_role("button", name="Apply filters").click()
    expect(page.get_by_role("link", name=HEADLINE)).to_be_visible()

    # A near-copy is stopped: the possible duplicate is listed and opens.
    open_new_claim(page)
    fill_claim(
        page,
        actor="Security Service of Ukraine",
        headline="Russian drone factory in Yelabuga hit overnight",
        text=TEXT,
        day="2024-04-02",
    )
    page.get_by_role("button", name="Create claim").click()
    duplicates = page.get_by_role("region", name="Possible duplicates")
    expect(duplicates).to_be_visible()
    expect(page.get_by_role("button", name="Save anyway")).to_be_visible()
    duplicates.get_by_role("link", name=HEADLINE).click()
    expect(page).to_have_url(claim_url)
    assert Claim.objects.count() == 1

    # A bad form, fixed from its error summary.
    open_new_claim(page)
    fill_claim(page, actor="SBU", headline="", text="Another strike.", day="2024-05-01")
    page.get_by_role("group", name="First verdict").get_by_label("Denied").check()
    page.get_by_role("button", name="Create claim").click()
    expect(page).to_have_title(re.compile(r"^Error: "))
    summary = page.get_by_role("alert").filter(has_text="There is a problem")
    expect(summary).to_be_focused()
    summary.get_by_role("link", name=re.compile(r"^Headline: ")).click()
    expect(page.get_by_label("Headline:", exact=True)).to_be_focused()
    page.get_by_label("Headline:", exact=True).fill("SBU drones struck an oil depot in May")
    summary.get_by_role("link", name=re.compile(r"Rationale: ")).click()
    verdict = page.get_by_role("group", name="First verdict")
    expect(verdict.get_by_label("Rationale:")).to_be_focused()
    verdict.get_by_label("Rationale:").fill("The depot was not hit: images show it intact.")
    verdict.get_by_role("radio", name=re.compile(r"^Moderate confidence")).check()
    page.get_by_role("button", name="Create claim").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "SBU drones struck an oil depot in May"
    )
    assert Claim.objects.get(headline="SBU drones struck an oil depot in May").status == "denied"
