import pytest
from django.core.management import call_command

from claims.models import Actor, Citation, Claim, Source, StatusChange

pytestmark = pytest.mark.django_db


def counts():
    return [m.objects.count() for m in (Actor, Source, Claim, Citation, StatusChange)]


def test_load_demo_is_idempotent():
    call_command("load_demo", stdout=None)
    first = counts()
    call_command("load_demo")
    assert counts() == first
    assert first[2] >= 8


@pytest.mark.parametrize("slug", ["nis", "kremlin", "volodymyr-zelenskyy", "nato"])
def test_load_demo_yields_the_main_actors_with_claims(slug):
    call_command("load_demo")
    assert Claim.objects.filter(actor__slug=slug).exists()


def test_kremlin_denial_ends_up_denied_after_russia_acknowledged():
    call_command("load_demo")
    claim = Claim.objects.get(actor__slug="kremlin")
    statuses = list(claim.status_changes.values_list("new_status", flat=True))
    assert (claim.status, statuses) == ("denied", ["unverified", "denied"])
    assert "Gerasimov" in claim.status_rationale


def test_donetsk_report_stays_unverified():
    call_command("load_demo")
    assert Claim.objects.get(actor__slug="ukrainian-media").status == "unverified"


def test_every_demo_claim_cites_a_source_with_the_article_quotes():
    call_command("load_demo")
    assert not Claim.objects.filter(citations__isnull=True).exists()
    assert Citation.objects.filter(quote__contains="another piece of fake news").exists()


def test_every_demo_record_passes_the_validation_rules():
    call_command("load_demo")
    for model in (Actor, Source, Claim, Citation):
        for record in model.objects.all():
            record.full_clean()
    assert all(len(c.rationale) <= 10_000 for c in StatusChange.objects.all())
