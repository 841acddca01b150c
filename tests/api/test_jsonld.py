import extruct
import pytest
from django.template import Context, Template
from django.test import RequestFactory

from claims import jsonld
from claims.models import Claim


def _claim_page(claim):
    """A minimal page with the partial in its head, as the claim page includes it."""
    request = RequestFactory().get(claim.get_absolute_url())
    page = Template(
        "<!doctype html><html><head><title>{{ claim.headline }}</title>"
        '{% include "claims/_claimreview_jsonld.html" %}</head>'
        "<body><h1>{{ claim.headline }}</h1></body></html>"
    )
    return page.render(Context({"claim": claim, "request": request}))


def _claim_review(html):
    data = extruct.extract(html, base_url="http://testserver/", syntaxes=["json-ld"])
    (review,) = data["json-ld"]
    return review


def test_claim_page_carries_a_claim_review(story):
    claim = Claim.objects.get(pk=story["claims"]["fake"].pk)
    review = _claim_review(_claim_page(claim))
    assert review["@type"] == "ClaimReview"
    assert review["claimReviewed"] == claim.text
    assert review["url"] == f"http://testserver/claims/{claim.pk}/"
    assert review["author"]["name"] == "ClaimTracker"


def test_item_reviewed_is_the_actors_claim_with_wikidata_and_appearances(story):
    claim = Claim.objects.get(pk=story["claims"]["fake"].pk)
    item = _claim_review(_claim_page(claim))["itemReviewed"]
    assert item["@type"] == "Claim"
    assert item["author"] == {
        "@type": "Organization",
        "name": "The Kremlin",
        "sameAs": "https://www.wikidata.org/wiki/Q83",
    }
    assert item["datePublished"] == "2024-10-21"
    assert [a["url"] for a in item["appearance"]] == ["https://example.org/tass"]


def test_evidence_citations_are_not_appearances(story):
    claim = Claim.objects.get(pk=story["claims"]["troops"].pk)
    item = _claim_review(_claim_page(claim))["itemReviewed"]
    assert [a["url"] for a in item["appearance"]] == ["https://example.org/yonhap"]


def test_a_person_is_authored_as_person_without_same_as(story):
    claim = Claim.objects.get(pk=story["claims"]["peskov"].pk)
    author = _claim_review(_claim_page(claim))["itemReviewed"]["author"]
    assert author == {"@type": "Person", "name": "Dmitry Peskov"}


@pytest.mark.parametrize(
    ("key", "value", "name"),
    [("troops", 3, "Confirmed"), ("fake", 1, "Denied"), ("peskov", 2, "Unverified")],
)
def test_review_rating_names_the_verdict_on_a_numeric_scale(story, key, value, name):
    claim = Claim.objects.get(pk=story["claims"][key].pk)
    rating = _claim_review(_claim_page(claim))["reviewRating"]
    assert (rating["ratingValue"], rating["alternateName"]) == (value, name)
    assert (rating["worstRating"], rating["bestRating"]) == (1, 3)


def test_script_end_tag_in_the_data_stays_inert(story):
    claim = story["claims"]["peskov"]
    claim.text = 'He said </script><script>alert("x")</script> & more'
    claim.save()
    html = _claim_page(claim)
    assert "<script>alert" not in html
    assert _claim_review(html)["claimReviewed"] == claim.text


def test_dumps_escapes_html_significant_characters():
    assert jsonld.dumps({"a": "</script>&"}) == '{"a": "\\u003C/script\\u003E\\u0026"}'
