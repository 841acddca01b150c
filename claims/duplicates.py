"""Possible duplicates: claims that say almost the same as a new one, sources that are the
same page under another spelling of its URL, sources with a similar title.

Every path that creates a claim or a source (site forms, API, import) asks here, so they
agree on what counts as "the same". Each check is a bounded number of queries whatever the
size of the tables:

- PostgreSQL: pg_trgm's similarity, found through a GIN trigram index on the headline
  (migration 0011), plus the same actor's claims of the days around.
- Other databases (SQLite): rapidfuzz over a bounded candidate set, the same actor's claims
  of the weeks around and everyone's of the days around, newest first.

Only this module imports models lazily: models.py uses normalize_url when a source is saved."""

import dataclasses
import datetime
import re
import unicodedata
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from django.db import connections, transaction

# How many possible duplicates a page or an answer lists.
SHOWN = 5
# Trigram similarity (0..1, PostgreSQL) from which a claim's headline or text counts as
# "almost the same words"; rapidfuzz's score (0..100) plays the same part elsewhere.
PG_MIN_SIMILARITY = 0.5
FUZZ_MIN_SCORE = 75
# Text compared beyond the headline: its opening, where a copy shows first.
TEXT_PREFIX = 1000
# The same actor's claims this many days either side are always compared (a spokesman
# says the same thing twice in a week); everyone's within NEAR_DAYS.
ACTOR_DAYS = 30
NEAR_DAYS = 3
# At most this many candidates are scored in Python (databases without pg_trgm).
MAX_CANDIDATES = 500
# Query-string parameters that say where a reader came from, not which page it is.
TRACKING_PARAM = re.compile(r"^(utm_[a-z0-9_]*|fbclid|gclid|mc_eid|mc_cid)$", re.I)
DEFAULT_PORTS = {"http": "80", "https": "443"}


def normalize_url(url):
    """The URL as a key that two spellings of one page share: scheme and host in lower
    case, no default port, no fragment, no tracking parameters (utm_*, fbclid...), no
    trailing slash. "" for a blank URL; text that isn't a URL is kept as typed."""
    url = (url or "").strip()
    if not url:
        return ""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        return url
    scheme = parts.scheme.lower()
    host = (parts.hostname or "").lower()
    if port is not None and str(port) != DEFAULT_PORTS.get(scheme):
        host = f"{host}:{port}"
    if parts.username or parts.password:
        password = f":{parts.password}" if parts.password else ""
        host = f"{parts.username or ''}{password}@{host}"
    pairs = parse_qsl(parts.query, keep_blank_values=True)
    query = [(k, v) for k, v in pairs if not TRACKING_PARAM.match(k)]
    path = parts.path.rstrip("/")
    return urlunsplit((scheme, host, path, urlencode(query, doseq=True), ""))


def _words(text):
    """Lower case, accents and punctuation gone: what the fuzzy matcher compares."""
    text = unicodedata.normalize("NFKD", text or "")
    text = "".join(ch for ch in text if not unicodedata.combining(ch)).casefold()
    return " ".join(re.findall(r"\w+", text))


@dataclasses.dataclass
class Match:
    """A possible duplicate: the existing record and how alike it is (0..1)."""

    record: object
    score: float

    @property
    def percent(self):
        return round(self.score * 100)


# Claims --------------------------------------------------------------------------------


def similar_claims(*, headline, text="", actor=None, stated_on=None, exclude_pk=None, limit=SHOWN):
    """Existing claims that say almost the same as this one, most alike first, as Matches
    (each claim with its actor loaded). At most `limit`; two queries at most."""
    from .models import Claim

    headline = (headline or "").replace("\x00", "").strip()
    text = (text or "").replace("\x00", "")[:TEXT_PREFIX]
    if not headline:
        return []
    actor_id = getattr(actor, "pk", actor)
    if connections[Claim.objects.db].vendor == "postgresql":
        scored = _pg_similar_claims(headline, text, actor_id, stated_on, exclude_pk, limit)
    else:
        scored = _fuzzy_similar_claims(headline, text, actor_id, stated_on, exclude_pk, limit)
    if not scored:
        return []
    claims = Claim.objects.select_related("actor").in_bulk([pk for pk, _ in scored])
    return [Match(claims[pk], score) for pk, score in scored if pk in claims]


def similar_to(claim, limit=SHOWN):
    """Claims like `claim` (the claim page's "similar claims"), itself left out."""
    return similar_claims(
        headline=claim.headline,
        text=claim.text,
        actor=claim.actor_id,
        stated_on=claim.stated_on,
        exclude_pk=claim.pk,
        limit=limit,
    )


def _window(stated_on, days):
    delta = datetime.timedelta(days=days)
    return stated_on - delta, stated_on + delta


PG_SIMILAR_CLAIMS = """
SELECT id, score FROM (
    SELECT c.id, GREATEST(
        similarity(c.headline, %(headline)s),
        similarity(left(c.text, {prefix}), %(text)s)
    ) AS score
    FROM claims_claim c
    WHERE (c.headline %% %(headline)s {near})
      AND c.id <> %(exclude)s
) scored
WHERE score >= %(min)s
ORDER BY score DESC, id DESC
LIMIT %(limit)s
"""


def _pg_similar_claims(headline, text, actor_id, stated_on, exclude_pk, limit):
    params = {
        "headline": headline,
        "text": text or headline,
        "exclude": exclude_pk or 0,
        "min": PG_MIN_SIMILARITY,
        "limit": limit,
    }
    near = ""
    if actor_id is not None and isinstance(stated_on, datetime.date):
        # The same actor's claims of the days around, whatever their headline: a copy with
        # a rewritten headline is caught by its text.
        near = "OR (c.actor_id = %(actor)s AND c.stated_on BETWEEN %(start)s AND %(end)s)"
        params["actor"] = actor_id
        params["start"], params["end"] = _window(stated_on, NEAR_DAYS)
    sql = PG_SIMILAR_CLAIMS.format(prefix=TEXT_PREFIX, near=near)
    connection = connections["default"]
    # The index answers "similar above the threshold" itself; a higher threshold than
    # pg_trgm's default 0.3 keeps the rows it hands over few (set for this query only).
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            "SELECT set_config('pg_trgm.similarity_threshold', %s, true)",
            [str(PG_MIN_SIMILARITY)],
        )
        cursor.execute(sql, params)
        return [(pk, float(score)) for pk, score in cursor.fetchall()]


def _fuzzy_similar_claims(headline, text, actor_id, stated_on, exclude_pk, limit):
    from django.db.models import Q
    from rapidfuzz import fuzz

    from .models import Claim

    near = Q()
    if isinstance(stated_on, datetime.date):
        near = Q(stated_on__range=_window(stated_on, NEAR_DAYS))
        if actor_id is not None:
            near |= Q(actor_id=actor_id, stated_on__range=_window(stated_on, ACTOR_DAYS))
    elif actor_id is not None:
        near = Q(actor_id=actor_id)
    if not near:
        return []
    rows = (
        Claim.objects.filter(near)
        .exclude(pk=exclude_pk or 0)
        .order_by("-stated_on", "-pk")
        .values_list("pk", "headline", "text")[:MAX_CANDIDATES]
    )
    wanted_headline, wanted_text = _words(headline), _words(text)
    scored = []
    for pk, other_headline, other_text in rows:
        score = fuzz.token_sort_ratio(wanted_headline, _words(other_headline))
        if wanted_text:
            score = max(score, fuzz.token_sort_ratio(wanted_text, _words(other_text[:TEXT_PREFIX])))
        if score >= FUZZ_MIN_SCORE:
            scored.append((pk, score / 100))
    scored.sort(key=lambda item: (-item[1], -item[0]))
    return scored[:limit]


# Sources -------------------------------------------------------------------------------


def source_with_url(url, *, exclude_pk=None):
    """The existing source whose URL is this one under another spelling, or None."""
    from .models import Source

    key = normalize_url(url)
    if not key:
        return None
    return Source.objects.filter(url_key=key).exclude(pk=exclude_pk or 0).order_by("pk").first()


def same_url_message(existing):
    return (
        f"Source {existing.pk} (“{existing.title}”) already has this URL "
        f"({existing.url}): cite it instead — its page is {existing.get_absolute_url()}."
    )


PG_SIMILAR_TITLES = """
SELECT id, similarity(title, %(title)s) AS score FROM claims_source
WHERE title %% %(title)s AND id <> %(exclude)s
ORDER BY score DESC, id DESC
LIMIT %(limit)s
"""


def similar_source_titles(title, *, exclude_pk=None, limit=SHOWN):
    """Sources whose title is almost this one (a warning, not a refusal: two reports can
    share a title), as Matches, most alike first."""
    from django.db.models import Q
    from rapidfuzz import fuzz

    from .models import Source

    title = (title or "").replace("\x00", "").strip()
    if not title:
        return []
    if connections[Source.objects.db].vendor == "postgresql":
        with transaction.atomic(), connections["default"].cursor() as cursor:
            cursor.execute(
                "SELECT set_config('pg_trgm.similarity_threshold', %s, true)",
                [str(PG_MIN_SIMILARITY)],
            )
            params = {"title": title, "exclude": exclude_pk or 0, "limit": limit}
            cursor.execute(PG_SIMILAR_TITLES, params)
            scored = [(pk, float(score)) for pk, score in cursor.fetchall()]
    else:
        # Candidates share the title's longest word: bounded, and a similar title has it.
        words = sorted(_words(title).split(), key=len, reverse=True)
        if not words:
            return []
        rows = (
            Source.objects.filter(Q(title__icontains=words[0]))
            .exclude(pk=exclude_pk or 0)
            .order_by("-pk")
            .values_list("pk", "title")[:MAX_CANDIDATES]
        )
        wanted = _words(title)
        scored = [
            (pk, score / 100)
            for pk, other in rows
            if (score := fuzz.token_sort_ratio(wanted, _words(other))) >= FUZZ_MIN_SCORE
        ]
        scored.sort(key=lambda item: (-item[1], -item[0]))
        scored = scored[:limit]
    if not scored:
        return []
    sources = Source.objects.in_bulk([pk for pk, _ in scored])
    return [Match(sources[pk], score) for pk, score in scored if pk in sources]
