"""Statements PostgreSQL plans once per connection instead of once per request.

A statement with a few subqueries or a data-modifying CTE can take PostgreSQL longer to plan
than to run (the own copy of a member's thread page: 0.3–0.5 ms of planning against 0.1 ms of
execution; the vote's statements likewise). On PostgreSQL, fetch_one() prepares the statement
on the connection the first time (PREPARE) and executes it by name afterwards (EXECUTE);
Django reconnecting means preparing again on the new connection. Prepared statements are not
transactional: one prepared inside a transaction that rolls back stays prepared.

Only when DATABASE_PREPARED_STATEMENTS is on: a pooler that hands each transaction a different
server connection (PgBouncer in transaction mode) loses SQL-level prepared statements, so such
a deployment turns it off. If a prepared statement has gone anyway (a pooler's DISCARD ALL), the
statement runs as it is outside a transaction; inside one the error is raised, as the
transaction can no longer go on, and the next call prepares again. On SQLite the statement runs
as it is.
"""

from __future__ import annotations

import re

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, DatabaseError, connection, connections

# SQLSTATE invalid_sql_statement_name: "prepared statement ... does not exist".
_NO_SUCH_STATEMENT = "26000"
_PLACEHOLDER = re.compile(r"%\((\w+)\)s|%s")
_numbered_cache: dict[str, tuple[str, list[str] | None]] = {}


def _numbered(sql: str) -> tuple[str, list[str] | None]:
    """The SQL with $1, $2, ... for %s or %(name)s, and for named parameters their order."""
    found = _numbered_cache.get(sql)
    if found is None:
        names: list[str] = []
        positions: dict[str, int] = {}
        count = 0

        def number(match: re.Match) -> str:
            nonlocal count
            name = match.group(1)
            if name is None:
                count += 1
                return f"${count}"
            if name not in positions:
                names.append(name)
                positions[name] = len(names)
            return f"${positions[name]}"

        numbered = _PLACEHOLDER.sub(number, sql)
        found = _numbered_cache[sql] = (numbered, names if names else None)
    return found


def fetch_one(name: str, sql: str, params):
    """The first row of ``sql`` (with %s or %(name)s placeholders, no literal %) for
    ``params`` (a list, or a dict for named placeholders); ``name`` identifies the statement
    (letters, digits, underscores) and must always go with the same SQL."""
    return _run(name, sql, params, lambda cursor: cursor.fetchone())


def fetch_all(name: str, sql: str, params) -> list:
    """Every row of ``sql``, as fetch_one."""
    return _run(name, sql, params, lambda cursor: cursor.fetchall())


def _run(name: str, sql: str, params, fetch):
    # This thread's connection (django.db.connection is a proxy shared by every thread).
    db = connections[DEFAULT_DB_ALIAS]
    with db.cursor() as cursor:
        if db.vendor != "postgresql" or not getattr(settings, "DATABASE_PREPARED_STATEMENTS", True):
            cursor.execute(sql, params)
            return fetch(cursor)
        numbered, names = _numbered(sql)
        values = [params[key] for key in names] if names is not None else list(params)
        raw = db.connection
        state = db.__dict__.get("peerdesk_prepared")
        if state is None or state[0] is not raw:
            state = db.__dict__["peerdesk_prepared"] = (raw, set())
        try:
            if name not in state[1]:
                cursor.execute(f"PREPARE {name} AS {numbered}")
                state[1].add(name)
            cursor.execute(f"EXECUTE {name} ({', '.join(['%s'] * len(values))})", values)
        except DatabaseError as exc:
            if getattr(exc.__cause__, "pgcode", None) != _NO_SUCH_STATEMENT:
                raise  # the statement's own error (a lock timeout, say): it stays prepared
            # Prepared on a server connection that is gone (a pooler's DISCARD ALL): forget what
            # this connection has prepared (the next call prepares again).
            db.__dict__.pop("peerdesk_prepared", None)
            if db.in_atomic_block:
                raise
            # Outside a transaction the failure left nothing behind: run the statement as it is.
            cursor.execute(sql, params)
        return fetch(cursor)


# --- Rows into model instances --------------------------------------------------------------
# A statement written in SQL (to be prepared, or because the ORM would take longer to build it
# than the database to answer it) still hands model instances back: select_list() names a
# model's columns and from_row() turns them into an instance as the ORM's from_db does, with
# the converters the ORM would apply (booleans and times on SQLite; none on PostgreSQL) and the
# excluded fields deferred.

_columns: dict[tuple, tuple] = {}


def _model_columns(model, exclude: tuple[str, ...]) -> tuple:
    key = (model, exclude, connection.vendor)
    found = _columns.get(key)
    if found is None:
        fields = [field for field in model._meta.concrete_fields if field.name not in exclude]
        converting = []
        for position, field in enumerate(fields):
            column = field.get_col(model._meta.db_table)
            converters = connection.ops.get_db_converters(column) + field.get_db_converters(connection)
            if converters:
                converting.append((position, converters, column))
        quoted = [connection.ops.quote_name(field.column) for field in fields]
        found = _columns[key] = (quoted, [field.attname for field in fields], converting)
    return found


def select_list(model, table: str, *, exclude: tuple[str, ...] = ()) -> str:
    """``table.column, ...`` for the model's concrete fields but ``exclude``."""
    return ", ".join(f"{table}.{column}" for column in _model_columns(model, exclude)[0])


def from_row(model, row, start: int = 0, *, exclude: tuple[str, ...] = ()):
    """(the instance made of select_list's columns at row[start:], the index after them)."""
    quoted, fields, converting = _model_columns(model, exclude)
    end = start + len(fields)
    values = list(row[start:end])
    for position, converters, column in converting:
        for converter in converters:
            values[position] = converter(values[position], column, connection)
    return model.from_db(connection.alias, fields, values), end
