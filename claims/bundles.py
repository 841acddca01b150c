"""Case bundles: a whole story (actors, sources, claims, citations, verdict timelines, the
propositions the claims take stances on) as one JSON file that another database can load, so
two teams can exchange a case.

The format is described in docs/BUNDLE.md. Records refer to each other by stable keys, never
by database ids: an actor and a proposition by its slug, a source and a claim by the `key` the
file gives them. Loading goes through claims/services.py like every other write, in one
transaction, and is idempotent: a record already in the database (the same slug; the same
URL, or title, publisher and date; the same actor, date and headline; the same claim and
proposition for a stance) is kept as it is.

Every key of every record is declared in the specs below; a key the loader doesn't know is an
error naming the record, so nothing in a file is ignored silently. A new optional key (a
source's reliability, a citation's credibility, a verdict's confidence) is one more line in
its spec, read in `_load_*` and written in `_*_record`."""

import copy
import datetime
import json
import re
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils.text import slugify
from django.views.decorators.http import require_safe

from . import services
from .exports import CHUNK_SIZE, _attachment, _bad_filter, batches, filtered_claims
from .models import (
    SLUG_PATTERN,
    Actor,
    ActorKind,
    Citation,
    CitationRole,
    Claim,
    ClaimStatus,
    Confidence,
    Credibility,
    Direction,
    Proposition,
    PropositionStatusChange,
    Reliability,
    Source,
    SourceKind,
    Stance,
    StanceKind,
    StatusChange,
)
from .permissions import read_access_required

FORMAT_VERSION = 1
# A verdict given as a date alone takes effect at noon UTC: the same calendar date in every
# time zone from UTC-11 to UTC+11, so the timeline shows the day the file says.
NOON = datetime.time(12, tzinfo=datetime.UTC)
KEY_MAX_LENGTH = 200
REQUIRED = object()


# A verdict's confidence left out of the file: none for an unverified verdict, "not recorded"
# (null) for a confirmed or denied one, so files from before confidence was kept stay valid.
class CONFIDENCE_LEFT_OUT:  # noqa: N801 - a marker (copy.copy keeps a class, not an object())
    pass


class BundleError(Exception):
    """A bundle that can't be loaded; `errors` names each bad record and field."""

    def __init__(self, errors):
        self.errors = list(errors)
        super().__init__("\n".join(self.errors))


class Invalid(ValueError):
    """A value of the wrong shape; the message reads after the field's name and value."""


# Checkers: each takes the raw JSON value and returns what the loader uses, or raises Invalid.


def text(value):
    if not isinstance(value, str):
        raise Invalid("is not a string")
    return value


def key(value):
    if not isinstance(value, str) or not value.strip():
        raise Invalid("is not a non-empty string")
    if len(value) > KEY_MAX_LENGTH:
        raise Invalid(f"is longer than {KEY_MAX_LENGTH} characters")
    return value


def optional(check):
    def checked(value):
        return None if value is None else check(value)

    return checked


def slug(value):
    if not isinstance(value, str) or not re.fullmatch(SLUG_PATTERN, value):
        raise Invalid("is not a slug (lowercase letters, digits and single hyphens)")
    return value


def text_list(value):
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        raise Invalid("is not a list of strings")
    return value


def choice(choices):
    def checked(value):
        if value not in choices.values:
            raise Invalid(f"is not one of {', '.join(choices.values)}")
        return value

    return checked


def choice_or_empty(choices):
    """One of `choices`, or "" for none (an appearance has no direction)."""
    check = choice(choices)

    def checked(value):
        if value == "":
            return value
        try:
            return check(value)
        except Invalid:
            raise Invalid(f'is not one of {", ".join(choices.values)} (or "")') from None

    return checked


def credibility(value):
    if isinstance(value, bool) or value not in Credibility.values:
        raise Invalid("is not a credibility from 1 to 6")
    return value


def date(value):
    if isinstance(value, str) and len(value) == 10:
        try:
            return datetime.date.fromisoformat(value)
        except ValueError:
            pass
    raise Invalid("is not a date (YYYY-MM-DD)")


def moment(value):
    """A date (noon UTC that day) or an ISO 8601 date and time with its time zone."""
    if isinstance(value, str) and len(value) == 10:
        return datetime.datetime.combine(date(value), NOON)
    try:
        parsed = datetime.datetime.fromisoformat(value) if isinstance(value, str) else None
    except ValueError:
        parsed = None
    if parsed is None:
        raise Invalid("is not a date (YYYY-MM-DD) or a date and time (2024-10-18T12:00:00Z)")
    if parsed.tzinfo is None:
        raise Invalid("has no time zone: add one, e.g. 2024-10-18T12:00:00Z")
    return parsed


@dataclass(frozen=True)
class Field:
    check: Callable
    default: object = REQUIRED


def records(spec):
    """A list of nested records, e.g. a claim's citations; each is checked against `spec`."""

    def checked(value, where, path, errors):
        if not isinstance(value, list):
            raise Invalid("is not a list")
        parsed = [
            parse_record(item, spec, where, errors, path=f"{path}[{i}].")
            for i, item in enumerate(value)
        ]
        return [item for item in parsed if item is not None]

    checked.nested = True
    return checked


# The format, one spec per kind of record: key -> how it is checked and its default.
ACTOR = {
    "slug": Field(slug),
    "name": Field(text),
    "short_name": Field(text, ""),
    "aliases": Field(text_list, []),
    "kind": Field(choice(ActorKind), ActorKind.OTHER),
    "country": Field(text, ""),
    "wikidata": Field(text, ""),
    "parent": Field(optional(key), None),
    "description": Field(text, ""),
}
SOURCE = {
    "key": Field(key),
    "title": Field(text),
    "url": Field(text, ""),
    "kind": Field(choice(SourceKind), SourceKind.OTHER),
    "publisher": Field(text, ""),
    "published_on": Field(optional(date), None),
    "archive_url": Field(text, ""),
    "notes": Field(text, ""),
    "reliability": Field(choice(Reliability), Reliability.F),
}
CITATION = {
    "source": Field(key),
    "role": Field(choice(CitationRole), CitationRole.APPEARANCE),
    "quote": Field(text, ""),
    "note": Field(text, ""),
    # Evidence only (an appearance leaves them out); evidence without them is 6 and context.
    "direction": Field(choice_or_empty(Direction), ""),
    "credibility": Field(optional(credibility), None),
    "reliability_override": Field(choice_or_empty(Reliability), ""),
}
# Written only when they differ from these defaults, so an appearance carries no grades.
CITATION_GRADE_DEFAULTS = {"direction": "", "credibility": None, "reliability_override": ""}
VERDICT = {
    "at": Field(moment),
    "status": Field(choice(ClaimStatus)),
    "rationale": Field(text, ""),
    # null: given before confidence was kept ("not recorded"), carried over as it is.
    "confidence": Field(optional(choice_or_empty(Confidence)), CONFIDENCE_LEFT_OUT),
    "by": Field(optional(key), None),
}
STANCE = {
    "proposition": Field(key),
    "stance": Field(choice(StanceKind)),
    "note": Field(text, ""),
}
PROPOSITION = {
    "slug": Field(slug),
    "statement": Field(text),
    "description": Field(text, ""),
    # Left out: unverified from the moment it is loaded, as a new proposition starts.
    "timeline": Field(records(VERDICT), None),
}
CLAIM = {
    "key": Field(key),
    "actor": Field(key),
    "stated_on": Field(date),
    "headline": Field(text),
    "text": Field(text),
    "citations": Field(records(CITATION), []),
    # Left out: unverified from the date stated, as a new claim starts.
    "timeline": Field(records(VERDICT), None),
    "stances": Field(records(STANCE), []),
}
BUNDLE = {
    "format_version": Field(lambda v: v),
    "title": Field(text, ""),
    "description": Field(text, ""),
    "actors": Field(lambda v: v, []),
    "sources": Field(lambda v: v, []),
    "propositions": Field(lambda v: v, []),
    "claims": Field(lambda v: v, []),
}
# Keys that are the model's own fields under the same name: read and written as they are,
# so a new plain field (a source's reliability, say) needs only its line in the spec.
SOURCE_FIELDS = [name for name in SOURCE if name != "key"]
CITATION_FIELDS = [name for name in CITATION if name != "source"]
# Error messages use the bundle's names, not the model's.
MODEL_TO_BUNDLE = {"wikidata_id": "wikidata", "__all__": "record"}


def _shown(value):
    shown = json.dumps(value, ensure_ascii=False)
    return shown if len(shown) <= 60 else shown[:57] + "..."


def parse_record(raw, spec, where, errors, *, path=""):
    """The record's values with defaults filled in; appends an error per bad key to `errors`.
    `where` names the record in messages (`claims[3] "kremlin-fake-news"`), `path` a nested
    record inside it (`citations[1].`)."""
    if not isinstance(raw, dict):
        what = f"{path.rstrip('.')} is" if path else "is"
        errors.append(f"{where}: {what} not an object ({{...}})")
        return None
    values = {}
    for name in sorted(raw.keys() - spec.keys()):
        errors.append(f"{where}: unknown key '{path}{name}' (known: {', '.join(spec)})")
    for name, field in spec.items():
        if name not in raw:
            if field.default is REQUIRED:
                errors.append(f"{where}: {path}{name} is missing")
            else:
                values[name] = copy.copy(field.default)  # never one list shared by records
            continue
        try:
            if getattr(field.check, "nested", False):
                values[name] = field.check(raw[name], where, f"{path}{name}", errors)
            else:
                values[name] = field.check(raw[name])
        except Invalid as error:
            errors.append(f"{where}: {path}{name} {_shown(raw[name])} {error}")
    return values


def _named(section, index, raw, key_name):
    label = raw.get(key_name) if isinstance(raw, dict) else None
    return f"{section}[{index}]" + (f" {_shown(label)}" if isinstance(label, str) else "")


def _model_errors(where, error):
    messages = []
    for field, problems in error.message_dict.items():
        name = MODEL_TO_BUNDLE.get(field, field)
        messages.extend(f"{where}: {name}: {problem}" for problem in problems)
    return messages


# Reading


def _refuse_repeated_keys(pairs):
    seen = {}
    for name, value in pairs:
        if name in seen:
            raise Invalid(f"the key {name!r} appears twice in one object")
        seen[name] = value
    return seen


def read_bundle(path):
    """The parsed JSON of the file at `path`; BundleError naming the file when it can't be."""
    try:
        with open(path, "rb") as file:
            data = file.read()
    except OSError as error:
        raise BundleError([f"{path}: can't be read ({error.strerror})"]) from None
    try:
        return json.loads(data.decode("utf-8"), object_pairs_hook=_refuse_repeated_keys)
    except UnicodeDecodeError as error:
        raise BundleError([f"{path}: not UTF-8 (byte {error.start})"]) from None
    except json.JSONDecodeError as error:
        raise BundleError(
            [f"{path}: not valid JSON: {error.msg} at line {error.lineno} column {error.colno}"]
        ) from None
    except Invalid as error:
        raise BundleError([f"{path}: not valid JSON: {error}"]) from None


def parse_bundle(data):
    """Check the whole bundle's shape and its references; BundleError lists every problem."""
    errors = []
    top = parse_record(data, BUNDLE, "bundle", errors)
    if top is None:
        raise BundleError(errors)
    if "format_version" in data and data["format_version"] != FORMAT_VERSION:
        errors.append(
            f"bundle: format_version {_shown(data['format_version'])} is not {FORMAT_VERSION}"
        )
    sections = {}
    for section, spec, key_name in (
        ("actors", ACTOR, "slug"),
        ("sources", SOURCE, "key"),
        ("propositions", PROPOSITION, "slug"),
        ("claims", CLAIM, "key"),
    ):
        items = top.get(section, [])
        if not isinstance(items, list):
            errors.append(f"bundle: {section} is not a list")
            items = []
        parsed = {}
        for index, raw in enumerate(items):
            where = _named(section, index, raw, key_name)
            record = parse_record(raw, spec, where, errors)
            if record is None or not isinstance(record.get(key_name), str):
                continue
            if record[key_name] in parsed:
                errors.append(f"{where}: {key_name} {_shown(record[key_name])} is used twice")
                continue
            record["where"] = where
            parsed[record[key_name]] = record
        sections[section] = parsed
    _check_references(sections, errors)
    if errors:
        raise BundleError(errors)
    return top, sections


def _check_references(sections, errors):
    """Every key a record names must be in the bundle (or, for actors, the database). Values
    that failed their own check are absent from the records, and skipped here."""
    actors, sources, claims = sections["actors"], sections["sources"], sections["claims"]
    wanted = {a["parent"] for a in actors.values() if a.get("parent")}
    wanted |= {c["actor"] for c in claims.values() if c.get("actor")}
    in_database = Actor.objects.filter(slug__in=wanted - actors.keys()).values_list("slug")
    known_actors = actors.keys() | {slug for (slug,) in in_database}
    for actor in actors.values():
        parent = actor.get("parent")
        if parent and parent not in known_actors:
            errors.append(
                f"{actor['where']}: parent {_shown(parent)} is not in the bundle or the database"
            )
        elif parent and _parent_loops(actor, actors):
            errors.append(f"{actor['where']}: parent {_shown(parent)} makes a loop")
    propositions = sections["propositions"]
    wanted = {s["proposition"] for c in claims.values() for s in c.get("stances") or []}
    wanted = {w for w in wanted if w} - propositions.keys()
    in_database = Proposition.objects.filter(slug__in=wanted).values_list("slug")
    known_propositions = propositions.keys() | {slug for (slug,) in in_database}
    for claim in claims.values():
        where = claim["where"]
        if claim.get("actor") and claim["actor"] not in known_actors:
            errors.append(
                f"{where}: actor {_shown(claim['actor'])} is not in the bundle or the database"
            )
        cited = set()
        for i, citation in enumerate(claim.get("citations") or []):
            source, role = citation.get("source"), citation.get("role")
            if source and source not in sources:
                errors.append(
                    f"{where}: citations[{i}].source {_shown(source)} "
                    "is not in the bundle's sources"
                )
            elif source and (source, role) in cited:
                errors.append(f"{where}: citations[{i}] cites {_shown(source)} as {role} twice")
            cited.add((source, role))
        taken = set()
        for i, stance in enumerate(claim.get("stances") or []):
            proposition = stance.get("proposition")
            if not proposition:
                continue
            if proposition not in known_propositions:
                errors.append(
                    f"{where}: stances[{i}].proposition {_shown(proposition)} "
                    "is not in the bundle's propositions or the database"
                )
            elif proposition in taken:
                errors.append(
                    f"{where}: stances[{i}] takes a second stance on {_shown(proposition)} "
                    "(a claim takes one stance per proposition)"
                )
            taken.add(proposition)


def _parent_loops(actor, actors):
    seen, step = {actor["slug"]}, actor["parent"]
    while step in actors:
        if step in seen:
            return True
        seen.add(step)
        step = actors[step].get("parent")
    return False


# Loading


@dataclass
class LoadReport:
    created: dict
    kept: dict
    # Verdicts whose `by` names no user of this database: loaded without an author.
    without_author: int = 0
    unknown_authors: tuple = ()

    def summary(self):
        parts = [
            f"{self.created[kind]} new {kind} ({self.kept[kind]} already here)"
            for kind in ("actors", "sources", "propositions", "claims", "stances")
        ]
        text = ", ".join(parts)
        if self.without_author:
            n = self.without_author
            text += (
                f"; {n} verdict{'s' if n != 1 else ''} by users not in this database "
                f"{'were' if n != 1 else 'was'} loaded without an author "
                f"(names: {', '.join(self.unknown_authors)})"
            )
        return text


class Authors:
    """The users a bundle's verdicts name, looked up in one query. A name this database
    doesn't know gives no author (a bundle from another team names its own analysts); the
    names are kept for the load report."""

    def __init__(self, sections):
        timelines = [
            record.get("timeline") or []
            for section in ("claims", "propositions")
            for record in sections[section].values()
        ]
        names = {v["by"] for timeline in timelines for v in timeline if v.get("by")}
        self.users = {
            user.username: user for user in get_user_model().objects.filter(username__in=names)
        }
        self.unknown = set()
        self.without_author = 0

    def of(self, verdict, default):
        """The verdict's author; `default` (who loads the file) when it names nobody."""
        name = verdict["by"]
        if name is None:
            return default
        if name in self.users:
            return self.users[name]
        self.unknown.add(name)
        self.without_author += 1
        return None


def load_bundle(data, *, by=None, reason="case bundle"):
    """Load one parsed bundle through the services, all or nothing (BundleError on any bad
    record, with nothing written). Records already in the database are kept as they are,
    so loading the same bundle twice changes nothing and writes no history."""
    _, sections = parse_bundle(data)
    report = LoadReport(created=defaultdict(int), kept=defaultdict(int))
    authors = Authors(sections)
    errors = []
    with transaction.atomic():
        named = {c["actor"] for c in sections["claims"].values()}
        actors = _load_actors(sections["actors"], named, by, reason, report, errors)
        sources = _load_sources(sections["sources"], by, reason, report, errors)
        propositions = _load_propositions(
            sections["propositions"], sections["claims"], authors, by, report, errors
        )
        if not errors:
            claims = _load_claims(sections["claims"], actors, sources, authors, by, report, errors)
        if not errors:
            _load_stances(sections["claims"], claims, propositions, by, report, errors)
        if errors:
            transaction.set_rollback(True)
    if errors:
        raise BundleError(errors)
    report.without_author = authors.without_author
    report.unknown_authors = tuple(sorted(authors.unknown))
    return report


def _write(where, errors, write):
    """Run one record's write in a savepoint; a refusal becomes an error naming the record."""
    try:
        with transaction.atomic():
            return write()
    except ValidationError as error:
        errors.extend(_model_errors(where, error))
    except IntegrityError as error:
        errors.append(f"{where}: refused by the database ({str(error).splitlines()[0]})")
    return None


def _load_actors(parsed, named, by, reason, report, errors):
    """{slug: actor} for the bundle's actors and those its claims `named` (in the database)."""
    wanted = parsed.keys() | named | {a["parent"] for a in parsed.values() if a["parent"]}
    actors = {a.slug: a for a in Actor.objects.filter(slug__in=wanted)}
    report.kept["actors"] = len(parsed.keys() & actors.keys())

    def create(slug):
        # Parents first, whatever order the file lists them in (loops were refused).
        record = parsed[slug]
        parent = record["parent"]
        if parent and parent not in actors and parent in parsed:
            create(parent)
        if parent and actors[parent].pk is None:
            return  # the parent was refused, and its error says why
        actor = Actor(
            slug=slug,
            name=record["name"],
            short_name=record["short_name"],
            aliases="\n".join(record["aliases"]),
            kind=record["kind"],
            country=record["country"],
            wikidata_id=record["wikidata"],
            description=record["description"],
            parent=actors.get(parent),
        )
        actors[slug] = actor  # even when refused, so a child doesn't retry it

        def save():
            actor.full_clean()
            services.create_record(actor, by=by, reason=reason)
            report.created["actors"] += 1

        _write(record["where"], errors, save)

    for slug in parsed:
        if slug not in actors:
            create(slug)
    return actors


def _source_identity(url, title, publisher, published_on):
    """What makes two sources the same: the URL (unique in the database) when there is one."""
    return ("url", url) if url else ("title", title, publisher, published_on)


def _load_sources(parsed, by, reason, report, errors):
    records = list(parsed.values())
    urls = {r["url"] for r in records if r["url"]}
    titles = {r["title"] for r in records if not r["url"]}
    existing = {}
    for source in Source.objects.filter(url__in=urls) | Source.objects.filter(
        url="", title__in=titles
    ):
        identity = _source_identity(source.url, source.title, source.publisher, source.published_on)
        existing.setdefault(identity, source)
    sources = {}
    for record in records:
        identity = _source_identity(
            record["url"], record["title"], record["publisher"], record["published_on"]
        )
        if identity in existing:
            sources[record["key"]] = existing[identity]
            report.kept["sources"] += 1
            continue
        source = Source(**{name: record[name] for name in SOURCE_FIELDS})

        def save(source=source):
            source.full_clean()
            services.create_record(source, by=by, reason=reason)
            report.created["sources"] += 1
            return source

        if _write(record["where"], errors, save):
            existing[identity] = sources[record["key"]] = source
    return sources


def _load_propositions(parsed, claims, authors, by, report, errors):
    """{slug: proposition} for the bundle's propositions and those in the database its
    stances name. A proposition already here is kept with its timeline as it is."""
    wanted = parsed.keys() | {s["proposition"] for c in claims.values() for s in c["stances"]}
    propositions = {p.slug: p for p in Proposition.objects.filter(slug__in=wanted)}
    for record in parsed.values():
        if record["slug"] in propositions:
            report.kept["propositions"] += 1
            continue
        first, *later = record["timeline"] or [
            {
                "at": None,
                "status": ClaimStatus.UNVERIFIED,
                "rationale": "",
                "confidence": "",
                "by": None,
            }
        ]

        def save(record=record, first=first, later=later):
            proposition = _in_timeline(
                0,
                lambda: services.create_proposition(
                    by=authors.of(first, by),
                    statement=record["statement"],
                    slug=record["slug"],
                    description=record["description"],
                    status=first["status"],
                    rationale=first["rationale"],
                    confidence=_confidence(first),
                    at=first["at"],
                ),
            )
            for i, verdict in enumerate(later, start=1):
                _in_timeline(
                    i,
                    lambda verdict=verdict: services.proposition_set_status(
                        proposition=proposition,
                        status=verdict["status"],
                        rationale=verdict["rationale"],
                        confidence=_confidence(verdict),
                        by=authors.of(verdict, by),
                        at=verdict["at"],
                    ),
                )
            report.created["propositions"] += 1
            return proposition

        if proposition := _write(record["where"], errors, save):
            propositions[record["slug"]] = proposition
    return propositions


def _load_stances(parsed, claims, propositions, by, report, errors):
    """Each claim's stances, new claims and kept ones alike: a stance is matched by its claim
    and proposition, and one already here is kept as it is (an analyst may have changed
    it)."""
    existing = set(
        Stance.objects.filter(claim__in=[c.pk for c in claims.values()]).values_list(
            "claim_id", "proposition_id"
        )
    )
    for record in parsed.values():
        claim = claims[record["key"]]
        for i, stance in enumerate(record["stances"]):
            proposition = propositions[stance["proposition"]]
            if (claim.pk, proposition.pk) in existing:
                report.kept["stances"] += 1
                continue

            def save(claim=claim, stance=stance, proposition=proposition, i=i):
                try:
                    services.set_stance(
                        claim=claim,
                        proposition=proposition,
                        stance=stance["stance"],
                        note=stance["note"],
                        by=by,
                    )
                except ValidationError as error:
                    raise ValidationError(
                        {f"stances[{i}].{f}": m for f, m in error.message_dict.items()}
                    ) from None
                report.created["stances"] += 1
                existing.add((claim.pk, proposition.pk))

            _write(record["where"], errors, save)


def _load_claims(parsed, actors, sources, authors, by, report, errors):
    """{claim key: claim}, the claims created and those kept (already here)."""
    records = list(parsed.values())
    existing = {
        (claim.actor_id, claim.stated_on, claim.headline): claim
        for claim in Claim.objects.filter(headline__in={r["headline"] for r in records})
    }
    claims = {}
    for record in records:
        actor = actors[record["actor"]]
        identity = (actor.pk, record["stated_on"], record["headline"])
        if identity in existing:
            claims[record["key"]] = existing[identity]
            report.kept["claims"] += 1
            continue
        timeline = record["timeline"] or [
            {
                "at": datetime.datetime.combine(record["stated_on"], NOON),
                "status": ClaimStatus.UNVERIFIED,
                "rationale": "",
                "confidence": "",
                "by": None,
            }
        ]

        def save(record=record, actor=actor, timeline=timeline):
            citations = []
            for i, cited in enumerate(record["citations"]):
                citation = Citation(
                    source=sources[cited["source"]], **{n: cited[n] for n in CITATION_FIELDS}
                )
                try:
                    citation.full_clean(exclude=["claim"], validate_unique=False)
                except ValidationError as error:
                    raise ValidationError(
                        {f"citations[{i}].{f}": m for f, m in error.message_dict.items()}
                    ) from None
                citations.append(citation)
            first, *later = timeline
            claim = _in_timeline(
                0,
                lambda: services.create_claim(
                    by=authors.of(first, by),
                    actor=actor,
                    headline=record["headline"],
                    text=record["text"],
                    stated_on=record["stated_on"],
                    status=first["status"],
                    rationale=first["rationale"],
                    confidence=_confidence(first),
                    at=first["at"],
                    citations=citations,
                ),
            )
            for i, verdict in enumerate(later, start=1):
                _in_timeline(
                    i,
                    lambda verdict=verdict: services.claim_set_status(
                        claim=claim,
                        status=verdict["status"],
                        rationale=verdict["rationale"],
                        confidence=_confidence(verdict),
                        by=authors.of(verdict, by),
                        at=verdict["at"],
                    ),
                )
            report.created["claims"] += 1
            return claim

        if claim := _write(record["where"], errors, save):
            existing[identity] = claims[record["key"]] = claim
    return claims


def _confidence(verdict):
    if verdict["confidence"] is not CONFIDENCE_LEFT_OUT:
        return verdict["confidence"]
    return "" if verdict["status"] == ClaimStatus.UNVERIFIED else services.NOT_RECORDED


def _in_timeline(index, write):
    """Name the verdict a refusal is about (timeline[2].rationale), not only the claim."""
    try:
        return write()
    except ValidationError as error:
        verdict_fields = {"status", "rationale", "confidence", "at"}
        if not error.message_dict.keys() & verdict_fields:
            raise
        raise ValidationError(
            {
                (f"timeline[{index}].{f}" if f in verdict_fields else f): m
                for f, m in error.message_dict.items()
            }
        ) from None


# Writing


def export_lines(claims, *, title="", description=""):
    """The bundle of `claims` (a filtered queryset) as pretty-printed JSON, a piece at a time.

    The claims stream a chunk at a time; their actors (with every ancestor), sources and the
    propositions they take stances on are read first, so a reference never points forward.
    Everything is in an order that loading keeps (claims oldest first, in creation order;
    sources, propositions and each claim's stances in creation order; actors parents first,
    then by slug), so export -> load into an empty database -> export gives the same file."""
    claims = claims.order_by("stated_on", "pk")
    actors = _actors_with_ancestors(claims)
    sources = list(
        Source.objects.filter(citations__claim__in=claims.values("pk")).distinct().order_by("pk")
    )
    source_keys = _unique_keys_for(sources, lambda s: s.url or _slug_words(s.title) or "source")
    yield "{\n"
    yield f'  "format_version": {FORMAT_VERSION},\n'
    yield f'  "title": {json.dumps(title, ensure_ascii=False)},\n'
    yield f'  "description": {json.dumps(description, ensure_ascii=False)},\n'
    yield from _json_list("actors", (_actor_record(a) for a in actors), last=False)
    sources_out = (_source_record(s, source_keys[s.pk]) for s in sources)
    yield from _json_list("sources", sources_out, last=False)
    yield from _json_list("propositions", _proposition_records(claims), last=False)
    yield from _json_list("claims", _claim_records(claims, source_keys), last=True)
    yield "}\n"


def _json_list(name, items, *, last):
    """`"name": [...]` laid out exactly as json.dumps(..., indent=2) lays out the whole file."""
    yield f'  "{name}": ['
    empty = True
    for item in items:
        body = json.dumps(item, indent=2, ensure_ascii=False).replace("\n", "\n    ")
        yield ("\n    " if empty else ",\n    ") + body
        empty = False
    yield ("]" if empty else "\n  ]") + ("\n" if last else ",\n")


def _slug_words(text, limit=50):
    """A readable key from a title: its slug, cut after the last whole word within `limit`."""
    words = slugify(text).split("-")
    kept = []
    while words and len("-".join([*kept, words[0]])) <= limit:
        kept.append(words.pop(0))
    return "-".join(kept) or slugify(text)[:limit].strip("-")


def _unique_keys_for(items, make_key):
    """{item pk: key}, in the items' order (see _free_key)."""
    taken = set()
    return {item.pk: _free_key(make_key(item), taken) for item in items}


def _free_key(base, taken):
    """`base`, or base-2, base-3... when taken; records it as taken."""
    candidate, n = base, 1
    while candidate in taken:
        n += 1
        candidate = f"{base}-{n}"
    taken.add(candidate)
    return candidate


def _actors_with_ancestors(claims):
    actors = {a.pk: a for a in Actor.objects.filter(pk__in=claims.values("actor_id"))}
    missing = {a.parent_id for a in actors.values()} - actors.keys() - {None}
    while missing:  # one query per level of the hierarchy, not per actor
        found = {a.pk: a for a in Actor.objects.filter(pk__in=missing)}
        actors.update(found)
        missing = {a.parent_id for a in found.values()} - actors.keys() - {None}

    def depth(actor):
        steps = 0
        while actor.parent_id is not None:
            actor, steps = actors[actor.parent_id], steps + 1
        return steps

    ordered = sorted(actors.values(), key=lambda a: (depth(a), a.slug))
    for actor in ordered:
        actor.parent_slug = actors[actor.parent_id].slug if actor.parent_id else None
    return ordered


def _actor_record(actor):
    return {
        "slug": actor.slug,
        "name": actor.name,
        "short_name": actor.short_name,
        "aliases": actor.alias_list,
        "kind": actor.kind,
        "country": actor.country,
        "wikidata": actor.wikidata_id,
        "parent": actor.parent_slug,
        "description": actor.description,
    }


def _source_record(source, source_key):
    record = {"key": source_key, **{name: getattr(source, name) for name in SOURCE_FIELDS}}
    if source.published_on:
        record["published_on"] = source.published_on.isoformat()
    return record


def _verdict_record(change):
    """One timeline entry, a claim's StatusChange or a proposition's; the confidence left out
    when leaving it out means the same (_confidence)."""
    record = {
        "at": change.changed_at.astimezone(datetime.UTC).isoformat(),
        "status": change.new_status,
        "rationale": change.rationale,
        "confidence": change.confidence,
        "by": change.changed_by.username if change.changed_by else None,
    }
    left_out = "" if change.new_status == ClaimStatus.UNVERIFIED else services.NOT_RECORDED
    if change.confidence == left_out:
        del record["confidence"]
    return record


def _citation_record(citation, source_key):
    record = {
        "source": source_key,
        **{name: getattr(citation, name) for name in CITATION_FIELDS},
    }
    for name, default in CITATION_GRADE_DEFAULTS.items():
        if record[name] == default:
            del record[name]
    return record


def _proposition_records(claims):
    propositions = list(
        Proposition.objects.filter(stances__claim__in=claims.values("pk")).distinct().order_by("pk")
    )
    timelines = defaultdict(list)
    changes = PropositionStatusChange.objects.filter(proposition__in=propositions)
    for change in changes.select_related("changed_by").order_by("changed_at", "pk"):
        timelines[change.proposition_id].append(_verdict_record(change))
    for proposition in propositions:
        yield {
            "slug": proposition.slug,
            "statement": proposition.statement,
            "description": proposition.description,
            "timeline": timelines[proposition.pk],
        }


def _claim_records(claims, source_keys):
    taken_on, taken = None, set()  # claim keys start with the date, so clashes are same-day
    rows = claims.select_related("actor").iterator(chunk_size=CHUNK_SIZE)
    for chunk in batches(rows, CHUNK_SIZE):
        ids = [claim.pk for claim in chunk]
        citations, timelines, stances = defaultdict(list), defaultdict(list), defaultdict(list)
        for citation in Citation.objects.filter(claim_id__in=ids).order_by("pk"):
            citations[citation.claim_id].append(
                _citation_record(citation, source_keys[citation.source_id])
            )
        changes = StatusChange.objects.filter(claim_id__in=ids).select_related("changed_by")
        for change in changes.order_by("changed_at", "pk"):
            timelines[change.claim_id].append(_verdict_record(change))
        taken = Stance.objects.filter(claim_id__in=ids).select_related("proposition")
        for stance in taken.order_by("pk"):
            stances[stance.claim_id].append(
                {
                    "proposition": stance.proposition.slug,
                    "stance": stance.stance,
                    "note": stance.note,
                }
            )
        for claim in chunk:
            if claim.stated_on != taken_on:
                taken_on, taken = claim.stated_on, set()
            base = f"{claim.stated_on.isoformat()}-{_slug_words(claim.headline)}".strip("-")
            yield {
                "key": _free_key(base, taken),
                "actor": claim.actor.slug,
                "stated_on": claim.stated_on.isoformat(),
                "headline": claim.headline,
                "text": claim.text,
                "citations": citations[claim.pk],
                "timeline": timelines[claim.pk],
                "stances": stances[claim.pk],
            }


def filter_description(params):
    """What the bundle holds, in words: its filter, as the claim list's query string."""
    query = params.urlencode()
    return f"Claims matching {query}" if query else "All claims"


@read_access_required
@require_safe
def export_bundle(request):
    """The claims the list shows for the same query string, as a case bundle."""
    filterset = filtered_claims(request.GET)
    if not filterset.is_valid():
        return _bad_filter(filterset)
    lines = export_lines(filterset.qs, description=filter_description(request.GET))
    return _attachment(lines, "application/json", "claims.bundle.json")
