"""Generate a large synthetic data set (actors, sources, claims, citations, verdict timelines)
for benchmarks and load tests: `manage.py generate_claims --claims 1000000 --actors 10000`.

The same seed gives the same data. New rows are added after whatever is already there.

This is the one bulk writer allowed to bypass claims.services and django-simple-history:
going through the services would cost several queries per claim, and a million generated
claims need no audit trail. Generated rows therefore have no history entries (the admin's
"History" page for them is empty) and no created_by / changed_by user.

PostgreSQL: rows are streamed with COPY in one transaction (an interrupted run leaves
nothing behind), a background thread generates the next batch while the database ingests
the current one, and VACUUM ANALYZE runs at the end so the planner knows the new sizes.
Other databases (SQLite): plain batched INSERTs, fine for a few thousand claims.
"""

import datetime
import io
import math
import random
from concurrent.futures import ThreadPoolExecutor

from django.core.management.base import BaseCommand, CommandError
from django.core.management.color import no_style
from django.db import connection
from django.utils.text import slugify
from tqdm import tqdm

from claims import services
from claims.duplicates import normalize_url
from claims.models import (
    Actor,
    ActorKind,
    Citation,
    Claim,
    Proposition,
    Source,
    SourceKind,
    Stance,
    StatusChange,
)

# Fixed, so a seed gives the same dates whenever it runs.
END_DATE = datetime.date(2026, 6, 30)
SPAN_DAYS = 3652  # ten years

COUNTRIES = {
    "AF": "Afghanistan", "AM": "Armenia", "AZ": "Azerbaijan", "BY": "Belarus",
    "BR": "Brazil", "CN": "China", "CZ": "Czechia", "DE": "Germany", "EE": "Estonia",
    "EG": "Egypt", "ES": "Spain", "FI": "Finland", "FR": "France", "GB": "United Kingdom",
    "GE": "Georgia", "HU": "Hungary", "IL": "Israel", "IN": "India", "IQ": "Iraq",
    "IR": "Iran", "IT": "Italy", "JP": "Japan", "KP": "North Korea", "KR": "South Korea",
    "KZ": "Kazakhstan", "LB": "Lebanon", "LT": "Lithuania", "LV": "Latvia", "MD": "Moldova",
    "ML": "Mali", "NL": "Netherlands", "NO": "Norway", "PK": "Pakistan", "PL": "Poland",
    "QA": "Qatar", "RO": "Romania", "RS": "Serbia", "RU": "Russia", "SA": "Saudi Arabia",
    "SD": "Sudan", "SE": "Sweden", "SY": "Syria", "TR": "Turkey", "TW": "Taiwan",
    "UA": "Ukraine", "US": "United States", "VE": "Venezuela", "YE": "Yemen", "ZA": "South Africa",
}  # fmt: skip
PLACES = [
    "Kursk", "Kharkiv", "Donetsk", "Crimea", "the Black Sea", "the Baltic", "Pyongyang",
    "Vladivostok", "Kaliningrad", "Minsk", "the Red Sea", "Gaza", "the Golan Heights",
    "Taipei", "the South China Sea", "Tbilisi", "Chisinau", "Transnistria", "Bamako",
    "Khartoum", "Aleppo", "Idlib", "Sanaa", "the Strait of Hormuz", "Nagorno-Karabakh",
    "Belgrade", "Pristina", "Narva", "Suwalki", "Odesa", "Zaporizhzhia", "Kherson",
    "Sevastopol", "Novorossiysk", "Rostov-on-Don", "Belgorod", "Bryansk", "the Arctic",
    "Svalbard", "the Kuril Islands", "Hokkaido", "the Yellow Sea", "Kabul", "Baghdad",
]  # fmt: skip
EVENTS = [
    "troop deployment", "missile launch", "ceasefire violation", "grain export deal",
    "cyber attack", "election interference", "new sanctions package", "drone strike",
    "prisoner exchange", "nuclear test", "pipeline sabotage", "arms shipment",
    "border incident", "refugee crossing", "energy price cap", "disinformation campaign",
    "naval blockade", "air defence failure", "chemical weapons use", "mercenary recruitment",
    "satellite launch", "hostage release", "peace talks", "military exercise",
    "assassination attempt", "coup attempt", "embassy closure", "airspace violation",
    "power grid attack", "mass grave discovery", "shelling of a hospital", "troop withdrawal",
    "ammunition depot explosion", "spy arrest", "gas supply cut", "debt default",
]  # fmt: skip
VERBS = [
    "said", "claimed", "announced", "insisted", "warned", "stated", "alleged",
    "reported", "asserted", "told reporters",
]  # fmt: skip
HEADLINE_TEMPLATES = [
    "{who} says {event} near {place} {outcome}",
    "{who} denies {event} in {place}",
    "{who} claims {number} {units} involved in {event}",
    "{who}: {event} in {place} was {adjective}",
    "{who} blames {country} for {event} near {place}",
    "{who} announces {event} after talks in {place}",
]
SENTENCE_TEMPLATES = [
    "{who} {verb} that {number} {units} took part in the {event} near {place}.",
    "According to {who}, the {event} was planned by {country} months in advance.",
    "Officials in {place} described the {event} as {adjective} and said more would follow.",
    "{who} {verb} that the operation, code-named {codename}, ended on {date}.",
    "The statement was repeated at a press conference in {place} the next day.",
    "{who} {verb} that no {units} from {country} were present in {place}.",
    "Observers could not independently verify the figures given for {place}.",
    "The claim links the {event} to an earlier {event2} reported in {place2}.",
    "{who} {verb} the {event} would not change the situation in {place}.",
    "Satellite images of {place} published on {date} were cited as proof.",
]
OUTCOMES = ["is over", "was repelled", "will continue", "was staged", "failed", "succeeded"]
ADJECTIVES = [
    "unprecedented", "a provocation", "a fabrication", "limited", "successful", "defensive",
    "routine", "illegal", "exaggerated", "a success", "premeditated", "an accident",
]  # fmt: skip
UNITS = ["troops", "soldiers", "drones", "missiles", "tanks", "ships", "aircraft", "advisers"]
CODE_ADJECTIVES = [
    "Amber", "Black", "Bronze", "Cold", "Crimson", "Dark", "Eastern", "Falling", "Frozen",
    "Golden", "Green", "Grey", "Hidden", "Iron", "Last", "Long", "Northern", "Quiet", "Red",
    "Rising", "Silent", "Silver", "Steel", "Storm", "Swift", "White", "Winter", "Western",
]  # fmt: skip
CODE_NOUNS = [
    "Anvil", "Arrow", "Bear", "Bridge", "Citadel", "Crane", "Dawn", "Eagle", "Falcon",
    "Forge", "Fox", "Gate", "Hammer", "Harbor", "Horizon", "Kestrel", "Lance", "Lynx",
    "Meridian", "Osprey", "Raven", "Ridge", "River", "Shield", "Spear", "Sparrow", "Tide",
    "Tower", "Viper", "Wolf",
]  # fmt: skip
FIRST_NAMES = [
    "Anna", "Boris", "Chen", "Dmitry", "Elena", "Farid", "Grace", "Hyun", "Igor", "Jana",
    "Kim", "Lars", "Maria", "Nikolai", "Olena", "Pavel", "Qiang", "Rashid", "Sofia", "Taras",
    "Ulrich", "Vera", "Wei", "Yusuf", "Zofia", "Ahmed", "Beatrix", "Carlos", "Daria", "Emil",
    "Fatima", "Gustav", "Hanna", "Ivan", "Jun", "Katarzyna", "Leila", "Mikhail", "Nadia",
    "Oleg", "Petra", "Rustam", "Sergei", "Tamar", "Viktor", "Yana", "Zurab", "Arvid",
]  # fmt: skip
LAST_NAMES = [
    "Abramov", "Baker", "Costa", "Dubois", "Eriksson", "Fischer", "Garcia", "Horvat", "Ivanova",
    "Jensen", "Kowalski", "Lee", "Moreau", "Novak", "Orlov", "Park", "Quinn", "Rossi",
    "Schmidt", "Tanaka", "Usmanov", "Volkov", "Wagner", "Xu", "Yilmaz", "Zhang", "Petrenko",
    "Shevchenko", "Kovalenko", "Bondarenko", "Melnyk", "Sokolov", "Lebedev", "Kuznetsov",
    "Popescu", "Nagy", "Kask", "Ozols", "Kazlauskas", "Haddad", "Karimov", "Aliyev",
    "Beridze", "Nakamura", "Choi", "Singh", "Khan", "Mendes", "Lindqvist", "Virtanen",
]  # fmt: skip
MINISTRIES = [
    "Ministry of Defence", "Ministry of Foreign Affairs", "Ministry of the Interior",
    "Ministry of Energy", "General Staff", "Presidential Office", "Security Council",
    "Border Guard Service", "Prosecutor General's Office", "Navy Command",
]  # fmt: skip
AGENCIES = [
    "Intelligence Service", "Military Intelligence", "Security Service", "Cyber Command",
    "Counter-Terrorism Centre", "State News Agency", "Space Agency", "Coast Guard",
]  # fmt: skip
ORGANIZATIONS = [
    "Institute for Strategic Studies", "Human Rights Watchers", "Conflict Monitoring Group",
    "Open Source Investigations Collective", "Energy Security Forum", "Refugee Aid Network",
    "Centre for Disinformation Research", "Arms Control Association", "Red Cross Society",
]  # fmt: skip
MEDIA = ["Daily", "Herald", "Tribune", "Broadcasting", "Telegraph", "Wire", "Courier", "Post"]
ALLIANCES = ["Defence Pact", "Economic Union", "Security Cooperation Organisation", "Coalition"]
PUBLISHERS = [
    ("The Meridian Herald", "meridian-herald.example"),
    ("Northern Wire", "northern-wire.example"),
    ("Eastern Courier", "eastern-courier.example"),
    ("Global Dispatch", "global-dispatch.example"),
    ("The Baltic Monitor", "baltic-monitor.example"),
    ("Pacific Tribune", "pacific-tribune.example"),
    ("Frontline Daily", "frontline-daily.example"),
    ("Open Source Observer", "osobserver.example"),
    ("State Broadcasting Corp.", "sbc.example"),
    ("Continental Post", "continental-post.example"),
    ("The Policy Review", "policy-review.example"),
    ("Independent Fact Desk", "factdesk.example"),
]
KIND_WEIGHTS = {
    ActorKind.GOVERNMENT: 20,
    ActorKind.AGENCY: 15,
    ActorKind.PERSON: 40,
    ActorKind.ORGANIZATION: 10,
    ActorKind.MEDIA: 10,
    ActorKind.ALLIANCE: 2,
    ActorKind.COURT: 1,
    ActorKind.OTHER: 2,
}
UNVERIFIED, CONFIRMED, DENIED = (
    Claim.Status.UNVERIFIED,
    Claim.Status.CONFIRMED,
    Claim.Status.DENIED,
)
RATIONALES = {
    CONFIRMED: [
        "Confirmed by satellite imagery published by {publisher}.",
        "Independently confirmed by two officials and a {publisher} investigation.",
        "Matches the figures in the {date} report by {publisher}.",
    ],
    DENIED: [
        "Contradicted by open-source evidence collected by {publisher}.",
        "The photographs cited were taken years earlier; see {publisher}, {date}.",
        "No independent source supports it; {publisher} found the opposite.",
    ],
}


def copy_escape(value):
    """A value in PostgreSQL's COPY text format."""
    if value is None:
        return "\\N"
    return (
        str(value)
        .replace("\\", "\\\\")
        .replace("\t", "\\t")
        .replace("\n", "\\n")
        .replace("\r", "\\r")
    )


class TableWriter:
    """Writes rows (tuples of str/None, in `columns` order) to a table: COPY on PostgreSQL,
    batched INSERTs elsewhere. Rows marked `clean` are known to hold only plain strings
    without tabs, newlines or backslashes, so COPY can take them as they are."""

    def __init__(self, cursor):
        self.cursor = cursor
        self.copy = connection.vendor == "postgresql"

    def write(self, model, fields, rows, clean=False):
        if not rows:
            return
        table = connection.ops.quote_name(model._meta.db_table)
        columns = ", ".join(
            connection.ops.quote_name(model._meta.get_field(name).column) for name in fields
        )
        if self.copy:
            if clean:
                data = "\n".join("\t".join("\\N" if v is None else v for v in row) for row in rows)
            else:
                data = "\n".join("\t".join(map(copy_escape, row)) for row in rows)
            self.cursor.copy_expert(
                f"COPY {table} ({columns}) FROM STDIN", io.StringIO(data + "\n"), 1 << 20
            )
        else:
            marks = ", ".join(["%s"] * len(fields))
            sql = f"INSERT INTO {table} ({columns}) VALUES ({marks})"  # noqa: S608 - quoted names
            self.cursor.executemany(sql, rows)


ACTOR_FIELDS = [
    "id", "name", "slug", "short_name", "aliases", "kind", "country", "parent",
    "wikidata_id", "description", "version",
]  # fmt: skip
SOURCE_FIELDS = [
    "id", "title", "url", "publisher", "kind", "published_on", "archive_url", "notes",
    "version", "reliability", "url_key",
]  # fmt: skip
# search_vector (PostgreSQL, migration 0002) is generated by the database: never listed.
CLAIM_FIELDS = [
    "id", "actor", "headline", "text", "stated_on", "status", "status_rationale",
    "status_changed_at", "created_at", "updated_at", "version", "status_confidence",
]  # fmt: skip
CITATION_FIELDS = [
    "id", "claim", "source", "role", "quote", "note", "credibility", "direction",
    "reliability_override",
]  # fmt: skip
STATUS_CHANGE_FIELDS = [
    "id", "claim", "old_status", "new_status", "rationale", "changed_at", "confidence",
]  # fmt: skip
# Grades come from the row ids, not the random generator, so the rest of a seed's data
# stays what it was before grades existed.
RELIABILITIES = "ABCDEF"
CONFIDENCES = ("low", "moderate", "high")
DIRECTIONS = {"confirmed": "supports", "denied": "refutes"}
PROPOSITION_FIELDS = [
    "id", "statement", "slug", "description", "status", "status_rationale", "created_at",
    "updated_at", "version", "status_confidence",
]  # fmt: skip
STANCE_FIELDS = ["id", "claim", "proposition", "stance", "note", "created_at"]
# One claim in this many also bears on the first generated proposition: at 1M claims it has
# 10,000 stances, the "busy proposition" the benchmarks page through.
HOT_PROPOSITION_EVERY = 100
STANCE_BATCH = 50_000


class Generator:
    """Deterministic rows for a seed; ids continue after `first_ids` (table -> next id)."""

    def __init__(self, *, seed, actors, sources, first_ids, existing_names, existing_slugs):
        self.rng = random.Random(seed)
        self.n_actors = actors
        self.n_sources = sources
        self.next_id = dict(first_ids)
        self.existing_names = set(existing_names)
        self.existing_slugs = set(existing_slugs)
        self.start = END_DATE - datetime.timedelta(days=SPAN_DAYS)
        self.dates = [
            (self.start + datetime.timedelta(days=d)).isoformat() for d in range(SPAN_DAYS + 1)
        ]
        self.country_codes = list(COUNTRIES)

    def _ids(self, table, count):
        first = self.next_id[table]
        self.next_id[table] = first + count
        return range(first, first + count)

    # Actors -----------------------------------------------------------------------------
    def _actor_name(self, kind):
        rng = self.rng
        code = rng.choice(self.country_codes)
        country = COUNTRIES[code]
        if kind == ActorKind.PERSON:
            name = (
                f"{rng.choice(FIRST_NAMES)} {chr(65 + rng.randrange(26))}. {rng.choice(LAST_NAMES)}"
            )
            short = name.rsplit(" ", 1)[-1]
        elif kind == ActorKind.GOVERNMENT:
            name, short = f"{rng.choice(MINISTRIES)} of {country}", ""
        elif kind == ActorKind.AGENCY:
            name, short = f"{country} {rng.choice(AGENCIES)}", ""
        elif kind == ActorKind.MEDIA:
            name, short = f"{rng.choice(LAST_NAMES)} {rng.choice(MEDIA)} ({country})", ""
        elif kind == ActorKind.ALLIANCE:
            name, short = f"{rng.choice(PLACES).removeprefix('the ')} {rng.choice(ALLIANCES)}", ""
            code = ""
        elif kind == ActorKind.COURT:
            name, short = f"Supreme Court of {country}", ""
        else:
            name, short = f"{country} {rng.choice(ORGANIZATIONS)}", ""
        return name, short, code

    def actors(self):
        kinds = self.rng.choices(
            list(KIND_WEIGHTS), weights=list(KIND_WEIGHTS.values()), k=self.n_actors
        )
        rows = []
        parents = []  # governments and agencies people may speak for
        for actor_id, kind in zip(self._ids("actor", self.n_actors), kinds, strict=True):
            name, short, code = self._actor_name(kind)
            base, n = name, 1
            while name in self.existing_names:
                n += 1
                name = f"{base} ({n})"
            self.existing_names.add(name)
            slug = base_slug = slugify(name)[:190] or f"actor-{actor_id}"
            n = 1
            while slug in self.existing_slugs:
                n += 1
                slug = f"{base_slug}-{n}"
            self.existing_slugs.add(slug)
            parent = None
            if kind == ActorKind.PERSON and parents and self.rng.random() < 0.3:
                parent = str(self.rng.choice(parents))
            elif kind in (ActorKind.GOVERNMENT, ActorKind.AGENCY):
                parents.append(actor_id)
            aliases = f"{short}\n{name.upper()}" if short and self.rng.random() < 0.3 else ""
            wikidata = f"Q{self.rng.randrange(1, 10**8)}" if self.rng.random() < 0.2 else ""
            where = COUNTRIES.get(code, "international")
            description = f"Synthetic {kind} actor generated for benchmarks ({where})."
            rows.append(
                (
                    str(actor_id),
                    name,
                    slug,
                    short[:100],
                    aliases,
                    kind,
                    code,
                    parent,
                    wikidata,
                    description,
                    "1",
                )
            )
        return rows

    # Sources ----------------------------------------------------------------------------
    def sources(self):
        rng = self.rng
        rows = []
        kinds = list(SourceKind.values)
        # Sorted by date, so a claim can cite sources from around its own date.
        days = sorted(rng.randrange(SPAN_DAYS + 1) for _ in range(self.n_sources))
        for source_id, day in zip(self._ids("source", self.n_sources), days, strict=True):
            publisher, domain = rng.choice(PUBLISHERS)
            event, place = rng.choice(EVENTS), rng.choice(PLACES)
            date = self.dates[day]
            title = f"{event.capitalize()} reported in {place}"
            url = f"https://{domain}/{date.replace('-', '/')}/{slugify(title)}-{source_id}"
            archive = f"https://archive.example/{source_id}" if rng.random() < 0.1 else ""
            rows.append(
                (
                    str(source_id),
                    title,
                    url,
                    publisher,
                    rng.choice(kinds),
                    date,
                    archive,
                    "",
                    "1",
                    RELIABILITIES[source_id * 7 % 6],
                    normalize_url(url),
                )  # fmt: skip
            )
        self.source_ids = [int(r[0]) for r in rows]
        return rows

    # Claims, citations, timelines ---------------------------------------------------------
    def prepare_claims(self, actor_ids, actor_short):
        # Skewed like real life: a few actors say a lot, most say little (Zipf-like).
        order = list(actor_ids)
        self.rng.shuffle(order)
        self.claim_actor_ids = order
        self.claim_actor_cum = []
        total = 0.0
        for rank in range(len(order)):
            total += 1.0 / (rank + 5)
            self.claim_actor_cum.append(total)
        self.actor_short = actor_short

    def claim_batch(self, count):
        rng = self.rng
        rand, choice, randrange = rng.random, rng.choice, rng.randrange
        claims, citations, changes = [], [], []
        actor_ids = rng.choices(self.claim_actor_ids, cum_weights=self.claim_actor_cum, k=count)
        n_sources = len(self.source_ids)
        claim_ids = self._ids("claim", count)
        for claim_id, actor_id in zip(claim_ids, actor_ids, strict=True):
            # More claims in recent years: density grows linearly over the ten years.
            day = int(SPAN_DAYS * math.sqrt(rand()))
            stated_on = self.dates[day]
            who = self.actor_short[actor_id]
            words = {
                "who": who,
                "event": choice(EVENTS),
                "event2": choice(EVENTS),
                "place": choice(PLACES),
                "place2": choice(PLACES),
                "country": COUNTRIES[choice(self.country_codes)],
                "number": str(randrange(2, 20000)),
                "units": choice(UNITS),
                "adjective": choice(ADJECTIVES),
                "outcome": choice(OUTCOMES),
                "verb": choice(VERBS),
                "codename": f"{choice(CODE_ADJECTIVES)} {choice(CODE_NOUNS)}",
                "date": self.dates[min(SPAN_DAYS, day + randrange(0, 30))],
            }
            headline = choice(HEADLINE_TEMPLATES).format(**words)
            if len(headline) > 120:
                headline = headline[:119].rstrip() + "…"
            sentences = rng.sample(SENTENCE_TEMPLATES, 3 + randrange(3))
            text = " ".join(s.format(**words) for s in sentences)

            # Older claims had more time to be judged.
            age = 1 - day / SPAN_DAYS
            status = UNVERIFIED
            if rand() < 0.25 + 0.55 * age:
                status = CONFIRMED if rand() < 0.55 else DENIED
            created = f"{stated_on} {randrange(6, 22):02d}:{randrange(60):02d}:{randrange(60):02d}"
            changed = created
            changes.append(
                (str(self._ids("change", 1)[0]), str(claim_id), "", UNVERIFIED, "", created, "")
            )
            rationale = ""
            confidence = ""
            old = UNVERIFIED
            if status != UNVERIFIED:
                # Some verdicts were first the other way round, then reversed.
                path = (
                    [DENIED if status == CONFIRMED else CONFIRMED, status]
                    if rand() < 0.08
                    else [status]
                )
                verdict_day = min(SPAN_DAYS, day + 1 + randrange(120))
                for new in path:
                    publisher = choice(PUBLISHERS)[0]
                    rationale = choice(RATIONALES[new]).format(
                        publisher=publisher, date=self.dates[verdict_day]
                    )
                    changed = (
                        f"{self.dates[verdict_day]} {randrange(8, 20):02d}:{randrange(60):02d}:00"
                    )
                    change_id = self._ids("change", 1)[0]
                    confidence = CONFIDENCES[change_id % 3]
                    changes.append(
                        (
                            str(change_id),
                            str(claim_id),
                            old,
                            new,
                            rationale,
                            changed,
                            confidence,
                        )
                    )
                    old = new
                    verdict_day = min(SPAN_DAYS, verdict_day + 1 + randrange(60))
            claims.append(
                (
                    str(claim_id),
                    str(actor_id),
                    headline,
                    text,
                    stated_on,
                    status,
                    rationale,
                    changed,  # the latest timeline entry's: when the verdict took effect
                    created,
                    changed,
                    "1",
                    confidence,
                )
            )

            # 1-3 sources from around the claim's date: where it appeared, and evidence.
            near = int(day / SPAN_DAYS * (n_sources - 1))
            picked = set()
            for i in range(1 + (rand() < 0.6) + (rand() < 0.25)):
                idx = min(n_sources - 1, max(0, near + randrange(-40, 41)))
                source_id = self.source_ids[idx]
                if source_id in picked:
                    continue
                picked.add(source_id)
                role = "appearance" if i == 0 else "evidence"
                quote = sentences[0].format(**words) if role == "appearance" else ""
                citation_id = self._ids("citation", 1)[0]
                evidence = role == "evidence"
                citations.append(
                    (
                        str(citation_id),
                        str(claim_id),
                        str(source_id),
                        role,
                        quote,
                        "",
                        str(1 + citation_id * 5 % 6) if evidence else None,
                        DIRECTIONS.get(status, "context") if evidence else "",
                        "",
                    )
                )
        return claims, citations, changes


def proposition_rows(rng, ids):
    """Propositions with unique statements; a third of them decided (no timeline entries:
    like the claims' generated verdicts, they bypass the services)."""
    rows = []
    for pk in ids:
        statement = f"The {rng.choice(EVENTS)} near {rng.choice(PLACES)} happened (case {pk})"
        roll = rng.random()
        status = "confirmed" if roll < 0.15 else "denied" if roll < 0.3 else "unverified"
        rationale = "" if status == "unverified" else "Generated verdict."
        when = "2026-06-30 12:00:00"
        slug = f"{slugify(statement)[:60].strip('-')}-{pk}"
        confidence = "" if status == "unverified" else CONFIDENCES[pk % 3]
        rows.append((str(pk), statement, slug, "", status, rationale, when, when, "1", confidence))
    return rows


def stance_rows(rng, claim_ids, proposition_ids, next_stance_id):
    """About 0.7 stances per claim, spread over the propositions, plus every
    HOT_PROPOSITION_EVERY-th claim on the first one. Yields batches of rows."""
    kinds = ["asserts"] * 6 + ["denies"] * 3 + ["doubts"]
    hot, batch, pk = proposition_ids[0], [], next_stance_id
    when = "2026-06-30 12:00:00"
    for claim_id in claim_ids:
        picked = set()
        if rng.random() < 0.7:
            picked.add(proposition_ids[rng.randrange(len(proposition_ids))])
        if claim_id % HOT_PROPOSITION_EVERY == 0:
            picked.add(hot)
        for proposition_id in sorted(picked):
            batch.append((str(pk), str(claim_id), str(proposition_id), rng.choice(kinds), "", when))
            pk += 1
        if len(batch) >= STANCE_BATCH:
            yield batch
            batch = []
    if batch:
        yield batch


class Command(BaseCommand):
    help = "Generate synthetic actors, sources and claims (with citations and timelines)."

    def add_arguments(self, parser):
        parser.add_argument("--claims", type=int, default=1000, help="How many claims.")
        parser.add_argument("--actors", type=int, default=100, help="How many actors.")
        parser.add_argument(
            "--sources", type=int, default=None, help="How many sources (default: claims / 10)."
        )
        parser.add_argument(
            "--propositions",
            type=int,
            default=None,
            help="How many propositions, with claims' stances on them (default: claims / 10).",
        )
        parser.add_argument("--seed", type=int, default=1, help="Same seed, same data.")
        parser.add_argument(
            "--batch-size", type=int, default=20_000, help="Claims per COPY/INSERT batch."
        )

    def handle(self, *args, claims, actors, sources, seed, batch_size, propositions, **options):
        if claims < 0 or actors < 1 or batch_size < 1:
            raise CommandError("--claims must be >= 0, --actors and --batch-size >= 1.")
        sources = max(1, claims // 10) if sources is None else sources
        if sources < 1:
            raise CommandError("--sources must be >= 1.")
        postgres = connection.vendor == "postgresql"
        show_progress = options["verbosity"] > 0

        with connection.cursor() as cursor:
            if postgres:
                # Settings give web connections a 10 s statement_timeout; a bulk load needs none.
                cursor.execute("SET statement_timeout = 0")
            models = [Actor, Source, Claim, Citation, StatusChange, Proposition, Stance]

            def write():
                if postgres:
                    tables = ", ".join(connection.ops.quote_name(m._meta.db_table) for m in models)
                    cursor.execute(f"LOCK TABLE {tables} IN SHARE ROW EXCLUSIVE MODE")
                first_ids = {}
                keys = ["actor", "source", "claim", "citation", "change", "proposition", "stance"]
                for key, model in zip(keys, models, strict=True):
                    last = model.objects.order_by("-pk").values_list("pk", flat=True).first()
                    first_ids[key] = (last or 0) + 1
                gen = Generator(
                    seed=seed,
                    actors=actors,
                    sources=sources,
                    first_ids=first_ids,
                    existing_names=Actor.objects.values_list("name", flat=True),
                    existing_slugs=Actor.objects.values_list("slug", flat=True),
                )
                writer = TableWriter(cursor)
                actor_rows = gen.actors()
                writer.write(Actor, ACTOR_FIELDS, actor_rows)
                writer.write(Source, SOURCE_FIELDS, gen.sources())
                gen.prepare_claims(
                    [int(r[0]) for r in actor_rows],
                    {int(r[0]): (r[3] or r[1]) for r in actor_rows},
                )
                self._write_claims(gen, writer, claims, batch_size, show_progress)
                n_propositions = max(1, claims // 10) if propositions is None else propositions
                n_stances = self._write_propositions(
                    writer, seed, first_ids, claims, n_propositions
                )
                for sql in connection.ops.sequence_reset_sql(no_style(), models):
                    cursor.execute(sql)
                return gen, first_ids, n_propositions, n_stances

            # One service call (one transaction) for the whole load: synthetic rows, no history.
            gen, first_ids, n_propositions, n_stances = services.load_generated_rows(write)
            if postgres:
                # VACUUM also sets the visibility map (index-only scans); it can't run inside
                # a transaction (e.g. a test's), where plain ANALYZE has to do.
                command = "ANALYZE" if connection.in_atomic_block else "VACUUM (ANALYZE)"
                if show_progress:
                    self.stdout.write(f"{command} (so the planner sees the new sizes)…")
                for model in models:
                    cursor.execute(f"{command} {connection.ops.quote_name(model._meta.db_table)}")
            else:
                cursor.execute("ANALYZE")
        if show_progress:
            self.stdout.write(
                self.style.SUCCESS(
                    f"Generated {actors} actors, {sources} sources, {claims} claims "
                    f"({gen.next_id['citation'] - first_ids['citation']} citations, "
                    f"{gen.next_id['change'] - first_ids['change']} status changes), "
                    f"{n_propositions} propositions ({n_stances} stances), seed {seed}."
                )
            )

    def _write_propositions(self, writer, seed, first_ids, claims, count):
        """Propositions, then the new claims' stances on them; returns how many stances."""
        if count <= 0 or claims <= 0:
            return 0
        rng = random.Random(seed + 1)  # its own stream: the claims stay as they were
        ids = range(first_ids["proposition"], first_ids["proposition"] + count)
        writer.write(Proposition, PROPOSITION_FIELDS, proposition_rows(rng, ids))
        claim_ids = range(first_ids["claim"], first_ids["claim"] + claims)
        written = 0
        for batch in stance_rows(rng, claim_ids, list(ids), first_ids["stance"]):
            writer.write(Stance, STANCE_FIELDS, batch, clean=True)
            written += len(batch)
        return written

    def _write_claims(self, gen, writer, total, batch_size, show_progress):
        sizes = [min(batch_size, total - start) for start in range(0, total, batch_size)]
        # One worker thread: batches are still generated in order (same seed, same data),
        # while the main thread streams the previous batch into the database.
        with (
            ThreadPoolExecutor(max_workers=1) as pool,
            tqdm(total=total, unit="claim", disable=not show_progress) as progress,
        ):
            pending = [pool.submit(gen.claim_batch, size) for size in sizes[:2]]
            for i in range(len(sizes)):
                claims, citations, changes = pending[i].result()
                pending[i] = None
                if i + 2 < len(sizes):
                    pending.append(pool.submit(gen.claim_batch, sizes[i + 2]))
                writer.write(Claim, CLAIM_FIELDS, claims, clean=True)
                writer.write(Citation, CITATION_FIELDS, citations, clean=True)
                writer.write(StatusChange, STATUS_CHANGE_FIELDS, changes, clean=True)
                progress.update(len(claims))
