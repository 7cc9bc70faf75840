"""Statements PostgreSQL plans once per connection instead of once per request.

A statement with a few subqueries can take PostgreSQL longer to plan than to run (the own copy
of a member's thread page: 0.3–0.5 ms of planning against 0.1 ms of execution). On PostgreSQL,
fetch_one() prepares the statement on the connection the first time (PREPARE) and executes it
by name afterwards (EXECUTE); Django reconnecting means preparing again on the new connection.

Used only outside transactions (a failed EXECUTE inside one would abort it) and only when
DATABASE_PREPARED_STATEMENTS is on: a pooler that hands each transaction a different server
connection (PgBouncer in transaction mode) loses SQL-level prepared statements, so such a
deployment turns it off. Anywhere else, and on SQLite, the statement runs as it is.
"""

from __future__ import annotations

import re

from django.conf import settings
from django.db import DatabaseError, connection

_PLACEHOLDER = re.compile(r"%s")


def _numbered(sql: str) -> str:
    count = iter(range(1, 10_000))
    return _PLACEHOLDER.sub(lambda match: f"${next(count)}", sql)


def fetch_one(name: str, sql: str, params: list):
    """The first row of ``sql`` (with %s placeholders, no literal %) for ``params``; ``name``
    identifies the statement (letters, digits, underscores) and must always go with the same
    SQL."""
    with connection.cursor() as cursor:
        if (
            connection.vendor != "postgresql"
            or connection.in_atomic_block
            or not getattr(settings, "DATABASE_PREPARED_STATEMENTS", True)
        ):
            cursor.execute(sql, params)
            return cursor.fetchone()
        raw = connection.connection
        state = connection.__dict__.get("peerdesk_prepared")
        if state is None or state[0] is not raw:
            state = connection.__dict__["peerdesk_prepared"] = (raw, set())
        try:
            if name not in state[1]:
                cursor.execute(f"PREPARE {name} AS {_numbered(sql)}")
                state[1].add(name)
            cursor.execute(f"EXECUTE {name} ({', '.join(['%s'] * len(params))})", params)
        except DatabaseError:
            # Prepared on a server connection that is gone (a pooler's DISCARD ALL), or any other
            # failure: forget what this connection has prepared (the next call prepares again)
            # and run the statement as it is; outside a transaction, the failure left nothing
            # behind. A database that is down fails here too, as any query would.
            connection.__dict__.pop("peerdesk_prepared", None)
            cursor.execute(sql, params)
        return cursor.fetchone()
