"""Stored XSS outside the HTML pages: JSON-LD, the Atom feed, the exports, and
script URLs refused as source links. The pages themselves: tests/e2e/test_stored_xss.py."""

import csv
import html
import io
import json
import re
import xml.etree.ElementTree as ET

import pytest
from django.core.exceptions import ValidationError

from claims import services
from claims.exports import unquote_formula
from claims.models import Claim, Source
from tests.hostile import VALUES, seed

pytestmark = pytest.mark.django_db
ATOM = "{http://www.w3.org/2005/Atom}"
CONFIDENT = "Moderate confidence. "  # the seeded verdict's confidence, before its rationale
SCRIPT_URLS = [
    "javascript:alert(1)",
    "JaVaScRiPt:alert(1)",
    "javascript://example.org/%0Aalert(1)",
    "data:text/html,<script>alert(1)</script>",
    "vbscript:msgbox(1)",
]


@pytest.fixture
def hostile(analyst):
    return seed(by=analyst)


def test_claim_page_jsonld_holds_the_payloads_as_data(analyst_client, hostile):
    actor, source, claim = hostile
    response = analyst_client.get(f"/claims/{claim.pk}/")
    assert response.status_code == 200
    page = response.content.decode()
    blocks = re.findall(r'<script type="application/ld\+json">(.*?)</script>', page, re.S)
    assert len(blocks) == 1
    (block,) = blocks
    # Nothing in the data can end the element or open a comment.
    assert "<" not in block and ">" not in block
    assert "</script" not in block.lower()
    data = json.loads(block)
    assert data["name"] == VALUES["claim.headline"]
    assert data["claimReviewed"] == VALUES["claim.text"]
    assert data["itemReviewed"]["text"] == VALUES["claim.text"]
    assert data["itemReviewed"]["author"]["name"] == VALUES["actor.name"]
    assert data["itemReviewed"]["appearance"][0]["name"] == VALUES["source.title"]
    # The verdict's confidence leads the explanation; the rationale follows as given.
    assert data["reviewRating"]["ratingExplanation"] == CONFIDENT + VALUES["claim.rationale"]


def test_jsonld_export_parses_back_to_the_payloads(analyst_client, hostile):
    actor, source, claim = hostile
    response = analyst_client.get("/claims.jsonld")
    assert response.status_code == 200
    body = b"".join(response.streaming_content) if response.streaming else response.content
    (review,) = _reviews(json.loads(body))
    assert review["name"] == VALUES["claim.headline"]
    assert review["reviewRating"]["ratingExplanation"] == CONFIDENT + VALUES["claim.rationale"]


def _reviews(data):
    if isinstance(data, dict):
        return data.get("@graph", data.get("itemListElement", [data]))
    return data


def test_feed_is_well_formed_and_carries_the_payloads_as_text(analyst_client, hostile):
    actor, source, claim = hostile
    response = analyst_client.get("/feeds/status/")
    assert response.status_code == 200
    feed = ET.fromstring(response.content)  # noqa: S314 - our own feed
    entries = feed.findall(f"{ATOM}entry")
    assert len(entries) == 2  # unverified on creation, then denied
    denied = entries[0]
    title = denied.find(f"{ATOM}title")
    assert title.get("type", "text") == "text"
    assert title.text == f"Denied: {VALUES['claim.headline']} ({VALUES['actor.name']})"
    summary = denied.find(f"{ATOM}summary")
    if summary.get("type") == "html":
        # A feed reader renders an html summary as markup: the rationale must be escaped
        # HTML, which a reader shows as the literal text.
        assert "<" not in summary.text
        assert html.unescape(summary.text) == CONFIDENT + VALUES["claim.rationale"]
    else:
        assert summary.text == CONFIDENT + VALUES["claim.rationale"]


def test_csv_export_holds_the_payloads_verbatim(analyst_client, hostile, analyst):
    actor, source, claim = hostile
    formula = '=HYPERLINK("javascript:alert(1)","<img src=x onerror=alert(1)>")'
    second = services.create_claim(
        by=analyst,
        actor=actor,
        headline=formula,
        text="@SUM(1+1) <script>alert(1)</script>",
        stated_on=claim.stated_on,
    )
    response = analyst_client.get("/claims.csv?ordering=headline")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    rows = {
        int(row["id"]): row
        for row in csv.DictReader(io.StringIO(b"".join(response.streaming_content).decode()))
    }
    row = rows[claim.pk]
    assert row["headline"] == VALUES["claim.headline"]
    assert row["text"] == VALUES["claim.text"]
    assert row["actor_name"] == VALUES["actor.name"]
    assert row["status_rationale"] == VALUES["claim.rationale"]
    # Cells a spreadsheet would run get a leading ': the only change.
    row = rows[second.pk]
    assert row["headline"] == "'" + formula
    assert unquote_formula(row["headline"]) == formula
    assert unquote_formula(row["text"]) == second.text


def test_json_export_and_api_hold_the_payloads_verbatim(analyst_client, hostile):
    actor, source, claim = hostile
    response = analyst_client.get("/claims.json")
    assert response.status_code == 200
    body = b"".join(response.streaming_content) if response.streaming else response.content
    (record,) = json.loads(body)
    assert record["headline"] == VALUES["claim.headline"]
    assert record["status_rationale"] == VALUES["claim.rationale"]
    response = analyst_client.get(f"/api/claims/{claim.pk}/", HTTP_ACCEPT="application/json")
    assert response.status_code == 200
    assert response.json()["headline"] == VALUES["claim.headline"]
    assert response.json()["text"] == VALUES["claim.text"]


@pytest.mark.parametrize("url", SCRIPT_URLS)
@pytest.mark.parametrize("field", ["url", "archive_url"])
def test_model_refuses_script_urls(field, url):
    source = Source(title="A source", **{field: url})
    with pytest.raises(ValidationError) as refused:
        source.full_clean()
    assert field in refused.value.message_dict


@pytest.mark.parametrize("url", SCRIPT_URLS)
def test_source_form_refuses_script_urls(analyst_client, url):
    response = analyst_client.post(
        "/sources/new/",
        {"title": "A source", "url": url, "archive_url": url, "kind": "other"},
    )
    assert response.status_code == 400
    errors = response.context["form"].errors
    assert "url" in errors and "archive_url" in errors
    assert not Source.objects.exists()


@pytest.mark.parametrize("url", SCRIPT_URLS)
def test_api_refuses_script_urls(analyst_client, url):
    response = analyst_client.post(
        "/api/sources/",
        {"title": "A source", "url": url, "kind": "other"},
        content_type="application/json",
    )
    assert response.status_code == 400
    assert "url" in response.json()
    assert not Source.objects.exists()


def test_citation_form_refuses_a_script_url_for_a_new_source(analyst_client, hostile):
    actor, source, claim = hostile
    before = Source.objects.count()
    response = analyst_client.post(
        "/claims/new/",
        {
            "actor": actor.slug,
            "headline": "A claim",
            "text": "What was said.",
            "stated_on": "2024-10-20",
            "citations-TOTAL_FORMS": "1",
            "citations-INITIAL_FORMS": "0",
            "citations-0-role": "evidence",
            "citations-0-new_source_title": "A new source",
            "citations-0-new_source_url": "javascript:alert(1)",
        },
    )
    assert response.status_code == 400
    assert "new_source_url" in response.context["citation_formset"].forms[0].errors
    assert Source.objects.count() == before
    assert not Claim.objects.filter(headline="A claim").exists()
