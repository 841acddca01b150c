"""The demo's main proposition in real Chromium: NIS asserts it, the Kremlin denies it, and
the analyst applies the confirmed verdict to the claims that disagree."""

import re

import pytest
from django.core.management import call_command
from playwright.sync_api import expect

from claims.models import Claim, Stance

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]
MAIN = "north-korean-troops-deployed-to-russia"


def test_analyst_applies_the_main_propositions_verdict(analyst_page, live_server, artifacts_dir):
    page, base = analyst_page, live_server.url
    console_errors = []
    page.on("console", lambda m: m.type == "error" and console_errors.append(m.text))
    call_command("load_demo", stdout=open("/dev/null", "w"))  # noqa: SIM115

    page.goto(f"{base}/propositions/")
    page.get_by_role("link", name="North Korean troops are deployed in Russia").click()
    expect(page).to_have_url(f"{base}/propositions/{MAIN}/")
    asserting = page.locator("section.stance-asserts")
    denying = page.locator("section.stance-denies")
    expect(asserting).to_contain_text("National Intelligence Service (South Korea)")
    expect(denying).to_contain_text("The Kremlin")
    expect(page.locator("svg.story-svg title").first).to_contain_text("Story timeline")

    inconsistent = [
        s.claim_id for s in Stance.objects.filter(proposition__slug=MAIN).inconsistent()
    ]
    assert inconsistent  # the presidential office's claim is still unverified
    boxes = page.locator("#consistency input[type=checkbox]")
    expect(boxes).to_have_count(len(inconsistent))
    page.get_by_role("button", name=re.compile(r"Apply to \d+ claim")).click()
    expect(page.get_by_text(re.compile(r"Applied the verdict to \d+ claim"))).to_be_visible()
    expect(page.locator("#consistency")).to_contain_text("Every claim's verdict agrees")
    page.screenshot(path=str(artifacts_dir / "proposition-story.png"), full_page=True)

    statuses = set(Claim.objects.filter(pk__in=inconsistent).values_list("status", flat=True))
    assert statuses == {"confirmed"}
    assert not Stance.objects.filter(proposition__slug=MAIN).inconsistent().exists()
    assert console_errors == []
