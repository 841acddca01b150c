"""Hostile requests an outside security test sent, each once: a status code, never a 500."""

import datetime
import ipaddress
import json

import pytest
from django.contrib.auth.models import Permission
from django.db import connection, connections
from django.utils import timezone

from claims.api.idempotency import IdempotentWritesMixin
from claims.models import Actor, Claim, IdempotencyKey, StatusChange
from tests.factories import ActorFactory, ClaimFactory, UserFactory

DEEP_BODIES = {"lists": "[" * 100_000, "objects": '{"a":' * 5_000}


@pytest.mark.parametrize("body", DEEP_BODIES.values(), ids=DEEP_BODIES.keys())
@pytest.mark.parametrize("target", ["actors", "claims", "status"])
def test_a_deeply_nested_json_body_is_a_json_400(analyst_client, body, target):
    claim = ClaimFactory()
    url = {
        "actors": "/api/actors/",
        "claims": "/api/claims/",
        "status": f"/api/claims/{claim.pk}/status/",
    }[target]
    response = analyst_client.post(url, body, content_type="application/json")
    assert response.status_code == 400
    assert "nested deeper than 100" in response.json()["detail"]
    # Only the factory's claim, with the first entry of its timeline: nothing new.
    assert (Actor.objects.count(), Claim.objects.count(), StatusChange.objects.count()) == (1, 1, 1)


def test_brackets_inside_strings_do_not_count_as_nesting(analyst_client):
    body = {"name": "[" * 100 + "{" * 99, "slug": "brackets", "kind": "person"}
    response = analyst_client.post(
        "/api/actors/", json.dumps(body), content_type="application/json"
    )
    assert response.status_code == 201
    assert Actor.objects.get().name == body["name"]


@pytest.mark.parametrize("model", ["claim", "citation", "statuschange"])
@pytest.mark.parametrize("lookup", ["actor__id__exact", "claim__id__exact", "id__exact"])
def test_an_admin_list_filtered_by_an_id_out_of_range_is_refused_or_empty(
    admin_client, model, lookup
):
    ClaimFactory()
    response = admin_client.get(f"/admin/claims/{model}/?{lookup}=99999999999999999999")
    assert response.status_code in (200, 302, 400)
    if response.status_code == 200:
        assert response.context["cl"].result_count == 0


@pytest.mark.parametrize("version", ["abc", "1.5", "99999999999999999999"])
def test_an_admin_history_page_with_a_bad_version_id_is_a_404(admin_client, version):
    claim = ClaimFactory()
    response = admin_client.get(f"/admin/claims/claim/{claim.pk}/history/{version}/")
    assert response.status_code == 404
    assert Claim.objects.filter(pk=claim.pk).exists()


@pytest.mark.parametrize(("peer", "expected"), [("10.1.2.3", 200), ("203.0.113.7", 301)])
def test_x_forwarded_proto_counts_only_from_a_trusted_proxy(client, settings, peer, expected):
    settings.TRUSTED_PROXIES = [ipaddress.ip_network("10.0.0.0/8")]
    settings.SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    settings.SECURE_SSL_REDIRECT = True
    response = client.get("/admin/login/", REMOTE_ADDR=peer, HTTP_X_FORWARDED_PROTO="https")
    assert response.status_code == expected


def _post_claim(client, actor, key, headline="Troops seen"):
    # save_anyway: the retries and other users here post the same claim on purpose.
    body = {
        "actor_slug": actor.slug,
        "headline": headline,
        "text": "T.",
        "stated_on": "2024-11-04",
        "save_anyway": True,
    }
    return client.post(
        "/api/claims/",
        json.dumps(body),
        content_type="application/json",
        HTTP_IDEMPOTENCY_KEY=key,
    )


def test_a_retried_write_with_the_same_idempotency_key_answers_the_first_and_writes_once(
    analyst_client,
):
    actor = ActorFactory(slug="nis")
    first = _post_claim(analyst_client, actor, "key-1")
    again = _post_claim(analyst_client, actor, "key-1")
    assert (first.status_code, again.status_code) == (201, 201)
    assert again.json() == first.json() and again["Idempotency-Replayed"] == "true"
    assert Claim.objects.count() == 1


def test_the_same_idempotency_key_with_another_body_is_a_422(analyst_client):
    actor = ActorFactory(slug="nis")
    _post_claim(analyst_client, actor, "key-1")
    response = _post_claim(analyst_client, actor, "key-1", headline="Something else")
    assert response.status_code == 422
    assert list(Claim.objects.values_list("headline", flat=True)) == ["Troops seen"]


def test_another_user_may_use_the_same_idempotency_key(analyst_client, client, admin):
    actor = ActorFactory(slug="nis")
    _post_claim(analyst_client, actor, "key-1")
    client.force_login(admin)
    assert _post_claim(client, actor, "key-1").status_code == 201
    assert Claim.objects.count() == 2


def test_an_expired_idempotency_key_is_a_new_request(analyst_client):
    actor = ActorFactory(slug="nis")
    _post_claim(analyst_client, actor, "key-1")
    IdempotencyKey.objects.update(expires_at=timezone.now() - datetime.timedelta(seconds=1))
    assert _post_claim(analyst_client, actor, "key-1").status_code == 201
    assert (Claim.objects.count(), IdempotencyKey.objects.count()) == (2, 1)


def test_the_status_action_takes_an_idempotency_key(analyst_client):
    claim = ClaimFactory()
    body = json.dumps({"status": "confirmed", "rationale": "Seen.", "confidence": "high"})
    for _ in range(2):
        response = analyst_client.post(
            f"/api/claims/{claim.pk}/status/",
            body,
            content_type="application/json",
            HTTP_IDEMPOTENCY_KEY="verdict-1",
        )
        assert response.status_code == 200
    # The factory's first entry, then one verdict: the retry recorded nothing.
    assert list(claim.status_changes.values_list("old_status", "new_status")) == [
        ("", "unverified"),
        ("unverified", "confirmed"),
    ]


def test_a_write_that_fails_keeps_no_idempotency_key(analyst_client, monkeypatch):
    actor = ActorFactory(slug="nis")

    def crash(self, response):
        raise RuntimeError("the process died after the write")

    monkeypatch.setattr(IdempotentWritesMixin, "_save_answer", crash)
    with pytest.raises(RuntimeError):
        _post_claim(analyst_client, actor, "key-1")
    assert (Claim.objects.count(), IdempotencyKey.objects.count()) == (0, 0)


@pytest.fixture
def claims_table_locked(on_postgres, db):
    """The claims table locked by another connection and a 300 ms statement timeout on the
    test's own: every query reading claims is cancelled by PostgreSQL, for real. (No rows
    are added first: the test's open transaction would hold a lock the LOCK waits for.)"""
    if not on_postgres:
        pytest.skip("statement_timeout is PostgreSQL's")
    other = connections.create_connection("default")
    other.settings_dict = {**connection.settings_dict}
    with other.cursor() as cursor:
        other.set_autocommit(False)
        cursor.execute("LOCK TABLE claims_claim IN ACCESS EXCLUSIVE MODE")
        with connection.cursor() as ours:
            ours.execute("SET statement_timeout = 300")
        try:
            yield
        finally:
            other.rollback()
            other.close()


@pytest.mark.parametrize("url", ["/claims.csv", "/claims.json", "/claims.jsonld"])
def test_an_export_whose_query_fails_answers_a_status_not_a_cut_download(
    reader_client, claims_table_locked, url
):
    reader_client.raise_request_exception = False
    response = reader_client.get(url)
    assert response.status_code == 503
    assert not response.streaming and "took too long" in response.content.decode()


@pytest.mark.parametrize(
    ("url", "content_type"),
    [("/claims/?status=denied", "text/html"), ("/api/claims/?status=denied", "application/json")],
)
def test_a_statement_timeout_is_its_own_503_without_retry_after(
    reader_client, claims_table_locked, caplog, url, content_type
):
    reader_client.raise_request_exception = False
    response = reader_client.get(url)
    assert response.status_code == 503 and "Retry-After" not in response
    assert content_type in response["Content-Type"]
    assert "took too long" in response.content.decode() and "status=denied" in caplog.text


def test_the_503_for_a_write_says_it_may_have_been_saved(analyst_client, monkeypatch):
    from django.db import OperationalError

    def down(*args, **kwargs):
        raise OperationalError("server closed the connection unexpectedly")

    monkeypatch.setattr("claims.services.create_claim", down)
    analyst_client.raise_request_exception = False
    response = _post_claim(analyst_client, ActorFactory(slug="nis"), "key-1")
    assert response.status_code == 503 and response["Retry-After"] == "5"
    assert "may or may not have been saved" in response.json()["detail"]
    assert "Idempotency-Key" in response.json()["detail"]


@pytest.fixture
def user_manager(db, client):
    """A staff member who may manage user accounts but is no superuser."""
    manager = UserFactory(username="manager", role="reader")
    manager.is_staff = True
    manager.save()
    manager.user_permissions.add(
        *Permission.objects.filter(codename__in=["view_user", "change_user"])
    )
    client.force_login(manager)
    return manager


def _user_form(user, **changes):
    data = {
        "username": user.username,
        "is_active": "on",
        "is_staff": "on",
        "date_joined_0": user.date_joined.strftime("%Y-%m-%d"),
        "date_joined_1": user.date_joined.strftime("%H:%M:%S"),
        "groups": [g.pk for g in user.groups.all()],
        "user_permissions": [p.pk for p in user.user_permissions.all()],
    }
    data.update(changes)
    return data


def test_a_non_superuser_cannot_make_their_own_account_superuser(client, user_manager):
    response = client.post(
        f"/admin/auth/user/{user_manager.pk}/change/", _user_form(user_manager, is_superuser="on")
    )
    user_manager.refresh_from_db()
    assert response.status_code == 302  # saved, without the field it may not change
    assert response["Location"] == "/admin/auth/user/"
    assert not user_manager.is_superuser


def test_a_non_superuser_cannot_grant_a_permission_they_lack(client, user_manager):
    delete_claim = Permission.objects.get(codename="delete_claim")
    form = _user_form(user_manager)
    form["user_permissions"] = [*form["user_permissions"], delete_claim.pk]
    response = client.post(f"/admin/auth/user/{user_manager.pk}/change/", form)
    assert response.status_code == 200  # the form refuses the choice
    assert not user_manager.user_permissions.filter(pk=delete_claim.pk).exists()


def test_a_non_superuser_cannot_edit_a_superuser(client, user_manager):
    boss = UserFactory(username="boss", is_superuser=True, is_staff=True)
    response = client.post(f"/admin/auth/user/{boss.pk}/change/", _user_form(boss, is_staff=""))
    boss.refresh_from_db()
    assert response.status_code == 403
    assert boss.is_staff


def test_a_retried_multipart_write_with_the_same_key_writes_once(analyst_client):
    body = {"name": "National Intelligence Service", "slug": "nis", "kind": "agency"}
    for _ in range(2):
        response = analyst_client.post("/api/actors/", body, HTTP_IDEMPOTENCY_KEY="actor-1")
        assert response.status_code == 201
    assert Actor.objects.count() == 1


def _slow_setting_back(execute, sql, params, many, context):
    # Any statement that puts statement_timeout back to the session's own value takes 50 ms
    # on the server: run under the short limit, it would be cancelled.
    if "set_config('statement_timeout'" in sql and params and params[0] != "5ms":
        sql = sql.replace("SELECT current_setting", "SELECT pg_sleep(0.05), current_setting")
    return execute(sql, params, many, context)


@pytest.mark.django_db(transaction=True)
def test_a_query_with_a_time_budget_leaves_the_sessions_limit_as_it_was(on_postgres):
    # The import runs its possible-duplicate checks this way, thousands of them, outside a
    # transaction: once, on a busy machine, putting the limit back was itself cancelled.
    if not on_postgres:
        pytest.skip("statement_timeout is PostgreSQL's")
    from claims.db import run_within

    with connection.cursor() as cursor:
        cursor.execute("SHOW statement_timeout")
        (before,) = cursor.fetchone()
        with connection.execute_wrapper(_slow_setting_back):
            answers = [run_within("default", "SELECT 1", [], 5) for _ in range(3)]
        cursor.execute("SHOW statement_timeout")
        assert (answers, cursor.fetchone()[0]) == ([[(1,)]] * 3, before)
