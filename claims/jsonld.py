"""schema.org ClaimReview for a claim: what search engines and fact-check aggregators read.

https://schema.org/ClaimReview. The verdict is a Rating on a three-point scale, with its
name in `alternateName`: denied (the claim is false) = 1, unverified = 2, confirmed = 3."""

import json

from django.db.models import OuterRef, Subquery
from django.utils.safestring import mark_safe

from .models import Actor, Citation, Claim, StatusChange

PUBLISHER_NAME = "ClaimTracker"
RATING_VALUES = {
    Claim.Status.DENIED: 1,
    Claim.Status.UNVERIFIED: 2,
    Claim.Status.CONFIRMED: 3,
}
PERSON_KINDS = {Actor.Kind.PERSON}

# As in django.utils.html.json_script: inside <script>, "</script>" or "<!--" in the data
# must not end the element, so <, > and & are written as JSON escapes.
_SCRIPT_ESCAPES = {ord("<"): "\\u003C", ord(">"): "\\u003E", ord("&"): "\\u0026"}


def with_review_date(queryset):
    """Adds `reviewed_at` (the latest verdict's time) so a list needs no query per claim."""
    latest = StatusChange.objects.filter(claim=OuterRef("pk")).latest_first()
    return queryset.annotate(reviewed_at=Subquery(latest.values("changed_at")[:1]))


def _review_date(claim):
    if hasattr(claim, "reviewed_at"):  # annotated by with_review_date()
        reviewed_at = claim.reviewed_at
    else:
        latest = claim.status_changes.latest_first().first()
        reviewed_at = latest.changed_at if latest else None
    return (reviewed_at or claim.created_at).date().isoformat()


def actor_jsonld(actor):
    data = {
        "@type": "Person" if actor.kind in PERSON_KINDS else "Organization",
        "name": actor.name,
    }
    if actor.wikidata_id:
        data["sameAs"] = f"https://www.wikidata.org/wiki/{actor.wikidata_id}"
    return data


def claim_review(claim, request):
    """The ClaimReview of one claim as a dict. Uses claim.citations.all() (prefetch it)."""
    root = request.build_absolute_uri("/")
    appearances = [
        {"@type": "CreativeWork", "url": c.source.url, "name": c.source.title}
        for c in claim.citations.all()
        if c.role == Citation.Role.APPEARANCE and c.source.url
    ]
    item = {
        "@type": "Claim",
        "author": actor_jsonld(claim.actor),
        "datePublished": claim.stated_on.isoformat(),
        "text": claim.text,
    }
    if appearances:
        item["appearance"] = appearances
        item["firstAppearance"] = appearances[0]
    return {
        "@context": "https://schema.org",
        "@type": "ClaimReview",
        "url": request.build_absolute_uri(claim.get_absolute_url()),
        "name": claim.headline,
        "claimReviewed": claim.text,
        "datePublished": _review_date(claim),
        "author": {"@type": "Organization", "name": PUBLISHER_NAME, "url": root},
        "itemReviewed": item,
        "reviewRating": {
            "@type": "Rating",
            "ratingValue": RATING_VALUES[claim.status],
            "bestRating": max(RATING_VALUES.values()),
            "worstRating": min(RATING_VALUES.values()),
            "alternateName": Claim.Status(claim.status).label,
            "ratingExplanation": rating_explanation(claim),
        },
    }


def rating_explanation(claim):
    """The rationale, led by the verdict's confidence ("High confidence. ..."): schema.org's
    Rating has no confidence property, and the rating value stays the verdict alone."""
    confidence = claim.confidence_label
    if not confidence:
        return claim.status_rationale
    if claim.status_confidence is None:
        confidence = f"Confidence {confidence}"
    return f"{confidence}. {claim.status_rationale}".strip()


def dumps(data):
    """JSON that is safe inside a <script> element."""
    return json.dumps(data, ensure_ascii=False).translate(_SCRIPT_ESCAPES)


def script_tag(data):
    return mark_safe(  # noqa: S308 - dumps() escapes <, > and &
        f'<script type="application/ld+json">{dumps(data)}</script>'
    )


def proposition_review(proposition, asserting, request, *, reviewed_on):
    """The ClaimReview of a decided proposition: the statement is what is reviewed, and the
    claims that assert it are where it appeared (itemReviewed.appearance)."""
    appearances = [
        {
            "@type": "CreativeWork",
            "url": request.build_absolute_uri(stance.claim.get_absolute_url()),
            "name": stance.claim.headline,
            "author": actor_jsonld(stance.claim.actor),
            "datePublished": stance.claim.stated_on.isoformat(),
        }
        for stance in asserting
    ]
    item = {"@type": "Claim", "text": proposition.statement}
    if appearances:
        item["appearance"] = appearances
    return {
        "@context": "https://schema.org",
        "@type": "ClaimReview",
        "url": request.build_absolute_uri(proposition.get_absolute_url()),
        "claimReviewed": proposition.statement,
        "datePublished": reviewed_on,
        "author": {
            "@type": "Organization",
            "name": PUBLISHER_NAME,
            "url": request.build_absolute_uri("/"),
        },
        "itemReviewed": item,
        "reviewRating": {
            "@type": "Rating",
            "ratingValue": RATING_VALUES[proposition.status],
            "bestRating": max(RATING_VALUES.values()),
            "worstRating": min(RATING_VALUES.values()),
            "alternateName": Claim.Status(proposition.status).label,
            "ratingExplanation": proposition.status_rationale,
        },
    }


def proposition_review_script(proposition, asserting, timeline, request):
    """The <script> for a proposition page, or "" while it is unverified (nothing reviewed)."""
    if proposition.status == Claim.Status.UNVERIFIED:
        return ""
    reviewed_on = (timeline[-1].changed_at if timeline else proposition.updated_at).date()
    data = proposition_review(proposition, asserting, request, reviewed_on=reviewed_on.isoformat())
    return script_tag(data)
