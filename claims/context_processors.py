"""Values every template may show, from the one place the code defines them."""

from .db import COUNT_CAP


def limits(request):
    # "10,000" in a sentence: how far lists count and page before they say "more".
    return {"count_cap_label": f"{COUNT_CAP:,}"}
