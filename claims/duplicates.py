"""Possible duplicates: claims that say almost the same as a new one, sources that are the
same page under another spelling of its URL, sources with a similar title.

Every path that creates a claim or a source (site forms, API, import) asks here, so they
agree on what counts as "the same". Each check is a bounded number of queries whatever the
size of the tables:

- The same candidates on every database: the same actor's claims of the weeks around and
  everyone's of the same day. PostgreSQL scores them with pg_trgm's similarity() in the
  query; other databases (SQLite) with rapidfuzz in Python, at most MAX_CANDIDATES.
- PostgreSQL also looks for a similar headline on any day, by any actor, through a GIN
  trigram index (migration 0011), within a time budget (GLOBAL_BUDGET_MS).

Only this module imports models lazily: models.py uses normalize_url when a source is saved."""

import dataclasses
import datetime
import re
import unicodedata
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from django.db import connections

# How many possible duplicates a page or an answer lists.
SHOWN = 5
# Trigram similarity (0..1, PostgreSQL) from which a claim's headline or text counts as
# "almost the same words"; rapidfuzz's score (0..100) plays the same part elsewhere.
PG_MIN_SIMILARITY = 0.5
FUZZ_MIN_SCORE = 75
# Text compared beyond the headline: its opening, where a copy shows first.
TEXT_PREFIX = 1000
# The same actor's claims this many days either side are always compared (a spokesman
# says the same thing twice in a month); everyone's within NEAR_DAYS (0: the same day; at
# 1M claims a day holds ~300, a week ~2,000, too many to score within the time budget).
ACTOR_DAYS = 30
NEAR_DAYS = 0
# At most this many candidates are scored (half the same actor's, half the same day's).
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
    text = text or ""
    if text.isascii():
        # Nothing to decompose: the same result without a look at every character, which
        # for the claim page's few hundred candidates was half of its time (SQLite).
        text = text.lower()
    else:
        text = unicodedata.normalize("NFKD", text)
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
    (each claim with its actor loaded). At most `limit`, in a fixed number of queries."""
    from .models import Claim

    headline = (headline or "").replace("\x00", "").strip()
    text = (text or "").replace("\x00", "")[:TEXT_PREFIX]
    actor_id = getattr(actor, "pk", actor)
    if not isinstance(stated_on, datetime.date):
        stated_on = None
    if connections[Claim.objects.db].vendor == "postgresql":
        scored = _pg_similar_claims(headline, text, actor_id, stated_on, exclude_pk, limit)
    else:
        scored = _fuzzy_similar_claims(headline, text, actor_id, stated_on, exclude_pk, limit)
    # Always one query here (none found: a query for id 0), so a page's count is fixed.
    ids = [pk for pk, _ in scored] or [0]
    claims = {c.pk: c for c in Claim.objects.select_related("actor").filter(pk__in=ids)}
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


# The bounded candidates, scored by pg_trgm in the database: the same actor's claims of the
# weeks around (headline and text compared) and everyone's of the same day (headline).
PG_NEAR_CLAIMS = """
WITH candidates AS (
    (SELECT id, headline, left(text, {prefix}) AS text_start FROM claims_claim
     WHERE actor_id = %(actor)s AND stated_on BETWEEN %(start)s AND %(end)s
       AND id <> %(exclude)s
     ORDER BY stated_on DESC, id DESC LIMIT {per_part})
    UNION ALL
    (SELECT id, headline, NULL FROM claims_claim
     WHERE stated_on = %(day)s AND actor_id <> %(actor)s AND id <> %(exclude)s
     ORDER BY id DESC LIMIT {per_part})
)
SELECT id, score FROM (
    SELECT id, GREATEST(
        similarity(headline, %(headline)s),
        COALESCE(similarity(text_start, %(text)s), 0)
    ) AS score
    FROM candidates
) scored
WHERE score >= %(min)s
ORDER BY score DESC, id DESC
LIMIT %(limit)s
"""
# Any claim with a similar headline, through the GIN trigram index: on templated or very
# common words the index hands over many rows, so this part gives up after
# GLOBAL_BUDGET_MS (the near candidates above are always checked in full).
PG_ANY_CLAIMS = """
SELECT id, similarity(headline, %(headline)s) AS score FROM claims_claim
WHERE headline %% %(headline)s AND similarity(headline, %(headline)s) >= %(min)s
  AND id <> %(exclude)s
ORDER BY score DESC, id DESC
LIMIT %(limit)s
"""
GLOBAL_BUDGET_MS = 15


def _pg_similar_claims(headline, text, actor_id, stated_on, exclude_pk, limit):
    from .db import run_within

    params = {
        "headline": headline,
        "text": text or headline,
        "exclude": exclude_pk or 0,
        "min": PG_MIN_SIMILARITY,
        "limit": limit,
        "actor": actor_id or 0,
        "day": stated_on or datetime.date.min,
        "start": datetime.date.min,
        "end": datetime.date.min,
    }
    if stated_on is not None:
        params["start"], params["end"] = _window(stated_on, ACTOR_DAYS)
    found = {}
    with connections["default"].cursor() as cursor:
        sql = PG_NEAR_CLAIMS.format(prefix=TEXT_PREFIX, per_part=MAX_CANDIDATES // 2)
        cursor.execute(sql, params)
        found.update(cursor.fetchall())
    for pk, score in run_within("default", PG_ANY_CLAIMS, params, GLOBAL_BUDGET_MS) or ():
        found[pk] = max(score, found.get(pk, 0))
    scored = sorted(((pk, float(score)) for pk, score in found.items()), key=_best_first)
    return scored[:limit]


def _best_first(item):
    return (-item[1], -item[0])


def _fuzzy_similar_claims(headline, text, actor_id, stated_on, exclude_pk, limit):
    from django.db.models import Q
    from django.db.models.functions import Substr
    from rapidfuzz import fuzz

    from .models import Claim

    near = Q()
    if stated_on is not None:
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
        .annotate(text_start=Substr("text", 1, TEXT_PREFIX))
        .order_by("-stated_on", "-pk")
        .values_list("pk", "actor_id", "headline", "text_start")[:MAX_CANDIDATES]
    )
    wanted_headline, wanted_text = _words(headline), _words(text)
    scored = []
    for pk, other_actor, other_headline, other_text in rows:
        score = fuzz.token_sort_ratio(wanted_headline, _words(other_headline))
        # As on PostgreSQL: the text is compared for the same actor's claims only.
        if wanted_text and other_actor == actor_id:
            score = max(score, fuzz.token_sort_ratio(wanted_text, _words(other_text)))
        if score >= FUZZ_MIN_SCORE:
            scored.append((pk, score / 100))
    scored.sort(key=_best_first)
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
WHERE title %% %(title)s AND similarity(title, %(title)s) >= %(min)s AND id <> %(exclude)s
ORDER BY score DESC, id DESC
LIMIT %(limit)s
"""
# A warning only: it gives up rather than hold the save up (see GLOBAL_BUDGET_MS).
TITLE_BUDGET_MS = 30


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
        from .db import run_within

        params = {
            "title": title,
            "exclude": exclude_pk or 0,
            "limit": limit,
            "min": PG_MIN_SIMILARITY,
        }
        rows = run_within("default", PG_SIMILAR_TITLES, params, TITLE_BUDGET_MS) or ()
        scored = [(pk, float(score)) for pk, score in rows]
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
        scored.sort(key=_best_first)
        scored = scored[:limit]
    if not scored:
        return []
    sources = Source.objects.in_bulk([pk for pk, _ in scored])
    return [Match(sources[pk], score) for pk, score in scored if pk in sources]
