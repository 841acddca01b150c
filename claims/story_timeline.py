"""The story timeline of a proposition: one row per actor, a mark per claim at its date, and
the proposition's verdict changes as vertical lines. Computed here as plain numbers; the
template draws it as SVG (escaped like any other output, no JavaScript), with a table of the
same marks for screen readers and text browsers.

Each mark carries a letter as well as a colour (A asserts, D denies, ? doubts), so colour is
never the only way to tell them apart."""

import datetime

from .models import StanceKind, by_claim_date

# Enough for a story; a proposition with thousands of claims shows its newest marks only.
MAX_MARKS = 300
MAX_ACTORS = 25
LETTERS = {StanceKind.ASSERTS: "A", StanceKind.DENIES: "D", StanceKind.DOUBTS: "?"}
LABEL_WIDTH = 190
PLOT_WIDTH = 560
ROW_HEIGHT = 28
TOP = 34
BOTTOM = 30


def marks_for(proposition, as_of=None):
    """The newest MAX_MARKS claims on the proposition, in one query. With `as_of`: those
    stated by then, each coloured by its verdict of that date."""
    fields = ["stance", "claim_id", "claim__headline", "claim__stated_on", "claim__status"]
    fields += ["claim__actor_id", "claim__actor__name"]
    if as_of is None:
        return list(proposition.stances.order_by(*by_claim_date()).values(*fields)[:MAX_MARKS])
    fields[fields.index("claim__status")] = "claim_as_of_status"
    marks = list(
        proposition.stances.as_of(as_of).order_by(*by_claim_date()).values(*fields)[:MAX_MARKS]
    )
    for mark in marks:
        mark["claim__status"] = mark.pop("claim_as_of_status")
    return marks


def _x(day, first, span):
    return LABEL_WIDTH + round((day - first).days / span * PLOT_WIDTH, 1)


def render(marks, changes):
    """What the template draws: actors as rows, marks, verdict lines and the axis dates.
    `changes` is the proposition's verdict timeline (oldest first). None when no marks."""
    if not marks:
        return None
    actors = []
    for mark in sorted(marks, key=lambda m: (m["claim__stated_on"], m["claim_id"])):
        if mark["claim__actor_id"] not in [a["id"] for a in actors]:
            actors.append({"id": mark["claim__actor_id"], "name": mark["claim__actor__name"]})
    actors = actors[:MAX_ACTORS]
    row_of = {actor["id"]: index for index, actor in enumerate(actors)}
    verdicts = [c for c in changes if c.old_status]  # the first entry is the creation
    days = [m["claim__stated_on"] for m in marks] + [c.changed_at.date() for c in verdicts]
    first, last = min(days), max(days)
    first -= datetime.timedelta(days=3)
    last += datetime.timedelta(days=3)
    span = max((last - first).days, 1)
    height = TOP + ROW_HEIGHT * len(actors) + BOTTOM
    for index, actor in enumerate(actors):
        actor["y"] = TOP + ROW_HEIGHT * index + ROW_HEIGHT // 2
    drawn = []
    for mark in marks:
        row = row_of.get(mark["claim__actor_id"])
        if row is None:
            continue
        drawn.append(
            {
                "x": _x(mark["claim__stated_on"], first, span),
                "y": actors[row]["y"],
                "stance": mark["stance"],
                "letter": LETTERS[mark["stance"]],
                "label": StanceKind(mark["stance"]).label,
                "headline": mark["claim__headline"],
                "actor": actors[row]["name"],
                "date": mark["claim__stated_on"],
                "claim_id": mark["claim_id"],
            }
        )
    lines = [
        {
            "x": _x(change.changed_at.date(), first, span),
            "date": change.changed_at.date(),
            "status": change.new_status,
            "label": change.get_new_status_display(),
        }
        for change in verdicts
    ]
    return {
        "width": LABEL_WIDTH + PLOT_WIDTH + 20,
        "height": height,
        "plot_bottom": height - BOTTOM + 4,
        "axis_y": height - 10,
        "first": first,
        "last": last,
        "label_x": LABEL_WIDTH - 8,
        "plot_left": LABEL_WIDTH,
        "plot_right": LABEL_WIDTH + PLOT_WIDTH,
        "actors": actors,
        "marks": drawn,
        "lines": lines,
        "truncated": len(marks) >= MAX_MARKS,
    }
