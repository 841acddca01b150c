"""The demo story's grades (grades.json beside this file): each source's reliability, each
evidence citation's credibility and direction, and each verdict's confidence, keyed by what
people know (source titles; a claim's actor slug, date and headline), written through the
services like every other change."""

import json
from functools import cache
from pathlib import Path

from claims import services
from claims.models import Citation, Source

GRADES_FILE = Path(__file__).with_name("grades.json")


@cache
def demo_grades():
    return json.loads(GRADES_FILE.read_text(encoding="utf-8"))


def _claim_key(entry):
    return (entry["actor"], entry["stated_on"], entry["headline"])


def verdict_confidence(claim, evidence, status):
    """The confidence of the demo verdict `status` on `claim` after `evidence` (a Source)."""
    key = (claim.actor.slug, claim.stated_on.isoformat(), claim.headline)
    for entry in demo_grades()["verdicts"]:
        if (_claim_key(entry), entry["status"], entry["evidence"]) == (key, status, evidence.title):
            return entry["confidence"]
    raise LookupError(f"grades.json has no confidence for {status} on {claim.headline!r}")


def apply_demo_grades(*, by=None):
    """Grade the demo's sources and evidence citations. Safe to re-run: a grade already
    given is left as it is."""
    grades = demo_grades()
    sources = {s.title: s for s in Source.objects.filter(title__in=grades["sources"])}
    for title, reliability in grades["sources"].items():
        if title in sources:
            services.source_set_reliability(
                source=sources[title], reliability=reliability, by=by, reason="demo grade"
            )
    for entry in grades["evidence"]:
        citation = (
            Citation.objects.select_related("source")
            .filter(
                role=Citation.Role.EVIDENCE,
                source__title=entry["source"],
                claim__actor__slug=entry["actor"],
                claim__stated_on=entry["stated_on"],
                claim__headline=entry["headline"],
            )
            .first()
        )
        if citation is not None:
            services.grade_citation(
                citation=citation,
                credibility=entry["credibility"],
                direction=entry["direction"],
                reliability_override=entry["reliability_override"],
                by=by,
                reason="demo grade",
            )
