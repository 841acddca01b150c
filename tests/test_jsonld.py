import extruct
import pytest

from claims import jsonld
from claims.models import Claim


@pytest.fixture
def claim_page(reader_client):
    """The real claim page, as a signed-in reader gets it."""

    def render(claim):
        response = reader_client.get(claim.get_absolute_url())
        assert response.status_code == 200
        return response.content.decode()

    return render


def _claim_review(html):
    data = extruct.extract(html, base_url="http://testserver/", syntaxes=["json-ld"])
    (review,) = data["json-ld"]
    return review


def testclaim_page_carries_a_claim_review(story, claim_page):
    claim = Claim.objects.get(pk=story["claims"]["fake"].pk)
    review = _claim_review(claim_page(claim))
    assert review["@type"] == "ClaimReview"
    assert review["claimReviewed"] == claim.text
    assert review["url"] == f"http://testserver/claims/{claim.pk}/"
    assert review["author"]["name"] == "ClaimTracker"


def test_item_reviewed_is_the_actors_claim_with_wikidata_and_appearances(story, claim_page):
    claim = Claim.objects.get(pk=story["claims"]["fake"].pk)
    item = _claim_review(claim_page(claim))["itemReviewed"]
    assert item["@type"] == "Claim"
    assert item["author"] == {
        "@type": "Organization",
        "name": "The Kremlin",
        "sameAs": "https://www.wikidata.org/wiki/Q83",
    }
    assert item["datePublished"] == "2024-10-21"
    assert [a["url"] for a in item["appearance"]] == ["https://example.org/tass"]


def test_evidence_citations_are_not_appearances(story, claim_page):
    claim = Claim.objects.get(pk=story["claims"]["troops"].pk)
    item = _claim_review(claim_page(claim))["itemReviewed"]
    assert [a["url"] for a in item["appearance"]] == ["https://example.org/yonhap"]


def test_a_person_is_authored_as_person_without_same_as(story, claim_page):
    claim = Claim.objects.get(pk=story["claims"]["peskov"].pk)
    author = _claim_review(claim_page(claim))["itemReviewed"]["author"]
    assert author == {"@type": "Person", "name": "Dmitry Peskov"}


@pytest.mark.parametrize(
    ("key", "value", "name"),
    [("troops", 3, "Confirmed"), ("fake", 1, "Denied"), ("peskov", 2, "Unverified")],
)
def test_review_rating_names_the_verdict_on_a_numeric_scale(story, claim_page, key, value, name):
    claim = Claim.objects.get(pk=story["claims"][key].pk)
    rating = _claim_review(claim_page(claim))["reviewRating"]
    assert (rating["ratingValue"], rating["alternateName"]) == (value, name)
    assert (rating["worstRating"], rating["bestRating"]) == (1, 3)


def test_script_end_tag_in_the_data_stays_inert(story, claim_page):
    claim = story["claims"]["peskov"]
    claim.text = 'He said </script><script>alert("x")</script> & more'
    claim.save()
    html = claim_page(claim)
    assert "<script>alert" not in html
    assert _claim_review(html)["claimReviewed"] == claim.text


def test_dumps_escapes_html_significant_characters():
    assert jsonld.dumps({"a": "</script>&"}) == '{"a": "\\u003C/script\\u003E\\u0026"}'
