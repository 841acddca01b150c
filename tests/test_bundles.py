"""Case bundles: load_story, export_story, /claims.bundle.json and the demo story's data file."""

import copy
import datetime
import io
import json
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from claims import services
from claims.management.commands.load_demo import DEMO_STORY
from claims.models import (
    Actor,
    Citation,
    Claim,
    Proposition,
    PropositionStatusChange,
    Source,
    Stance,
    StatusChange,
)

pytestmark = pytest.mark.django_db
ROOT = Path(__file__).resolve().parent.parent
MODELS = (
    *(Actor, Source, Claim, Citation, StatusChange),
    *(Proposition, PropositionStatusChange, Stance),
)
HISTORIES = (Actor, Source, Claim, Citation, Proposition, Stance)


def counts():
    rows = [m.objects.count() for m in MODELS]
    return rows + [m.history.count() for m in HISTORIES]


def export(*filters):
    out = io.StringIO()
    call_command("export_story", *filters, stdout=out)
    return out.getvalue()


def load(tmp_path, bundle):
    """Load `bundle` (JSON text or data) with load_story; returns what the command printed."""
    path = tmp_path / "bundle.json"
    path.write_text(bundle if isinstance(bundle, str) else json.dumps(bundle), encoding="utf-8")
    out = io.StringIO()
    call_command("load_story", str(path), stdout=out)
    return out.getvalue()


def wipe():
    """An empty database as far as bundles go (users stay, as on another team's server)."""
    Claim.objects.all().delete()
    Proposition.objects.all().delete()
    Source.objects.all().delete()
    Actor.objects.update(parent=None)
    Actor.objects.all().delete()


def at(day, hour=12, microsecond=0):
    return datetime.datetime(2024, 10, day, hour, 0, 0, microsecond, tzinfo=datetime.UTC)


@pytest.fixture
def demo():
    call_command("load_demo", stdout=io.StringIO())


@pytest.fixture
def hard_story(analyst):
    """Unicode, multi-line text, quotes, a three-level actor hierarchy, sources with and
    without URLs, same-day claims with clashing keys, verdicts by a user at odd times."""

    def actor(slug, name, parent=None, **extra):
        return services.create_record(
            Actor(slug=slug, name=name, parent=parent, kind="government", **extra), by=analyst
        )

    russia = actor("russia", "Российская Федерация", aliases="Russia\nRF", country="RU")
    kremlin = actor("kremlin", "The “Kremlin”", parent=russia, description='He said "no".')
    peskov = actor("dmitry-peskov", "Дмитрий Песков", parent=kremlin, wikidata_id="Q20")
    other = actor("zz-other", "Other actor")
    tass = services.create_record(
        Source(title="ТАСС", url="https://tass.ru/a?b=1&c=ü", kind="news_report", reliability="E"),
        by=analyst,
    )
    same = [
        services.create_record(Source(title="Same title", publisher=p), by=analyst)
        for p in ("First", "Second")
    ]

    def claim(who, headline, day, text, cites, verdicts=()):
        made = services.create_claim(
            by=analyst,
            actor=who,
            headline=headline,
            text=text,
            stated_on=datetime.date(2024, 10, day),
            at=at(day, 9, 123456),
            citations=[
                Citation(source=s, role=r, quote=q, note=n, **(grades[0] if grades else {}))
                for s, r, q, n, *grades in cites
            ],
        )
        for status, rationale, when, confidence in verdicts:
            services.claim_set_status(
                claim=made,
                status=status,
                rationale=rationale,
                confidence=confidence,
                by=analyst,
                at=when,
            )
        return made

    fake = claim(
        peskov,
        "Это «фейк»",
        10,
        'Line one\nline "two"\ttabbed\n\nКремль 🇷🇺 \\ backslash',
        [
            (tass, "appearance", "«фейк»", ""),
            (
                same[0],
                "evidence",
                "",
                "multi\nline note",
                {"credibility": 3, "direction": "refutes", "reliability_override": "C"},
            ),
        ],
        [("denied", "Refuted:\n“they were there”", at(28, 7, 1), "high")],
    )
    one = claim(kremlin, "Same headline", 10, "One.", [(same[1], "appearance", "q", "")])
    claim(other, "Same headline", 10, "Two.", [])
    # A verdict recorded before confidence was kept travels as "not recorded" (null).
    confirmed = [("confirmed", "Yes", at(30), None)]
    another = claim(russia, "Another", 12, "Text", [(tass, "evidence", "", "")], confirmed)

    # Propositions created out of order with the claims, one with a two-step timeline by a
    # user at odd times, one never decided, one no exported claim takes a stance on.
    troops = services.create_proposition(
        by=analyst,
        statement="Войска КНДР в России",
        slug="dprk-troops",
        description='Multi\nline "description" 🇰🇵',
        at=at(9, 8, 654321),
    )
    services.proposition_set_status(
        proposition=troops,
        status="confirmed",
        rationale="Seen:\n“there”",
        confidence="moderate",
        by=analyst,
        at=at(29),
    )
    services.proposition_set_status(
        proposition=troops,
        status="denied",
        rationale="Not quite",
        confidence="low",
        by=None,
        at=at(31, 1, 7),
    )
    open_question = services.create_proposition(
        by=None, statement="Still open", slug="still-open", at=at(11)
    )
    services.create_proposition(by=None, statement="Nobody's", slug="nobodys", at=at(11))
    for made, proposition, stance, note in (
        (another, open_question, "doubts", ""),
        (fake, open_question, "denies", "«нет»\nsecond line"),
        (fake, troops, "denies", ""),
        (one, troops, "asserts", "Takes it as fact."),
    ):
        services.set_stance(
            claim=made, proposition=proposition, stance=stance, note=note, by=analyst
        )
    return {"peskov": peskov, "russia": russia, "fake": fake, "troops": troops}


# The demo story


def test_demo_loads_once_so_edits_and_deletions_survive_a_later_run(demo):
    edited = Claim.objects.get(actor__slug="kremlin")
    edited.headline = "The Kremlin called it fake news"
    services.save_versioned(edited, by=None, version=edited.version)
    deleted = Claim.objects.get(actor__slug="ukrainian-media")
    services.delete_record(deleted, by=None)
    call_command("load_demo", stdout=io.StringIO())
    assert Claim.objects.get(actor__slug="kremlin").headline == "The Kremlin called it fake news"
    assert not Claim.objects.filter(actor__slug="ukrainian-media").exists()
    assert Claim.objects.count() == 15


def test_demo_counts_as_loaded_even_after_all_its_actors_are_deleted(demo):
    wipe()
    call_command("load_demo", stdout=io.StringIO())
    assert Actor.objects.count() == 0


def test_loading_a_bundle_twice_changes_nothing_and_writes_no_history(demo):
    before = counts()
    call_command("load_story", str(DEMO_STORY), stdout=io.StringIO())
    assert counts() == before
    assert before[2] == 16


def test_load_story_brings_back_a_deleted_demo_claim_and_keeps_the_rest(demo):
    services.delete_record(Claim.objects.get(actor__slug="ukrainian-media"), by=None)
    before = counts()
    call_command("load_story", str(DEMO_STORY), stdout=io.StringIO())
    assert Claim.objects.filter(actor__slug="ukrainian-media").count() == 1
    assert Claim.objects.count() == before[2] + 1


def test_demo_file_is_pretty_printed_json_of_format_version_1():
    text = DEMO_STORY.read_text(encoding="utf-8")
    bundle = json.loads(text)
    assert bundle["format_version"] == 1
    assert text == json.dumps(bundle, indent=2, ensure_ascii=False) + "\n"


# Round trip: export -> load into an empty database -> export


def _round_trip(tmp_path, *filters):
    first = export(*filters)
    wipe()
    load(tmp_path, first)
    return first, export(*filters)


def test_demo_round_trip_is_exact(demo, tmp_path):
    first, second = _round_trip(tmp_path)
    assert first == second
    bundle = json.loads(first)
    assert len(bundle["claims"]) == 16
    assert [p["slug"] for p in bundle["propositions"]] == [
        "north-korean-troops-deployed-to-russia",
        "north-korean-units-fighting-in-kursk",
        "six-north-koreans-killed-in-donetsk-strike",
    ]
    assert sum(len(c["stances"]) for c in bundle["claims"]) == 20
    assert (Proposition.objects.count(), Stance.objects.count()) == (3, 20)


def test_demo_propositions_come_from_the_one_bundle(demo):
    main = Proposition.objects.get(slug="north-korean-troops-deployed-to-russia")
    timeline = list(main.status_changes.values_list("new_status", "changed_at"))
    assert timeline == [
        ("unverified", datetime.datetime(2024, 10, 4, 12, tzinfo=datetime.UTC)),
        ("confirmed", datetime.datetime(2024, 10, 28, 12, tzinfo=datetime.UTC)),
    ]
    assert main.status_rationale.startswith("The Pentagon said about 10,000")
    kremlin = Stance.objects.get(proposition=main, claim__actor__slug="kremlin")
    assert (kremlin.stance, kremlin.note) == ("denies", "“Another piece of fake news.”")
    assert not (ROOT / "claims" / "demo" / "propositions.json").exists()


def test_hard_story_round_trip_is_exact(hard_story, tmp_path):
    first, second = _round_trip(tmp_path)
    assert first == second
    assert 'line \\"two\\"\\ttabbed' in first and "🇷🇺" in first
    bundle = json.loads(first)
    # Only the propositions the claims take stances on, in the order they were created.
    assert [p["slug"] for p in bundle["propositions"]] == ["dprk-troops", "still-open"]
    assert [[s["proposition"] for s in c["stances"]] for c in bundle["claims"]] == [
        ["still-open", "dprk-troops"],
        ["dprk-troops"],
        [],
        ["still-open"],
    ]


def test_export_is_canonical_pretty_json(hard_story):
    text = export()
    assert text == json.dumps(json.loads(text), indent=2, ensure_ascii=False) + "\n"


def test_exported_keys_are_unique_and_readable(hard_story):
    bundle = json.loads(export())
    assert [c["key"] for c in bundle["claims"]] == [
        "2024-10-10",
        "2024-10-10-same-headline",
        "2024-10-10-same-headline-2",
        "2024-10-12-another",
    ]
    assert [s["key"] for s in bundle["sources"]] == [
        "https://tass.ru/a?b=1&c=ü",
        "same-title",
        "same-title-2",
    ]


def test_filtered_export_carries_the_claims_actor_and_its_ancestors(hard_story, tmp_path):
    bundle = json.loads(export("actor=dmitry-peskov"))
    assert [a["slug"] for a in bundle["actors"]] == ["russia", "kremlin", "dmitry-peskov"]
    assert [a["parent"] for a in bundle["actors"]] == [None, "russia", "kremlin"]
    assert [c["actor"] for c in bundle["claims"]] == ["dmitry-peskov"]


def test_filtered_export_carries_only_the_propositions_its_claims_take_stances_on(hard_story):
    bundle = json.loads(export("stated_from=2024-10-12"))
    assert [p["slug"] for p in bundle["propositions"]] == ["still-open"]
    assert bundle["claims"][0]["stances"] == [
        {"proposition": "still-open", "stance": "doubts", "note": ""}
    ]
    assert json.loads(export("actor=zz-other"))["propositions"] == []


def test_filtered_round_trip_is_exact(hard_story, tmp_path):
    first, second = _round_trip(tmp_path, "actor=dmitry-peskov")
    assert first == second
    assert Actor.objects.get(slug="dmitry-peskov").parent.parent.slug == "russia"


def test_a_loaded_timeline_keeps_its_dates_users_and_rationales(hard_story, analyst, tmp_path):
    _round_trip(tmp_path)
    claim = Claim.objects.get(actor__slug="dmitry-peskov")
    timeline = list(claim.status_changes.values_list("new_status", "changed_at", "changed_by"))
    assert timeline == [
        ("unverified", at(10, 9, 123456), analyst.pk),
        ("denied", at(28, 7, 1), analyst.pk),
    ]
    assert (claim.status, claim.status_rationale) == ("denied", "Refuted:\n“they were there”")


def test_a_loaded_proposition_keeps_its_timeline_and_stances(hard_story, analyst, tmp_path):
    _round_trip(tmp_path)
    troops = Proposition.objects.get(slug="dprk-troops")
    timeline = list(
        troops.status_changes.values_list("new_status", "rationale", "changed_at", "changed_by")
    )
    assert timeline == [
        ("unverified", "", at(9, 8, 654321), analyst.pk),
        ("confirmed", "Seen:\n“there”", at(29), analyst.pk),
        ("denied", "Not quite", at(31, 1, 7), None),
    ]
    assert (troops.statement, troops.status) == ("Войска КНДР в России", "denied")
    assert troops.description == 'Multi\nline "description" 🇰🇵'
    stances = Stance.objects.filter(claim__actor__slug="dmitry-peskov")
    assert sorted(stances.values_list("proposition__slug", "stance", "note")) == [
        ("dprk-troops", "denies", ""),
        ("still-open", "denies", "«нет»\nsecond line"),
    ]


def test_loading_adds_missing_stances_to_kept_claims_and_keeps_existing_ones(tmp_path):
    load(tmp_path, base_bundle())
    stance = Stance.objects.get()
    services.set_stance(
        claim=stance.claim, proposition=stance.proposition, stance="doubts", note="Ours", by=None
    )
    services.proposition_set_status(
        confidence="moderate",
        proposition=stance.proposition,
        status="unverified",
        by=None,
        at=at(30),
    )
    bundle = base_bundle()
    bundle["propositions"].append({"slug": "second", "statement": "A second question"})
    bundle["claims"][0]["stances"].append({"proposition": "second", "stance": "asserts"})
    before = counts()
    out = load(tmp_path, bundle)
    assert "1 new propositions (1 already here)" in out
    assert "1 new stances (1 already here)" in out
    # The analysts' stance and the proposition's later verdict are kept, not overwritten.
    assert sorted(Stance.objects.values_list("proposition__slug", "stance", "note")) == [
        ("second", "asserts", ""),
        ("troops-in-russia", "doubts", "Ours"),
    ]
    assert Proposition.objects.get(slug="troops-in-russia").status == "unverified"
    assert Claim.objects.count() == 1 and counts()[2] == before[2]
    assert Proposition.objects.get(slug="second").status_changes.count() == 1


def test_a_stance_may_name_a_proposition_already_in_the_database(tmp_path):
    services.create_proposition(by=None, statement="Ours", slug="ours")
    bundle = base_bundle()
    bundle["claims"][0]["stances"] = [{"proposition": "ours", "stance": "asserts"}]
    load(tmp_path, bundle)
    assert list(Stance.objects.values_list("proposition__slug", "stance")) == [("ours", "asserts")]


def test_verdicts_by_users_missing_here_load_without_an_author(analyst, tmp_path):
    bundle = base_bundle()
    bundle["claims"][0]["timeline"][0]["by"] = "maria@other-team"
    bundle["claims"][0]["timeline"][1]["by"] = "analyst"
    bundle["propositions"][0]["timeline"][1]["by"] = "bob"
    out = load(tmp_path, bundle)
    assert (
        "2 verdicts by users not in this database were loaded without an author "
        "(names: bob, maria@other-team)"
    ) in out
    claim = Claim.objects.get()
    assert list(claim.status_changes.values_list("changed_by", "rationale")) == [
        (None, ""),
        (analyst.pk, "Refuted."),
    ]
    proposition = Proposition.objects.get()
    assert list(proposition.status_changes.values_list("changed_by", "rationale")) == [
        (None, ""),
        (None, "Pentagon."),
    ]
    # Loading it again creates nothing, so no verdict is loaded without an author.
    assert "without an author" not in load(tmp_path, bundle)


# Bad input: a clear error naming the record and field, nothing written


def base_bundle():
    return {
        "format_version": 1,
        "actors": [
            {"slug": "kremlin", "name": "The Kremlin"},
            {"slug": "peskov", "name": "Peskov", "parent": "kremlin"},
        ],
        "sources": [{"key": "tass", "title": "TASS", "url": "https://tass.com/x"}],
        "propositions": [
            {
                "slug": "troops-in-russia",
                "statement": "North Korean troops are in Russia",
                "timeline": [
                    {"at": "2024-10-04", "status": "unverified"},
                    {
                        "at": "2024-10-28",
                        "status": "confirmed",
                        "rationale": "Pentagon.",
                        "confidence": "moderate",
                    },
                ],
            }
        ],
        "claims": [
            {
                "key": "kremlin-fake-news",
                "actor": "kremlin",
                "stated_on": "2024-10-10",
                "headline": "Fake news",
                "text": "It is fake.",
                "citations": [{"source": "tass", "quote": "fake"}],
                "timeline": [
                    {"at": "2024-10-10", "status": "unverified"},
                    {
                        "at": "2025-04-26T09:30:00Z",
                        "status": "denied",
                        "rationale": "Refuted.",
                        "confidence": "high",
                    },
                ],
                "stances": [{"proposition": "troops-in-russia", "stance": "denies"}],
            }
        ],
    }


def test_the_base_bundle_of_the_bad_input_table_loads(tmp_path):
    load(tmp_path, base_bundle())
    assert Claim.objects.get().status == "denied"
    proposition = Proposition.objects.get()
    assert (proposition.slug, proposition.status) == ("troops-in-russia", "confirmed")
    assert list(Stance.objects.values_list("claim__headline", "stance")) == [
        ("Fake news", "denies")
    ]


def test_a_verdict_without_a_confidence_loads_as_not_recorded(tmp_path):
    # A file from before confidence was kept stays valid; nothing is made up for it.
    bundle = base_bundle()
    del bundle["claims"][0]["timeline"][1]["confidence"]
    load(tmp_path, bundle)
    claim = Claim.objects.get()
    assert (claim.status, claim.status_confidence) == ("denied", None)
    assert claim.confidence_label == "not recorded"


def _set(path, value):
    def change(bundle):
        *parents, last = path
        target = bundle
        for step in parents:
            target = target[step]
        if value is KeyError:
            del target[last]
        else:
            target[last] = value
        return bundle

    return change


CLAIM = ("claims", 0)
PROPOSITION = ("propositions", 0)
STANCE = (*CLAIM, "stances", 0)
BAD_BUNDLES = {
    "unknown top-level key": (_set(["grades"], []), "bundle: unknown key 'grades'"),
    "missing format_version": (_set(["format_version"], KeyError), "format_version is missing"),
    "later format_version": (_set(["format_version"], 2), "format_version 2 is not 1"),
    "actors not a list": (_set(["actors"], {}), "bundle: actors is not a list"),
    "unknown actor key": (
        _set(["actors", 0, "colour"], "red"),
        "actors[0] \"kremlin\": unknown key 'colour'",
    ),
    "bad slug": (
        _set(["actors", 0, "slug"], "The Kremlin"),
        'actors[0] "The Kremlin": slug "The Kremlin" is not a slug',
    ),
    "slug used twice": (
        _set(["actors", 1, "slug"], "kremlin"),
        'actors[1] "kremlin": slug "kremlin" is used twice',
    ),
    "bad actor kind": (_set(["actors", 0, "kind"], "king"), 'kind "king" is not one of'),
    "aliases not a list": (_set(["actors", 0, "aliases"], "Кремль"), "is not a list of strings"),
    "missing parent": (
        _set(["actors", 1, "parent"], "kremlinn"),
        'actors[1] "peskov": parent "kremlinn" is not in the bundle or the database',
    ),
    "parent loop": (_set(["actors", 0, "parent"], "peskov"), 'parent "peskov" makes a loop'),
    "bad country (a model rule)": (
        _set(["actors", 0, "country"], "Russia"),
        'actors[0] "kremlin": country: Ensure this value has at most 2 characters',
    ),
    "bad source URL (a model rule)": (
        _set(["sources", 0, "url"], "not a url"),
        'sources[0] "tass": url: Enter a valid URL.',
    ),
    "bad published_on": (
        _set(["sources", 0, "published_on"], "18/10/2024"),
        'sources[0] "tass": published_on "18/10/2024" is not a date (YYYY-MM-DD)',
    ),
    "missing actor": (
        _set([*CLAIM, "actor"], "kremlinn"),
        'claims[0] "kremlin-fake-news": actor "kremlinn" is not in the bundle or the database',
    ),
    "missing headline": (_set([*CLAIM, "headline"], KeyError), "headline is missing"),
    "bad stated_on": (
        _set([*CLAIM, "stated_on"], "2024-13-01"),
        'claims[0] "kremlin-fake-news": stated_on "2024-13-01" is not a date',
    ),
    "future stated_on (a model rule)": (
        _set([*CLAIM, "stated_on"], "2999-01-01"),
        "stated_on: The date stated can't be in the future.",
    ),
    "headline too long (a model rule)": (
        _set([*CLAIM, "headline"], "x" * 121),
        "headline: Ensure this value has at most 120 characters",
    ),
    "unknown citation key": (
        _set([*CLAIM, "citations", 0, "page"], 3),
        "unknown key 'citations[0].page'",
    ),
    "missing source": (
        _set([*CLAIM, "citations", 0, "source"], "tas"),
        'citations[0].source "tas" is not in the bundle\'s sources',
    ),
    "bad citation role": (
        _set([*CLAIM, "citations", 0, "role"], "proof"),
        'citations[0].role "proof" is not one of appearance, evidence',
    ),
    "bad status": (
        _set([*CLAIM, "timeline", 1, "status"], "false"),
        'timeline[1].status "false" is not one of confirmed, denied, unverified',
    ),
    "time without a zone": (
        _set([*CLAIM, "timeline", 1, "at"], "2025-04-26T09:30:00"),
        'timeline[1].at "2025-04-26T09:30:00" has no time zone',
    ),
    "verdict without a rationale": (
        _set([*CLAIM, "timeline", 1, "rationale"], ""),
        "timeline[1].rationale: Say why",
    ),
    "timeline out of order": (
        _set([*CLAIM, "timeline", 1, "at"], "2024-10-01"),
        "timeline[1].at: The timeline already has a change",
    ),
    "propositions not a list": (_set(["propositions"], {}), "bundle: propositions is not a list"),
    "unknown proposition key": (
        _set([*PROPOSITION, "verdict"], "confirmed"),
        "propositions[0] \"troops-in-russia\": unknown key 'verdict'",
    ),
    "bad proposition slug": (
        _set([*PROPOSITION, "slug"], "Troops"),
        'propositions[0] "Troops": slug "Troops" is not a slug',
    ),
    "proposition slug taken by a page (a model rule)": (
        lambda b: _set([*STANCE, "proposition"], "grid")(_set([*PROPOSITION, "slug"], "grid")(b)),
        'propositions[0] "grid": slug: “grid” is taken by a page address',
    ),
    "missing statement": (
        _set([*PROPOSITION, "statement"], KeyError),
        'propositions[0] "troops-in-russia": statement is missing',
    ),
    "empty statement (a model rule)": (
        _set([*PROPOSITION, "statement"], ""),
        'propositions[0] "troops-in-russia": statement: This field cannot be blank.',
    ),
    "proposition slug used twice": (
        lambda b: b["propositions"].append(copy.deepcopy(b["propositions"][0])) or b,
        'propositions[1] "troops-in-russia": slug "troops-in-russia" is used twice',
    ),
    "unknown confidence": (
        _set([*CLAIM, "timeline", 1, "confidence"], "sure"),
        'claims[0] "kremlin-fake-news": timeline[1].confidence "sure" is not one of',
    ),
    "bad source reliability": (
        _set(["sources", 0, "reliability"], "G"),
        'sources[0] "tass": reliability "G" is not one of A, B, C, D, E, F',
    ),
    "a direction on an appearance": (
        _set([*CLAIM, "citations", 0, "direction"], "supports"),
        'claims[0] "kremlin-fake-news": citations[0].direction: Only evidence has a direction',
    ),
    "credibility out of range": (
        _set([*CLAIM, "citations", 0, "credibility"], 7),
        'claims[0] "kremlin-fake-news": citations[0].credibility 7 is not a credibility',
    ),
    "proposition verdict without a rationale": (
        _set([*PROPOSITION, "timeline", 1, "rationale"], ""),
        'propositions[0] "troops-in-russia": timeline[1].rationale: Say why',
    ),
    "proposition timeline out of order": (
        _set([*PROPOSITION, "timeline", 1, "at"], "2024-10-01"),
        'propositions[0] "troops-in-russia": timeline[1].at: The timeline already has',
    ),
    "bad proposition status": (
        _set([*PROPOSITION, "timeline", 0, "status"], "maybe"),
        'propositions[0] "troops-in-russia": timeline[0].status "maybe" is not one of',
    ),
    "stance on an unknown proposition": (
        _set([*STANCE, "proposition"], "troops-in-russiaa"),
        'claims[0] "kremlin-fake-news": stances[0].proposition "troops-in-russiaa" '
        "is not in the bundle's propositions or the database",
    ),
    "bad stance": (
        _set([*STANCE, "stance"], "supports"),
        'claims[0] "kremlin-fake-news": stances[0].stance "supports" '
        "is not one of asserts, denies, doubts",
    ),
    "missing stance": (
        _set([*STANCE, "stance"], KeyError),
        'claims[0] "kremlin-fake-news": stances[0].stance is missing',
    ),
    "two stances on one proposition": (
        lambda b: (
            b["claims"][0]["stances"].append(
                {"proposition": "troops-in-russia", "stance": "doubts"}
            )
            or b
        ),
        'claims[0] "kremlin-fake-news": stances[1] takes a second stance on "troops-in-russia"',
    ),
    "unknown stance key": (
        _set([*STANCE, "confidence"], 3),
        "unknown key 'stances[0].confidence' (known: proposition, stance, note)",
    ),
    "stances not a list": (_set([*CLAIM, "stances"], "denies"), 'stances "denies" is not a list'),
    "claim not an object": (_set(["claims", 0], "claim"), "claims[0]: is not an object"),
}


@pytest.mark.parametrize("case", sorted(BAD_BUNDLES))
def test_a_bad_bundle_names_the_record_and_writes_nothing(tmp_path, case):
    change, message = BAD_BUNDLES[case]
    before = counts()
    with pytest.raises(CommandError, match="nothing loaded") as raised:
        load(tmp_path, change(copy.deepcopy(base_bundle())))
    assert message in str(raised.value)
    assert counts() == before


BAD_FILES = {
    "not JSON": (b'{"format_version": 1,', "not valid JSON: Expecting"),
    "not UTF-8": (b'{"title": "\xff"}', "not UTF-8"),
    "a list": (b"[]", "bundle: is not an object"),
    "a key twice": (b'{"format_version": 1, "format_version": 1}', "appears twice"),
}


@pytest.mark.parametrize("case", sorted(BAD_FILES))
def test_a_malformed_file_is_an_error_naming_the_file(tmp_path, case):
    content, message = BAD_FILES[case]
    path = tmp_path / "bad.json"
    path.write_bytes(content)
    with pytest.raises(CommandError, match="nothing loaded") as raised:
        call_command("load_story", str(path))
    assert str(path) in str(raised.value) and message in str(raised.value)


def test_a_missing_file_is_an_error_naming_it(tmp_path):
    with pytest.raises(CommandError, match="can't be read"):
        call_command("load_story", str(tmp_path / "nowhere.json"))


def test_load_story_exits_non_zero_without_a_traceback(tmp_path):
    path = tmp_path / "bad.json"
    path.write_text("{not json")
    result = subprocess.run(  # noqa: S603 - our own manage.py, fixed arguments
        [sys.executable, "manage.py", "load_story", str(path)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        env={"DJANGO_DEBUG": "true", "PATH": "/usr/bin:/bin"},
        check=False,
    )
    assert result.returncode == 1
    assert "not valid JSON" in result.stderr and "Traceback" not in result.stderr


# The export: GET /claims.bundle.json and export_story take the claim list's filters


def _body(response):
    assert response.streaming
    return b"".join(response.streaming_content).decode()


def test_bundle_url_is_the_commands_export_of_the_same_filter(reader_client, hard_story):
    response = reader_client.get(reverse("claims:claim-export-bundle") + "?actor=dmitry-peskov")
    assert response.status_code == 200
    assert response["Content-Disposition"] == 'attachment; filename="claims.bundle.json"'
    assert _body(response) == export("actor=dmitry-peskov")


def test_bundle_url_with_a_bad_filter_answers_400_naming_it(reader_client, hard_story):
    response = reader_client.get(reverse("claims:claim-export-bundle") + "?stated_to=soon")
    assert response.status_code == 400
    assert "stated_to" in response.json()["errors"]


def test_export_story_with_a_bad_filter_names_it(hard_story):
    with pytest.raises(CommandError, match="actor: Unknown actor: nobody"):
        export("actor=nobody")
    with pytest.raises(CommandError, match="NAME=VALUE"):
        export("kremlin")


def test_bundle_costs_the_same_queries_whatever_the_size(reader_client, hard_story):
    url = reverse("claims:claim-export-bundle")
    with CaptureQueriesContext(connection) as few:
        _body(reader_client.get(url))
    source = Source.objects.get(publisher="First")
    for n in range(20):
        more = services.create_claim(
            by=None,
            actor=hard_story["peskov"],
            headline=f"More {n}",
            text="More.",
            stated_on=datetime.date(2024, 11, 1),
            citations=[Citation(source=source)],
        )
        proposition = services.create_proposition(by=None, statement=f"More {n}")
        for on in (proposition, hard_story["troops"]):
            services.set_stance(claim=more, proposition=on, stance="asserts", by=None)
    with CaptureQueriesContext(connection) as many:
        body = _body(reader_client.get(url))
    assert len(few) == len(many)
    bundle = json.loads(body)
    assert len(bundle["claims"]) == 24 and len(bundle["propositions"]) == 22
