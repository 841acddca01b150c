"""Keyboard and phone use of the claim list and the forms, in real Chromium: the skip link
lands on the results, few Tab presses reach the first claim, an error summary takes focus
and its links focus their fields, and a 390 px phone shows each claim's status without
sideways scrolling."""

import re

import pytest
from django.core.management import call_command
from playwright.sync_api import expect

from claims.models import Claim

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]
FIRST_CLAIM_LINK = r"^/claims/\d+/$"


@pytest.fixture
def demo_page(analyst_page):
    call_command("load_demo", stdout=open("/dev/null", "w"))  # noqa: SIM115
    return analyst_page


def focused(page, expression):
    return page.evaluate(f"(() => {{ const e = document.activeElement; return {expression}; }})()")


def tabs_to_first_claim(page, limit=100):
    for presses in range(1, limit + 1):
        page.keyboard.press("Tab")
        if re.match(FIRST_CLAIM_LINK, focused(page, "e.getAttribute('href') || ''")):
            return presses
    return None


def test_skip_link_moves_focus_to_the_results(demo_page, live_server):
    page = demo_page
    page.goto(f"{live_server.url}/claims/")

    page.keyboard.press("Tab")
    expect(page.locator(":focus")).to_have_text("Skip to results")
    page.keyboard.press("Enter")

    assert focused(page, "e.id") == "results"
    assert tabs_to_first_claim(page, limit=3) is not None


def test_first_claim_is_a_few_tab_presses_from_page_load(demo_page, live_server):
    page = demo_page
    page.goto(f"{live_server.url}/claims/")

    presses = tabs_to_first_claim(page)

    # The filter form and the facets used to come first: 46 presses and more.
    assert presses is not None and presses <= 20, presses


def test_error_summary_takes_focus_and_its_links_focus_their_fields(analyst_page, live_server):
    page = analyst_page
    page.goto(f"{live_server.url}/actors/new/")

    page.get_by_role("button", name="Create actor").click()

    expect(page).to_have_title(re.compile(r"^Error: New actor"))
    summary = page.locator("[data-error-summary]")
    expect(summary).to_be_focused()
    summary.get_by_role("link", name=re.compile(r"^Name: ")).click()
    expect(page.locator("#id_name")).to_be_focused()


def test_refused_verdict_is_shown_on_the_claim_page_at_the_form(demo_page, live_server):
    page = demo_page
    claim = Claim.objects.filter(status=Claim.Status.UNVERIFIED).order_by("pk").first()
    page.goto(f"{live_server.url}{claim.get_absolute_url()}")

    form = page.locator("#mark-status")
    form.get_by_label("Confirmed").check()
    form.get_by_role("button", name="Save status").click()

    expect(page).to_have_url(f"{live_server.url}{claim.get_absolute_url()}#mark-status")
    expect(page).to_have_title(re.compile(r"^Error: "))
    expect(form.locator("[data-error-summary]")).to_be_focused()
    assert Claim.objects.get(pk=claim.pk).status == Claim.Status.UNVERIFIED


def test_status_column_is_on_screen_on_a_390px_phone(demo_page, live_server):
    page = demo_page
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(f"{live_server.url}/claims/")

    status = page.locator(".claim-table tbody tr").first.locator("td[data-label=Status]")
    expect(status).to_be_visible()
    box = status.locator(".status").bounding_box()

    assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= 390
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
