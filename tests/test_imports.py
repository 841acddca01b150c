import csv
import io

import pytest
from django.contrib.auth.models import Permission
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.db import DataError
from django.urls import reverse

from claims import services
from claims.exports import COLUMNS
from claims.imports import import_claims
from claims.models import Actor, Citation, Claim, Source, StatusChange
from tests.factories import UserFactory

# Files written before the stances column still import: these tests use the older header.
HEADER = ",".join(c for c in COLUMNS if c != "stances")
OTHER = ",Drills seen,Drills near Kursk.,nis,NIS,2024-11-05,unverified,,,,"
GOOD = (
    ",Troops seen,Troops were seen near Kursk.,nis,NIS,2024-11-04,confirmed,Satellite images."
    ",moderate,,"
)


def _export(client):
    response = client.get("/claims.csv")
    return b"".join(response.streaming_content)


def _records(data):
    """The CSV rows without ids, which belong to the database they came from."""
    rows = csv.DictReader(io.StringIO(data.decode(), newline=""))
    return sorted(tuple(v for k, v in row.items() if k != "id") for row in rows)


def _counts():
    return tuple(m.objects.count() for m in (Claim, Actor, Source, Citation, StatusChange))


def _empty_database():
    for model in (Citation, StatusChange, Claim, Source, Actor):
        model.objects.all().delete()


def test_export_imports_back_into_an_empty_database_unchanged(reader_client, story):
    exported = _export(reader_client)
    _empty_database()
    report = import_claims(exported)
    assert report.ok, report.errors
    assert report.created == len(story["claims"])
    assert _records(_export(reader_client)) == _records(exported)


def test_importing_the_same_file_again_changes_nothing(reader_client, story):
    exported = _export(reader_client)
    before = _counts()
    report = import_claims(exported)
    assert report.ok, report.errors
    assert (report.created, report.updated, report.unchanged) == (0, 0, len(story["claims"]))
    assert _counts() == before


def test_import_updates_a_matching_claims_status(reader_client, story):
    exported = _export(reader_client).decode()
    changed = exported.replace(
        "confirmed,Pentagon and NATO confirmed it.", "denied,Retracted after review."
    )
    report = import_claims(changed.encode())
    assert (report.updated, report.status_changes) == (1, 1)
    assert story["claims"]["troops"].status_changes.last().new_status == "denied"


def test_import_creates_missing_actors_and_sources(db):
    data = f"{HEADER}\n{GOOD}https://example.org/kursk https://example.org/isw\n".encode()
    report = import_claims(data)
    assert report.ok, report.errors
    claim = Claim.objects.get()
    assert (claim.actor.slug, claim.actor.name, claim.status) == ("nis", "NIS", "confirmed")
    assert sorted(claim.citations.values_list("source__url", flat=True)) == [
        "https://example.org/isw",
        "https://example.org/kursk",
    ]


def test_dry_run_reports_what_would_change_and_writes_nothing(db):
    data = f"{HEADER}\n{GOOD}https://example.org/kursk\n".encode()
    report = import_claims(data, dry_run=True)
    assert (report.ok, report.created, report.new_actors, report.new_sources) == (
        True,
        1,
        ["nis"],
        1,
    )
    assert _counts() == (0, 0, 0, 0, 0)


LONG = "x" * 121
BAD_FILES = [
    (
        "unknown status",
        f"{HEADER}\n{GOOD}\n,H,T,nis,NIS,2024-11-04,maybe,,,,\n",
        3,
        "Unknown status",
    ),
    (
        "bad date",
        f"{HEADER}\n{GOOD}\n,H,T,nis,NIS,04/11/2024,unverified,,,,\n",
        3,
        "invalid date format",
    ),
    ("missing actor", f"{HEADER}\n{GOOD}\n,H,T,,,2024-11-04,unverified,,,,\n", 3, "missing actor"),
    (
        "unknown actor without a name",
        f"{HEADER}\n{GOOD}\n,H,T,ghost,,2024-11-04,unverified,,,,\n",
        3,
        "missing actor",
    ),
    (
        "over-long headline",
        f"{HEADER}\n{GOOD}\n,{LONG},T,nis,NIS,2024-11-04,unverified,,,,\n",
        3,
        "headline: Ensure this value has at most 120 characters (it has 121)",
    ),
    ("missing columns", "headline,text\nH,T\n", 1, "missing columns: actor_slug"),
    (
        "verdict without rationale",
        f"{HEADER}\n,H,T,nis,NIS,2024-11-04,denied,,moderate,,\n",
        2,
        "rationale",
    ),
    ("bad source URL", f"{HEADER}\n{GOOD}not-a-url\n", 2, "bad source URL"),
    ("too few fields", f"{HEADER}\n{GOOD}\n,H,T\n", 3, "fewer fields"),
    ("empty file", "", 1, "empty file"),
]


@pytest.mark.parametrize(
    ("content", "line", "reason"), [b[1:] for b in BAD_FILES], ids=[b[0] for b in BAD_FILES]
)
def test_a_bad_row_fails_the_whole_import(db, content, line, reason):
    report = import_claims(content.encode())
    assert [(e.line, reason in e.reason) for e in report.errors] == [(line, True)]
    assert _counts() == (0, 0, 0, 0, 0)


def test_bad_encoding_names_each_line_and_writes_nothing(db):
    data = f"{HEADER}\n{GOOD}\n".encode() + ",Café,T,nis,NIS,2024-11-04,unverified,,,,\n".encode(
        "latin-1"
    )
    report = import_claims(data)
    assert [(e.line, "bad encoding" in e.reason) for e in report.errors] == [(3, True)]
    assert _counts() == (0, 0, 0, 0, 0)


def test_every_bad_row_is_reported_with_its_line(db):
    data = (
        f"{HEADER}\n,H,T,nis,NIS,2024-11-31,unverified,,,,\n{GOOD}\n"
        f',"multi\nline",T,nis,NIS,2024-11-04,nope,,,,\n'
    ).encode()
    report = import_claims(data)
    assert [e.line for e in report.errors] == [2, 4]


def test_a_new_actor_name_taken_by_another_actor_is_an_error(story):
    data = f"{HEADER}\n,H,T,kremlin-2,The Kremlin,2024-11-04,unverified,,,,\n".encode()
    before = _counts()
    report = import_claims(data)
    assert "belongs to another actor" in report.errors[0].reason
    assert _counts() == before


def test_command_imports_a_file(tmp_path, db):
    path = tmp_path / "claims.csv"
    path.write_text(f"{HEADER}\n{GOOD}\n")
    out = io.StringIO()
    call_command("import_claims", str(path), stdout=out, stderr=io.StringIO())
    assert "1 claims were created" in out.getvalue()
    assert Claim.objects.get().headline == "Troops seen"


def test_command_dry_run_writes_nothing(tmp_path, db):
    path = tmp_path / "claims.csv"
    path.write_text(f"{HEADER}\n{GOOD}\n")
    out = io.StringIO()
    call_command("import_claims", str(path), "--dry-run", stdout=out, stderr=io.StringIO())
    assert "1 claims would be created" in out.getvalue()
    assert not Claim.objects.exists()


def test_command_fails_on_a_bad_file_and_names_the_line(tmp_path, db):
    path = tmp_path / "claims.csv"
    path.write_text(f"{HEADER}\n{GOOD}\n,H,T,nis,NIS,someday,unverified,,,,\n")
    err = io.StringIO()
    with pytest.raises(CommandError):
        call_command("import_claims", str(path), stdout=io.StringIO(), stderr=err)
    assert "line 3: stated_on: “someday” value has an invalid date format" in err.getvalue()
    assert not Claim.objects.exists()


def test_command_names_a_missing_file(tmp_path, db):
    with pytest.raises(CommandError, match="Can't read"):
        call_command("import_claims", str(tmp_path / "nope.csv"))


def _upload(content, dry_run):
    data = {"file": SimpleUploadedFile("claims.csv", content, content_type="text/csv")}
    if dry_run:
        data["dry_run"] = "on"
    return data


def test_anonymous_import_page_goes_to_login(client, db):
    response = client.get(reverse("claims:claim-import"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def test_reader_cannot_import(reader_client):
    response = reader_client.post(
        reverse("claims:claim-import"), _upload(f"{HEADER}\n{GOOD}\n".encode(), False)
    )
    assert response.status_code == 403
    assert not Claim.objects.exists()


def test_analyst_sees_the_import_form(analyst_client):
    response = analyst_client.get(reverse("claims:claim-import"))
    assert response.status_code == 200
    assert b'enctype="multipart/form-data"' in response.content


def test_upload_dry_run_shows_the_count_and_writes_nothing(analyst_client):
    response = analyst_client.post(
        reverse("claims:claim-import"), _upload(f"{HEADER}\n{GOOD}\n{OTHER}\n".encode(), True)
    )
    assert response.status_code == 200
    assert response.context["report"].rows == 2
    assert "<strong>2</strong> rows processed" in response.content.decode()
    assert not Claim.objects.exists()


def test_upload_imports(analyst_client, analyst):
    response = analyst_client.post(
        reverse("claims:claim-import"), _upload(f"{HEADER}\n{GOOD}\n".encode(), False)
    )
    assert response.status_code == 200
    assert Claim.objects.get().created_by == analyst


def test_upload_lists_each_bad_line(analyst_client):
    content = (
        f"{HEADER}\n{GOOD}\n,H,T,nis,NIS,2024-11-04,maybe,,,,\n,{LONG},T,nis,N,x,unverified,,,,\n"
    )
    response = analyst_client.post(reverse("claims:claim-import"), _upload(content.encode(), False))
    html = response.content.decode()
    assert response.status_code == 400
    assert "<td>3</td><td>Unknown status" in html
    assert "<td>4</td><td>headline: Ensure this value has at most 120 characters" in html
    assert not Claim.objects.exists()


def test_upload_without_a_file_keeps_the_form(analyst_client):
    response = analyst_client.post(reverse("claims:claim-import"), {"dry_run": "on"})
    assert response.status_code == 400
    assert response.context["form"].errors["file"]
    assert response.context["form"]["dry_run"].value() is True


FORMULAS = ['=HYPERLINK("http://evil")', "\t=1", "@SUM(A1)", "'=already quoted"]


def test_export_quotes_formula_cells_and_the_import_restores_them(reader_client, story):
    for claim, formula in zip(story["claims"].values(), FORMULAS, strict=True):
        Claim.objects.filter(pk=claim.pk).update(text=formula)  # test data: no history needed
    Claim.objects.filter(pk=story["claims"]["troops"].pk).update(status_rationale="+1 -2")
    Actor.objects.filter(slug="nis").update(name="-NIS")
    exported = _export(reader_client)
    cells = [c for row in csv.reader(io.StringIO(exported.decode(), newline="")) for c in row]
    assert not [c for c in cells if c[:1] in ("=", "+", "-", "@", "\t", "\r")]
    assert {'\'=HYPERLINK("http://evil")', "''=already quoted", "'\t=1", "'+1 -2", "'-NIS"} <= set(
        cells
    )
    _empty_database()
    report = import_claims(exported)
    assert report.ok, report.errors
    assert sorted(Claim.objects.values_list("text", flat=True)) == sorted(FORMULAS)
    assert _records(_export(reader_client)) == _records(exported)


def test_a_reserved_actor_slug_is_a_row_error(db):
    row = ",H,T,new,New Agency,2024-11-04,unverified,,,,"
    report = import_claims(f"{HEADER}\n{row}\n".encode())
    assert [(e.line, "page address" in e.reason) for e in report.errors] == [(2, True)]
    assert not Actor.objects.exists()


def test_two_identical_new_rows_are_one_claim_reported_twice(db):
    report = import_claims(f"{HEADER}\n{GOOD}\n{GOOD}\n".encode())
    assert [(e.line, e.reason) for e in report.errors] == [(3, "same claim as line 2")]
    assert _counts() == (0, 0, 0, 0, 0)


def test_a_claim_changed_meanwhile_is_reported_against_its_row(reader_client, story, monkeypatch):
    changed = _export(reader_client).decode().replace("Far East, said in full.", "Far East.")

    def stale(*args, **kwargs):
        raise services.VersionConflict(story["claims"]["drills"])

    monkeypatch.setattr(services, "save_versioned", stale)
    report = import_claims(changed.encode())
    assert [("changed meanwhile" in e.reason) for e in report.errors] == [True]
    assert Claim.objects.filter(text__endswith="Far East.").count() == 0


def test_a_database_error_is_logged_not_shown(db, monkeypatch, caplog):
    def refuse(*args, **kwargs):
        raise DataError('value too long for type character varying(120) DETAIL: "secret"')

    # New claims are written in bulk; a refused chunk is written again line by line.
    monkeypatch.setattr(services, "create_claims_bulk", refuse)
    report = import_claims(f"{HEADER}\n{GOOD}\n".encode())
    assert [e.line for e in report.errors] == [2]
    assert "secret" not in str(report.errors[0]) and "secret" in caplog.text
    assert _counts() == (0, 0, 0, 0, 0)


@pytest.mark.parametrize("missing", ["add_actor", "add_source", "change_claim", "add_citation"])
def test_import_needs_every_permission_it_uses(client, db, missing):
    user = UserFactory(username="partial")
    user.user_permissions.set(
        Permission.objects.filter(
            content_type__app_label="claims",
            codename__in={"add_claim", "change_claim", "add_actor", "add_source", "add_citation"}
            - {missing},
        )
    )
    client.force_login(user)
    response = client.post(
        reverse("claims:claim-import"), _upload(f"{HEADER}\n{GOOD}\n".encode(), False)
    )
    assert response.status_code == 403
    assert _counts() == (0, 0, 0, 0, 0)


@pytest.mark.parametrize(
    ("row", "reason"),
    [
        (GOOD.replace(",nis,", ",NIS,"), "bad actor_slug 'NIS'"),
        (GOOD.replace("2024-11-04", "2999-11-04"), "can't be in the future"),
        (GOOD.replace("2024-11-04", "1899-11-04"), "can't be before 1900-01-01"),
        (
            GOOD.replace("Troops were seen", "x" * 20_001),
            "text: Ensure this value has at most 20000 characters",
        ),
        (
            GOOD.replace("Satellite images.", "x" * 10_001),
            "Keep the rationale to 10,000 characters",
        ),
    ],
)
def test_import_reports_a_bad_slug_date_or_over_long_field_on_its_line(db, row, reason):
    report = import_claims(f"{HEADER}\n{OTHER}\n{row}\n".encode())
    assert [(e.line, reason in e.reason) for e in report.errors] == [(3, True)]
    assert not Claim.objects.exists()


def test_upload_page_refuses_a_file_over_its_row_cap_and_names_the_command(analyst_client):
    rows = "".join(
        f",Claim {i},Text {i}.,nis,NIS,2024-11-04,unverified,,,,\n" for i in range(2_001)
    )
    response = analyst_client.post(
        reverse("claims:claim-import"), _upload(f"{HEADER}\n{rows}".encode(), False)
    )
    assert response.status_code == 400
    assert "use manage.py import_claims for larger files" in response.content.decode()
    assert not Claim.objects.exists()


def test_import_costs_a_bounded_number_of_queries_per_row(db, django_assert_max_num_queries):
    rows = "".join(
        f",Claim {i},Text {i}.,nis,NIS,2024-11-04,confirmed,Seen.,moderate,,https://example.org/{i}\n"
        for i in range(20)
    )
    # The bulk write costs a few statements per chunk; each new row is still checked on its
    # own: the possible-duplicate check (up to 7, claims.duplicates) and its lookups.
    with django_assert_max_num_queries(20 * 35):
        report = import_claims(f"{HEADER}\n{rows}".encode())
    assert report.ok and Claim.objects.count() == 20


def test_import_still_refuses_what_the_database_constraints_refuse(db, monkeypatch):
    # A row the model's validators let through (here: none run) is refused by the database.
    monkeypatch.setattr("claims.imports._model_errors", lambda instance, fields: [])
    report = import_claims(f"{HEADER}\n{GOOD.replace('Troops seen', 'x' * 200)}\n".encode())
    assert [e.line for e in report.errors] == [2]
    assert not Claim.objects.exists()


def test_a_locked_database_during_an_upload_is_the_friendly_503(analyst_client, monkeypatch):
    # claims.middleware turns a database locked for too long into this 503.
    from django.db import OperationalError

    def locked(*args, **kwargs):
        raise OperationalError("database is locked")

    monkeypatch.setattr("claims.imports.import_claims", locked)
    response = analyst_client.post(
        reverse("claims:claim-import"), _upload(f"{HEADER}\n{GOOD}\n".encode(), False)
    )
    assert response.status_code == 503
    assert response.has_header("Retry-After")
    assert not Claim.objects.exists()


def test_a_file_far_over_the_row_cap_is_refused_after_reading_one_row_past_it(analyst_client):
    rows = ",C,T,nis,,2024-11-04,,,,,\n" * 780_000  # just under the 20 MB the page takes
    response = analyst_client.post(
        reverse("claims:claim-import"), _upload(f"{HEADER}\n{rows}".encode(), False)
    )
    assert response.status_code == 400
    assert response.context["report"].rows == 2_001
    assert not Claim.objects.exists()


def test_a_file_of_one_comma_lines_stops_at_the_error_cap(analyst_client):
    from claims.imports import MAX_ERRORS

    data = f"{HEADER}\n".encode() + b",\n" * 1_000_000
    response = analyst_client.post(reverse("claims:claim-import"), _upload(data, False))
    errors = response.context["report"].errors
    assert response.status_code == 400
    assert len(errors) == MAX_ERRORS + 1 and "stopped reading" in errors[-1].reason
    assert not Claim.objects.exists()


def test_a_line_without_end_is_refused_without_reading_it_whole(db):
    report = import_claims(f"{HEADER}\n".encode() + b"a," * 1_000_000)
    assert [(e.line, "line longer than" in e.reason) for e in report.errors] == [(2, True)]


def test_dry_run_page_says_per_row_what_would_change(analyst_client, analyst):
    services.create_claim(
        by=analyst,
        actor=services.create_record(Actor(slug="nis", name="NIS"), by=analyst),
        headline="Troops seen",
        text="Old text.",
        stated_on="2024-11-04",
    )
    response = analyst_client.post(
        reverse("claims:claim-import"), _upload(f"{HEADER}\n{GOOD}\n{OTHER}\n".encode(), True)
    )
    html = response.content.decode()
    assert response.status_code == 200
    assert "<td>2</td><td>updates claim" in html and "status unverified → confirmed" in html
    assert "<td>3</td><td>new unverified claim by nis" in html
    assert Claim.objects.get().text == "Old text."


def test_a_bulk_import_gives_each_claim_its_timeline_history_and_citations(
    db, analyst, monkeypatch
):
    # Chunks of two, so the three new claims take more than one bulk write.
    monkeypatch.setattr("claims.imports.BULK_CHUNK", 2)
    rows = (
        f"{GOOD}https://example.org/a https://example.org/b\n"
        f"{OTHER}https://example.org/a\n"
        ",Ships seen,Ships off Crimea.,nis,NIS,2024-11-06,denied,Tracked elsewhere.,high,,\n"
    )
    report = import_claims(f"{HEADER}\n{rows}".encode(), by=analyst)
    assert report.ok and report.created == 3 and report.new_sources == 2
    assert [line for line, _ in report.changes] == [2, 3, 4]
    claims = {c.headline: c for c in Claim.objects.all()}
    expected = {
        "Troops seen": (
            "confirmed",
            "Satellite images.",
            ["https://example.org/a", "https://example.org/b"],
        ),
        "Drills seen": ("unverified", "", ["https://example.org/a"]),
        "Ships seen": ("denied", "Tracked elsewhere.", []),
    }
    for headline, (status, rationale, urls) in expected.items():
        claim = claims[headline]
        assert (claim.status, claim.status_rationale) == (status, rationale)
        assert (claim.created_by, claim.updated_by) == (analyst, analyst)
        timeline = list(
            claim.status_changes.values_list("old_status", "new_status", "rationale", "changed_by")
        )
        assert timeline == [("", status, rationale, analyst.pk)]
        history = claim.history.get()
        assert (history.history_user, history.history_change_reason) == (analyst, "import")
        assert history.status == status
        citations = claim.citations.select_related("source").order_by("source__url")
        assert [c.source.url for c in citations] == urls
        assert {c.role for c in citations} <= {"appearance"}
        for citation in citations:
            assert citation.history.get().history_user == analyst
    # The claim pages read them as any other claim's.
    assert StatusChange.objects.count() == 3 and Citation.objects.count() == 3


def test_a_bulk_import_imports_again_as_unchanged(db, analyst):
    data = f"{HEADER}\n{GOOD}https://example.org/a\n{OTHER}\n".encode()
    assert import_claims(data, by=analyst).created == 2
    again = import_claims(data, by=analyst)
    assert (again.created, again.unchanged) == (0, 2)
    assert _counts() == (2, 1, 1, 1, 2)


def test_an_import_without_new_sources_costs_a_few_queries_per_thousand_rows(
    db, django_assert_max_num_queries, monkeypatch
):
    # Rows beyond the possible-duplicate check's cap (a few queries a row, tested apart).
    monkeypatch.setattr("claims.imports.DUPLICATE_CHECK_ROWS", 0)
    rows = "".join(
        f",Claim {i},Text {i}.,nis,NIS,2024-11-04,confirmed,Seen.,moderate,,\n" for i in range(300)
    )
    # Lookups per thousand rows and a few INSERTs per chunk, not statements per row.
    with django_assert_max_num_queries(40):
        report = import_claims(f"{HEADER}\n{rows}".encode())
    assert report.ok and Claim.objects.count() == 300
    assert report.duplicates_unchecked == 300
