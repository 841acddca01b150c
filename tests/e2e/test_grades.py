"""Grading in real Chromium: an analyst grades a source, cites it as refuting evidence with
a credibility, records a denied verdict with high confidence, and the claim page shows the
Admiralty rating ("C3") with its meaning and the confidence, by their visible labels."""

import re

import pytest
from playwright.sync_api import expect

from claims.models import Citation, Claim, Source
from tests.factories import ActorFactory, SourceFactory

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


def test_analyst_grades_evidence_and_records_a_confident_verdict(analyst_page, live_server):
    page, base = analyst_page, live_server.url
    ActorFactory(slug="kremlin", name="The Kremlin")
    source = SourceFactory(title="Gerasimov acknowledges North Korean soldiers in Kursk")

    # Grade the source: fairly reliable.
    page.goto(f"{base}/sources/{source.pk}/edit/")
    page.get_by_label("C: fairly reliable").check()
    page.get_by_role("button", name="Save changes").click()
    expect(page.get_by_text("C: fairly reliable", exact=True)).to_be_visible()
    source.refresh_from_db()
    assert source.reliability == "C"

    # Cite it as refuting evidence, possibly true (3).
    page.goto(f"{base}/claims/new/")
    page.get_by_label("Actor:", exact=True).fill("kremlin")
    page.get_by_label("Headline:", exact=True).fill("No North Korean soldiers fight for Russia")
    page.get_by_label("Claim:", exact=True).fill("Reports of North Korean troops are fake news.")
    page.get_by_label("Date stated:", exact=True).fill("2024-10-10")
    row = page.locator("fieldset.citation-row").first
    row.get_by_label("Existing source").fill(str(source.pk))
    row.get_by_label("Role").select_option("evidence")
    row.get_by_label("Direction (evidence)").select_option("refutes")
    row.get_by_label("Information credibility (evidence)").select_option("3")
    page.get_by_role("button", name="Create claim").click()
    claim = Claim.objects.get(headline="No North Korean soldiers fight for Russia")
    expect(page).to_have_url(f"{base}/claims/{claim.pk}/")
    citation = claim.citations.get()
    assert (citation.role, citation.direction, citation.credibility) == ("evidence", "refutes", 3)

    # Deny it with high confidence.
    page.get_by_label("Denied").check()
    page.get_by_role("radio", name=re.compile(r"^High confidence")).check()
    page.get_by_label("Rationale:", exact=True).fill("Russia's own chief of staff said so.")
    page.get_by_role("button", name="Save status").click()

    # The rating, its meaning on focus, the grouped evidence and the confidence.
    rating = page.locator("abbr.rating", has_text="C3")
    expect(rating).to_be_visible()
    expect(rating).to_have_attribute("title", "C: fairly reliable; 3: possibly true")
    rating.focus()
    expect(rating).to_be_focused()
    expect(page.get_by_role("heading", name="Refuting evidence")).to_be_visible()
    expect(page.locator(".evidence-summary")).to_have_text("1 refuting, C3")
    verdict = page.locator("section[aria-labelledby=verdict-heading]")
    expect(verdict.get_by_text("High confidence")).to_be_visible()
    expect(page.locator("#timeline li").last).to_contain_text("High confidence")
    claim.refresh_from_db()
    assert (claim.status, claim.status_confidence) == ("denied", "high")
    assert Source.objects.get(pk=source.pk).reliability == "C"
    assert Citation.objects.filter(claim=claim, credibility=3).exists()
