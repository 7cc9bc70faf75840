"""Prepared statements (config/prepared.py): the same rows as the statement run as it is,
planned once per connection on PostgreSQL, and a statement the server lost is not an error
outside a transaction."""

from __future__ import annotations

import threading

import pytest
from django.db import DatabaseError, connection, connections, transaction
from django.test.utils import CaptureQueriesContext

from config import prepared
from tests.factories import UserFactory

SQL = "SELECT id, username FROM accounts_user WHERE id = %s OR username = %s ORDER BY id"
NAMED = "SELECT id FROM accounts_user WHERE id = %(pk)s OR (username = %(name)s AND id <> %(pk)s) ORDER BY id"


def _kinds(queries) -> list[str]:
    return [q["sql"].split(" ")[0] for q in queries]


def test_rows_are_those_of_the_statement_as_it_is(db):
    first, second = UserFactory(), UserFactory()
    assert prepared.fetch_one("test_users", SQL, [first.pk, second.username]) == (first.pk, first.username)
    assert prepared.fetch_all("test_users", SQL, [first.pk, second.username]) == [
        (first.pk, first.username), (second.pk, second.username)]
    assert prepared.fetch_one("test_named", NAMED, {"pk": first.pk, "name": second.username}) == (first.pk,)
    assert prepared.fetch_one("test_users", SQL, [0, "nobody"]) is None


def test_placeholders_are_numbered_once_per_name():
    numbered, names = prepared._numbered(NAMED)
    assert numbered == "SELECT id FROM accounts_user WHERE id = $1 OR (username = $2 AND id <> $1) ORDER BY id"
    assert names == ["pk", "name"]
    assert prepared._numbered(SQL) == ("SELECT id, username FROM accounts_user WHERE id = $1 OR username = $2 ORDER BY id", None)


def test_rows_become_instances_as_the_orm_makes_them(db):
    from django.contrib.auth import get_user_model

    User = get_user_model()
    member = UserFactory(display_name="Rita")
    sql = f"SELECT {prepared.select_list(User, 'u', exclude=('password',))} FROM accounts_user u WHERE u.id = %s"
    loaded, end = prepared.from_row(User, prepared.fetch_one("test_instance", sql, [member.pk]), exclude=("password",))
    assert end == len(User._meta.concrete_fields) - 1
    assert loaded.pk == member.pk and loaded.display_name == "Rita" and loaded.is_active is True
    assert loaded.date_joined == User.objects.get(pk=member.pk).date_joined
    assert "password" in loaded.get_deferred_fields()


@pytest.mark.django_db(transaction=True)
def test_on_postgresql_a_statement_is_planned_once_per_connection(on_postgres):
    member = UserFactory()
    with CaptureQueriesContext(connection) as queries:
        for _ in range(3):
            assert prepared.fetch_one("test_once", SQL, [member.pk, ""])[0] == member.pk
    assert _kinds(queries) == ["PREPARE", "EXECUTE", "EXECUTE", "EXECUTE"]

    # Another thread has its own connection, and prepares it there.
    seen = []

    def other():
        with CaptureQueriesContext(connections["default"]) as theirs:
            seen.append(prepared.fetch_one("test_once", SQL, [member.pk, ""])[0])
        seen.append(_kinds(theirs))
        connections.close_all()

    thread = threading.Thread(target=other)
    thread.start()
    thread.join()
    assert seen == [member.pk, ["PREPARE", "EXECUTE"]]

    # A new connection (Django reconnects) prepares again.
    connection.close()
    with CaptureQueriesContext(connection) as queries:
        prepared.fetch_one("test_once", SQL, [member.pk, ""])
    assert _kinds(queries) == ["PREPARE", "EXECUTE"]


@pytest.mark.django_db(transaction=True)
def test_on_postgresql_a_lost_statement_runs_as_it_is_outside_a_transaction_and_raises_inside(on_postgres):
    member = UserFactory()
    prepared.fetch_one("test_lost", SQL, [member.pk, ""])
    with connection.cursor() as cursor:
        cursor.execute("DEALLOCATE ALL")  # a pooler's DISCARD ALL
    with CaptureQueriesContext(connection) as queries:
        assert prepared.fetch_one("test_lost", SQL, [member.pk, ""])[0] == member.pk
    assert _kinds(queries) == ["EXECUTE", "SELECT"]

    with connection.cursor() as cursor:
        cursor.execute("DEALLOCATE ALL")
    prepared.fetch_one("test_other", SQL, [member.pk, ""])  # this one is prepared again
    with connection.cursor() as cursor:
        cursor.execute("DEALLOCATE test_other")
    with pytest.raises(DatabaseError), transaction.atomic():
        prepared.fetch_one("test_other", SQL, [member.pk, ""])
    with CaptureQueriesContext(connection) as queries:
        assert prepared.fetch_one("test_other", SQL, [member.pk, ""])[0] == member.pk
    assert _kinds(queries) == ["PREPARE", "EXECUTE"]


@pytest.mark.django_db(transaction=True)
def test_on_postgresql_the_statements_own_error_keeps_it_prepared(on_postgres):
    failing = "SELECT 1 / (%s - 1)"
    assert prepared.fetch_one("test_divide", failing, [2]) == (1,)
    with pytest.raises(DatabaseError):
        prepared.fetch_one("test_divide", failing, [1])  # division by zero
    with CaptureQueriesContext(connection) as queries:
        assert prepared.fetch_one("test_divide", failing, [3]) == (0,)
    assert _kinds(queries) == ["EXECUTE"]


def test_turned_off_the_statement_runs_as_it_is(db, settings):
    settings.DATABASE_PREPARED_STATEMENTS = False
    member = UserFactory()
    with CaptureQueriesContext(connection) as queries:
        assert prepared.fetch_one("test_off", SQL, [member.pk, ""])[0] == member.pk
    assert _kinds(queries) == ["SELECT"]
