"""Full-text search of claims with one meaning on both databases.

The search box takes PostgreSQL's websearch syntax: all words must match, "a phrase" matches
those words in a row, -word excludes, `or` between words gives alternatives. The text is
parsed here, once, into a bounded query (at most MAX_TERMS terms, lone operators dropped),
which is then written out for each engine:

- PostgreSQL: a clean websearch string for websearch_to_tsquery() over the claims'
  trigger-maintained `search_vector` (headline, text and the actor's names; GIN index);
- SQLite: an FTS5 MATCH expression over the `claims_claim_fts` table, every word quoted
  as an FTS5 string, so nothing the user types is read as FTS5 syntax.

Both index the same document with the same rules: English stemming (PostgreSQL's `english`
configuration; FTS5's porter tokenizer), accents and case ignored (PostgreSQL's `unaccent`
dictionary; FTS5's `remove_diacritics 2`), English stop words skipped. Words are split into
letters-and-digits runs the same way on both sides, so "north-korean" searches the phrase
"north korean" in either engine.
"""

import re
from contextlib import nullcontext
from dataclasses import dataclass, field, replace

from django.core.exceptions import BadRequest, ValidationError
from django.db import DatabaseError, connections, transaction
from django.db.models import BooleanField, Expression, Q

# The text search configuration the PostgreSQL migration creates: English plus unaccent.
SEARCH_CONFIG = "claimtracker"
FTS_TABLE = "claims_claim_fts"
CLAIMS_TABLE = "claims_claim"
# A query costs one index probe per term: enough for any real search, not for a flood.
MAX_TERMS = 20
# Words in all (a phrase may be long, e.g. a pasted sentence; not a pasted page).
MAX_WORDS = 64
# Letters and digits, as PostgreSQL's parser and FTS5's unicode61 tokenizer split words.
WORD_PIECE = re.compile(r"[^\W_]+")

# PostgreSQL's english.stop: words its `english` configuration doesn't index.
STOP_WORDS = frozenset(
    """i me my myself we our ours ourselves you your yours yourself yourselves he him his
    himself she her hers herself it its itself they them their theirs themselves what which
    who whom this that these those am is are was were be been being have has had having do
    does did doing a an the and but if or because as until while of at by for with about
    against between into through during before after above below to from up down in out on
    off over under again further then once here there when where why how all any both each
    few more most other some such no nor not only own same so than too very s t can will
    just don should now""".split()
)


class SearchRefused(BadRequest):
    """A search refused outside a form (admin, feed): the 400 page shows this message."""


@dataclass(frozen=True)
class Term:
    words: tuple  # one word, or the words of a phrase in order
    negated: bool = False


@dataclass(frozen=True)
class SearchQuery:
    """Alternatives (`or`) of terms that must all match: [[Term, ...], ...].

    On SQLite, check_with_database also notes how many claims match and about how many
    claims there are: only a hint for the query plan (see FtsMatches), never a result."""

    groups: tuple
    matches: int | None = field(default=None, compare=False)
    rows: int | None = field(default=None, compare=False)

    def __bool__(self):
        return bool(self.groups)

    def __str__(self):
        return self.as_websearch()

    def as_websearch(self):
        """The query in websearch syntax, rebuilt from the parsed terms: safe to hand to
        websearch_to_tsquery() (words are letters and digits only)."""
        return " or ".join(
            " ".join(("-" if t.negated else "") + _websearch_term(t) for t in group)
            for group in self.groups
        )

    def as_fts5(self):
        """The same query as an FTS5 MATCH expression: every word is a quoted string."""
        alternatives = []
        for group in self.groups:
            wanted = " AND ".join(_fts5_term(t) for t in group if not t.negated)
            excluded = "".join(f" NOT {_fts5_term(t)}" for t in group if t.negated)
            alternatives.append(f"(({wanted}){excluded})")
        return " OR ".join(alternatives)


def _websearch_term(term):
    if len(term.words) == 1:
        return term.words[0]
    return '"' + " ".join(term.words) + '"'


def _fts5_term(term):
    # Words hold letters and digits only, so no quote can end the string early.
    return '"' + " ".join(term.words) + '"'


def _tokens(text):
    """(kind, value) pieces of websearch text: ("phrase", words), ("word", text), ("or",)."""
    position, length = 0, len(text)
    while position < length:
        char = text[position]
        if char.isspace():
            position += 1
            continue
        negated = False
        if char == "-" and position + 1 < length and not text[position + 1].isspace():
            negated, position = True, position + 1
            char = text[position]
        if char == '"':
            end = text.find('"', position + 1)
            end = length if end == -1 else end  # an unclosed quote runs to the end
            yield "phrase", text[position + 1 : end], negated
            position = end + 1
            continue
        end = position
        while end < length and not text[end].isspace() and text[end] != '"':
            end += 1
        word = text[position:end]
        position = end
        if word.lower() == "or" and not negated:
            yield "or", "", False
        else:
            yield "word", word, negated


def parse(text):
    """The SearchQuery for websearch text, or a ValidationError saying what to change.

    Pieces without a letter or digit ("-", "&&") are dropped, as PostgreSQL ignores them;
    so is a lone stop word ("the"), which PostgreSQL doesn't index. A search left with no
    words matches nothing, as on PostgreSQL (the SearchQuery is then false)."""
    groups, current = [], []
    terms = words_in_all = 0
    for kind, value, negated in _tokens(text.replace("\x00", "")):
        if kind == "or":
            if current:
                groups.append(current)
            current = []
            continue
        words = tuple(w.lower() for w in WORD_PIECE.findall(value))
        if kind == "word":
            # PostgreSQL skips stop words inside a word too ("NEAR(a" is just "near"); a
            # quoted phrase keeps them, so FTS5 matches the words exactly in a row.
            words = tuple(w for w in words if w not in STOP_WORDS)
        if not words or all(w in STOP_WORDS for w in words):
            continue
        words_in_all += len(words)
        if words_in_all > MAX_WORDS:
            raise ValidationError(
                f"Use at most {MAX_WORDS} words in one search, phrases included.", code="search"
            )
        terms += 1
        if terms > MAX_TERMS:
            raise ValidationError(
                f"Use at most {MAX_TERMS} words or phrases in one search.", code="search"
            )
        current.append(Term(words, negated))
    if current:
        groups.append(current)
    for group in groups:
        if all(term.negated for term in group):
            raise ValidationError(
                "Say what to look for, not only what to leave out: “kursk -fake” works, "
                "“-fake” alone does not.",
                code="search",
            )
    return SearchQuery(tuple(tuple(group) for group in groups))


def check_with_database(query, using="default"):
    """Let the database parse the query once, cheaply: an error it raises is the user's
    ValidationError here, not a 500 later while the page renders. Returns the query; on
    SQLite with the number of matching claims and of claims noted (one count over the
    full-text index, a few ms for a word in every sixth claim of a million)."""
    connection = connections[using]
    if not query:
        return query
    try:
        # Inside a transaction, a savepoint: the refused query must not spoil the rest. In
        # autocommit a failed SELECT leaves nothing behind, and a transaction here would be
        # BEGIN IMMEDIATE on SQLite: the write lock, waiting behind an import, for a read.
        within = transaction.atomic(using=using) if connection.in_atomic_block else nullcontext()
        with within, connection.cursor() as cursor:
            if connection.vendor == "postgresql":
                cursor.execute(
                    "SELECT websearch_to_tsquery(%s::regconfig, %s)",
                    [SEARCH_CONFIG, query.as_websearch()],
                )
                cursor.fetchall()
            elif connection.vendor == "sqlite":
                cursor.execute(
                    f"SELECT count(*), (SELECT max(id) FROM {CLAIMS_TABLE}) "  # noqa: S608
                    f"FROM {FTS_TABLE} WHERE {FTS_TABLE} MATCH %s",
                    [query.as_fts5()],
                )
                matches, rows = cursor.fetchone()
                query = replace(query, matches=matches, rows=rows)
    except DatabaseError as error:
        raise ValidationError(
            "The search engine can't read this search; use plain words, “quoted phrases”, "
            "-word to leave out and or between alternatives.",
            code="search",
        ) from error
    return query


class SearchVectorMatches(Expression):
    """`<claims table>.search_vector @@ websearch_to_tsquery(...)` (PostgreSQL).

    search_vector is a trigger-maintained column the model doesn't declare, so Django can't
    name it; the table's alias is looked up when the SQL is compiled: inside a subquery
    Django calls the table U0, and a hard-coded claims_claim would then name the outer
    query's rows."""

    output_field = BooleanField()
    conditional = True

    def __init__(self, query):
        super().__init__()
        self.query = query if isinstance(query, SearchQuery) else parse(query)

    def as_sql(self, compiler, connection):
        table = compiler.quote_name_unless_alias(compiler.query.get_initial_alias())
        sql = f"{table}.search_vector @@ websearch_to_tsquery(%s::regconfig, %s)"
        return sql, [SEARCH_CONFIG, self.query.as_websearch()]


# What SQLite spends, in microseconds, per claim: looking one up by its id in the table
# (in id order), reading one entry of an index in order, and fetching one row out of id
# order. Measured at a million claims (bench/DATASETTE.md); only their ratios matter.
LOOKUP_COST, SCAN_COST, FETCH_COST = 1.3, 0.12, 6.0


def scan_in_order(matches, rows, limit):
    """Whether the newest `limit` of `matches` claims (out of `rows`) are found sooner by
    reading the ordering's index from the top, checking each claim against the matches,
    than by looking every match up and sorting them: yes for a common word (the first 50 of
    159,000 matches: 18 ms against 160 ms), no for a rare one (every claim read for a few
    matches)."""
    if not matches or not rows or limit is None:
        return False
    scanned = min(rows, limit * rows / matches)
    return scanned * SCAN_COST + min(limit, matches) * FETCH_COST < matches * LOOKUP_COST


class FtsMatches(Expression):
    """`<claims table>.id IN (SELECT rowid FROM claims_claim_fts WHERE ... MATCH ...)`
    (SQLite).

    SQLite's planner always answers `id IN (...)` by looking each match up by its id; then
    an ordered page of a common word sorts 159,000 rows for the first 50. In an ordered,
    sliced query where scan_in_order says so, the id is written `+id`, which SQLite can't
    look up by: it reads the ordering's index in order and stops at the first page. Counts
    and GROUP BYs keep the lookups. The table's alias is looked up when the SQL is compiled,
    as for SearchVectorMatches."""

    output_field = BooleanField()
    conditional = True

    def __init__(self, query):
        super().__init__()
        self.query = query

    def as_sql(self, compiler, connection):
        query = compiler.query
        table = compiler.quote_name_unless_alias(query.get_initial_alias())
        ordered = bool(query.order_by) or (
            query.default_ordering and bool(query.get_meta().ordering)
        )
        limit = query.high_mark - query.low_mark if query.high_mark is not None else None
        scan = ordered and scan_in_order(self.query.matches, self.query.rows, limit)
        column = f"{'+' if scan else ''}{table}.{connection.ops.quote_name('id')}"
        sql = f"{column} IN (SELECT rowid FROM {FTS_TABLE} WHERE {FTS_TABLE} MATCH %s)"  # noqa: S608
        return sql, [self.query.as_fts5()]


def matches(query, using="default"):
    """A filter (Q) for the claims that match `query` (a SearchQuery) on this database."""
    if not query:
        return Q(pk__isnull=True)  # never true; unlike pk__in=[], it compiles to SQL
    if connections[using].vendor == "postgresql":
        return Q(SearchVectorMatches(query))
    return Q(FtsMatches(query))


def search_claims(queryset, query):
    """`queryset` narrowed to the claims matching `query` (a SearchQuery or text)."""
    if not isinstance(query, SearchQuery):
        query = parse(query)
    return queryset.filter(matches(query, queryset.db))
