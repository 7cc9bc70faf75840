"""The authentication backends: Django's and allauth's, loading the signed-in member with one
prepared statement.

Every signed-in request loads its member (django.contrib.auth.get_user calls the session's
backend's get_user). The ORM spends longer building that query than PostgreSQL spends
answering it: on a signed-in page that is most of what signing in costs (docs/benchmarks.md).
Here the statement is written from the model's columns (listed once per process), prepared
once per connection on PostgreSQL (config/prepared.py), and the row is turned
into a User with Model.from_db, as the ORM itself does. Everything else (authenticate,
permissions, user_can_authenticate) is the parent's.
"""

from __future__ import annotations

from allauth.account.auth_backends import AuthenticationBackend as AllauthBackend
from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend as DjangoModelBackend
from django.contrib.auth.base_user import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.db import DEFAULT_DB_ALIAS, connections, router

from config.prepared import fetch_one

_columns: dict[str, tuple] = {}


def _user_columns(connection) -> tuple:
    """(quoted columns, field names, [(position, converters, column)]) of the user table for
    this connection: the converters are those the ORM would apply to each column (booleans and
    times on SQLite; none on PostgreSQL)."""
    found = _columns.get(connection.alias)
    if found is None:
        model = get_user_model()
        concrete = model._meta.concrete_fields
        converting = []
        for position, field in enumerate(concrete):
            column = field.get_col(model._meta.db_table)
            converters = connection.ops.get_db_converters(column) + field.get_db_converters(connection)
            if converters:
                converting.append((position, converters, column))
        quoted = [connection.ops.quote_name(field.column) for field in concrete]
        found = _columns[connection.alias] = (quoted, [field.attname for field in concrete], converting)
    return found


def user_select_list(connection, table: str) -> str:
    """The user table's columns, as ``table.column, ...``, for a statement of one's own whose
    row starts with them (user_from_row)."""
    return ", ".join(f"{table}.{column}" for column in _user_columns(connection)[0])


def user_from_row(connection, row) -> AbstractBaseUser:
    """The User of a row that starts with user_select_list's columns."""
    model = get_user_model()
    quoted, fields, converting = _user_columns(connection)
    row = list(row[: len(fields)])
    for position, converters, column in converting:
        for converter in converters:
            row[position] = converter(row[position], column, connection)
    return model.from_db(connection.alias, fields, row)


def load_user(user_id):
    """The user with this primary key (as the session stores it, a string), or None."""
    model = get_user_model()
    try:
        pk = model._meta.pk.to_python(user_id)
    except (TypeError, ValueError, ValidationError):
        return None
    if pk is None:
        return None
    connection = connections[router.db_for_read(model)]
    quote = connection.ops.quote_name
    sql = (
        f"SELECT {user_select_list(connection, 'u')} FROM {quote(model._meta.db_table)} u "
        f"WHERE u.{quote(model._meta.pk.column)} = %s"
    )
    if connection.alias == DEFAULT_DB_ALIAS:
        row = fetch_one("peerdesk_load_user", sql, [pk])
    else:
        with connection.cursor() as cursor:
            cursor.execute(sql, [pk])
            row = cursor.fetchone()
    return None if row is None else user_from_row(connection, row)


class ModelBackend(DjangoModelBackend):
    def get_user(self, user_id):
        user = load_user(user_id)
        return user if user is not None and self.user_can_authenticate(user) else None


class AuthenticationBackend(AllauthBackend):
    def get_user(self, user_id):
        user = load_user(user_id)
        return user if user is not None and self.user_can_authenticate(user) else None
