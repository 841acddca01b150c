"""Database plumbing the models and pages share: queries with a time budget, and counts that
stay cheap at a million rows (PostgreSQL's statistics and planner estimates)."""

import io
import json

from django.db import OperationalError, connections, transaction

# Beyond this many matches a list says "10,000+" instead of counting every row.
COUNT_CAP = 10_000
# A facet (top actors, the chart) gives up after this long; the page shows without it.
FACET_TIMEOUT_MS = 250
# Counting a list's matches (its total and per-status numbers) gives up after this long; the
# page then shows the planner's estimates instead ("about 160,000"), so it always has a count.
# 20 ms, not 30: a cancelled statement takes some milliseconds more to return.
COUNT_TIMEOUT_MS = 20
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


def estimated_counts(querysets):
    """PostgreSQL's estimate of how many rows each queryset returns, from its EXPLAIN (nothing
    is executed; about a millisecond each): [n, ...] in order, or None on databases without
    a planner estimate. For counts that were over their time budget."""
    first = querysets[0]
    connection = connections[first.db]
    if connection.vendor != "postgresql":
        return None
    estimates = []
    with connection.cursor() as cursor:
        for queryset in querysets:
            sql, params = queryset.order_by().values("pk").query.get_compiler(first.db).as_sql()
            cursor.execute("EXPLAIN (FORMAT JSON) " + sql, params)
            plan = cursor.fetchone()[0]
            plan = json.loads(plan) if isinstance(plan, str) else plan
            # The top node's rows: for a parallel plan, the Gather's (all workers together).
            estimates.append(int(plan[0]["Plan"]["Plan Rows"]))
    return estimates


def clean_query(value, max_length=None):
    """A search term as typed, fit for a query: PostgreSQL refuses text holding NUL
    characters (an error, not "no match"), so they are dropped; then trimmed and cut to
    `max_length`."""
    value = value.replace("\x00", "").strip()
    return value[:max_length] if max_length is not None else value


def insert_rows(model, rows, using="default"):
    """Insert the unsaved `rows` of `model` (their primary keys set on them): one COPY on
    PostgreSQL, several times cheaper than INSERT for thousands of rows, since nothing is
    compiled per row; bulk_create elsewhere. Field defaults and auto_now apply as in a save."""
    connection = connections[using]
    if connection.vendor != "postgresql" or not rows:
        model._default_manager.using(using).bulk_create(rows)
        return rows
    meta = model._meta
    missing = [row for row in rows if row.pk is None]
    for row, value in zip(missing, _next_ids(connection, meta, len(missing)), strict=True):
        setattr(row, meta.pk.attname, value)
    fields = meta.concrete_fields
    getters = [_value_getter(field, connection) for field in fields]
    _copy(
        connection,
        meta.db_table,
        [field.column for field in fields],
        ([get(row) for get in getters] for row in rows),
    )
    for row in rows:
        row._state.adding, row._state.db = False, using
    return rows


def insert_history(model, rows, *, user, reason, date, using="default"):
    """The "created" history rows (django-simple-history) of the saved `rows` of `model`,
    by `user` for `reason`: what saving each row would have written, without building a
    history instance per row on PostgreSQL."""
    history = model.history.model
    connection = connections[using]
    if connection.vendor != "postgresql":
        model.history.bulk_history_create(
            rows, default_user=user, default_change_reason=reason, default_date=date
        )
        return
    meta = history._meta
    fields = meta.concrete_fields
    ids = iter(_next_ids(connection, meta, len(rows)))
    fixed = {
        "history_date": date,
        "history_change_reason": reason,
        "history_type": "+",
        "history_user_id": user.pk if user is not None else None,
    }
    tracked = [f.attname for f in fields if not f.attname.startswith("history_")]

    def values(row):
        own = {name: getattr(row, name) for name in tracked}
        own.update(fixed, history_id=next(ids))
        return [own[f.attname] for f in fields]

    _copy(connection, meta.db_table, [f.column for f in fields], (values(row) for row in rows))


# Fields whose Python value is what COPY needs, unless auto_now or auto_now_add sets it.
_PLAIN_TYPES = {
    "AutoField",
    "BigAutoField",
    "BigIntegerField",
    "BooleanField",
    "CharField",
    "DateField",
    "DateTimeField",
    "FloatField",
    "ForeignKey",
    "IntegerField",
    "PositiveIntegerField",
    "PositiveSmallIntegerField",
    "SmallIntegerField",
    "TextField",
}


def _value_getter(field, connection):
    plain = field.get_internal_type() in _PLAIN_TYPES and not (
        getattr(field, "auto_now", False) or getattr(field, "auto_now_add", False)
    )
    if plain:
        name = field.attname
        return lambda row: getattr(row, name)
    return lambda row: field.get_db_prep_save(field.pre_save(row, True), connection)


def _next_ids(connection, meta, count):
    if not count:
        return []
    with connection.cursor() as cursor:
        # Ids from the table's own sequence, so later single INSERTs never collide.
        cursor.execute(
            "SELECT nextval(pg_get_serial_sequence(%s, %s)) FROM generate_series(1, %s)",
            [meta.db_table, meta.pk.column, count],
        )
        return [value for (value,) in cursor.fetchall()]


def _copy(connection, table, columns, rows):
    quote = connection.ops.quote_name
    lines = io.StringIO()
    for values in rows:
        lines.write(",".join([_csv_value(value) for value in values]))
        lines.write("\n")
    lines.seek(0)
    names = ", ".join(quote(column) for column in columns)
    with connection.cursor() as cursor, connection.wrap_database_errors:
        sql = f"COPY {quote(table)} ({names}) FROM STDIN WITH (FORMAT csv)"
        cursor.cursor.copy_expert(sql, lines)


def _csv_value(value):
    # In COPY's CSV an unquoted empty field is NULL and a quoted one is an empty text.
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    text = value.isoformat() if hasattr(value, "isoformat") else str(value)
    return '"' + text.replace('"', '""') + '"'
