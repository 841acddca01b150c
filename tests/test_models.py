"""Each invariant lives in the database: these write past the forms and expect a refusal."""

import datetime

import pytest
from django.core.exceptions import ValidationError
from django.db import DataError, IntegrityError, transaction

from claims.models import Actor, Citation, Claim, Source, StatusChange
from tests.factories import ActorFactory, CitationFactory, ClaimFactory, SourceFactory

pytestmark = pytest.mark.django_db


def assert_refused(make):
    with pytest.raises((IntegrityError, DataError)), transaction.atomic():
        make()


def test_actor_name_is_unique():
    ActorFactory(name="NATO")
    assert_refused(lambda: ActorFactory(name="NATO"))
    assert Actor.objects.filter(name="NATO").count() == 1


def test_actor_slug_is_unique():
    ActorFactory(slug="nato")
    assert_refused(lambda: ActorFactory(slug="nato"))


@pytest.mark.parametrize(
    "field, value",
    [
        ("kind", "planet"),
        ("country", "kor"),
        ("country", "kr"),
        ("wikidata_id", "42"),
        ("wikidata_id", "Qabc"),
        ("name", ""),
        ("slug", ""),
    ],
)
def test_actor_rejects_bad_values(field, value):
    assert_refused(lambda: ActorFactory(**{field: value}))
    assert Actor.objects.count() == 0


def test_actor_cannot_be_its_own_parent():
    actor = ActorFactory()
    actor.parent_id = actor.pk
    assert_refused(lambda: actor.save())


def test_claim_requires_an_actor():
    assert_refused(
        lambda: Claim.objects.create(
            actor=None, headline="h", text="t", stated_on=datetime.date(2024, 10, 18)
        )
    )


@pytest.mark.parametrize(
    "field, value",
    [("status", "maybe"), ("headline", ""), ("headline", "x" * 121), ("text", "")],
)
def test_claim_rejects_bad_values(field, value):
    assert_refused(lambda: ClaimFactory(**{field: value}))
    assert Claim.objects.count() == 0


def test_claim_verdict_needs_a_rationale():
    assert_refused(lambda: ClaimFactory(status=Claim.Status.DENIED, status_rationale=""))


def test_actor_with_claims_cannot_be_deleted():
    claim = ClaimFactory()
    from django.db.models import ProtectedError

    with pytest.raises(ProtectedError):
        claim.actor.delete()
    assert Claim.objects.filter(pk=claim.pk).exists()


def test_same_source_cannot_be_cited_twice_in_the_same_role():
    citation = CitationFactory()
    assert_refused(
        lambda: Citation.objects.create(
            claim=citation.claim, source=citation.source, role=citation.role
        )
    )


def test_same_source_may_be_cited_in_both_roles():
    citation = CitationFactory(role=Citation.Role.APPEARANCE)
    Citation.objects.create(
        claim=citation.claim, source=citation.source, role=Citation.Role.EVIDENCE
    )
    assert citation.claim.citations.count() == 2


def test_citation_role_is_checked():
    assert_refused(lambda: CitationFactory(role="rumour"))


def test_source_url_is_unique_but_may_be_blank_many_times():
    SourceFactory(url="https://example.org/a")
    assert_refused(lambda: SourceFactory(url="https://example.org/a"))
    SourceFactory(url="")
    SourceFactory(url="")
    assert Source.objects.filter(url="").count() == 2


def test_source_kind_is_checked():
    assert_refused(lambda: SourceFactory(kind="rumour"))


@pytest.mark.parametrize(
    "old, new, rationale",
    [("", "maybe", "why"), ("maybe", "denied", "why"), ("", "confirmed", "")],
)
def test_status_change_rejects_bad_values(old, new, rationale):
    claim = ClaimFactory()
    assert_refused(
        lambda: StatusChange.objects.create(
            claim=claim,
            old_status=old,
            new_status=new,
            rationale=rationale,
            changed_at=datetime.datetime(2024, 10, 18, tzinfo=datetime.UTC),
        )
    )
    assert StatusChange.objects.count() == 0


def test_actor_clean_refuses_the_reserved_slug():
    with pytest.raises(ValidationError) as refused:
        Actor(slug="new", name="New Agency").full_clean()
    assert "slug" in refused.value.message_dict


def test_actor_clean_refuses_a_parent_loop():
    top = ActorFactory()
    middle = ActorFactory(parent=top)
    top.parent = ActorFactory(parent=middle)
    with pytest.raises(ValidationError) as refused:
        top.full_clean()
    assert "parent" in refused.value.message_dict
