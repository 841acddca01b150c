"""axe-core (tests/e2e/vendor/axe.min.js) in real Chromium over every page of the app and
the admin's claim change form: no serious or critical violation anywhere, including the
target-size rule (tap targets of at least 24 px). Each page's result is written to
test-artifacts/axe.json."""

import json
import re
from pathlib import Path

import pytest
from django.core.management import call_command
from playwright.sync_api import expect

from claims.models import Actor, Claim, Proposition, Source
from tests.e2e.conftest import log_in
from tests.factories import UserFactory

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]
AXE_VERSION = "4.11.0"
AXE = Path(__file__).with_name("vendor") / "axe.min.js"
BLOCKING = {"serious", "critical"}


@pytest.fixture
def browser_context_args(browser_context_args):
    # The app's CSP (rightly) refuses injected scripts; axe is the test's, not the page's.
    return {**browser_context_args, "bypass_csp": True}


def axe_violations(page):
    """Serious and critical violations on the page as loaded, as "rule: selectors" lines."""
    page.add_script_tag(path=str(AXE))
    assert page.evaluate("axe.version") == AXE_VERSION
    result = page.evaluate(
        """() => axe.run(document, {
            resultTypes: ["violations"],
            rules: {"target-size": {enabled: true}},
        })"""
    )
    return [
        f"{v['id']} ({v['impact']}): {v['help']} at "
        + ", ".join(" ".join(node["target"]) for node in v["nodes"][:5])
        for v in result["violations"]
        if v["impact"] in BLOCKING
    ]


def check_pages(page, base, paths, results):
    for name, path, action in paths:
        page.goto(f"{base}{path}")
        page.wait_for_load_state("load")
        if action:
            action(page)
        results[name] = axe_violations(page)


def write_results(artifacts_dir, results, name):
    report = Path(artifacts_dir) / name
    report.write_text(json.dumps(results, indent=2, ensure_ascii=False))


def submit(label):
    def action(page):
        page.get_by_role("button", name=label).click()
        expect(page).to_have_title(re.compile(r"^Error: "))

    return action


def refuse_verdict(page):
    # Confirmed without a rationale is refused; the claim page answers with the error.
    page.locator("#mark-status").get_by_label("Confirmed").check()
    page.get_by_role("button", name="Save status").click()
    expect(page).to_have_title(re.compile(r"^Error: "))


def test_every_app_page_has_no_serious_axe_violation(page, live_server, artifacts_dir):
    call_command("load_demo", stdout=open("/dev/null", "w"))  # noqa: SIM115
    UserFactory(username="admin", role="admin")
    base = live_server.url
    claim = Claim.objects.filter(citations__isnull=False).order_by("pk").first()
    actor = claim.actor
    source = Source.objects.filter(citations__claim=claim).first()
    proposition = Proposition.objects.order_by("pk").first()
    assert actor and source and proposition and Actor.objects.count() > 1

    results = {}
    check_pages(page, base, [("login", "/accounts/login/", None)], results)
    check_pages(page, base, [("login, refused", "/accounts/login/", login_refused)], results)
    log_in(page, base, "admin")
    check_pages(
        page,
        base,
        [
            ("claim list", "/claims/", None),
            ("claim list, filtered", f"/claims/?actor={actor.slug}&status=denied", None),
            ("claim page", claim.get_absolute_url(), None),
            ("claim page, verdict refused", claim.get_absolute_url(), refuse_verdict),
            ("new claim", "/claims/new/", None),
            ("new claim, refused", "/claims/new/", submit("Create claim")),
            ("edit claim", f"/claims/{claim.pk}/edit/", None),
            ("delete claim", f"/claims/{claim.pk}/delete/", None),
            ("import", "/claims/import/", None),
            ("import, refused", "/claims/import/", submit("Check and import")),
            ("actor list", "/actors/", None),
            ("actor page", actor.get_absolute_url(), None),
            ("new actor", "/actors/new/", None),
            ("new actor, refused", "/actors/new/", submit("Create actor")),
            ("edit actor", f"/actors/{actor.slug}/edit/", None),
            ("source list", "/sources/", None),
            ("source page", source.get_absolute_url(), None),
            ("new source", "/sources/new/", None),
            ("new source, refused", "/sources/new/", submit("Create source")),
            ("proposition list", "/propositions/", None),
            ("proposition page", proposition.get_absolute_url(), None),
            ("proposition grid", "/propositions/grid/", None),
            ("new proposition", "/propositions/new/", None),
            ("new proposition, refused", "/propositions/new/", submit("Create proposition")),
            ("404 page", "/no-such-page/", None),
            ("admin claim change form", f"/admin/claims/claim/{claim.pk}/change/", None),
        ],
        results,
    )
    write_results(artifacts_dir, results, "axe.json")

    assert {name: found for name, found in results.items() if found} == {}


def login_refused(page):
    page.get_by_label("Username").fill("nobody")
    page.get_by_label("Password").fill("wrong password")
    page.get_by_role("button", name="Log in").click()
    expect(page).to_have_title(re.compile(r"^Error: "))


def test_403_page_has_no_serious_axe_violation(page, live_server, artifacts_dir):
    UserFactory(username="reader", role="reader")
    log_in(page, live_server.url, "reader")

    response = page.goto(f"{live_server.url}/actors/new/")

    assert response.status == 403
    violations = axe_violations(page)
    write_results(artifacts_dir, {"403 page": violations}, "axe-403.json")
    assert violations == []


@pytest.mark.urls("tests.error_urls")
def test_500_page_has_no_serious_axe_violation(page, live_server, artifacts_dir):
    response = page.goto(f"{live_server.url}/test/bug/")

    assert response.status == 500
    violations = axe_violations(page)
    write_results(artifacts_dir, {"500 page": violations}, "axe-500.json")
    assert violations == []
