import datetime

import pytest
from django.db import IntegrityError
from django.urls import reverse

from claims import services
from claims.models import Citation, Claim, Source, StatusChange
from tests.factories import CitationFactory, SourceFactory
from tests.views.conftest import claim_form_data

pytestmark = pytest.mark.django_db
CREATE = reverse("claims:claim-create")


def edit_url(claim):
    return reverse("claims:claim-update", kwargs={"pk": claim.pk})


def with_citation(data, row=0, **fields):
    data.update({f"citations-{row}-{name}": value for name, value in fields.items()})
    return data


def test_create_page_prefills_the_actor_from_the_link(analyst_client, actor):
    response = analyst_client.get(CREATE + "?actor=kremlin")
    assert response.status_code == 200
    assert b'name="actor" value="kremlin"' in response.content


def test_create_claim_citing_an_existing_source_by_number(analyst_client, analyst, actor, source):
    data = with_citation(claim_form_data(), source=str(source.pk), role="appearance", quote="Q")
    response = analyst_client.post(CREATE, data)
    claim = Claim.objects.get(headline="A new claim")
    assert response.status_code == 302 and response["Location"] == claim.get_absolute_url()
    assert list(claim.citations.values_list("source", "role", "quote")) == [
        (source.pk, "appearance", "Q")
    ]
    assert claim.created_by == analyst
    assert claim.status_changes.get().changed_by == analyst


def test_create_claim_citing_an_existing_source_by_title(analyst_client, actor, source):
    data = with_citation(claim_form_data(), source="peskov NEWS conference", role="evidence")
    assert analyst_client.post(CREATE, data).status_code == 302
    assert Citation.objects.filter(source=source, role="evidence").count() == 1


def test_create_claim_with_a_new_source_typed_inline(analyst_client, analyst, actor):
    data = with_citation(
        claim_form_data(),
        new_source_title="KCNA report",
        new_source_url="https://example.org/kcna",
        role="appearance",
    )
    assert analyst_client.post(CREATE, data).status_code == 302
    source = Source.objects.get(title="KCNA report")
    assert source.citations.get().claim.headline == "A new claim"
    assert source.history.get().history_user == analyst


def test_unknown_source_is_refused_and_nothing_is_created(analyst_client, actor):
    data = with_citation(claim_form_data(headline="Kept headline"), source="424242")
    response = analyst_client.post(CREATE, data)
    assert response.status_code == 400
    assert "No source is numbered 424242." in response.content.decode()
    assert b'value="Kept headline"' in response.content
    assert Claim.objects.count() == 0


def test_unknown_actor_is_refused(analyst_client, actor):
    response = analyst_client.post(CREATE, claim_form_data(actor="nobody"))
    assert response.status_code == 400
    assert b"Unknown actor: nobody." in response.content
    assert Claim.objects.count() == 0


def test_existing_and_new_source_in_one_row_is_refused(analyst_client, actor, source):
    data = with_citation(claim_form_data(), source=str(source.pk), new_source_title="Another")
    response = analyst_client.post(CREATE, data)
    assert response.status_code == 400
    assert Claim.objects.count() == 0 and Source.objects.count() == 1


def test_new_source_with_a_known_url_points_to_the_existing_one(analyst_client, actor, source):
    data = with_citation(claim_form_data(), new_source_title="Copy", new_source_url=source.url)
    response = analyst_client.post(CREATE, data)
    assert response.status_code == 400
    assert b"already has this URL" in response.content
    assert f'href="{source.get_absolute_url()}"'.encode() in response.content
    assert Source.objects.count() == 1


def test_same_source_twice_with_the_same_role_is_refused(analyst_client, actor, source):
    data = with_citation(claim_form_data(), 0, source=str(source.pk), role="evidence")
    with_citation(data, 1, source=str(source.pk), role="evidence")
    response = analyst_client.post(CREATE, data)
    assert response.status_code == 400
    assert b"cited twice with the same role" in response.content
    assert Claim.objects.count() == 0


def test_quote_without_a_source_is_refused(analyst_client, actor):
    response = analyst_client.post(CREATE, with_citation(claim_form_data(), quote="words"))
    assert response.status_code == 400
    assert Claim.objects.count() == 0


def test_too_long_headline_is_a_field_error(analyst_client, actor):
    response = analyst_client.post(CREATE, claim_form_data(headline="x" * 121))
    assert response.status_code == 400
    assert Claim.objects.count() == 0


def test_edit_saves_and_bumps_the_version(analyst_client, analyst, claim):
    response = analyst_client.post(edit_url(claim), claim_form_data(claim, headline="Edited"))
    assert response.status_code == 302
    saved = Claim.objects.get(pk=claim.pk)
    assert (saved.headline, saved.version, saved.updated_by) == (
        "Edited",
        claim.version + 1,
        analyst,
    )
    assert saved.history.first().history_user == analyst


def test_edit_can_add_a_citation(analyst_client, claim):
    evidence = SourceFactory(title="Gerasimov")
    data = with_citation(claim_form_data(claim), source=str(evidence.pk), role="evidence")
    assert analyst_client.post(edit_url(claim), data).status_code == 302
    assert claim.citations.filter(source=evidence, role="evidence").exists()


def test_edit_cannot_cite_an_already_cited_source_in_the_same_role(analyst_client, claim, source):
    data = with_citation(claim_form_data(claim), source=str(source.pk), role="appearance")
    assert analyst_client.post(edit_url(claim), data).status_code == 400
    assert claim.citations.count() == 1


def test_edit_does_not_touch_the_status(analyst_client, claim):
    services.claim_set_status(
        confidence="moderate", claim=claim, status="denied", rationale="Refuted.", by=None
    )
    claim.refresh_from_db()
    analyst_client.post(edit_url(claim), claim_form_data(claim, headline="Edited"))
    assert Claim.objects.get(pk=claim.pk).status == "denied"
    assert StatusChange.objects.filter(claim=claim).count() == 2


def test_stale_edit_is_refused_with_what_changed_and_keeps_the_input(analyst_client, admin, claim):
    stale = claim_form_data(claim, headline="My headline", text="My text")
    first = Claim.objects.get(pk=claim.pk)
    first.headline = "Their headline"
    services.save_versioned(first, by=admin, version=claim.version)

    response = analyst_client.post(edit_url(claim), stale)

    assert response.status_code == 409
    content = response.content.decode()
    assert "Someone else saved this record" in content
    assert f"Headline: “{claim.headline}” → “Their headline”" in content
    assert "Text:" not in content.split("They changed:")[1].split("Your input")[0]
    assert 'value="My headline"' in content and "My text</textarea>" in content
    assert Claim.objects.get(pk=claim.pk).headline == "Their headline"


def test_saving_again_after_a_conflict_overwrites_on_purpose(analyst_client, admin, claim):
    stale = claim_form_data(claim, headline="My headline")
    first = Claim.objects.get(pk=claim.pk)
    first.headline = "Their headline"
    services.save_versioned(first, by=admin, version=claim.version)
    response = analyst_client.post(edit_url(claim), stale)
    again = dict(stale, version=str(response.context["form"]["version"].value()))
    assert analyst_client.post(edit_url(claim), again).status_code == 302
    assert Claim.objects.get(pk=claim.pk).headline == "My headline"


def test_stale_edit_adds_no_citation(analyst_client, admin, claim):
    stale = with_citation(claim_form_data(claim), new_source_title="New one")
    first = Claim.objects.get(pk=claim.pk)
    services.save_versioned(first, by=admin, version=claim.version)
    assert analyst_client.post(edit_url(claim), stale).status_code == 409
    assert claim.citations.count() == 1 and not Source.objects.filter(title="New one").exists()


def test_edit_without_version_is_refused(analyst_client, claim):
    data = claim_form_data(claim, headline="Edited")
    del data["version"]
    assert analyst_client.post(edit_url(claim), data).status_code == 400
    assert Claim.objects.get(pk=claim.pk).headline == claim.headline


def test_delete_page_says_what_goes_with_the_claim(admin_client, claim):
    response = admin_client.get(reverse("claims:claim-delete", kwargs={"pk": claim.pk}))
    assert response.status_code == 200
    assert b"its citations (1)" in response.content
    assert b"its verdict timeline (1 entries)" in response.content


def test_admin_deletes_a_claim_with_its_citations_and_timeline(admin_client, claim, source):
    response = admin_client.post(reverse("claims:claim-delete", kwargs={"pk": claim.pk}))
    assert response.status_code == 302
    assert not Claim.objects.exists() and not StatusChange.objects.exists()
    assert not Citation.objects.exists() and Source.objects.filter(pk=source.pk).exists()


def test_created_claim_date_is_the_one_typed(analyst_client, actor):
    analyst_client.post(CREATE, claim_form_data(stated_on="2024-10-10"))
    assert Claim.objects.get().stated_on == datetime.date(2024, 10, 10)


def test_edit_can_remove_a_citation_but_keeps_the_source(analyst_client, analyst, claim, source):
    citation = claim.citations.get()
    data = claim_form_data(claim, remove_citations=[str(citation.pk)])
    assert analyst_client.post(edit_url(claim), data).status_code == 302
    assert not claim.citations.exists() and Source.objects.filter(pk=source.pk).exists()
    assert Citation.history.filter(id=citation.pk, history_type="-").get().history_user == analyst


def test_removing_another_claims_citation_is_refused(analyst_client, claim):
    other = CitationFactory()
    data = claim_form_data(claim, remove_citations=[str(other.pk)])
    assert analyst_client.post(edit_url(claim), data).status_code == 400
    assert Citation.objects.filter(pk=other.pk).exists()


def test_edit_heading_names_the_saved_claim_not_the_typed_one(analyst_client, claim):
    response = analyst_client.post(edit_url(claim), claim_form_data(claim, headline="x" * 200))
    assert response.status_code == 400
    assert f"<h1>Edit claim: {claim.headline}</h1>".encode() in response.content


@pytest.mark.parametrize("value", ["²", "١٢", "99999999999999999999"])
def test_a_source_number_that_is_not_an_ascii_id_is_a_form_error(analyst_client, actor, value):
    data = with_citation(claim_form_data(headline="Kept headline"), source=value)
    response = analyst_client.post(CREATE, data)
    assert response.status_code == 400
    assert b'value="Kept headline"' in response.content
    assert Claim.objects.count() == 0


def test_the_same_new_source_url_in_two_rows_is_refused_and_kept(analyst_client, actor):
    data = claim_form_data(headline="Kept headline")
    with_citation(data, 0, new_source_title="One", new_source_url="https://example.org/same")
    with_citation(data, 1, new_source_title="Two", new_source_url="https://example.org/same")
    response = analyst_client.post(CREATE, data)
    assert response.status_code == 400
    assert b"in another row already" in response.content
    assert b'value="Kept headline"' in response.content
    assert (Claim.objects.count(), Source.objects.count()) == (0, 0)


def test_a_database_conflict_on_save_is_a_form_error_not_a_500(analyst_client, actor, monkeypatch):
    def collide(**kwargs):
        raise IntegrityError("duplicate key value violates unique constraint")

    monkeypatch.setattr(services, "create_claim", collide)
    response = analyst_client.post(CREATE, claim_form_data(headline="Kept headline"))
    assert response.status_code == 400
    assert b"saved meanwhile" in response.content and b"duplicate key" not in response.content
    assert b'value="Kept headline"' in response.content
    assert Claim.objects.count() == 0


def test_saving_again_after_a_conflict_keeps_the_other_persons_change(analyst_client, admin, claim):
    stale = claim_form_data(claim, text="My text")
    first = Claim.objects.get(pk=claim.pk)
    first.headline = "Their headline"
    services.save_versioned(first, by=admin, version=claim.version)

    refused = analyst_client.post(edit_url(claim), stale)
    form = refused.context["form"]
    again = dict(stale, headline=form["headline"].value(), version=str(form["version"].value()))

    assert refused.status_code == 409
    assert analyst_client.post(edit_url(claim), again).status_code == 302
    saved = Claim.objects.get(pk=claim.pk)
    assert (saved.headline, saved.text) == ("Their headline", "My text")


def test_a_conflict_keeps_the_users_own_change_to_a_field_the_other_changed(
    analyst_client, admin, claim
):
    stale = claim_form_data(claim, headline="My headline")
    first = Claim.objects.get(pk=claim.pk)
    first.headline = "Their headline"
    services.save_versioned(first, by=admin, version=claim.version)
    response = analyst_client.post(edit_url(claim), stale)
    assert response.status_code == 409
    assert response.context["form"]["headline"].value() == "My headline"


def test_claim_text_typed_in_a_browser_is_stored_with_plain_newlines(analyst_client, claim):
    data = claim_form_data(claim, text="First line\r\nSecond line")
    assert analyst_client.post(edit_url(claim), data).status_code == 302
    assert Claim.objects.get(pk=claim.pk).text == "First line\nSecond line"


@pytest.mark.parametrize(
    ("field", "value"),
    [("stated_on", "2999-01-01"), ("stated_on", "1850-01-01"), ("text", "x" * 20_001)],
)
def test_claim_with_a_bad_date_or_over_long_text_is_a_field_error(
    analyst_client, actor, field, value
):
    response = analyst_client.post(CREATE, claim_form_data(**{field: value}))
    assert response.status_code == 400
    assert field in response.context["form"].errors
    assert not Claim.objects.exists()
