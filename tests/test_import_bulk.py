"""The import's fast paths give what the slow ones give: a row checked by the checks made
once per import (imports._RowCheck) is the row _clean_row makes, and a claim written in bulk
(services.create_claims_bulk: plain values, COPY on PostgreSQL) is stored as create_claim
stores it, with its timeline, citations and history by the importing user."""

import datetime

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from claims import imports, services
from claims.exports import COLUMNS
from claims.imports import import_claims
from claims.models import Citation, Claim, Source
from tests.factories import ActorFactory, SourceFactory

STATED_ON = datetime.date(2024, 11, 4)
DAY = datetime.timedelta(days=1)


# Checking -------------------------------------------------------------------------------

GOOD = {
    "id": "7",
    "headline": "Troops seen",
    "text": "Troops were seen near Kursk.",
    "actor_slug": "nis",
    "actor_name": "NIS",
    "stated_on": "2024-11-04",
    "status": "confirmed",
    "status_rationale": "Satellite images.",
    "status_confidence": "moderate",
    "evidence": "refutes:3::https://example.org/a supports:2:B:https://example.org/b",
    "source_urls": "https://example.org/kursk https://example.org/isw https://example.org/kursk",
    "stances": "asserts:troops-in-russia",
}
VARIANTS = {
    "good": {},
    "good, unverified, nothing optional": {
        "status": "",
        "status_rationale": "",
        "status_confidence": "",
        "evidence": "",
        "source_urls": "",
        "stances": "",
    },
    "good, a formula-quoted headline": {"headline": "'=1+1 troops"},
    "good, headline of exactly 120 characters": {"headline": "h" * 120},
    "good, status in capitals": {"status": " Confirmed ", "status_confidence": "HIGH"},
    "good, name only": {"actor_slug": "", "actor_name": "Kremlin"},
    "good, confirmed without confidence (judged later)": {"status_confidence": ""},
    "good, one page cited twice as evidence": {
        "evidence": "refutes:3::https://example.org/a supports:1::https://example.org/a"
    },
    "headline too long": {"headline": "h" * 121},
    "headline blank": {"headline": "   "},
    "text too long": {"text": "t" * 20_001},
    "text missing": {"text": ""},
    "date badly written": {"stated_on": "04/11/2024"},
    "date impossible": {"stated_on": "2024-02-30"},
    "date in the future": {"stated_on": "2999-01-01"},
    "date too early": {"stated_on": "1899-12-31"},
    "date missing": {"stated_on": ""},
    "unknown status": {"status": "true"},
    "confirmed without rationale": {"status_rationale": " "},
    "rationale too long": {"status_rationale": "r" * 10_001},
    "unknown confidence": {"status_confidence": "certain"},
    "no actor": {"actor_slug": "", "actor_name": ""},
    "bad slug": {"actor_slug": "Not A Slug"},
    "reserved slug": {"actor_slug": "new"},
    "actor name too long": {"actor_name": "n" * 201},
    "bad source URL": {"source_urls": "https://example.org/ok not-a-url"},
    "evidence badly written": {"evidence": "refutes:https://example.org/a"},
    "evidence credibility out of range": {"evidence": "refutes:7::https://example.org/a"},
    "evidence direction unknown": {"evidence": "maybe:3::https://example.org/a"},
    "evidence override unknown": {"evidence": "refutes:3:Z:https://example.org/a"},
    "evidence URL bad": {"evidence": "refutes:3::nowhere"},
    "stance unknown": {"stances": "believes:troops-in-russia"},
    "stance slug bad": {"stances": "asserts:Troops!"},
    "NUL in the text": {"text": "Troops\x00"},
}


@pytest.mark.parametrize("changes", VARIANTS.values(), ids=VARIANTS.keys())
def test_the_compiled_checks_give_the_row_clean_row_gives(changes):
    record = {column: changes.get(column, GOOD[column]) for column in COLUMNS}
    fast = imports._RowCheck()(record, 2)
    slow, problems = imports._clean_row(record, 2)
    # A bad row is left to _clean_row, which words the errors; a good one is the same row.
    assert (fast, bool(problems)) == ((None, True) if problems else (slow, False))


# Writing --------------------------------------------------------------------------------


def _stored(pk):
    """What the database holds for claim `pk`: its fields, timeline and citations."""
    claim = Claim.objects.get(pk=pk)
    names = [
        "version",
        "actor_id",
        "headline",
        "text",
        "stated_on",
        "status",
        "status_rationale",
        "status_confidence",
        "created_by_id",
        "updated_by_id",
    ]
    timeline = list(
        claim.status_changes.values_list(
            "old_status", "new_status", "rationale", "confidence", "changed_by_id"
        )
    )
    citations = sorted(
        claim.citations.values_list(
            "source_id",
            "role",
            "quote",
            "note",
            "credibility",
            "direction",
            "reliability_override",
            "quote_check",
        )
    )
    return {name: getattr(claim, name) for name in names}, timeline, citations


VERDICTS = {
    "confirmed, cited and graded": ("confirmed", "Satellite images.", "moderate", True),
    "unverified, nothing cited": ("unverified", "", "", False),
}


@pytest.mark.parametrize("verdict", VERDICTS.values(), ids=VERDICTS.keys())
def test_a_claim_written_in_bulk_is_stored_as_create_claim_stores_it(analyst, verdict):
    status, rationale, confidence, cited = verdict
    actor, seen, report = ActorFactory(), SourceFactory(), SourceFactory()
    evidence = {"direction": "refutes", "credibility": 3, "reliability_override": "B"}
    citations = (
        [
            Citation(source=seen, role=Citation.Role.APPEARANCE),
            Citation(source=report, role=Citation.Role.EVIDENCE, **evidence),
        ]
        if cited
        else []
    )
    claim = dict(actor=actor, headline="Troops seen", text="Seen.", stated_on=STATED_ON)
    one = services.create_claim(
        by=analyst,
        status=status,
        rationale=rationale,
        confidence=confidence,
        citations=citations,
        **claim,
    )
    [bulk] = services.create_claims_bulk(
        [
            services.NewClaim(
                actor_id=actor.pk,
                headline="Troops seen",
                text="Seen.",
                stated_on=STATED_ON,
                status=status,
                rationale=rationale,
                confidence=confidence,
                source_ids=(seen.pk,) if cited else (),
                evidence=((report.pk, "refutes", 3, "B"),) if cited else (),
            )
        ],
        by=analyst,
    )
    assert _stored(bulk) == _stored(one.pk)


def test_a_bulk_claim_takes_effect_when_its_timeline_entry_does(analyst):
    [pk] = _bulk_claims(analyst, 1)
    claim = Claim.objects.get(pk=pk)
    entry = claim.status_changes.get()
    today = timezone.localdate()
    as_of = [Claim.objects.as_of(day).get(pk=pk).status for day in (today - DAY, today)]
    assert claim.status_changed_at == entry.changed_at
    assert as_of == ["unverified", "confirmed"]


def test_bulk_history_rows_name_the_importing_user_and_reason(analyst):
    [pk] = _bulk_claims(analyst, 1)
    claim = Claim.objects.get(pk=pk)
    rows = [(h.history_type, h.history_user, h.history_change_reason) for h in claim.history.all()]
    citation = claim.citations.get()
    cited = [(h.history_user, h.history_change_reason) for h in citation.history.all()]
    assert (rows, cited) == ([("+", analyst, "import")], [(analyst, "import")])
    assert claim.history.get().status == "confirmed"


def test_bulk_text_is_stored_exactly_as_given(analyst):
    # The COPY's own markers: quotes, commas, line breaks, tabs and the NULL marker \N.
    text = 'He said "no", then:\n\tno.\r\n\\N'
    [pk] = services.create_claims_bulk(
        [
            _spec(
                ActorFactory(),
                headline="\\N",
                text=text,
                status="unverified",
                rationale="",
                confidence="",
            )
        ],
        by=analyst,
    )
    claim = Claim.objects.get(pk=pk)
    assert (claim.headline, claim.text, claim.status_confidence) == ("\\N", text, "")


def test_a_bad_verdict_in_a_bulk_list_writes_nothing(analyst):
    actor = ActorFactory()
    specs = [_spec(actor), _spec(actor, evidence=((SourceFactory().pk, "refutes", 9, ""),))]
    with pytest.raises(services.BulkClaimInvalid) as refused:
        services.create_claims_bulk(specs, by=analyst)
    assert (refused.value.index, Claim.objects.count()) == (1, 0)


def _spec(actor, **changes):
    fields = {
        "actor_id": actor.pk,
        "headline": "Troops seen",
        "text": "Seen.",
        "stated_on": STATED_ON,
        "status": "confirmed",
        "rationale": "Satellite images.",
        "confidence": "high",
        **changes,
    }
    return services.NewClaim(**fields)


def _bulk_claims(by, count):
    actor, source = ActorFactory(), SourceFactory()
    return services.create_claims_bulk(
        [_spec(actor, source_ids=(source.pk,)) for _ in range(count)], by=by
    )


# Cost -------------------------------------------------------------------------------------


def _file(count, actor):
    header = ",".join(COLUMNS)
    rows = "".join(
        f",Claim {i},Text {i}.,{actor},{actor.upper()},2024-11-04,confirmed,Seen.,high,"
        f"{'refutes:2::https://example.org/e' + actor if i == 0 else ''},"
        f"https://example.org/{actor}/{i},\n"
        for i in range(count)
    )
    return f"{header}\n{rows}".encode()


def test_an_import_costs_no_query_per_row_beyond_the_duplicate_check(db, monkeypatch):
    # The possible-duplicate check costs a few queries for each of the first
    # DUPLICATE_CHECK_ROWS new rows (claims.duplicates); everything else is per chunk.
    monkeypatch.setattr(imports, "DUPLICATE_CHECK_ROWS", 0)
    queries = []
    for count, actor in ((5, "nis"), (25, "gur")):
        with CaptureQueriesContext(connection) as captured:
            report = import_claims(_file(count, actor))
        assert report.ok, report.errors
        queries.append(len(captured.captured_queries))
    assert queries[0] == queries[1]
    assert Claim.objects.count() == 30


def test_an_import_queues_one_capture_per_new_source(db):
    report = import_claims(_file(3, "nis"))
    assert report.new_sources == Source.objects.count() == 4
    assert DBTaskResult.objects.filter(task_path="claims.tasks.capture_source").count() == 4


def test_a_capture_queued_in_bulk_is_the_task_row_enqueue_writes(db):
    with transaction.atomic():
        services._enqueue_capture(41)
        services._enqueue_captures_in_database([42])
    by_args = {row.args_kwargs["args"][0]: row for row in DBTaskResult.objects.all()}

    def fields(row):
        skip = {"id", "enqueued_at", "args_kwargs"}
        return {
            f.attname: getattr(row, f.attname)
            for f in DBTaskResult._meta.concrete_fields
            if f.attname not in skip
        }

    assert fields(by_args[42]) == fields(by_args[41])
    assert by_args[42].args_kwargs == {"args": [42], "kwargs": {}}
