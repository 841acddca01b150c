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


def claim_past_the_services(**fields):
    """Save a claim row directly, skipping create_claim's checks: the database must refuse
    a bad one on its own."""
    claim = ClaimFactory.build(actor=ActorFactory(), **fields)
    claim.save()
    return claim


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
    assert_refused(lambda: claim_past_the_services(**{field: value}))
    assert Claim.objects.count() == 0


def test_claim_verdict_needs_a_rationale():
    assert_refused(lambda: claim_past_the_services(status=Claim.Status.DENIED, status_rationale=""))


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
        claim=citation.claim,
        source=citation.source,
        role=Citation.Role.EVIDENCE,
        credibility=6,
        direction="context",
    )
    assert citation.claim.citations.count() == 2


def test_citation_role_is_checked():
    assert_refused(lambda: CitationFactory(role="rumour"))


def test_source_url_is_unique_but_may_be_blank_many_times():
    SourceFactory(url="https://example.org/a")
    # The services refuse a second source for the page; past them, the database does.
    with pytest.raises(ValidationError):
        SourceFactory(url="https://example.org/a")
    assert_refused(lambda: Source(title="Copy", url="https://example.org/a").save())
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
    first = list(StatusChange.objects.values_list("pk", flat=True))
    assert first == list(claim.status_changes.values_list("pk", flat=True))  # create_claim's
    assert_refused(
        lambda: StatusChange.objects.create(
            claim=claim,
            old_status=old,
            new_status=new,
            rationale=rationale,
            changed_at=datetime.datetime(2024, 10, 18, tzinfo=datetime.UTC),
        )
    )
    assert list(StatusChange.objects.values_list("pk", flat=True)) == first


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


@pytest.mark.parametrize("slug", ["NATO", "north_korea", "-nato", "nato--otan", "nato-"])
def test_actor_slug_is_lowercase_words_and_hyphens(slug):
    assert_refused(lambda: ActorFactory(slug=slug))


@pytest.mark.parametrize("slug", ["NATO", "north_korea"])
def test_actor_clean_refuses_a_slug_that_is_not_lowercase(slug):
    with pytest.raises(ValidationError) as refused:
        ActorFactory.build(slug=slug).full_clean()
    assert "slug" in refused.value.message_dict


@pytest.mark.parametrize("qid", ["Q0", "Q042", "q42", "Q"])
def test_wikidata_id_is_q_and_a_number_without_leading_zero(qid):
    assert_refused(lambda: ActorFactory(wikidata_id=qid))


def test_claim_text_has_a_maximum_length_in_the_database():
    assert_refused(lambda: claim_past_the_services(text="x" * 20_001))


@pytest.mark.parametrize(
    "stated_on",
    [
        datetime.date.today() + datetime.timedelta(days=2),  # noqa: DTZ011
        datetime.date(1899, 12, 31),
    ],
)
def test_claim_clean_refuses_a_date_in_the_future_or_before_1900(stated_on):
    with pytest.raises(ValidationError) as refused:
        ClaimFactory.build(actor=ActorFactory(), stated_on=stated_on).full_clean()
    assert list(refused.value.message_dict) == ["stated_on"]


def test_claim_may_be_dated_tomorrow_for_time_zones():
    tomorrow = datetime.date.today() + datetime.timedelta(days=1)  # noqa: DTZ011
    ClaimFactory.build(actor=ActorFactory(), stated_on=tomorrow).full_clean()
