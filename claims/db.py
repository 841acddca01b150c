"""Database plumbing the models and pages share: queries with a time budget, and counts that
stay cheap at a million rows (PostgreSQL's statistics and planner estimates)."""

import csv
import io
import json
from contextlib import nullcontext

from django.conf import settings
from django.db import OperationalError, connections, transaction

# Beyond this many matches a list says "10,000+" instead of counting every row.
COUNT_CAP = 10_000
# A facet (top actors, the chart) gives up after this long; the page shows without it.
FACET_TIMEOUT_MS = 250
# Counting a list's matches (its total and per-status numbers) gives up after this long; the
# page then shows the planner's estimates instead ("about 160,000"), so it always has a count.
# 15 ms, not 30: a cancelled statement, then the estimates, take some milliseconds more.
COUNT_TIMEOUT_MS = 15
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
    # The shorter limit is set for a transaction (or savepoint) of the query's own: it ends
    # with it, whatever happens. Putting it back with a statement of its own is no good:
    # that statement runs under the short limit too, and on a busy machine it was cancelled
    # now and then, which failed the caller and left the session with the short limit.
    rows = None
    try:
        with transaction.atomic(using=using), connection.cursor() as cursor:
            previous = _set_statement_timeout(cursor, f"{timeout_ms}ms", local=True)
            cursor.execute(sql, params)
            rows = cursor.fetchall()
            if connection.in_atomic_block and connection.savepoint_ids:
                # A savepoint in the caller's transaction: SET LOCAL would outlive it.
                _set_statement_timeout(cursor, previous, local=True)
    except OperationalError as error:
        if _cancelled(error):
            return rows  # None, or the rows when only putting the limit back was cancelled
        raise
    return rows


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


def column_shares(model, column, using="default"):
    """{value: its share of the table's rows} for a column's most common values, from
    PostgreSQL's statistics (pg_stats, kept by ANALYZE): what the planner assumes of a filter
    on it. None elsewhere, or before the table's first ANALYZE."""
    connection = connections[using]
    if connection.vendor != "postgresql":
        return None
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT most_common_vals::text::text[], most_common_freqs FROM pg_stats "
            "WHERE schemaname = current_schema() AND tablename = %s AND attname = %s",
            [model._meta.db_table, column],
        )
        row = cursor.fetchone()
    if not row or row[0] is None:
        return None
    return dict(zip(row[0], row[1], strict=True))


def clean_query(value, max_length=None):
    """A search term as typed, fit for a query: PostgreSQL refuses text holding NUL
    characters (an error, not "no match"), so they are dropped; then trimmed and cut to
    `max_length`."""
    value = value.replace("\x00", "").strip()
    return value[:max_length] if max_length is not None else value


def insert_values(model, names, rows, *, history=None, using="default"):
    """Insert rows of `model` given as plain tuples of values for the fields `names`
    (attnames: `actor_id`, not `actor`), in the form a save would store them; every other
    field gets its default. Returns the new primary keys, in the rows' order.

    With `history` ({"user", "reason", "date"}), each row also gets its "created" history
    row (django-simple-history), by that user for that reason.

    On PostgreSQL: one COPY per table and no model instance at all, several times cheaper
    than INSERT (or bulk_create) for thousands of rows. Elsewhere: bulk_create and
    bulk_history_create, which build an instance per row."""
    rows = rows if isinstance(rows, list) else list(rows)
    if not rows:
        return []
    connection = connections[using]
    if connection.vendor != "postgresql":
        return _bulk_create_values(model, names, rows, history=history, using=using)
    meta = model._meta
    fields = {f.attname: f for f in meta.concrete_fields}
    others = [f for f in meta.concrete_fields if f.attname not in names and not f.primary_key]
    for field in others:
        if getattr(field, "auto_now", False) or getattr(field, "auto_now_add", False):
            raise ValueError(f"insert_values: give {field.attname}, it has no fixed default")
        if field.has_default() and callable(field.default):
            raise ValueError(f"insert_values: give {field.attname}, its default is computed")
    # Computed once for all rows: each field's default, as a save would store it.
    defaults = tuple(_db_value(f, f.get_default(), connection) for f in others)
    for name in names:
        if fields[name].get_internal_type() not in _PLAIN_TYPES:
            raise ValueError(f"insert_values: {name} needs preparing; use bulk_create")
    ids = _next_ids(connection, meta, len(rows))
    columns = [meta.pk.column, *(fields[n].column for n in names), *(f.column for f in others)]
    _copy(
        connection,
        meta.db_table,
        columns,
        ((pk, *row, *defaults) for pk, row in zip(ids, rows, strict=True)),
    )
    if history is not None and getattr(settings, "SIMPLE_HISTORY_ENABLED", True):
        values = [meta.pk.attname, *names, *(f.attname for f in others)]
        _copy_history(connection, model, values, ids, rows, defaults, history)
    return ids


def _copy_history(connection, model, values, ids, rows, defaults, history):
    """The history rows of rows just copied into `model`'s table, each row's tracked fields
    as stored, by history["user"] for history["reason"] at history["date"]."""
    historical = model.history.model
    meta = historical._meta
    fields = {f.attname: f for f in meta.concrete_fields}
    position = {name: index for index, name in enumerate(values)}
    tracked = [f.attname for f in historical.tracked_fields]
    picks = [position[name] for name in tracked]
    user = history["user"]
    fixed = (
        history["date"],
        (history["reason"] or "")[:100],
        "+",
        user.pk if user is not None else None,
    )
    fixed_names = ("history_date", "history_change_reason", "history_type", "history_user_id")
    history_ids = _next_ids(connection, meta, len(rows))
    columns = [meta.pk.column, *(fields[n].column for n in (*tracked, *fixed_names))]

    def history_rows():
        for history_id, pk, row in zip(history_ids, ids, rows, strict=True):
            full = (pk, *row, *defaults)
            yield (history_id, *[full[i] for i in picks], *fixed)

    _copy(connection, meta.db_table, columns, history_rows())


def _bulk_create_values(model, names, rows, *, history, using):
    instances = [model(**dict(zip(names, row, strict=True))) for row in rows]
    model._default_manager.using(using).bulk_create(instances)
    if history is not None:
        model.history.bulk_history_create(
            instances,
            default_user=history["user"],
            default_change_reason=(history["reason"] or "")[:100],
            default_date=history["date"],
        )
    return [instance.pk for instance in instances]


def _db_value(field, value, connection):
    if field.get_internal_type() in _PLAIN_TYPES:
        return value
    return field.get_db_prep_save(value, connection)


# Fields whose Python value is what COPY needs (str() of it, or NULL).
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
    "PositiveBigIntegerField",
    "PositiveIntegerField",
    "PositiveSmallIntegerField",
    "SmallIntegerField",
    "TextField",
}


def _next_ids(connection, meta, count):
    if not count:
        return []
    with connection.cursor() as cursor:
        # Ids from the table's own sequence, so later single INSERTs never collide. The
        # sequence is looked up first: named inside the nextval() call, it is looked up
        # again for every id (three times slower).
        cursor.execute("SELECT pg_get_serial_sequence(%s, %s)", [meta.db_table, meta.pk.column])
        (sequence,) = cursor.fetchone()
        cursor.execute(
            "SELECT nextval(%s::regclass) FROM generate_series(1, %s)", [sequence, count]
        )
        return [value for (value,) in cursor.fetchall()]


class _Null(int):
    """What the CSV writer is given for NULL: a "number", so written without quotes, as
    \\N, which the COPY below reads as NULL. Every text is quoted, so a text that says
    \\N stays text, and a quoted empty field stays an empty text."""

    def __str__(self):
        return "\\N"

    __repr__ = __str__


_NULL = _Null()


def _copy(connection, table, columns, rows):
    lines = io.StringIO()
    # The C writer does the quoting of every value; numbers go unquoted, the rest
    # (text, dates, times) quoted, via str(): ISO dates and times, which COPY reads.
    writer = csv.writer(lines, quoting=csv.QUOTE_NONNUMERIC, lineterminator="\n")
    writer.writerows([_NULL if value is None else value for value in row] for row in rows)
    lines.seek(0)
    quote = connection.ops.quote_name
    names = ", ".join(quote(column) for column in columns)
    sql = f"COPY {quote(table)} ({names}) FROM STDIN WITH (FORMAT csv, NULL '\\N')"
    with connection.cursor() as cursor:
        # Through the connection's execute wrappers and its query log, like any statement:
        # the write guard of the tests and assertNumQueries see a COPY too.
        def copy(sql, params, many, context):
            with connection.wrap_database_errors:
                return cursor.cursor.copy_expert(sql, lines)

        logged = cursor.debug_sql(sql) if hasattr(cursor, "debug_sql") else nullcontext()
        with logged:
            cursor._execute_with_wrappers(sql, None, False, copy)
