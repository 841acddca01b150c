import datetime
import os
import shutil
from pathlib import Path

import pytest
from django.db import connection

from claims import services
from claims.models import Citation
from tests.factories import ActorFactory, SourceFactory, UserFactory

CHROMIUM = "/usr/bin/chromium"
ARTIFACTS = Path(__file__).resolve().parent.parent / "test-artifacts"
PASSWORD = "correct horse battery"


def pytest_collection_modifyitems(config, items):
    """Name what can't run here instead of failing: PostgreSQL-only and browser tests."""
    on_postgres = os.environ.get("DATABASE_URL", "").startswith(("postgres", "postgresql"))
    skip_pg = pytest.mark.skip(reason="needs PostgreSQL (DATABASE_URL unset: running on SQLite)")
    skip_browser = pytest.mark.skip(reason=f"{CHROMIUM} not installed")
    for item in items:
        if "postgres" in item.keywords and not on_postgres:
            item.add_marker(skip_pg)
        if "browser" in item.keywords and not shutil.which(CHROMIUM):
            item.add_marker(skip_browser)


@pytest.fixture(autouse=True)
def empty_cache():
    """Each test starts with an empty cache: the claim list caches its facet counts per
    filter (CLAIM_FACET_CACHE_SECONDS), and another test's counts must not show."""
    from django.core.cache import cache

    cache.clear()
    yield
    cache.clear()


@pytest.fixture(autouse=True)
def fast_password_hashing(settings):
    # The default hasher is slow on purpose; the suite creates hundreds of users.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def reader(db):
    return UserFactory(username="reader", role="reader")


@pytest.fixture
def analyst(db):
    return UserFactory(username="analyst", role="analyst")


@pytest.fixture
def admin(db):
    return UserFactory(username="admin", role="admin")


@pytest.fixture
def norole(db):
    """Signed in, in no role group: reads nothing, writes nothing."""
    return UserFactory(username="norole")


@pytest.fixture
def users(reader, analyst, admin, norole):
    return {"reader": reader, "analyst": analyst, "admin": admin, "norole": norole}


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


def _client_for(client, user):
    client.force_login(user)
    return client


@pytest.fixture
def reader_client(client, reader):
    return _client_for(client, reader)


@pytest.fixture
def analyst_client(client, analyst):
    return _client_for(client, analyst)


@pytest.fixture
def admin_client(client, admin):
    return _client_for(client, admin)


@pytest.fixture
def on_postgres():
    return connection.vendor == "postgresql"


# Browser tests: Debian's Chromium, never a downloaded one.
@pytest.fixture(scope="session")
def browser_type_launch_args():
    return {
        "executable_path": CHROMIUM,
        "headless": True,
        "args": [
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--no-first-run",
        ],
    }


@pytest.fixture(scope="session")
def artifacts_dir():
    ARTIFACTS.mkdir(exist_ok=True)
    return ARTIFACTS
