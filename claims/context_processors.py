"""What every template needs to show a page as of a date (?as_of=YYYY-MM-DD)."""

from django import forms

from .filters import AsOfDateField
from .listing import page_free


def as_of_date(request):
    """The valid ?as_of= date of the request, or None (a bad one is the filter's error)."""
    value = request.GET.get("as_of", "").strip()
    if not value:
        return None
    try:
        return AsOfDateField(required=False).clean(value)
    except forms.ValidationError:
        return None


def as_of(request):
    """`as_of` (the date or None), `as_of_suffix` ("?as_of=2024-10-28", for links to other
    pages, so the reader stays in that day's record) and `today_query` (this page's query
    without as_of: the "show today's" link)."""
    date = as_of_date(request)
    if date is None:
        return {"as_of": None, "as_of_suffix": ""}
    today = page_free(request.GET)
    today.pop("as_of", None)
    return {
        "as_of": date,
        "as_of_suffix": f"?as_of={date.isoformat()}",
        "today_query": today.urlencode(),
    }
