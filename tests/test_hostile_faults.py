"""Hostile requests an outside security test sent, each once: a status code, never a 500."""

import ipaddress
import json

import pytest
from django.urls import reverse

from claims.models import Actor, Claim, StatusChange
from tests.factories import ActorFactory, ClaimFactory

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
    assert (Actor.objects.count(), Claim.objects.count(), StatusChange.objects.count()) == (1, 1, 0)


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
