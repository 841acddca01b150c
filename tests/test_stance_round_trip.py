"""Stances in the CSV and JSON exports, and the import reading them back."""

import csv
import io
import json

import pytest

from claims import services
from claims.exports import COLUMNS
from claims.imports import import_claims
from claims.models import Claim, Stance

HEADER = ",".join(COLUMNS)


@pytest.fixture
def attached(story):
    troops = services.create_proposition(by=None, statement="Troops are in Russia", slug="troops")
    kursk = services.create_proposition(by=None, statement="Units fight in Kursk", slug="kursk")
    claims = story["claims"]
    services.set_stance(claim=claims["troops"], proposition=troops, stance="asserts", by=None)
    services.set_stance(claim=claims["troops"], proposition=kursk, stance="doubts", by=None)
    services.set_stance(claim=claims["fake"], proposition=troops, stance="denies", by=None)
    return {**story, "troops": troops, "kursk": kursk}


def _export(client):
    return b"".join(client.get("/claims.csv").streaming_content)


def _stances():
    return sorted(Stance.objects.values_list("claim__headline", "proposition__slug", "stance"))


def test_csv_export_has_a_stances_column(reader_client, attached):
    rows = {r["headline"]: r for r in csv.DictReader(io.StringIO(_export(reader_client).decode()))}
    assert rows["North Korea sent troops to Russia"]["stances"] == "doubts:kursk asserts:troops"
    assert rows["Peskov: no comment on troops"]["stances"] == ""


def test_json_export_lists_stances(reader_client, attached):
    body = b"".join(reader_client.get("/claims.json").streaming_content)
    records = {r["headline"]: r for r in json.loads(body)}
    assert records["Reports of North Korean troops are fake"]["stances"] == [
        {"proposition": "troops", "stance": "denies"}
    ]


def test_stances_round_trip_exactly(reader_client, attached):
    exported = _export(reader_client)
    before = _stances()
    Stance.objects.all().delete()
    Claim.objects.all().delete()
    report = import_claims(exported)
    assert report.ok, report.errors
    assert _stances() == before


def test_import_changes_and_removes_stances_as_the_file_says(reader_client, attached):
    exported = _export(reader_client).decode()
    edited = exported.replace("doubts:kursk asserts:troops", "denies:kursk")
    report = import_claims(edited.encode())
    assert report.ok, report.errors
    troops = attached["claims"]["troops"]
    assert list(troops.stances.values_list("proposition__slug", "stance")) == [("kursk", "denies")]


@pytest.mark.parametrize(
    ("cell", "message"),
    [
        ("maybe:troops", "bad stance"),
        ("asserts:Not_A_Slug", "bad proposition slug"),
        ("asserts:ghost", "unknown proposition 'ghost'"),
        ("asserts:troops denies:troops", "named twice"),
    ],
)
def test_bad_stances_are_reported_by_line(attached, cell, message):
    data = f"{HEADER}\n,H,T,nis,NIS,2024-11-04,unverified,,,,,{cell}\n".encode()
    report = import_claims(data)
    assert [e.line for e in report.errors] == [2]
    assert message in report.errors[0].reason
    assert not Claim.objects.filter(headline="H").exists()
