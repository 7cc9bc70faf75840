"""The authentication backends: Django's and allauth's, loading the signed-in member with one
prepared statement.

Every signed-in request loads its member (django.contrib.auth.get_user calls the session's
backend's get_user). The ORM spends longer building that query than PostgreSQL spends
answering it: on a signed-in page that is most of what signing in costs (docs/benchmarks.md).
Here the statement is written once per process from the model's columns and the row is turned
into a User with Model.from_db, as the ORM itself does. Everything else (authenticate,
permissions, user_can_authenticate) is the parent's.
"""

from __future__ import annotations

from allauth.account.auth_backends import AuthenticationBackend as AllauthBackend
from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend as DjangoModelBackend
from django.core.exceptions import ValidationError
from django.db import connections, router

_statements: dict[str, tuple] = {}


def _user_statement(connection) -> tuple:
    """(SQL, field names, [(position, converters, column)]) for this connection: the converters
    the ORM would apply to each column (booleans and times on SQLite; none on PostgreSQL)."""
    statement = _statements.get(connection.alias)
    if statement is None:
        model = get_user_model()
        concrete = model._meta.concrete_fields
        quote = connection.ops.quote_name
        columns = ", ".join(quote(field.column) for field in concrete)
        sql = f"SELECT {columns} FROM {quote(model._meta.db_table)} WHERE {quote(model._meta.pk.column)} = %s"
        converting = []
        for position, field in enumerate(concrete):
            column = field.get_col(model._meta.db_table)
            converters = connection.ops.get_db_converters(column) + field.get_db_converters(connection)
            if converters:
                converting.append((position, converters, column))
        statement = _statements[connection.alias] = (sql, [field.attname for field in concrete], converting)
    return statement


def load_user(user_id):
    """The user with this primary key (as the session stores it, a string), or None."""
    model = get_user_model()
    try:
        pk = model._meta.pk.to_python(user_id)
    except (TypeError, ValueError, ValidationError):
        return None
    if pk is None:
        return None
    alias = router.db_for_read(model)
    connection = connections[alias]
    sql, fields, converting = _user_statement(connection)
    with connection.cursor() as cursor:
        cursor.execute(sql, [pk])
        row = cursor.fetchone()
    if row is None:
        return None
    if converting:
        row = list(row)
        for position, converters, column in converting:
            for converter in converters:
                row[position] = converter(row[position], column, connection)
    return model.from_db(alias, fields, row)


class ModelBackend(DjangoModelBackend):
    def get_user(self, user_id):
        user = load_user(user_id)
        return user if user is not None and self.user_can_authenticate(user) else None


class AuthenticationBackend(AllauthBackend):
    def get_user(self, user_id):
        user = load_user(user_id)
        return user if user is not None and self.user_can_authenticate(user) else None
