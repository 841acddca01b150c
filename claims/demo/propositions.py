"""Load the demo story's propositions and stances (claims/demo/propositions.json) through the
services. Idempotent: a proposition is matched by slug, a stance by (claim, proposition); a
proposition's verdict timeline is written only when it is first created."""

import datetime
import json
from pathlib import Path

from claims import services
from claims.models import Claim, Proposition, Stance

DATA_FILE = Path(__file__).with_name("propositions.json")


def _noon(value):
    day = datetime.date.fromisoformat(value)
    return datetime.datetime.combine(day, datetime.time(12), tzinfo=datetime.UTC)


def load_demo_propositions(path=DATA_FILE):
    """Create what is missing; returns how many propositions were created."""
    data = json.loads(Path(path).read_text(encoding="utf-8"))
    created = 0
    for entry in data["propositions"]:
        proposition = Proposition.objects.filter(slug=entry["slug"]).first()
        if proposition is None:
            proposition = services.create_proposition(
                by=None,
                statement=entry["statement"],
                slug=entry["slug"],
                description=entry["description"],
                at=_noon(entry["created_on"]),
            )
            for verdict in entry["verdicts"]:
                services.proposition_set_status(
                    proposition=proposition,
                    status=verdict["status"],
                    rationale=verdict["rationale"],
                    by=None,
                    at=_noon(verdict["on"]),
                )
            created += 1
        for stance in entry["stances"]:
            claim = Claim.objects.get(
                actor__slug=stance["actor"],
                stated_on=datetime.date.fromisoformat(stance["stated_on"]),
                headline=stance["headline"],
            )
            if not Stance.objects.filter(claim=claim, proposition=proposition).exists():
                services.set_stance(
                    claim=claim,
                    proposition=proposition,
                    stance=stance["stance"],
                    note=stance["note"],
                    by=None,
                )
    return created
