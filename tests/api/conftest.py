import datetime

import pytest
from rest_framework.test import APIClient

from claims import services
from claims.models import Citation
from tests.factories import ActorFactory, SourceFactory


@pytest.fixture
def api_client():
    return APIClient()


@pytest.fixture
def api_as(users):
    """api_as("analyst") -> an APIClient signed in as that role; api_as(None) -> anonymous."""

    def make(role):
        client = APIClient()
        if role is not None:
            client.force_authenticate(users[role])
        return client

    return make


@pytest.fixture
def story(analyst):
    """Three actors, four claims with timelines and citations: enough for every filter."""
    kremlin = ActorFactory(
        slug="kremlin", name="The Kremlin", kind="government", country="RU", wikidata_id="Q83"
    )
    nis = ActorFactory(slug="nis", name="National Intelligence Service", kind="agency")
    peskov = ActorFactory(slug="dmitry-peskov", name="Dmitry Peskov", kind="person", country="RU")
    article = SourceFactory(url="https://example.org/yonhap", title="Yonhap report")
    denial = SourceFactory(url="https://example.org/tass", title="TASS denial")

    def claim(actor, headline, day, status="unverified", rationale="", cite=()):
        return services.create_claim(
            confidence="moderate",
            by=analyst,
            actor=actor,
            headline=headline,
            text=f"{headline}, said in full.",
            stated_on=datetime.date(2024, 10, day),
            status=status,
            rationale=rationale,
            citations=[Citation(source=s, role=r) for s, r in cite],
        )

    claims = {
        "troops": claim(
            nis,
            "North Korea sent troops to Russia",
            18,
            "confirmed",
            "Pentagon and NATO confirmed it.",
            [(article, "appearance"), (denial, "evidence")],
        ),
        "fake": claim(
            kremlin,
            "Reports of North Korean troops are fake",
            21,
            "denied",
            "They were there.",
            [(denial, "appearance")],
        ),
        "peskov": claim(peskov, "Peskov: no comment on troops", 23),
        "drills": claim(nis, "Troops are training in the Far East", 25),
    }
    return {
        "actors": {"kremlin": kremlin, "nis": nis, "peskov": peskov},
        "sources": {"article": article, "denial": denial},
        "claims": claims,
    }
