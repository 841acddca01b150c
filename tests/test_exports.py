import csv
import io
import json

import pytest
from django.db import connection
from django.http import QueryDict
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from claims.exports import COLUMNS
from claims.filters import ClaimFilter
from claims.models import Claim
from tests.factories import ClaimFactory


def _body(response):
    assert response.streaming
    return b"".join(response.streaming_content).decode()


def _csv_rows(response):
    return list(csv.DictReader(io.StringIO(_body(response), newline="")))


def _filter_ids(query):
    return list(
        ClaimFilter(QueryDict(query), queryset=Claim.objects.all()).qs.values_list("pk", flat=True)
    )


def test_csv_export_has_the_documented_columns(reader_client, story):
    response = reader_client.get(reverse("claims:claim-export-csv"))
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    header = _body(response).splitlines()[0]
    assert header.split(",") == COLUMNS


def test_csv_row_carries_the_claim(reader_client, story):
    claim = story["claims"]["troops"]
    rows = _csv_rows(reader_client.get("/claims.csv?actor=nis&status=confirmed"))
    assert rows == [
        {
            "id": str(claim.pk),
            "headline": claim.headline,
            "text": claim.text,
            "actor_slug": "nis",
            "actor_name": "National Intelligence Service",
            "stated_on": "2024-10-18",
            "status": "confirmed",
            "status_rationale": "Pentagon and NATO confirmed it.",
            "status_confidence": "moderate",
            "evidence": "context:6::https://example.org/tass",
            "source_urls": "https://example.org/yonhap",
            "stances": "",
        }
    ]


@pytest.mark.parametrize(
    "query", ["", "actor=nis", "status=denied&status=unverified", "q=Far+East", "ordering=actor"]
)
def test_csv_export_is_exactly_the_filtered_list(reader_client, story, query):
    rows = _csv_rows(reader_client.get(f"/claims.csv?{query}"))
    assert [int(r["id"]) for r in rows] == _filter_ids(query)


def test_json_export_is_the_same_set_as_records(reader_client, story):
    response = reader_client.get(reverse("claims:claim-export-json") + "?actor=nis")
    records = json.loads(_body(response))
    assert [r["id"] for r in records] == _filter_ids("actor=nis")
    assert set(records[0]) == set(COLUMNS)
    assert isinstance(records[0]["source_urls"], list)


def test_jsonld_export_is_a_list_of_claim_reviews(reader_client, story):
    response = reader_client.get(reverse("claims:claim-export-jsonld") + "?status=denied")
    reviews = json.loads(_body(response))
    assert response["Content-Type"] == "application/ld+json"
    assert [r["@type"] for r in reviews] == ["ClaimReview"]
    assert reviews[0]["reviewRating"]["alternateName"] == "Denied"


@pytest.mark.parametrize("name", ["csv", "json", "jsonld"])
def test_export_costs_the_same_queries_whatever_the_size(reader_client, story, name):
    url = reverse(f"claims:claim-export-{name}")
    with CaptureQueriesContext(connection) as few:
        _body(reader_client.get(url))
    for _ in range(20):
        ClaimFactory(actor=story["actors"]["kremlin"])
    with CaptureQueriesContext(connection) as many:
        _body(reader_client.get(url))
    assert len(few) == len(many)


@pytest.mark.parametrize("name", ["csv", "json", "jsonld"])
def test_anonymous_export_goes_to_login(client, story, name):
    response = client.get(reverse(f"claims:claim-export-{name}"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def test_public_read_lets_anonymous_export(client, story, settings):
    settings.CLAIMTRACKER_PUBLIC_READ = True
    rows = _csv_rows(client.get("/claims.csv"))
    assert len(rows) == Claim.objects.count()


@pytest.mark.parametrize("name", ["csv", "json", "jsonld"])
def test_bad_filter_on_export_answers_400_naming_it(reader_client, story, name):
    response = reader_client.get(reverse(f"claims:claim-export-{name}") + "?stated_to=soon")
    assert response.status_code == 400
    assert "stated_to" in response.json()["errors"]


def test_export_refuses_post(analyst_client, story):
    assert analyst_client.post("/claims.csv").status_code == 405
