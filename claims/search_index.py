# ruff: noqa: S608 - constant SQL built from this module's own names, never from input
"""The full-text index's SQL on each database, kept apart from the query side (search.py).

PostgreSQL: `claims_claim.search_vector`, a tsvector of the headline (weight A), the text (B)
and the actor's name, short name and aliases (C), GIN-indexed. A generated column can't read
the actor's row, so triggers keep it: one on the claim (insert, or an edit of its headline,
text or actor) and one on the actor (a renamed actor re-indexes its claims; one UPDATE of
that actor's rows, rare, against a join or a second full-text match on every search).

SQLite: `claims_claim_fts`, an FTS5 table of the same three texts whose rows are the claims'
ids. It is contentless (the texts live in claims_claim and claims_actor, two tables, which
an FTS5 content table can't span), kept in sync by triggers on both tables. Django rebuilds
a SQLite table to alter it, and SQLite refuses that while a trigger on another table names
it, so the triggers are dropped before migrations run and re-created after, with the index
rebuilt from the tables (about a minute at a million claims; see bench/RESULTS.md)."""

from django.db import connections

from .search import FTS_TABLE, SEARCH_CONFIG

PG_INSTALL = f"""
-- Re-indexing every claim takes minutes at a million; the web's time limit doesn't apply.
SET LOCAL statement_timeout = 0;
CREATE EXTENSION IF NOT EXISTS unaccent;
CREATE TEXT SEARCH CONFIGURATION {SEARCH_CONFIG} (COPY = pg_catalog.english);
ALTER TEXT SEARCH CONFIGURATION {SEARCH_CONFIG}
    ALTER MAPPING FOR hword, hword_part, word WITH unaccent, english_stem;

CREATE FUNCTION claims_search_document(headline text, body text, actor_names text)
RETURNS tsvector LANGUAGE sql STABLE AS $$
    SELECT setweight(to_tsvector('{SEARCH_CONFIG}', coalesce(headline, '')), 'A')
        || setweight(to_tsvector('{SEARCH_CONFIG}', coalesce(body, '')), 'B')
        || setweight(to_tsvector('{SEARCH_CONFIG}', coalesce(actor_names, '')), 'C')
$$;

ALTER TABLE claims_claim ALTER COLUMN search_vector DROP EXPRESSION;
DROP INDEX IF EXISTS claim_search_vector_gin;
UPDATE claims_claim AS c
   SET search_vector = claims_search_document(
       c.headline, c.text, a.name || ' ' || a.short_name || ' ' || a.aliases)
  FROM claims_actor AS a
 WHERE a.id = c.actor_id;
CREATE INDEX claim_search_vector_gin ON claims_claim USING gin (search_vector);

CREATE FUNCTION claims_claim_search_vector() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT'
       OR NEW.headline IS DISTINCT FROM OLD.headline
       OR NEW.text IS DISTINCT FROM OLD.text
       OR NEW.actor_id IS DISTINCT FROM OLD.actor_id THEN
        NEW.search_vector := claims_search_document(NEW.headline, NEW.text, (
            SELECT a.name || ' ' || a.short_name || ' ' || a.aliases
              FROM claims_actor AS a WHERE a.id = NEW.actor_id));
    END IF;
    RETURN NEW;
END $$;
CREATE TRIGGER claims_claim_search_vector BEFORE INSERT OR UPDATE ON claims_claim
    FOR EACH ROW EXECUTE FUNCTION claims_claim_search_vector();

CREATE FUNCTION claims_actor_search_names() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.name IS DISTINCT FROM OLD.name
       OR NEW.short_name IS DISTINCT FROM OLD.short_name
       OR NEW.aliases IS DISTINCT FROM OLD.aliases THEN
        UPDATE claims_claim
           SET search_vector = claims_search_document(
               headline, text, NEW.name || ' ' || NEW.short_name || ' ' || NEW.aliases)
         WHERE actor_id = NEW.id;
    END IF;
    RETURN NULL;
END $$;
CREATE TRIGGER claims_actor_search_names AFTER UPDATE ON claims_actor
    FOR EACH ROW EXECUTE FUNCTION claims_actor_search_names();

-- Every row was rewritten: fresh statistics for the planner (and the list's size estimate).
ANALYZE claims_claim;
"""

PG_UNINSTALL = f"""
DROP TRIGGER IF EXISTS claims_actor_search_names ON claims_actor;
DROP TRIGGER IF EXISTS claims_claim_search_vector ON claims_claim;
DROP FUNCTION IF EXISTS claims_actor_search_names();
DROP FUNCTION IF EXISTS claims_claim_search_vector();
DROP INDEX IF EXISTS claim_search_vector_gin;
ALTER TABLE claims_claim DROP COLUMN IF EXISTS search_vector;
DROP FUNCTION IF EXISTS claims_search_document(text, text, text);
DROP TEXT SEARCH CONFIGURATION IF EXISTS {SEARCH_CONFIG};
ALTER TABLE claims_claim ADD COLUMN search_vector tsvector GENERATED ALWAYS AS (
    setweight(to_tsvector('english'::regconfig, coalesce(headline, '')), 'A') ||
    setweight(to_tsvector('english'::regconfig, coalesce(text, '')), 'B')
) STORED;
CREATE INDEX claim_search_vector_gin ON claims_claim USING gin (search_vector);
"""

SQLITE_TABLE = f"""
CREATE VIRTUAL TABLE IF NOT EXISTS {FTS_TABLE} USING fts5(
    headline, text, actor_names,
    content='', tokenize='porter unicode61 remove_diacritics 2'
)
"""


def _names(row):
    return f"{row}.name || ' ' || {row}.short_name || ' ' || {row}.aliases"


def _actor_names(actor_id):
    return f"(SELECT {_names('a')} FROM claims_actor AS a WHERE a.id = {actor_id})"


# A contentless FTS5 row is removed by repeating exactly what was indexed ('delete').
SQLITE_TRIGGERS = {
    "claims_claim_fts_insert": f"""
        AFTER INSERT ON claims_claim BEGIN
            INSERT INTO {FTS_TABLE}(rowid, headline, text, actor_names)
            VALUES (new.id, new.headline, new.text, {_actor_names("new.actor_id")});
        END""",
    "claims_claim_fts_delete": f"""
        AFTER DELETE ON claims_claim BEGIN
            INSERT INTO {FTS_TABLE}({FTS_TABLE}, rowid, headline, text, actor_names)
            VALUES ('delete', old.id, old.headline, old.text, {_actor_names("old.actor_id")});
        END""",
    "claims_claim_fts_update": f"""
        AFTER UPDATE OF headline, text, actor_id ON claims_claim
        WHEN old.headline IS NOT new.headline OR old.text IS NOT new.text
             OR old.actor_id IS NOT new.actor_id
        BEGIN
            INSERT INTO {FTS_TABLE}({FTS_TABLE}, rowid, headline, text, actor_names)
            VALUES ('delete', old.id, old.headline, old.text, {_actor_names("old.actor_id")});
            INSERT INTO {FTS_TABLE}(rowid, headline, text, actor_names)
            VALUES (new.id, new.headline, new.text, {_actor_names("new.actor_id")});
        END""",
    "claims_actor_fts_update": f"""
        AFTER UPDATE OF name, short_name, aliases ON claims_actor
        WHEN old.name IS NOT new.name OR old.short_name IS NOT new.short_name
             OR old.aliases IS NOT new.aliases
        BEGIN
            INSERT INTO {FTS_TABLE}({FTS_TABLE}, rowid, headline, text, actor_names)
            SELECT 'delete', c.id, c.headline, c.text, {_names("old")}
              FROM claims_claim AS c WHERE c.actor_id = old.id;
            INSERT INTO {FTS_TABLE}(rowid, headline, text, actor_names)
            SELECT c.id, c.headline, c.text, {_names("new")}
              FROM claims_claim AS c WHERE c.actor_id = new.id;
        END""",
}

SQLITE_REBUILD = f"""
INSERT INTO {FTS_TABLE}(rowid, headline, text, actor_names)
SELECT c.id, c.headline, c.text, {_names("a")}
  FROM claims_claim AS c JOIN claims_actor AS a ON a.id = c.actor_id
"""


def _sqlite_has_index(cursor):
    cursor.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = %s", [FTS_TABLE])
    return cursor.fetchone() is not None


def _sqlite_trigger_names(cursor):
    cursor.execute("SELECT name FROM sqlite_master WHERE type = 'trigger'")
    return {name for (name,) in cursor.fetchall()}


def rebuild_sqlite_index(cursor):
    cursor.execute(f"INSERT INTO {FTS_TABLE}({FTS_TABLE}) VALUES ('delete-all')")
    cursor.execute(SQLITE_REBUILD)


def install_sqlite_index(cursor):
    cursor.execute(SQLITE_TABLE)
    rebuild_sqlite_index(cursor)


def drop_sqlite_triggers(using="default"):
    """Before migrations: no trigger may name a table Django is about to rebuild."""
    connection = connections[using]
    if connection.vendor != "sqlite":
        return
    with connection.cursor() as cursor:
        for name in SQLITE_TRIGGERS.keys() & _sqlite_trigger_names(cursor):
            cursor.execute(f"DROP TRIGGER {name}")


def ensure_sqlite_triggers(using="default"):
    """After migrations (and after a test flush): the triggers exist, and the index holds
    what the tables hold. A missing trigger means writes may have gone unindexed: rebuild."""
    connection = connections[using]
    if connection.vendor != "sqlite":
        return
    with connection.cursor() as cursor:
        if not _sqlite_has_index(cursor):
            return  # the migration creating it hasn't run yet
        existing = _sqlite_trigger_names(cursor)
        missing = [name for name in SQLITE_TRIGGERS if name not in existing]
        for name in missing:
            cursor.execute(f"CREATE TRIGGER {name} {SQLITE_TRIGGERS[name]}")
        cursor.execute("SELECT EXISTS (SELECT 1 FROM claims_claim)")
        if missing or not cursor.fetchone()[0]:
            rebuild_sqlite_index(cursor)
