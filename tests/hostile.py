"""Records whose every text field holds script-injection payloads (stored XSS).

Each field's value starts with its own tag (ANAME, SNOTES, ...) so a test can name the field
a page failed to show literally."""

import datetime

from claims import services
from claims.models import Actor, Citation, Claim, Source

PAYLOADS = [
    "<script>alert(1)</script>",
    '"><img src=x onerror=alert(1)>',
    "</script><script>alert(1)</script>",
    "<svg onload=alert(1)>",
    "{{ 7*7 }}",
    "javascript:alert(1)",
]
EVERYTHING = " ".join(PAYLOADS)
# For the short columns (short_name: 100, headline: 120 characters).
SHORT = '<script>alert(1)</script>"><img src=x onerror=alert(1)><svg onload=alert(1)>{{ 7*7 }}'


def value(tag):
    return f"{tag} {EVERYTHING}"


VALUES = {
    "actor.name": value("ANAME"),
    "actor.short_name": "AS" + SHORT[:98],
    "actor.description": value("ADESC"),
    "source.title": value("STITLE"),
    "source.publisher": value("SPUB"),
    "source.notes": value("SNOTES"),
    "claim.headline": "CH " + SHORT,
    "claim.text": value("CTEXT"),
    "claim.rationale": value("CWHY"),
    "citation.quote": value("QUOTE"),
    "citation.note": value("QNOTE"),
}
# One alias per line: each shown on its own.
ALIASES = [f"AL{i} {payload}" for i, payload in enumerate(PAYLOADS)]
SLUG = "hostile"


def seed(by=None):
    """An actor, a source and a denied claim citing it, all through the services."""
    actor = services.create_record(
        Actor(
            name=VALUES["actor.name"],
            slug=SLUG,
            short_name=VALUES["actor.short_name"],
            aliases="\n".join(ALIASES),
            description=VALUES["actor.description"],
            kind=Actor.Kind.MEDIA,
            country="KP",
        ),
        by=by,
    )
    source = services.create_record(
        Source(
            title=VALUES["source.title"],
            url="https://example.org/hostile?q=%3Cscript%3E",
            publisher=VALUES["source.publisher"],
            notes=VALUES["source.notes"],
            kind=Source.Kind.NEWS_REPORT,
            published_on=datetime.date(2024, 10, 18),
        ),
        by=by,
    )
    claim = services.create_claim(
        by=by,
        actor=actor,
        headline=VALUES["claim.headline"],
        text=VALUES["claim.text"],
        stated_on=datetime.date(2024, 10, 20),
        citations=[
            Citation(
                source=source,
                role=Citation.Role.APPEARANCE,
                quote=VALUES["citation.quote"],
                note=VALUES["citation.note"],
            )
        ],
    )
    services.claim_set_status(
        confidence="moderate",
        claim=claim,
        status=Claim.Status.DENIED,
        rationale=VALUES["claim.rationale"],
        by=by,
    )
    claim.refresh_from_db()
    return actor, source, claim
