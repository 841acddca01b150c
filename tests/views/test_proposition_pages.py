"""The proposition pages, the claim page's propositions, the grid and the filters, on the
demo story (as the analyst meets it)."""

import json
import re
from urllib.parse import urlencode

import pytest
from django.core.management import call_command
from django.http import QueryDict
from django.urls import reverse

from claims import services
from claims.filters import ClaimFilter
from claims.models import Claim, Proposition, Stance, StatusChange

MAIN = "north-korean-troops-deployed-to-russia"


@pytest.fixture
def demo(db):
    call_command("load_demo", stdout=open("/dev/null", "w"))  # noqa: SIM115


def _claim(actor, headline_start):
    return Claim.objects.get(actor__slug=actor, headline__startswith=headline_start)


def test_demo_attaches_every_claim_to_a_proposition(demo):
    assert Proposition.objects.count() >= 3
    assert not Claim.objects.filter(stances__isnull=True).exists()


def test_demo_verdicts_flip_in_october_2024_and_april_2025(demo):
    changes = {
        p.slug: [
            (c.new_status, c.changed_at.date().isoformat()[:7]) for c in p.status_changes.all()
        ]
        for p in Proposition.objects.all()
    }
    assert changes[MAIN][-1] == ("confirmed", "2024-10")
    assert changes["north-korean-units-fighting-in-kursk"][-1] == ("confirmed", "2025-04")


def test_loading_the_demo_twice_adds_nothing(demo):
    before = (Proposition.objects.count(), Stance.objects.count())
    call_command("load_demo", stdout=open("/dev/null", "w"))  # noqa: SIM115
    assert (Proposition.objects.count(), Stance.objects.count()) == before


def test_proposition_page_shows_claims_side_by_side(demo, reader_client):
    response = reader_client.get(reverse("claims:proposition-detail", args=[MAIN]))
    page = response.content.decode()
    assert response.status_code == 200
    asserts, denies = page.index('id="col-asserts"'), page.index('id="col-denies"')
    doubts = page.index('id="col-doubts"')
    assert "National Intelligence Service" in page[asserts:denies]
    assert "The Kremlin" in page[denies:doubts]


def test_proposition_page_draws_the_story_timeline_with_titles_and_a_table(demo, reader_client):
    page = reader_client.get(reverse("claims:proposition-detail", args=[MAIN])).content.decode()
    svg = page[page.index("<svg") : page.index("</svg>")]
    assert "<title" in svg and "<desc" in svg
    assert svg.count('class="stance-mark stance-denies"') == 1  # the Kremlin's denial
    assert svg.count('class="verdict-line verdict-confirmed"') == 1
    assert "The timeline as a table" in page


def test_decided_proposition_carries_a_claimreview_with_its_asserting_claims(demo, reader_client):
    page = reader_client.get(reverse("claims:proposition-detail", args=[MAIN])).content.decode()
    (script,) = re.findall(r'<script type="application/ld\+json">(.*?)</script>', page, re.S)
    review = json.loads(script)
    assert review["reviewRating"]["alternateName"] == "Confirmed"
    names = [a["name"] for a in review["itemReviewed"]["appearance"]]
    assert "North Korea has sent troops to fight for Russia against Ukraine" in names
    assert "Reports of North Korean troops fighting for Russia are 'fake news'" not in names


def test_undecided_proposition_has_no_claimreview(demo, reader_client):
    url = reverse("claims:proposition-detail", args=["six-north-koreans-killed-in-donetsk-strike"])
    assert b"application/ld+json" not in reader_client.get(url).content


def test_proposition_page_offers_to_apply_the_verdict_to_inconsistent_claims(demo, analyst_client):
    page = analyst_client.get(reverse("claims:proposition-detail", args=[MAIN])).content.decode()
    office = _claim("south-korea-presidential-office", "North Korea's troop dispatch")
    assert f'value="{office.pk}:{office.version}:unverified" checked' in page


def test_applying_the_verdict_changes_the_ticked_claims(demo, analyst_client, analyst):
    office = _claim("south-korea-presidential-office", "North Korea's troop dispatch")
    response = analyst_client.post(
        reverse("claims:proposition-apply", args=[MAIN]),
        {
            "claims": [f"{office.pk}:{office.version}:unverified"],
            "rationale": "Follows.",
            "confidence": "moderate",
        },
    )
    assert response.status_code == 302
    office.refresh_from_db()
    assert office.status == "confirmed"
    assert StatusChange.objects.filter(claim=office, changed_by=analyst).count() == 1


def test_applying_after_someone_changed_the_claim_skips_and_names_it(demo, analyst_client):
    office = _claim("south-korea-presidential-office", "North Korea's troop dispatch")
    shown = f"{office.pk}:{office.version}:unverified"
    services.claim_set_status(
        confidence="moderate", claim=office, status="denied", rationale="Other view.", by=None
    )
    response = analyst_client.post(
        reverse("claims:proposition-apply", args=[MAIN]),
        {"claims": [shown], "rationale": "Follows.", "confidence": "moderate"},
        follow=True,
    )
    assert "Skipped 1 claim(s)" in response.content.decode()
    assert (
        "North Korea&#x27;s troop dispatch is a grave security threat" in response.content.decode()
    )
    office.refresh_from_db()
    assert office.status == "denied"


def test_a_forged_claim_value_is_a_form_error_not_a_500(demo, analyst_client):
    response = analyst_client.post(
        reverse("claims:proposition-apply", args=[MAIN]),
        {"claims": ["1:x:confirmed"], "rationale": "Follows.", "confidence": "moderate"},
    )
    assert response.status_code == 400
    assert not StatusChange.objects.filter(rationale="Follows.").exists()


def test_kremlin_and_nis_pages_show_each_other_as_contradicting(demo, reader_client):
    kremlin = _claim("kremlin", "Reports of North Korean troops")
    nis = _claim("nis", "North Korea has sent troops")
    kremlin_page = reader_client.get(kremlin.get_absolute_url()).content.decode()
    nis_page = reader_client.get(nis.get_absolute_url()).content.decode()
    assert "Contradicted by" in kremlin_page and nis.get_absolute_url() in kremlin_page
    assert "Contradicted by" in nis_page and kremlin.get_absolute_url() in nis_page


def test_analyst_attaches_a_claim_to_a_proposition_found_by_words(demo, analyst_client):
    claim = _claim("ukrainian-media", "Six North Koreans")
    response = analyst_client.post(
        reverse("claims:claim-stance-add", args=[claim.pk]),
        {"proposition": "deployed in Russia", "stance": "asserts", "note": "Implied."},
    )
    assert response.status_code == 302
    assert claim.stances.filter(proposition__slug=MAIN, stance="asserts").exists()


def test_analyst_creates_a_proposition_on_the_spot(demo, analyst_client):
    claim = _claim("ukrainian-media", "Six North Koreans")
    response = analyst_client.post(
        reverse("claims:claim-stance-add", args=[claim.pk]),
        {"new_statement": "North Koreans were in Donetsk", "stance": "asserts"},
    )
    assert response.status_code == 302
    assert claim.stances.filter(proposition__statement="North Koreans were in Donetsk").exists()


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (
            {"proposition": "zebra unicorns", "stance": "asserts"},
            "No proposition matches “zebra unicorns”",
        ),
        ({"proposition": "north korean", "stance": "asserts"}, "matches several propositions"),
        ({"proposition": MAIN, "stance": "maybe"}, "Select a valid choice"),
        ({"proposition": "", "stance": "asserts"}, "Name the proposition"),
    ],
)
def test_bad_stance_input_is_a_form_error_that_keeps_the_input(demo, analyst_client, data, message):
    claim = _claim("ukrainian-media", "Six North Koreans")
    before = Stance.objects.count()
    response = analyst_client.post(reverse("claims:claim-stance-add", args=[claim.pk]), data)
    assert response.status_code == 400
    assert message in response.content.decode().replace("&quot;", '"')
    assert Stance.objects.count() == before


def test_attaching_the_same_claim_twice_is_a_form_error(demo, analyst_client):
    claim = _claim("kremlin", "Reports of North Korean troops")
    response = analyst_client.post(
        reverse("claims:claim-stance-add", args=[claim.pk]),
        {"proposition": MAIN, "stance": "asserts"},
    )
    assert response.status_code == 400
    assert "already attached" in response.content.decode()
    assert claim.stances.get(proposition__slug=MAIN).stance == "denies"


def test_list_filters_by_status_and_words(demo, reader_client):
    response = reader_client.get(
        reverse("claims:proposition-list"), {"q": "kursk", "status": "confirmed"}
    )
    page = response.content.decode()
    assert response.status_code == 200
    assert "North Korean units are fighting in Russia&#x27;s Kursk region" in page
    assert "Six North Koreans" not in page


def test_list_shows_counts_per_stance(demo, reader_client):
    response = reader_client.get(reverse("claims:proposition-list"), {"q": "Donetsk"})
    row = re.search(r"Six North Koreans.*?</tr>", response.content.decode(), re.S).group(0)
    assert re.findall(r"<td>(\d+)</td>", row) == ["1", "0", "0"]


def test_grid_links_each_cell_to_the_claims(demo, reader_client):
    response = reader_client.get(reverse("claims:proposition-grid"), {"actor": "kremlin"})
    page = response.content.decode()
    assert response.status_code == 200
    assert "actor=kremlin&amp;proposition=north-korean-troops-deployed-to-russia" in page
    assert "Denies" in page


def test_grid_with_a_bad_filter_answers_400(demo, reader_client):
    response = reader_client.get(reverse("claims:proposition-grid"), {"actor": "nobody"})
    assert response.status_code == 400


def test_delete_page_says_what_goes_with_the_proposition(demo, admin_client):
    response = admin_client.get(reverse("claims:proposition-delete", args=[MAIN]))
    assert "its 14 stance(s)" in response.content.decode()
    assert Proposition.objects.filter(slug=MAIN).exists()


# The one FilterSet -----------------------------------------------------------------------


def _filtered(params):
    filterset = ClaimFilter(QueryDict(urlencode(params)), queryset=Claim.objects.all())
    assert filterset.is_valid(), filterset.errors
    return set(filterset.qs.values_list("actor__slug", flat=True))


def test_filter_by_proposition_slug(demo):
    assert "kremlin" in _filtered({"proposition": MAIN})
    assert "ukrainian-media" not in _filtered({"proposition": MAIN})


def test_filter_by_proposition_words_and_stance(demo):
    assert _filtered({"proposition": "deployed in Russia", "stance": "denies"}) == {"kremlin"}


def test_filter_by_stance_alone(demo):
    assert _filtered({"stance": "doubts"}) == {"nato"}


@pytest.mark.parametrize(
    ("params", "message"),
    [({"proposition": "zebra"}, "No proposition matches"), ({"stance": "maybe"}, "valid choice")],
)
def test_bad_proposition_filters_are_named(demo, params, message):
    filterset = ClaimFilter(QueryDict(urlencode(params)), queryset=Claim.objects.all())
    assert not filterset.is_valid()
    assert message in str(filterset.errors)


def test_claim_list_export_and_api_take_the_proposition_filter(demo, reader_client):
    params = {"proposition": MAIN, "stance": "denies"}
    listed = reader_client.get(reverse("claims:claim-list"), params).content.decode()
    exported = b"".join(reader_client.get("/claims.csv", params).streaming_content).decode()
    api = reader_client.get("/api/claims/", params).json()
    assert "fake news" in listed and "fake news" in exported
    assert [c["actor"]["slug"] for c in api["results"]] == ["kremlin"]


def test_claim_form_attaches_the_new_claim_to_a_proposition(demo, analyst_client):
    from tests.views.conftest import claim_form_data

    data = claim_form_data(headline="Kremlin again: no troops", proposition="deployed in Russia")
    data["stance"] = "denies"
    response = analyst_client.post(reverse("claims:claim-create"), data)
    assert response.status_code == 302
    claim = Claim.objects.get(headline="Kremlin again: no troops")
    assert list(claim.stances.values_list("proposition__slug", "stance")) == [(MAIN, "denies")]


def test_claim_form_with_an_unknown_proposition_keeps_the_input(demo, analyst_client):
    from tests.views.conftest import claim_form_data

    data = claim_form_data(
        headline="Kremlin again: no troops", proposition="zebra", stance="denies"
    )
    response = analyst_client.post(reverse("claims:claim-create"), data)
    assert response.status_code == 400
    assert "No proposition matches “zebra”" in response.content.decode()
    assert not Claim.objects.filter(headline="Kremlin again: no troops").exists()
