from django import template

from claims import jsonld

register = template.Library()


@register.simple_tag(takes_context=True)
def claimreview_jsonld(context, claim):
    """<script type="application/ld+json"> with the claim's ClaimReview, escaped for HTML."""
    return jsonld.script_tag(jsonld.claim_review(claim, context["request"]))
