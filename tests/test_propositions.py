"""Propositions and stances: the model rules, the services and the consistency rules."""

import datetime

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from claims import services
from claims.models import Claim, Proposition, PropositionStatusChange, Stance, StatusChange
from tests.factories import ActorFactory

pytestmark = pytest.mark.django_db


def make_claim(headline="A claim", *, status="unverified", rationale="", actor=None):
    return services.create_claim(
        confidence="moderate",
        by=None,
        actor=actor or ActorFactory(),
        headline=headline,
        text=f"{headline}.",
        stated_on=datetime.date(2024, 10, 18),
        status=status,
        rationale=rationale or ("Because." if status != "unverified" else ""),
    )


def decided(status, statement="North Korean troops are deployed in Russia"):
    proposition = services.create_proposition(by=None, statement=statement)
    if status != "unverified":
        services.proposition_set_status(
            confidence="moderate",
            proposition=proposition,
            status=status,
            rationale="Settled.",
            by=None,
        )
    return proposition


def test_slug_is_made_from_the_statement_when_blank():
    proposition = services.create_proposition(
        by=None, statement="North Korean troops are deployed in Russia"
    )
    assert proposition.slug == "north-korean-troops-are-deployed-in-russia"
    assert proposition.status_changes.get().new_status == "unverified"


def test_two_statements_with_the_same_first_words_get_distinct_slugs():
    first = services.create_proposition(by=None, statement="Troops are in Kursk now")
    second = services.create_proposition(by=None, statement="Troops are in Kursk now!")
    assert first.slug != second.slug
    assert second.slug.startswith(first.slug)


def test_the_same_statement_twice_is_refused():
    services.create_proposition(by=None, statement="Troops are in Kursk")
    with pytest.raises(ValidationError):
        services.create_proposition(by=None, statement="Troops are in Kursk")
    assert Proposition.objects.count() == 1


def test_a_page_address_is_not_a_slug():
    with pytest.raises(ValidationError):
        services.create_proposition(by=None, statement="Grid", slug="grid")
    assert not Proposition.objects.exists()


def test_verdict_goes_on_the_timeline_and_leaves_claims_alone():
    claim = make_claim()
    proposition = decided("unverified")
    services.set_stance(claim=claim, proposition=proposition, stance="asserts", by=None)
    services.proposition_set_status(
        confidence="moderate",
        proposition=proposition,
        status="confirmed",
        rationale="Rutte confirmed it.",
        by=None,
    )
    proposition.refresh_from_db()
    assert proposition.status == "confirmed"
    assert list(proposition.status_changes.values_list("old_status", "new_status")) == [
        ("", "unverified"),
        ("unverified", "confirmed"),
    ]
    claim.refresh_from_db()
    assert claim.status == "unverified"


def test_a_verdict_needs_a_rationale():
    proposition = decided("unverified")
    with pytest.raises(ValidationError):
        services.proposition_set_status(
            confidence="moderate", proposition=proposition, status="denied", by=None
        )
    assert PropositionStatusChange.objects.filter(new_status="denied").count() == 0


def test_one_stance_per_claim_and_proposition_in_the_database():
    claim, proposition = make_claim(), decided("unverified")
    services.set_stance(claim=claim, proposition=proposition, stance="asserts", by=None)
    with pytest.raises(IntegrityError), transaction.atomic():
        Stance.objects.create(claim=claim, proposition=proposition, stance="denies")
    assert Stance.objects.get().stance == "asserts"


def test_a_stance_outside_the_three_is_refused_by_the_database():
    claim, proposition = make_claim(), decided("unverified")
    with pytest.raises(IntegrityError), transaction.atomic():
        Stance.objects.create(claim=claim, proposition=proposition, stance="maybe")
    assert not Stance.objects.exists()


def test_set_stance_changes_an_existing_stance_and_is_audited(analyst):
    claim, proposition = make_claim(), decided("unverified")
    services.set_stance(claim=claim, proposition=proposition, stance="asserts", by=analyst)
    services.set_stance(claim=claim, proposition=proposition, stance="doubts", by=analyst)
    stance = Stance.objects.get()
    assert stance.stance == "doubts"
    assert stance.history.count() == 2
    assert stance.history.first().history_user == analyst


def test_remove_stance_detaches_the_claim_but_keeps_it():
    claim, proposition = make_claim(), decided("unverified")
    stance = services.set_stance(claim=claim, proposition=proposition, stance="asserts", by=None)
    services.remove_stance(stance=stance, by=None)
    assert not Stance.objects.exists()
    assert Claim.objects.filter(pk=claim.pk).exists()


# (proposition verdict, stance, claim status, inconsistent?)
CONSISTENCY = [
    ("confirmed", "asserts", "confirmed", False),
    ("confirmed", "asserts", "unverified", True),
    ("confirmed", "asserts", "denied", True),
    ("confirmed", "denies", "denied", False),
    ("confirmed", "denies", "confirmed", True),
    ("confirmed", "denies", "unverified", True),
    ("denied", "asserts", "denied", False),
    ("denied", "asserts", "confirmed", True),
    ("denied", "denies", "confirmed", False),
    ("denied", "denies", "denied", True),
    ("confirmed", "doubts", "unverified", False),
    ("denied", "doubts", "confirmed", False),
    ("unverified", "asserts", "denied", False),
    ("unverified", "denies", "confirmed", False),
]


@pytest.mark.parametrize(("verdict", "stance", "claim_status", "inconsistent"), CONSISTENCY)
def test_consistency_rule(verdict, stance, claim_status, inconsistent):
    claim = make_claim(status=claim_status)
    proposition = decided(verdict)
    services.set_stance(claim=claim, proposition=proposition, stance=stance, by=None)
    found = list(proposition.inconsistent_stances().values_list("claim_id", flat=True))
    assert found == ([claim.pk] if inconsistent else [])
    assert Stance.objects.inconsistent().exists() == inconsistent


def test_inconsistent_claims_are_found_in_one_query(django_assert_num_queries):
    proposition = decided("confirmed")
    for n in range(5):
        claim = make_claim(f"Claim {n}")
        services.set_stance(claim=claim, proposition=proposition, stance="asserts", by=None)
    with django_assert_num_queries(1):
        rows = [(s.claim.actor.name, s.claim.headline) for s in proposition.inconsistent_stances()]
    assert len(rows) == 5


def _shown(claim):
    return (claim.version, claim.status)


def test_apply_gives_each_claim_the_verdict_its_stance_implies(analyst):
    proposition = decided("confirmed")
    asserting, denying = make_claim("Sent"), make_claim("Fake news")
    services.set_stance(claim=asserting, proposition=proposition, stance="asserts", by=None)
    services.set_stance(claim=denying, proposition=proposition, stance="denies", by=None)
    applied, skipped = services.apply_proposition_verdict(
        confidence="moderate",
        proposition=proposition,
        claim_versions={asserting.pk: _shown(asserting), denying.pk: _shown(denying)},
        rationale="Follows from the proposition.",
        by=analyst,
    )
    assert (len(applied), skipped) == (2, [])
    assert Claim.objects.get(pk=asserting.pk).status == "confirmed"
    assert Claim.objects.get(pk=denying.pk).status == "denied"
    change = StatusChange.objects.get(claim=denying, new_status="denied")
    assert (change.rationale, change.changed_by) == ("Follows from the proposition.", analyst)


def test_apply_skips_and_names_a_claim_changed_since_the_page_was_shown():
    proposition = decided("confirmed")
    fresh, stale = make_claim("Fresh"), make_claim("Stale")
    for claim in (fresh, stale):
        services.set_stance(claim=claim, proposition=proposition, stance="asserts", by=None)
    shown = {fresh.pk: _shown(fresh), stale.pk: _shown(stale)}
    # Someone else gives the stale claim a verdict meanwhile.
    services.claim_set_status(
        confidence="moderate", claim=stale, status="denied", rationale="Other view.", by=None
    )
    applied, skipped = services.apply_proposition_verdict(
        confidence="moderate",
        proposition=proposition,
        claim_versions=shown,
        rationale="Follows.",
        by=None,
    )
    assert [c.pk for c in applied] == [fresh.pk]
    assert [c.headline for c in skipped] == ["Stale"]
    assert Claim.objects.get(pk=stale.pk).status == "denied"
    assert Claim.objects.get(pk=fresh.pk).status == "confirmed"


def test_apply_skips_a_claim_edited_since_the_page_was_shown():
    proposition = decided("confirmed")
    claim = make_claim("Edited meanwhile")
    services.set_stance(claim=claim, proposition=proposition, stance="asserts", by=None)
    shown = {claim.pk: _shown(claim)}
    claim.text = "Edited."
    services.save_versioned(claim, by=None, version=claim.version)
    applied, skipped = services.apply_proposition_verdict(
        confidence="moderate",
        proposition=proposition,
        claim_versions=shown,
        rationale="Follows.",
        by=None,
    )
    assert (applied, [c.pk for c in skipped]) == ([], [claim.pk])
    assert Claim.objects.get(pk=claim.pk).status == "unverified"


def test_apply_needs_a_rationale():
    proposition = decided("confirmed")
    claim = make_claim()
    services.set_stance(claim=claim, proposition=proposition, stance="asserts", by=None)
    with pytest.raises(ValidationError):
        services.apply_proposition_verdict(
            confidence="moderate",
            proposition=proposition,
            claim_versions={claim.pk: _shown(claim)},
            rationale=" ",
            by=None,
        )
    assert Claim.objects.get(pk=claim.pk).status == "unverified"


def test_deleting_a_proposition_takes_its_stances_not_its_claims():
    claim, proposition = make_claim(), decided("confirmed")
    services.set_stance(claim=claim, proposition=proposition, stance="asserts", by=None)
    services.delete_record(proposition, by=None)
    assert (Stance.objects.count(), Claim.objects.count()) == (0, 1)
