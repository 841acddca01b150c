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
from claims.models import Actor, Citation, Claim, Source, StatusChange

pytestmark = pytest.mark.django_db
ROOT = Path(__file__).resolve().parent.parent
MODELS = (Actor, Source, Claim, Citation, StatusChange)


def counts():
    rows = [m.objects.count() for m in MODELS]
    return rows + [m.history.count() for m in (Actor, Source, Claim, Citation)]


def export(*filters):
    out = io.StringIO()
    call_command("export_story", *filters, stdout=out)
    return out.getvalue()


def load(tmp_path, bundle):
    path = tmp_path / "bundle.json"
    path.write_text(bundle if isinstance(bundle, str) else json.dumps(bundle), encoding="utf-8")
    call_command("load_story", str(path), stdout=io.StringIO())


def wipe():
    """An empty database as far as bundles go (users stay, as on another team's server)."""
    Claim.objects.all().delete()
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
        Source(title="ТАСС", url="https://tass.ru/a?b=1&c=ü", kind="news_report"), by=analyst
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
            citations=[Citation(source=s, role=r, quote=q, note=n) for s, r, q, n in cites],
        )
        for status, rationale, when in verdicts:
            services.claim_set_status(
                claim=made, status=status, rationale=rationale, by=analyst, at=when
            )
        return made

    claim(
        peskov,
        "Это «фейк»",
        10,
        'Line one\nline "two"\ttabbed\n\nКремль 🇷🇺 \\ backslash',
        [(tass, "appearance", "«фейк»", ""), (same[0], "evidence", "", "multi\nline note")],
        [("denied", "Refuted:\n“they were there”", at(28, 7, 1))],
    )
    claim(kremlin, "Same headline", 10, "One.", [(same[1], "appearance", "q", "")])
    claim(other, "Same headline", 10, "Two.", [])
    confirmed = [("confirmed", "Yes", at(30))]
    claim(russia, "Another", 12, "Text", [(tass, "evidence", "", "")], confirmed)
    return {"peskov": peskov, "russia": russia}


# The demo story


def test_demo_loads_once_so_edits_and_deletions_survive_a_later_run(demo):
    edited = Claim.objects.get(actor__slug="kremlin")
    edited.headline = "The Kremlin called it fake news"
    services.save_versioned(edited, by=None, expected_version=edited.version)
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
    assert len(json.loads(first)["claims"]) == 16


def test_hard_story_round_trip_is_exact(hard_story, tmp_path):
    first, second = _round_trip(tmp_path)
    assert first == second
    assert 'line \\"two\\"\\ttabbed' in first and "🇷🇺" in first


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


# Bad input: a clear error naming the record and field, nothing written


def base_bundle():
    return {
        "format_version": 1,
        "actors": [
            {"slug": "kremlin", "name": "The Kremlin"},
            {"slug": "peskov", "name": "Peskov", "parent": "kremlin"},
        ],
        "sources": [{"key": "tass", "title": "TASS", "url": "https://tass.com/x"}],
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
                    {"at": "2025-04-26T09:30:00Z", "status": "denied", "rationale": "Refuted."},
                ],
            }
        ],
    }


def test_the_base_bundle_of_the_bad_input_table_loads(tmp_path):
    load(tmp_path, base_bundle())
    assert Claim.objects.get().status == "denied"


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
BAD_BUNDLES = {
    "unknown top-level key": (_set(["propositions"], []), "bundle: unknown key 'propositions'"),
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
    "unknown user": (
        _set([*CLAIM, "timeline", 1, "by"], "nobody"),
        'timeline[1].by "nobody" is not a user in this database',
    ),
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
        services.create_claim(
            by=None,
            actor=hard_story["peskov"],
            headline=f"More {n}",
            text="More.",
            stated_on=datetime.date(2024, 11, 1),
            citations=[Citation(source=source)],
        )
    with CaptureQueriesContext(connection) as many:
        body = _body(reader_client.get(url))
    assert len(few) == len(many)
    assert len(json.loads(body)["claims"]) == 24
