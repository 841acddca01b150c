"""Database plumbing the models and pages share: queries with a time budget, and counts that
stay cheap at a million rows (PostgreSQL's statistics and planner estimates)."""

import json

from django.db import OperationalError, connections, transaction

# Beyond this many matches a list says "10,000+" instead of counting every row.
COUNT_CAP = 10_000
# A facet (status counts, top actors) gives up after this long; the page shows without it.
FACET_TIMEOUT_MS = 250
QUERY_CANCELED = "57014"  # PostgreSQL's SQLSTATE for a statement_timeout


def run_within(using, sql, params, timeout_ms):
    """Rows of `sql`, or None if it runs longer than `timeout_ms` (PostgreSQL; elsewhere, and
    with timeout_ms=None, no limit). For optional extras like facets: a page shows without
    them rather than wait. The shorter statement_timeout applies to this query only."""
    connection = connections[using]
    if timeout_ms is None or connection.vendor != "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            return cursor.fetchall()
    if connection.in_atomic_block:
        return _run_within_transaction(connection, using, sql, params, timeout_ms)
    # Autocommit (a normal request): each statement is its own transaction, so a cancelled
    # query leaves nothing to roll back; the session's limit is put back either way.
    with connection.cursor() as cursor:
        previous = _set_statement_timeout(cursor, f"{timeout_ms}ms", local=False)
        try:
            cursor.execute(sql, params)
            return cursor.fetchall()
        except OperationalError as error:
            if _cancelled(error):
                return None
            raise
        finally:
            _set_statement_timeout(cursor, previous, local=False)


def _run_within_transaction(connection, using, sql, params, timeout_ms):
    # A savepoint: a cancelled query rolls back to it (undoing the local setting too) and
    # the enclosing transaction carries on; after a success the setting is put back.
    try:
        with transaction.atomic(using=using), connection.cursor() as cursor:
            previous = _set_statement_timeout(cursor, f"{timeout_ms}ms", local=True)
            cursor.execute(sql, params)
            rows = cursor.fetchall()
            _set_statement_timeout(cursor, previous, local=True)
            return rows
    except OperationalError as error:
        if _cancelled(error):
            return None
        raise


def _set_statement_timeout(cursor, value, *, local):
    """Set statement_timeout; return what it was."""
    cursor.execute(
        "SELECT current_setting('statement_timeout'), set_config('statement_timeout', %s, %s)",
        [value, local],
    )
    return cursor.fetchone()[0]


def _cancelled(error):
    return getattr(error.__cause__, "pgcode", None) == QUERY_CANCELED


def estimated_row_count(model, using="default"):
    """A table's size from PostgreSQL's statistics (pg_class.reltuples, kept by (auto)ANALYZE):
    free, and good for "about 1,000,000 claims" on an unfiltered list. Ignores filters. An
    exact COUNT(*) on other databases and before the table's first ANALYZE."""
    connection = connections[using]
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT reltuples::bigint FROM pg_class WHERE oid = %s::regclass",
                [model._meta.db_table],
            )
            row = cursor.fetchone()
        if row and row[0] >= 0:
            return row[0]
    return model._default_manager.using(using).count()


def capped_count(queryset, cap=COUNT_CAP):
    """How many rows, counting no further than cap + 1: more than `cap` means "cap+"."""
    return queryset.order_by().values("pk")[: cap + 1].count()


def approximate_count(queryset, *, cap=COUNT_CAP):
    """Exact up to `cap` rows (counting no further than cap + 1); beyond that, PostgreSQL's
    estimate of how many rows the query returns (EXPLAIN, nothing executed). Bounded cost
    for filtered admin changelists, where an exact count of 200,000 matches takes 0.1 s.
    Always the same two queries on PostgreSQL, so a page's query count doesn't vary."""
    capped = capped_count(queryset, cap)
    connection = connections[queryset.db]
    if connection.vendor != "postgresql":
        return capped if capped <= cap else queryset.count()
    sql, params = queryset.order_by().values("pk").query.get_compiler(queryset.db).as_sql()
    with connection.cursor() as cursor:
        cursor.execute("EXPLAIN (FORMAT JSON) " + sql, params)
        plan = cursor.fetchone()[0]
    if capped <= cap:
        return capped
    plan = json.loads(plan) if isinstance(plan, str) else plan
    return max(capped, int(plan[0]["Plan"]["Plan Rows"]))


def clean_query(value, max_length=None):
    """A search term as typed, fit for a query: PostgreSQL refuses text holding NUL
    characters (an error, not "no match"), so they are dropped; then trimmed and cut to
    `max_length`."""
    value = value.replace("\x00", "").strip()
    return value[:max_length] if max_length is not None else value
