import datetime

import pytest

from claims import services
from claims.models import Citation
from tests.factories import ActorFactory, SourceFactory


@pytest.fixture
def actor(db):
    return ActorFactory(slug="kremlin", name="The Kremlin", country="RU")


@pytest.fixture
def source(db):
    return SourceFactory(title="Peskov news conference", url="https://example.org/peskov")


@pytest.fixture
def claim(actor, source):
    """A claim with one citation and the first entry of its verdict timeline."""
    return services.create_claim(
        by=None,
        actor=actor,
        headline="Reports of North Korean troops are fake news",
        text="Peskov described the claims as another piece of fake news.",
        stated_on=datetime.date(2024, 10, 10),
        citations=[Citation(source=source, role="appearance", quote="another piece of fake news")],
    )


def claim_form_data(claim=None, **overrides):
    """POST data of the claim form with an empty citation formset."""
    data = {
        "actor": claim.actor.slug if claim else "kremlin",
        "headline": claim.headline if claim else "A new claim",
        "text": claim.text if claim else "What was said.",
        "stated_on": claim.stated_on.isoformat() if claim else "2024-10-18",
        "citations-TOTAL_FORMS": "2",
        "citations-INITIAL_FORMS": "0",
        "citations-MIN_NUM_FORMS": "0",
        "citations-MAX_NUM_FORMS": "20",
    }
    if claim is not None:
        data["version"] = str(claim.version)
    data.update(overrides)
    return data


def actor_form_data(actor=None, **overrides):
    data = {
        "name": actor.name if actor else "Korean Central News Agency",
        "slug": actor.slug if actor else "kcna",
        "short_name": "",
        "aliases": "",
        "kind": actor.kind if actor else "media",
        "country": actor.country if actor else "KP",
        "parent": "",
        "wikidata_id": "",
        "description": "",
    }
    if actor is not None:
        data["version"] = str(actor.version)
    data.update(overrides)
    return data


def source_form_data(source=None, **overrides):
    data = {
        "title": source.title if source else "KCNA confirms the deployment",
        "url": source.url if source else "https://example.org/kcna",
        "publisher": "",
        "kind": source.kind if source else "news_report",
        "published_on": "2025-04-28",
        "archive_url": "",
        "notes": "",
        "reliability": source.reliability if source else "B",
    }
    if source is not None:
        data["version"] = str(source.version)
    data.update(overrides)
    return data
