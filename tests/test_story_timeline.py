"""The story timeline's geometry: rows per actor, marks at their dates, verdict lines."""

import datetime
from types import SimpleNamespace

from claims import story_timeline


def mark(actor_id, name, day, stance="asserts", claim_id=1):
    return {
        "stance": stance,
        "claim_id": claim_id,
        "claim__headline": f"Claim {claim_id}",
        "claim__stated_on": day,
        "claim__status": "unverified",
        "claim__actor_id": actor_id,
        "claim__actor__name": name,
    }


def change(old, new, day):
    at = datetime.datetime.combine(day, datetime.time(12), tzinfo=datetime.UTC)
    return SimpleNamespace(
        old_status=old, new_status=new, changed_at=at, get_new_status_display=new.title
    )


def test_no_claims_draws_nothing():
    assert story_timeline.render([], []) is None


def test_one_row_per_actor_in_order_of_first_claim():
    early, late = datetime.date(2024, 10, 10), datetime.date(2025, 4, 26)
    story = story_timeline.render(
        [mark(2, "NIS", late, claim_id=2), mark(1, "Kremlin", early, "denies")], []
    )
    assert [a["name"] for a in story["actors"]] == ["Kremlin", "NIS"]
    assert {m["letter"] for m in story["marks"]} == {"A", "D"}


def test_later_claims_are_further_right_and_verdicts_are_lines():
    early, late = datetime.date(2024, 10, 10), datetime.date(2025, 4, 26)
    marks = [mark(1, "NIS", early, claim_id=1), mark(1, "NIS", late, claim_id=2)]
    changes = [
        change("", "unverified", early),  # the creation: no line
        change("unverified", "confirmed", datetime.date(2024, 10, 28)),
    ]
    story = story_timeline.render(marks, changes)
    xs = {m["claim_id"]: m["x"] for m in story["marks"]}
    assert story["plot_left"] < xs[1] < story["lines"][0]["x"] < xs[2] < story["plot_right"]
    assert [line["status"] for line in story["lines"]] == ["confirmed"]
