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
from django.core.exceptions import ValidationError
from django.db import connection

from config.prepared import fetch_one, from_row, select_list


def load_user(user_id):
    """The user with this primary key (as the session stores it, a string), or None."""
    model = get_user_model()
    try:
        pk = model._meta.pk.to_python(user_id)
    except (TypeError, ValueError, ValidationError):
        return None
    if pk is None:
        return None
    quote = connection.ops.quote_name
    sql = (
        f"SELECT {select_list(model, 'u')} FROM {quote(model._meta.db_table)} u "
        f"WHERE u.{quote(model._meta.pk.column)} = %s"
    )
    row = fetch_one("peerdesk_load_user", sql, [pk])
    return None if row is None else from_row(model, row)[0]


class ModelBackend(DjangoModelBackend):
    def get_user(self, user_id):
        user = load_user(user_id)
        return user if user is not None and self.user_can_authenticate(user) else None


class AuthenticationBackend(AllauthBackend):
    def get_user(self, user_id):
        user = load_user(user_id)
        return user if user is not None and self.user_can_authenticate(user) else None
