"""Orderings, cursors and pages (claims.listing) without HTTP: the text of a cursor, every
malformed one, the API's older cursor links, and page boundaries in both directions."""

import base64
import datetime

import pytest
from django.db.models import F
from django.http import QueryDict

from claims import listing
from claims.listing import (
    CLAIM_ORDER,
    BadCursor,
    Cursor,
    Ordering,
    Page,
    claim_cursor_ordering,
    legacy_cursor,
)
from claims.models import Actor, Claim
from tests.factories import ActorFactory, ClaimFactory

DAY = datetime.date(2024, 1, 1)


def query(text=""):
    return QueryDict(text)


# Orderings ---------------------------------------------------------------------------------


def test_the_claims_default_order_is_their_meta_ordering():
    assert CLAIM_ORDER.fields == tuple(Claim._meta.ordering) == ("-stated_on", "-pk")


def test_id_and_pk_name_the_same_order():
    assert Ordering(Claim, ("-stated_on", "-id")) == CLAIM_ORDER
    assert Ordering(Claim, ("stated_on", "pk")) == CLAIM_ORDER.reversed()


@pytest.mark.parametrize("fields", [("headline",), ("-stated_on",), ("stated_on", "actor__name")])
def test_an_ordering_must_end_on_a_unique_column(fields):
    with pytest.raises(ValueError, match="unique"):
        Ordering(Claim, fields)


def test_a_unique_column_of_the_model_ends_an_ordering():
    assert Ordering(Actor, ("name",)).columns == [("name", False)]


def test_every_offered_sort_pages_by_cursor_and_no_other():
    assert claim_cursor_ordering(Claim.objects.order_by("-stated_on", "-pk")) == CLAIM_ORDER
    assert claim_cursor_ordering(Claim.objects.all()) == CLAIM_ORDER  # Meta.ordering
    for fields in [("headline", "pk"), ("-actor__name", "-pk"), ("status", "pk")]:
        assert claim_cursor_ordering(Claim.objects.order_by(*fields)).fields == fields
    # Mixed directions: no index serves them, so they page by number.
    assert claim_cursor_ordering(Claim.objects.order_by("headline", "-pk")) is None
    assert claim_cursor_ordering(Claim.objects.order_by("headline", "status", "pk")) is None
    assert claim_cursor_ordering(Claim.objects.order_by(F("stated_on").desc(), "-pk")) is None


# Cursor text ---------------------------------------------------------------------------------


def test_a_claim_cursor_reads_as_its_date_and_id():
    cursor = Cursor((datetime.date(2025, 6, 29), 123))
    assert str(cursor) == "2025-06-29.123"
    assert Cursor.parse("2025-06-29.123", CLAIM_ORDER) == cursor


@pytest.mark.parametrize(
    ("ordering", "values"),
    [
        (CLAIM_ORDER, (datetime.date(1900, 1, 1), 2**63 - 1)),
        (Ordering(Actor, ("name",)), ("St. Peter's 100% / Ærø. ok?",)),
        (Ordering(Actor, ("-slug", "pk")), ("a.b-c", 7)),
        (
            Ordering(Claim, ("-updated_at", "-pk")),
            (datetime.datetime(2024, 10, 1, 12, 30, 5, 123456, tzinfo=datetime.UTC), 5),
        ),
    ],
)
def test_cursor_text_round_trips(ordering, values):
    text = str(Cursor(values, tag=ordering.tag))
    assert Cursor.parse(text, ordering) == Cursor(values, tag=ordering.tag)
    assert Cursor.parse(text, ordering, backwards=True).backwards


def test_a_cursor_of_one_sort_is_refused_by_another():
    by_headline = Ordering(Claim, ("headline", "pk"))
    by_status = Ordering(Claim, ("status", "pk"))
    text = str(Cursor(("confirmed", 5), tag=by_headline.tag))
    assert Cursor.parse(text, by_headline).values == ("confirmed", 5)
    for other in (by_status, by_headline.reversed()):
        with pytest.raises(BadCursor, match="another order"):
            Cursor.parse(text, other)
    with pytest.raises(BadCursor):  # the default order's text has no tag
        Cursor.parse("2024-10-18.5", by_headline)


MALFORMED = [
    "",
    ".",
    "garbage",
    "2024-01-01",
    "2024-01-01.",
    ".5",
    "2024-01-01.5.6",
    "2024-02-30.5",
    "2024-1-01.5",
    "24-01-01.5",
    "2024-01-01.0",
    "2024-01-01.-5",
    "2024-01-01.5x",
    "2024-01-01.99999999999999999999",
    "2024-01-01.１",  # a full-width digit: int() would take it
    "２024-01-01.1",
    "2024-01-01_5",  # the API's older separator, outside its base64 link
    "2024-01-01.5" + "0" * 2000,
]


@pytest.mark.parametrize("text", MALFORMED)
def test_a_malformed_claim_cursor_is_a_bad_cursor(text):
    with pytest.raises(BadCursor):
        Cursor.parse(text, CLAIM_ORDER)


@pytest.mark.parametrize("text", ["%FF", "%00", "a b", "a%2", "a\x00"])
def test_a_malformed_text_cursor_is_a_bad_cursor(text):
    with pytest.raises(BadCursor):
        Cursor.parse(text, Ordering(Actor, ("name",)))


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("", None),
        ("page=3&actor=kremlin", None),
        ("before=2024-01-02.7", Cursor((datetime.date(2024, 1, 2), 7))),
        ("after=2024-01-02.7", Cursor((datetime.date(2024, 1, 2), 7), backwards=True)),
    ],
)
def test_the_cursor_of_a_query_string(text, expected):
    assert Cursor.from_query(query(text), CLAIM_ORDER) == expected


@pytest.mark.parametrize(
    ("text", "param"),
    [
        ("before=2024-01-01.1&after=2024-01-01.1", "before"),
        ("before=2024-01-01.1&before=2024-01-02.1", "before"),
        ("after=", "after"),
        ("after=x", "after"),
    ],
)
def test_a_bad_cursor_in_a_query_string_names_its_parameter(text, param):
    with pytest.raises(BadCursor) as error:
        Cursor.from_query(query(text), CLAIM_ORDER)
    assert error.value.param == param


def test_a_cursor_in_an_order_that_pages_by_number_is_a_bad_cursor():
    with pytest.raises(BadCursor, match="another order"):
        Cursor.from_query(query("before=2024-01-01.1"), None)


# The API's older links ---------------------------------------------------------------------


def token(text):
    return base64.b64encode(text.encode()).decode()


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("p=2024-10-01_5", Cursor((datetime.date(2024, 10, 1), 5))),
        ("o=0&r=1&p=2024-10-01_5", Cursor((datetime.date(2024, 10, 1), 5), backwards=True)),
        ("r=0", None),
    ],
)
def test_the_apis_older_cursor_links_keep_working(text, expected):
    assert legacy_cursor(token(text), CLAIM_ORDER) == expected


def test_an_older_actor_cursor_keeps_its_name_whole():
    cursor = legacy_cursor(token("p=North_Korea"), Ordering(Actor, ("name",)))
    assert cursor.values == ("North_Korea",)


@pytest.mark.parametrize(
    "value",
    [
        token("p=not-a-date"),
        token("o=2&p=2024-10-01_5"),
        token("r=x"),
        "%%%",
        token("p=2024-10-01"),
    ],
)
def test_a_damaged_older_cursor_is_a_bad_cursor_naming_it(value):
    with pytest.raises(BadCursor) as error:
        legacy_cursor(value, CLAIM_ORDER)
    assert error.value.param == "cursor"


# Pages -------------------------------------------------------------------------------------


@pytest.fixture
def claims(db):
    """Seven claims, three or so a day: the id breaks ties on the date. Newest first."""
    made = [ClaimFactory(stated_on=DAY + datetime.timedelta(days=n // 3)) for n in range(7)]
    return sorted(made, key=lambda c: (c.stated_on, c.pk), reverse=True)


def page_of(text="", *, per_page=3, ordering=CLAIM_ORDER, total=None):
    listed = Claim.objects.order_by(*CLAIM_ORDER.fields)
    q = query(text)
    cursor = Cursor.from_query(q, ordering)
    return Page(listed, q, per_page=per_page, ordering=ordering, cursor=cursor, total=total)


def test_the_first_page_links_older_by_cursor_only(claims):
    page = page_of()
    assert page.rows == claims[:3]
    assert page.next_query == f"before={claims[2].stated_on}.{claims[2].pk}"
    assert (page.previous_query, page.first_query, page.number) == (None, None, 1)


def test_older_pages_reach_the_last_claim_once_each(claims):
    seen, page = [], page_of()
    while True:
        seen += page.rows
        if page.next_query is None:
            break
        page = page_of(page.next_query)
    assert seen == claims
    assert page.previous_query and page.first_query == ""


def test_newer_pages_walk_back_from_the_last(claims):
    last = page_of(f"before={claims[3].stated_on}.{claims[3].pk}")
    assert last.rows == claims[4:] and last.next_query is None
    back = page_of(last.previous_query)
    assert back.rows == claims[1:4]
    newest = page_of(back.previous_query)
    assert newest.rows == [claims[0]] and newest.previous_query is None


def test_an_exactly_full_last_page_has_no_older_link(claims):
    page = page_of(f"before={claims[0].stated_on}.{claims[0].pk}", per_page=6)
    assert page.rows == claims[1:]
    assert page.next_query is None


def test_ties_on_the_date_are_broken_by_id(claims):
    same_day = [c for c in claims if c.stated_on == claims[2].stated_on]
    page = page_of(f"before={same_day[0].stated_on}.{same_day[0].pk}", per_page=len(same_day))
    assert page.rows[: len(same_day) - 1] == same_day[1:]


def test_a_cursor_past_either_end_gives_an_empty_page(claims):
    newest = page_of(f"after={claims[0].stated_on}.{claims[0].pk}")
    oldest = page_of(f"before={claims[-1].stated_on}.{claims[-1].pk}")
    assert (newest.rows, newest.next_query, newest.previous_query) == ([], None, None)
    assert oldest.rows == [] and oldest.first_query == ""


def test_links_keep_the_filter_and_drop_the_old_page(claims):
    page = page_of(f"actor=kremlin&page=1&before={claims[0].stated_on}.{claims[0].pk}")
    assert page.next_query.startswith("actor=kremlin&before=")
    assert page.first_query == "actor=kremlin"


def test_numbered_pages_link_by_number_in_an_order_without_cursor(claims):
    page = page_of("page=2", ordering=None, total=7)
    assert page.rows == claims[3:6]
    assert (page.number, page.pages) == (2, 3)
    assert (page.previous_query, page.next_query) == ("", "page=3")
    assert page_of("page=3", ordering=None, total=7).next_query is None


@pytest.mark.parametrize(("asked", "shown"), [("0", 1), ("x", 1), ("-4", 1), ("999", 2)])
def test_numbered_pages_are_clamped_at_the_row_limit(claims, monkeypatch, asked, shown):
    monkeypatch.setattr(listing, "OFFSET_ROWS_LIMIT", 6)
    page = page_of(f"page={asked}", ordering=None)
    assert page.number == shown
    assert page.pages is None  # total unknown: no "of N"
    assert page.limit_reached == (shown == 2)


def test_a_numbered_page_in_the_cursor_order_links_older_by_cursor(claims):
    page = page_of("page=2")
    assert page.rows == claims[3:6]
    assert page.next_query == f"before={claims[5].stated_on}.{claims[5].pk}"
    assert page.previous_query == ""


def test_a_page_of_another_model_pages_by_its_own_ordering(db):
    names = sorted(ActorFactory(name=f"Actor {n}.{n}").name for n in range(5))
    ordering = Ordering(Actor, ("name",))
    page = Page(Actor.objects.order_by("name"), query(), per_page=2, ordering=ordering)
    second = Page(
        Actor.objects.order_by("name"),
        query(page.next_query),
        per_page=2,
        ordering=ordering,
        cursor=Cursor.from_query(query(page.next_query), ordering),
    )
    assert [a.name for a in page.rows + second.rows] == names[:4]
