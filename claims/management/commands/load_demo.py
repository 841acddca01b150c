"""Load the demo story (shared/seed: North Korean troops in Russia, 2024-10-18) and what
happened later. Idempotent: objects are matched by slug / title / headline, and a claim's
timeline is written only when the claim is first created."""

import datetime

from django.core.management.base import BaseCommand
from django.db import transaction

from claims import services
from claims.demo.grades import apply_demo_grades, verdict_confidence
from claims.models import Actor, Citation, Claim, Source

ARTICLE = "North Korea has dispatched troops to fight with Russian forces against Ukraine"

# slug: (name, short name, aliases, kind, country, parent slug, wikidata id, description)
ACTORS = {
    "nis": (
        "National Intelligence Service (South Korea)",
        "NIS",
        ["국가정보원", "SIS (misspelled in the 2024-10-18 article)"],
        "agency",
        "KR",
        "",
        "",
        "South Korea's intelligence agency.",
    ),
    "south-korea-presidential-office": (
        "Office of the President of South Korea",
        "Presidential office",
        ["대통령실", "Yongsan"],
        "government",
        "KR",
        "",
        "",
        "Speaks for President Yoon Suk Yeol.",
    ),
    "kremlin": (
        "The Kremlin",
        "Kremlin",
        ["Кремль", "Russian Presidential Administration"],
        "government",
        "RU",
        "",
        "",
        "The Russian presidency; its spokesman is Dmitry Peskov.",
    ),
    "dmitry-peskov": (
        "Dmitry Peskov",
        "Peskov",
        ["Дмитрий Песков"],
        "person",
        "RU",
        "kremlin",
        "",
        "Kremlin press secretary.",
    ),
    "volodymyr-zelenskyy": (
        "Volodymyr Zelenskyy",
        "Zelenskyy",
        ["Zelensky", "Володимир Зеленський"],
        "person",
        "UA",
        "",
        "Q3874799",
        "President of Ukraine.",
    ),
    "nato": (
        "NATO",
        "NATO",
        ["North Atlantic Treaty Organization", "OTAN"],
        "alliance",
        "",
        "",
        "Q7184",
        "The western military alliance.",
    ),
    "mark-rutte": (
        "Mark Rutte",
        "Rutte",
        [],
        "person",
        "NL",
        "nato",
        "Q57792",
        "NATO Secretary-General from October 2024.",
    ),
    "ukrainian-media": (
        "Ukrainian media",
        "",
        [],
        "media",
        "UA",
        "",
        "",
        "Ukrainian news outlets, as reported without a named outlet.",
    ),
    "us-department-of-defense": (
        "US Department of Defense",
        "Pentagon",
        ["DoD", "Lloyd Austin"],
        "government",
        "US",
        "",
        "",
        "Led by Defense Secretary Lloyd Austin in 2024.",
    ),
    "ukraine-ministry-of-defence": (
        "Ministry of Defence of Ukraine",
        "Ukrainian MoD",
        ["Міноборони"],
        "government",
        "UA",
        "",
        "",
        "",
    ),
    "russian-general-staff": (
        "General Staff of the Russian Armed Forces",
        "Russian General Staff",
        ["Valery Gerasimov", "Минобороны России"],
        "government",
        "RU",
        "",
        "",
        "Chief of the general staff: Valery Gerasimov.",
    ),
    "kcna": (
        "Korean Central News Agency",
        "KCNA",
        ["조선중앙통신"],
        "media",
        "KP",
        "",
        "",
        "North Korea's state news agency.",
    ),
}

# key: (title, kind, publisher, published on, notes)
SOURCES = {
    "article": (
        ARTICLE + ", according to South Korean intelligence",
        "news_report",
        "",
        "2024-10-18",
        "The seed article (shared/seed/2024-10-18-north-korean-troops-in-russia.txt).",
    ),
    "nis-statement": (
        "NIS statement on North Korean troop transfers to Russia",
        "intelligence_assessment",
        "National Intelligence Service",
        "2024-10-18",
        "Known through the 2024-10-18 article.",
    ),
    "presidential-statement": (
        "South Korean presidential office statement on the emergency meeting",
        "official_statement",
        "Office of the President",
        "2024-10-18",
        "",
    ),
    "peskov-briefing": (
        "Peskov news conference: North Korean troops report is 'fake news'",
        "press_conference",
        "Russian media",
        "2024-10-10",
        "The article dates it 'last week' (the week before 2024-10-18).",
    ),
    "ukrainian-media-report": (
        "Ukrainian media: six North Koreans killed in a strike in Donetsk",
        "news_report",
        "Ukrainian media",
        "2024-10-04",
        "The article dates it 'earlier this month'.",
    ),
    "zelenskyy-remarks": (
        "Zelenskyy: intelligence on 10,000 North Korean troops",
        "official_statement",
        "Office of the President of Ukraine",
        "2024-10-17",
        "",
    ),
    "rutte-remarks": (
        "Rutte: NATO has no evidence of North Korean soldiers in the fight",
        "press_conference",
        "NATO",
        "2024-10-17",
        "",
    ),
    "austin-remarks": (
        "Austin: evidence of North Korean troops in Russia",
        "press_conference",
        "US Department of Defense",
        "2024-10-23",
        "",
    ),
    "pentagon-briefing": (
        "Pentagon: about 10,000 North Korean troops sent to eastern Russia",
        "press_conference",
        "US Department of Defense",
        "2024-10-28",
        "",
    ),
    "rutte-confirmation": (
        "Rutte confirms North Korean troops sent to Russia and deployed to Kursk",
        "official_statement",
        "NATO",
        "2024-10-28",
        "",
    ),
    "ukraine-mod-engagement": (
        "Ukraine's defence minister: first combat engagement with North Korean units",
        "official_statement",
        "Ministry of Defence of Ukraine",
        "2024-11-05",
        "",
    ),
    "gerasimov-acknowledgement": (
        "Gerasimov acknowledges North Korean soldiers fought in the Kursk region",
        "official_statement",
        "Russian General Staff",
        "2025-04-26",
        "",
    ),
    "kcna-confirmation": (
        "North Korean state media confirm the deployment",
        "news_report",
        "KCNA",
        "2025-04-28",
        "",
    ),
}

# Later verdicts: key: (date, source key, rationale)
EVENTS = {
    "pentagon": (
        "2024-10-28",
        "pentagon-briefing",
        "The Pentagon said about 10,000 North Korean troops had been sent to eastern Russia "
        "for training, some moving closer to Ukraine.",
    ),
    "rutte": (
        "2024-10-28",
        "rutte-confirmation",
        "NATO's Mark Rutte confirmed North Korean troops had been sent to Russia and units "
        "deployed to the Kursk region.",
    ),
    "combat": (
        "2024-11-05",
        "ukraine-mod-engagement",
        "Ukraine's defence minister reported the first combat engagement with North Korean units.",
    ),
    "gerasimov": (
        "2025-04-26",
        "gerasimov-acknowledgement",
        "Russia's chief of the general staff, Valery Gerasimov, acknowledged that North "
        "Korean soldiers took part in fighting in the Kursk region.",
    ),
    "kcna": (
        "2025-04-28",
        "kcna-confirmation",
        "North Korea's state media confirmed the deployment.",
    ),
}

# (actor, stated on, headline, text, [(source key, role, quote)], [(event, status, why)])
CLAIMS = [
    (
        "nis",
        "2024-10-18",
        "North Korea has sent troops to fight for Russia against Ukraine",
        "North Korea has dispatched troops to fight with Russian forces against Ukraine.",
        [
            ("article", "appearance", ARTICLE + ", according to South Korean intelligence."),
            ("nis-statement", "appearance", ""),
        ],
        [("pentagon", "confirmed", ""), ("gerasimov", "confirmed", "")],
    ),
    (
        "nis",
        "2024-10-18",
        "Russian navy ships moved 1,500 North Korean special forces to Vladivostok",
        "Russian navy ships transferred 1,500 North Korean special operation forces to the "
        "Russian port city of Vladivostok between October 8 and October 13.",
        [
            (
                "article",
                "appearance",
                "Russian navy ships transferred 1,500 North Korean special "
                "operation forces to the Russian port city of Vladivostok between October 8 and "
                "October 13.",
            ),
            ("nis-statement", "appearance", ""),
        ],
        [("pentagon", "confirmed", "")],
    ),
    (
        "nis",
        "2024-10-18",
        "North Korean soldiers were given Russian uniforms, weapons and forged IDs",
        "The North Korean soldiers deployed in Russia have been given Russian military "
        "uniforms, weapons and forged identification documents.",
        [
            (
                "article",
                "appearance",
                "The North Korean soldiers deployed in Russia have been "
                "given Russian military uniforms, weapons and forged identification documents.",
            )
        ],
        [("gerasimov", "confirmed", "")],
    ),
    (
        "nis",
        "2024-10-18",
        "North Korean troops are at bases in Vladivostok, Ussuriysk, Khabarovsk, Blagoveshchensk",
        "They are currently staying at military bases in Vladivostok and other Russian sites "
        "such as Ussuriysk, Khabarovsk and Blagoveshchensk, and will likely be deployed to "
        "battle grounds after completing their adaptation training.",
        [
            (
                "article",
                "appearance",
                "According to the statement, they are currently staying at "
                "military bases in Vladivostok and other Russian sites such as Ussuriysk, "
                "Khabarovsk "
                "and Blagoveshchensk.",
            ),
            ("nis-statement", "appearance", ""),
        ],
        [("pentagon", "confirmed", ""), ("rutte", "confirmed", "")],
    ),
    (
        "nis",
        "2024-10-18",
        "Images show Russian ships near a North Korean port and mass gatherings in Russia",
        "The NIS shared images of what it calls Russian navy ship movements near a North "
        "Korean port and suspected North Korean mass gatherings in Ussuriysk and Khabarovsk "
        "in the past week.",
        [
            (
                "article",
                "appearance",
                "The NIS shared images of what it calls Russian navy ship "
                "movements near a North Korean port and suspected North Korean mass gatherings in "
                "Ussuriysk and Khabarovsk in the past week.",
            )
        ],
        [("pentagon", "confirmed", "")],
    ),
    (
        "south-korea-presidential-office",
        "2024-10-18",
        "North Korea's troop dispatch is a grave security threat",
        "Participants of an emergency meeting chaired by President Yoon Suk Yeol agreed that "
        "North Korea's troop dispatch to Russia poses a grave security threat to South Korea "
        "and the international community.",
        [
            (
                "article",
                "appearance",
                "The statement said participants of the meeting agreed that "
                "North Korea’s troop dispatch poses a grave security threat to South Korea and the "
                "international community.",
            ),
            ("presidential-statement", "appearance", ""),
        ],
        [],
    ),
    (
        "kremlin",
        "2024-10-10",
        "Reports of North Korean troops fighting for Russia are 'fake news'",
        "Russia denied using North Korean troops in the war; presidential spokesman Dmitry "
        "Peskov described the claims as “another piece of fake news”.",
        [
            (
                "article",
                "appearance",
                "Russia has denied using North Korean troops in the war, "
                "with Presidential Spokesman Dmitry Peskov describing the claims as “another piece "
                "of fake news” during a news conference last week, according to Russia media.",
            ),
            ("peskov-briefing", "appearance", "another piece of fake news"),
        ],
        [("gerasimov", "denied", "Refuted by Russia itself: ")],
    ),
    (
        "ukrainian-media",
        "2024-10-04",
        "Six North Koreans killed in a Ukrainian missile strike in Donetsk",
        "Six North Koreans were among those killed after a Ukrainian missile strike in the "
        "partially occupied eastern Donetsk region.",
        [
            (
                "article",
                "appearance",
                "Ukrainian media reported earlier this month that six North "
                "Koreans were among those killed after a Ukrainian missile strike in the partially "
                "occupied eastern Donetsk region.",
            ),
            ("ukrainian-media-report", "appearance", ""),
        ],
        [],
    ),
    (
        "volodymyr-zelenskyy",
        "2024-10-17",
        "10,000 North Korean troops are being prepared to join Russian forces",
        "Ukraine's government has intelligence that 10,000 troops from North Korea are being "
        "prepared to join Russian forces.",
        [
            (
                "article",
                "appearance",
                "On Thursday, Ukrainian President Volodymyr Zelenskyy said "
                "his government has intelligence that 10,000 troops from North Korea are being "
                "prepared to join Russian forces.",
            ),
            ("zelenskyy-remarks", "appearance", ""),
        ],
        [("pentagon", "confirmed", "")],
    ),
    (
        "nato",
        "2024-10-17",
        "No evidence that North Korean soldiers are involved in the fight",
        "NATO has no evidence that North Korean soldiers are involved in the fight, though it "
        "is aware North Korea is supporting Russia in a number of ways.",
        [
            (
                "article",
                "appearance",
                "NATO Secretary-General Mark Rutte said the western "
                'alliance “have no evidence that North Korean soldiers are involved in the fight"',
            ),
            (
                "rutte-remarks",
                "appearance",
                "have no evidence that North Korean soldiers are involved in the fight",
            ),
        ],
        [("rutte", "denied", "Superseded by NATO itself: "), ("combat", "denied", "")],
    ),
    (
        "nato",
        "2024-10-17",
        "North Korea supports Russia in a number of ways, including weapons supplies",
        "NATO is aware that North Korea is supporting Russia in a number of ways, including "
        "weapons supplies.",
        [
            (
                "article",
                "appearance",
                "it is aware the country is supporting Russia in a number of "
                "ways, including weapons supplies.",
            ),
            ("rutte-remarks", "appearance", ""),
        ],
        [],
    ),
    (
        "us-department-of-defense",
        "2024-10-23",
        "There is evidence of North Korean troops in Russia",
        "US Defense Secretary Lloyd Austin said there was evidence of North Korean troops in "
        "Russia.",
        [("austin-remarks", "appearance", "")],
        [("gerasimov", "confirmed", "")],
    ),
    (
        "us-department-of-defense",
        "2024-10-28",
        "About 10,000 North Korean troops were sent to eastern Russia for training",
        "About 10,000 North Korean troops have been sent to eastern Russia for training, some "
        "moving closer to Ukraine.",
        [("pentagon-briefing", "appearance", "")],
        [("gerasimov", "confirmed", "")],
    ),
    (
        "nato",
        "2024-10-28",
        "North Korean troops were sent to Russia and deployed to the Kursk region",
        "Mark Rutte confirmed that North Korean troops had been sent to Russia and that units "
        "had been deployed to Russia's Kursk region.",
        [("rutte-confirmation", "appearance", "")],
        [("gerasimov", "confirmed", "")],
    ),
    (
        "ukraine-ministry-of-defence",
        "2024-11-05",
        "Ukrainian forces had their first combat engagement with North Korean units",
        "Ukrainian forces have had their first combat engagement with North Korean units.",
        [("ukraine-mod-engagement", "appearance", "")],
        [("gerasimov", "confirmed", "")],
    ),
    (
        "russian-general-staff",
        "2025-04-26",
        "North Korean soldiers took part in the fighting in the Kursk region",
        "Valery Gerasimov acknowledged that North Korean soldiers had taken part in fighting "
        "in the Kursk region.",
        [("gerasimov-acknowledgement", "appearance", "")],
        [("kcna", "confirmed", "")],
    ),
]


def _date(value):
    return datetime.date.fromisoformat(value)


def _noon(value):
    return datetime.datetime.combine(_date(value), datetime.time(12), tzinfo=datetime.UTC)


class Command(BaseCommand):
    help = "Load the demo story (North Korean troops in Russia, 2024-10-18). Safe to re-run."

    @transaction.atomic
    def handle(self, *args, **options):
        actors = self._actors()
        sources = self._sources()
        created = 0
        for actor, stated, headline, text, cites, verdicts in CLAIMS:
            if Claim.objects.filter(actor=actors[actor], headline=headline).exists():
                continue
            claim = services.create_claim(
                by=None,
                actor=actors[actor],
                headline=headline,
                text=text,
                stated_on=_date(stated),
                at=_noon(stated),
                citations=[
                    Citation(source=sources[key], role=role, quote=quote)
                    for key, role, quote in cites
                ],
            )
            for event, status, prefix in verdicts:
                when, source_key, rationale = EVENTS[event]
                evidence = sources[source_key]
                if not claim.citations.filter(source=evidence, role="evidence").exists():
                    services.add_citation(claim=claim, source=evidence, role="evidence", by=None)
                services.claim_set_status(
                    claim=claim,
                    status=status,
                    rationale=prefix + rationale,
                    confidence=verdict_confidence(claim, evidence, status),
                    by=None,
                    at=_noon(when),
                )
            created += 1
        apply_demo_grades()
        self.stdout.write(
            f"Demo story: {len(actors)} actors, {len(sources)} sources, "
            f"{created} new claims ({Claim.objects.count()} in all)."
        )

    def _actors(self):
        actors = {}
        for slug, (name, short, aliases, kind, country, parent, qid, desc) in ACTORS.items():
            actor = Actor.objects.filter(slug=slug).first()
            if actor is None:
                actor = services.create_record(
                    Actor(
                        slug=slug,
                        name=name,
                        short_name=short,
                        aliases="\n".join(aliases),
                        kind=kind,
                        country=country,
                        wikidata_id=qid,
                        description=desc,
                        parent=actors.get(parent),
                    ),
                    by=None,
                    reason="demo story",
                )
            actors[slug] = actor
        return actors

    def _sources(self):
        sources = {}
        for key, (title, kind, publisher, published, notes) in SOURCES.items():
            source = Source.objects.filter(title=title).first()
            if source is None:
                source = services.create_record(
                    Source(
                        title=title,
                        kind=kind,
                        publisher=publisher,
                        published_on=_date(published),
                        notes=notes,
                    ),
                    by=None,
                    reason="demo story",
                )
            sources[key] = source
        return sources
