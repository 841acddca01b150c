"""The shared cache and the list pages cached under the data version (claims/caching.py)."""

import datetime
import os
import subprocess
import sys
import uuid
from pathlib import Path

import pytest
from django.conf import settings
from django.core.cache import cache
from django.urls import reverse

from claims import caching, services
from claims.exports import COLUMNS
from claims.imports import import_claims
from claims.models import Actor, Citation, Claim, Source
from tests.conftest import PASSWORD
from tests.factories import ActorFactory, UserFactory

ROOT = Path(__file__).resolve().parent.parent
LOCAL_REDIS = "redis://127.0.0.1:6379/5"


def _django_python(code, **env):
    """Run `code` in a fresh Python process with Django set up: another worker, as gunicorn
    starts them, with nothing in memory from this one."""
    script = (
        "import django, os\n"
        "os.environ.setdefault('DJANGO_SETTINGS_MODULE', 'claimtracker.settings')\n"
        "django.setup()\n" + code
    )
    environment = {**os.environ, "DJANGO_DEBUG": "true", **env}
    done = subprocess.run(  # noqa: S603 - our own interpreter and script
        [sys.executable, "-c", script],
        cwd=ROOT,
        env=environment,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    return done.stdout.strip()


@pytest.fixture
def redis_url():
    """REDIS_URL, or the local server; skipped by name without one, except under CI=true."""
    import redis

    url = os.environ.get("REDIS_URL") or LOCAL_REDIS
    try:
        redis.Redis.from_url(url, socket_connect_timeout=2).ping()
    except redis.RedisError as error:
        if os.environ.get("CI") == "true":
            pytest.fail(f"CI=true but Redis is not reachable at {url}: {error}")
        pytest.skip(f"needs Redis (REDIS_URL, or a server at {LOCAL_REDIS}): {error}")
    return url


def test_the_embedded_default_is_a_cache_every_local_worker_shares():
    backend = settings.CACHES["default"]["BACKEND"]
    assert backend == "django.core.cache.backends.filebased.FileBasedCache"
    assert "locmem" not in _django_python(
        "from django.conf import settings; print(settings.CACHES['default']['BACKEND'])",
        REDIS_URL="",
        CACHE_URL="",
    )


def test_an_entry_written_by_one_process_is_read_by_another_after_it_exits():
    # A recycled worker is a new process: what the old one cached is still there.
    key, value = f"shared-{uuid.uuid4().hex}", uuid.uuid4().hex
    _django_python(
        f"from django.core.cache import cache; cache.set({key!r}, {value!r}, 60)",
        REDIS_URL="",
        CACHE_URL="",
    )
    assert cache.get(key) == value
    cache.set(key, "from the test process", 60)
    assert (
        _django_python(
            f"from django.core.cache import cache; print(cache.get({key!r}))",
            REDIS_URL="",
            CACHE_URL="",
        )
        == "from the test process"
    )


def test_redis_url_selects_django_redis_backend_shared_by_processes(redis_url):
    from django.core.cache.backends.redis import RedisCache

    prefix = f"ct-speed-test-{uuid.uuid4().hex[:8]}"
    env = {"REDIS_URL": redis_url, "CACHE_KEY_PREFIX": prefix}
    assert (
        _django_python(
            "from django.conf import settings; print(settings.CACHES['default']['BACKEND'])",
            **env,
        )
        == "django.core.cache.backends.redis.RedisCache"
    )
    ours = RedisCache(redis_url, {"KEY_PREFIX": prefix})
    try:
        ours.set("greeting", "written by the test process", 60)
        read = "from django.core.cache import cache; print(cache.get('greeting'))"
        assert _django_python(read, **env) == "written by the test process"
        _django_python("from django.core.cache import cache; cache.set('reply', 'ok', 60)", **env)
        assert ours.get("reply") == "ok"
    finally:
        ours.delete_many(["greeting", "reply"])


def test_a_cache_url_that_is_not_redis_is_refused():
    with pytest.raises(subprocess.CalledProcessError) as failure:
        _django_python("", CACHE_URL="memcached://127.0.0.1:11211")
    assert "CACHE_URL must be a Redis address" in failure.value.stderr


# The data version -------------------------------------------------------------------------


def _claim(actor, by=None, headline="Troops seen near Kursk"):
    return services.create_claim(
        by=by,
        actor=actor,
        headline=headline,
        text="Troops were seen.",
        stated_on=datetime.date(2024, 11, 4),
    )


@pytest.fixture
def world(analyst):
    actor = ActorFactory(slug="kremlin", name="The Kremlin")
    claim = _claim(actor, analyst)
    source = services.create_record(
        Source(title="Report", url="https://example.org/report", kind="news_report"), by=analyst
    )
    proposition = services.create_proposition(by=analyst, statement="Troops are in Kursk")
    return {"actor": actor, "claim": claim, "source": source, "proposition": proposition}


def _edit_claim(world, by):
    claim = Claim.objects.get(pk=world["claim"].pk)
    claim.headline = "Troops seen near Kursk again"
    services.save_versioned(claim, by=by, version=claim.version)


def _import(world, by):
    header = ",".join(c for c in COLUMNS if c != "stances")
    row = ",Drills seen,Drills near Kursk.,kremlin,The Kremlin,2024-11-05,unverified,,,,"
    report = import_claims(f"{header}\n{row}\n".encode(), by=by)
    assert not report.errors and report.created == 1


WRITES = {
    "claim created": lambda w, by: _claim(w["actor"], by, "Another claim"),
    "claim edited": _edit_claim,
    "claim status": lambda w, by: services.claim_set_status(
        claim=w["claim"], status="denied", rationale="Refuted.", confidence="high", by=by
    ),
    "citation": lambda w, by: services.add_citation(
        claim=w["claim"], source=w["source"], role="evidence", by=by
    ),
    "actor": lambda w, by: services.create_record(
        Actor(name="NIS", slug="nis", kind="government", country="KR"), by=by
    ),
    "source": lambda w, by: services.create_record(
        Source(title="Another", url="https://example.org/2", kind="news_report"), by=by
    ),
    "proposition": lambda w, by: services.create_proposition(by=by, statement="Drills happen"),
    "proposition status": lambda w, by: services.proposition_set_status(
        proposition=w["proposition"],
        status="confirmed",
        rationale="Seen.",
        confidence="moderate",
        by=by,
    ),
    "stance": lambda w, by: services.set_stance(
        claim=w["claim"], proposition=w["proposition"], stance="asserts", by=by
    ),
    "quote check": lambda w, by: services.check_quote(
        citation=Citation.objects.create(
            claim=w["claim"], source=w["source"], role="appearance", quote="q", quote_check="found"
        )
    ),
    "import": _import,
    "claim deleted": lambda w, by: services.delete_claim(w["claim"], by=None, reason="Duplicate"),
    "stance removed": lambda w, by: services.remove_stance(
        stance=services.set_stance(
            claim=w["claim"], proposition=w["proposition"], stance="asserts", by=by
        ),
        by=by,
    ),
}


def test_any_service_changes_the_data_version_when_it_returns(db):
    # The decorator bumps it, so a service added later needs nothing of its own.
    @services.service
    def a_new_write():
        return "done"

    before = caching.data_version()
    assert a_new_write() == "done"
    assert caching.data_version() != before


@pytest.mark.parametrize("kind", WRITES)
def test_every_kind_of_write_changes_the_data_version(world, analyst, kind):
    before = caching.data_version()
    WRITES[kind](world, analyst)
    assert caching.data_version() != before


def test_an_admin_action_changes_the_data_version(admin_client, world):
    claim = world["claim"]
    before = caching.data_version()
    response = admin_client.post(
        reverse("admin:claims_claim_changelist"),
        {
            "action": "mark_denied",
            "_selected_action": [claim.pk],
            "apply": "1",
            "rationale": "Refuted by later reporting",
            "confidence": "high",
        },
    )
    assert response.status_code == 302
    assert Claim.objects.get(pk=claim.pk).status == "denied"
    assert caching.data_version() != before


def test_a_write_in_a_transaction_bumps_again_when_it_commits(transactional_db):
    actor = ActorFactory()
    cache.set(caching.DATA_VERSION_KEY, "before", None)
    from django.db import transaction

    with transaction.atomic():
        _claim(actor)
        cache.set(caching.DATA_VERSION_KEY, "read by another worker mid-transaction", None)
    assert caching.data_version() not in ("before", "read by another worker mid-transaction")


# Cached pages -----------------------------------------------------------------------------


def _login(client, user):
    assert client.login(username=user.username, password=PASSWORD)
    return client


def test_the_second_request_is_served_from_the_cache_and_a_write_shows_at_once(
    client, analyst, world, django_assert_num_queries
):
    _login(client, analyst)
    first = client.get("/claims/?status=unverified")
    assert first.status_code == 200 and "browser" in first.context
    again = client.get("/claims/?status=unverified")
    assert again.status_code == 200
    assert "browser" not in again.context  # nothing counted or fetched
    assert again.context["browser_html"] == first.context["browser_html"]
    _claim(world["actor"], analyst, "Fresh claim after the cache")
    after = client.get("/claims/?status=unverified")
    assert "browser" in after.context
    assert b"Fresh claim after the cache" in after.content


def test_no_user_gets_another_users_page_or_csrf_token(client, world, db):
    one = UserFactory(username="first-reader", role="reader")
    two = UserFactory(username="second-reader", role="reader")
    _login(client, one)
    first = client.get("/claims/")
    first_token = first.context["csrf_token"]
    client.logout()
    _login(client, two)
    second = client.get("/claims/")
    assert "browser" not in second.context  # the same permissions: the cached fragment
    assert b"second-reader" in second.content and b"first-reader" not in second.content
    assert str(second.context["csrf_token"]) != str(first_token)
    assert str(second.context["csrf_token"]) not in first.content.decode()


def test_a_role_with_other_permissions_gets_its_own_fragment(client, analyst, reader, db):
    _login(client, analyst)
    assert b"Add the first claim" in client.get("/claims/").content
    client.logout()
    _login(client, reader)
    page = client.get("/claims/")
    assert "browser" in page.context  # rendered for the reader's permissions
    assert b"Add the first claim" not in page.content


def test_the_actor_page_caches_its_list_and_sees_a_new_claim(client, reader, world):
    _login(client, reader)
    url = world["actor"].get_absolute_url()
    first = client.get(url)
    assert first.status_code == 200 and "browser" in first.context
    assert "browser" not in client.get(url).context
    _claim(world["actor"], None, "Newest actor claim")
    assert b"Newest actor claim" in client.get(url).content


def test_a_bad_filter_is_still_a_400_from_the_cache(client, reader, db):
    _login(client, reader)
    assert client.get("/claims/?stated_from=yesterday").status_code == 400
    cached = client.get("/claims/?stated_from=yesterday")
    assert cached.status_code == 400 and "browser" not in cached.context


def test_the_page_cache_can_be_turned_off(client, reader, db, settings):
    settings.CLAIM_PAGE_CACHE_SECONDS = 0
    _login(client, reader)
    client.get("/claims/")
    assert "browser" in client.get("/claims/").context


def test_a_page_as_of_a_date_is_cached_apart_from_today(client, reader, world):
    _login(client, reader)
    today = client.get("/claims/")
    assert b"as-of-banner" not in today.content
    then = client.get("/claims/?as_of=2024-11-05")
    assert then.status_code == 200 and "browser" in then.context  # not today's fragment
    assert b"as-of-banner" in then.content
    assert b"as-of-banner" in client.get("/claims/?as_of=2024-11-05").content
    # A claim stated after that day is not in that day's list, cached or not.
    later = services.create_claim(
        by=None,
        actor=world["actor"],
        headline="Stated after the day",
        text="Later.",
        stated_on=datetime.date(2024, 11, 20),
    )
    assert later.pk
    assert b"Stated after the day" not in client.get("/claims/?as_of=2024-11-05").content
    assert b"Stated after the day" in client.get("/claims/").content


def test_the_username_is_never_inside_the_cached_fragment(client, world, db):
    user = UserFactory(username="unique-reader-name", role="reader")
    _login(client, user)
    page = client.get("/claims/")
    assert b"unique-reader-name" in page.content  # in the page's header
    assert "unique-reader-name" not in str(page.context["browser_html"])
    assert "csrfmiddlewaretoken" not in str(page.context["browser_html"])
