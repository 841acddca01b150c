"""generate_claims makes propositions and stances too, within the database's rules."""

import pytest
from django.core.management import call_command

from claims.models import Claim, Proposition, Stance

pytestmark = pytest.mark.django_db


def test_generate_claims_attaches_claims_to_propositions():
    call_command("generate_claims", claims=1000, actors=20, propositions=50, verbosity=0)
    assert Proposition.objects.count() == 50
    hot = Proposition.objects.order_by("pk").first()
    assert hot.stances.count() >= 1000 // 100
    assert Stance.objects.count() > 500
    assert Claim.objects.filter(stances__isnull=True).exists()  # not every claim has one


def test_generated_propositions_can_be_generated_again_beside_them():
    call_command("generate_claims", claims=200, actors=5, propositions=10, verbosity=0)
    call_command("generate_claims", claims=200, actors=5, propositions=10, seed=2, verbosity=0)
    assert Proposition.objects.count() == 20
    assert Proposition.objects.values("slug").distinct().count() == 20
