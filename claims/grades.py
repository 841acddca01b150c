"""How graded evidence is shown: a claim's evidence grouped by direction, best first, and the
one-line summary ("2 supporting, best A1; 1 refuting, C3"). Works on citations already
loaded with their sources, so a page adds no query per citation."""

from .models import Direction

DIRECTION_HEADINGS = {
    Direction.SUPPORTS: ("Supporting evidence", "supporting"),
    Direction.REFUTES: ("Refuting evidence", "refuting"),
    Direction.CONTEXT: ("Context", "giving context"),
}


def evidence_groups(citations):
    """[{direction, heading, citations (best-graded first), best}] for the evidence among
    `citations`, in the order supports, refutes, context; empty groups left out."""
    groups = []
    for direction in Direction.values:
        rows = sorted(
            (c for c in citations if c.is_evidence and c.direction == direction),
            key=lambda c: (c.grade_key, c.pk or 0),
        )
        if rows:
            heading, adjective = DIRECTION_HEADINGS[direction]
            groups.append(
                {
                    "direction": direction,
                    "heading": heading,
                    "adjective": adjective,
                    "citations": rows,
                    "best": rows[0],
                }
            )
    return groups


def evidence_summary(groups):
    """ "2 supporting, best A1; 1 refuting, C3" for the groups of evidence_groups()."""
    parts = []
    for group in groups:
        count, best = len(group["citations"]), group["best"].rating
        grade = f"best {best}" if count > 1 else best
        parts.append(f"{count} {group['adjective']}, {grade}")
    return "; ".join(parts)
