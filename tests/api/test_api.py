"""The REST API: asking and answering through tokens, what tokens store, their limits,
cursor pages and query budgets. Permissions are walked in tests/security/test_api.py."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from django.apps import apps
from django.db import models
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from api.models import ApiToken
from api.services import create_token
from community import services as community
from community.models import Thread
from escalation.models import Ticket
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def bearer(clear: str) -> Client:
    return Client(HTTP_AUTHORIZATION=f"Bearer {clear}")


@pytest.fixture
def writer(member):
    _token, clear = create_token(user=member, name="script", scopes=["read", "write"])
    return bearer(clear)


def test_a_member_asks_and_answers_through_the_api(writer, member, other_member, category):
    response = writer.post(reverse("api:threads"), {"title": "Printer drops off the network nightly",
                                                   "body": "Every night at two the printer goes offline.",
                                                   "category": category.slug, "tags": "printer, wifi"},
                           content_type="application/json")
    assert response.status_code == 201, response.content
    thread = Thread.objects.get(pk=response.json()["id"])
    assert thread.author == member and not thread.is_private
    assert response.json()["tags"] == ["printer", "wifi"]
    _t, other_clear = create_token(user=other_member, name="helper", scopes=["read", "write"])
    answered = bearer(other_clear).post(reverse("api:thread_answers", args=[thread.pk]),
                                        {"body": "Turn off the power saving mode in its settings."},
                                        content_type="application/json")
    assert answered.status_code == 201
    listed = writer.get(reverse("api:thread_answers", args=[thread.pk])).json()["results"]
    assert [a["body"] for a in listed] == ["Turn off the power saving mode in its settings."]


def test_a_question_with_a_card_number_becomes_private_through_the_api_too(writer, category, other_member):
    response = writer.post(reverse("api:threads"), {"title": "Charged twice on my card",
                                                   "body": "My card 4111 1111 1111 1111 was charged twice.",
                                                   "category": category.slug}, content_type="application/json")
    assert response.status_code == 201 and response.json()["is_private"] is True
    assert Ticket.objects.filter(thread_id=response.json()["id"], reason="confidential").exists()
    _t, clear = create_token(user=other_member, name="nosy", scopes=["read"])
    assert bearer(clear).get(reverse("api:thread", args=[response.json()["id"]])).status_code == 404


def test_bad_input_is_a_400_with_reasons_never_a_500(writer, category):
    response = writer.post(reverse("api:threads"), {"title": "x", "body": "", "category": "nope"},
                           content_type="application/json")
    assert response.status_code == 400
    assert set(response.json()["errors"]) >= {"title", "body", "category"}
    huge = writer.post(reverse("api:threads"), {"title": "A" * 5000, "body": "B" * 300_000, "category": category.slug},
                       content_type="application/json")
    assert huge.status_code == 400
    assert writer.get(reverse("api:threads") + "?category=" + "x" * 500).status_code == 400
    assert writer.get(reverse("api:threads") + "?show=solved&q=" + "é" * 5000).status_code == 200


def test_tokens_are_never_stored_in_clear_anywhere_in_the_database(member):
    token, clear = create_token(user=member, name="secret keeper", scopes=["read"])
    assert clear.startswith(f"pdk_{token.prefix}_")
    secret = clear.split("_", 2)[2]
    bearer(clear).get(reverse("api:threads"))
    for model in apps.get_models():
        text_fields = [f.name for f in model._meta.get_fields()
                       if isinstance(f, (models.CharField, models.TextField)) and not f.is_relation]
        for row in model.objects.values_list(*text_fields) if text_fields else []:
            assert not any(secret in str(value) for value in row), f"{model.__name__} holds the clear token"
    token.refresh_from_db()
    assert token.key_hash != clear and len(token.key_hash) == 64


def test_last_used_time_is_recorded_at_most_once_a_minute(member, django_assert_max_num_queries):
    token, clear = create_token(user=member, name="t", scopes=["read"])
    client = bearer(clear)
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        client.get(reverse("api:leaderboard"))
        token.refresh_from_db()
        assert token.last_used_at == start
    with time_machine.travel(start + timedelta(seconds=30), tick=False):
        client.get(reverse("api:leaderboard"))
        token.refresh_from_db()
        assert token.last_used_at == start
    with time_machine.travel(start + timedelta(minutes=2), tick=False):
        client.get(reverse("api:leaderboard"))
        token.refresh_from_db()
        assert token.last_used_at == start + timedelta(minutes=2)


def test_rate_limits_count_per_token(member, settings):
    settings.API_TOKEN_RATE_PER_MINUTE = 3
    _a, first = create_token(user=member, name="a", scopes=["read"])
    _b, second = create_token(user=member, name="b", scopes=["read"])
    moment = timezone.now().replace(second=10)
    with time_machine.travel(moment, tick=False):
        statuses = [bearer(first).get(reverse("api:leaderboard")).status_code for _ in range(4)]
        assert statuses == [200, 200, 200, 429]
        limited = bearer(first).get(reverse("api:leaderboard"))
        assert limited["Retry-After"] == "50"
        assert bearer(second).get(reverse("api:leaderboard")).status_code == 200
    with time_machine.travel(moment + timedelta(minutes=1), tick=False):
        assert bearer(first).get(reverse("api:leaderboard")).status_code == 200


def test_threads_are_paged_by_cursor_without_gaps_or_repeats(member, category):
    for i in range(7):
        community.ask_question(author=member, category=category, title=f"Question number {i} about sync",
                               body="Details of the question.")
    client = Client()
    seen, url = [], reverse("api:threads") + "?page_size=3"
    while url:
        page = client.get(url).json()
        seen += [row["id"] for row in page["results"]]
        url = page["next"]
    assert seen == sorted(seen, reverse=True) and len(seen) == len(set(seen)) == 7


@pytest.mark.parametrize("size", [3, 12])
def test_list_and_detail_query_budgets_do_not_grow_with_the_data(size, category, staff, django_assert_max_num_queries):
    from escalation.tickets import add_ticket_note

    askers = [UserFactory() for _ in range(3)]
    for i in range(size):
        thread = community.ask_question(author=askers[i % 3], category=category, title=f"Budget question {i} here",
                                        body="Body of the budget question.", tags="one, two", is_private=i % 4 == 0)
        community.post_answer(author=staff if thread.is_private else askers[(i + 1) % 3], thread=thread,
                              body="An answer long enough to post.")
    ticket = Ticket.objects.first()
    add_ticket_note(ticket_id=ticket.pk, staff=staff, body="A note")
    _t, clear = create_token(user=staff, name="desk", scopes=["read", "staff"])
    client = bearer(clear)
    thread = Thread.objects.filter(is_private=False).first()
    for url in (reverse("api:threads"), reverse("api:thread", args=[thread.pk]),
                reverse("api:thread_answers", args=[thread.pk]), reverse("api:tickets"),
                reverse("api:ticket", args=[ticket.pk]), reverse("api:member_kudos", args=[askers[0].username])):
        with django_assert_max_num_queries(12):
            assert client.get(url).status_code == 200, url


def test_staff_claim_note_and_resolve_a_ticket_through_the_api(staff, member, category):
    thread = community.ask_question(author=member, category=category, title="Private billing question here",
                                    body="Please look at my account.", is_private=True)
    ticket = Ticket.objects.get(thread=thread)
    _t, clear = create_token(user=staff, name="desk", scopes=["read", "staff"])
    client = bearer(clear)
    assert client.post(reverse("api:ticket_claim", args=[ticket.pk])).json()["status"] == "claimed"
    noted = client.post(reverse("api:ticket_notes", args=[ticket.pk]), {"body": "Checked the ledger."},
                        content_type="application/json")
    assert noted.status_code == 201 and noted.json()["notes"][0]["body"] == "Checked the ledger."
    assert client.post(reverse("api:ticket_notes", args=[ticket.pk]), {"body": "  "},
                       content_type="application/json").status_code == 400
    assert client.post(reverse("api:ticket_resolve", args=[ticket.pk])).json()["status"] == "resolved"
    again = client.post(reverse("api:ticket_resolve", args=[ticket.pk]))
    assert again.status_code == 409 and "already" in again.json()["errors"][0]


def test_the_openapi_document_lists_every_route_and_the_bearer_scheme(client):
    schema = client.get(reverse("api:schema") + "?format=json").json()
    assert "tokenAuth" in schema["components"]["securitySchemes"]
    for path in ("/api/v1/threads/", "/api/v1/threads/{id}/answers/", "/api/v1/tickets/{id}/claim/",
                 "/api/v1/members/{username}/kudos/"):
        assert path in schema["paths"], path


def test_the_browsable_api_renders_for_a_signed_in_member(client, member):
    client.force_login(member)
    page = client.get(reverse("api:threads"), HTTP_ACCEPT="text/html")
    assert page.status_code == 200 and b"Peerdesk" in page.content or b"Threads" in page.content


def test_the_token_page_shows_a_new_token_once_and_revokes_it(client, member):
    client.force_login(member)
    page = client.post(reverse("api_tokens:list"), {"name": "My script", "scopes": ["read", "write"]})
    assert page.status_code == 200 and "no-store" in page["Cache-Control"]
    token = ApiToken.objects.get(user=member)
    clear = page.context["created"]["clear"]
    assert clear.encode() in page.content
    assert clear.encode() not in client.get(reverse("api_tokens:list")).content
    assert bearer(clear).get(reverse("api:threads")).status_code == 200
    client.post(reverse("api_tokens:revoke", args=[token.pk]))
    assert bearer(clear).get(reverse("api:threads")).status_code == 401
    # Customers are not offered the staff scope, and a forged one is refused.
    refused = client.post(reverse("api_tokens:list"), {"name": "Sneaky", "scopes": ["staff"]})
    assert refused.status_code == 400 and not ApiToken.objects.filter(name="Sneaky").exists()
    kept = client.post(reverse("api_tokens:list"), {"name": "Keep this name", "scopes": []})
    assert kept.status_code == 400 and b"Keep this name" in kept.content


def test_admins_make_service_tokens_in_the_admin_and_see_them_once(client, admin_user):
    service = UserFactory(username="crm-bot")
    client.force_login(admin_user)
    response = client.post("/admin/api/apitoken/add/", {"user": service.pk, "name": "CRM sync", "kind": "service",
                                                         "can_read": "on", "can_write": "on"}, follow=True)
    assert response.status_code == 200
    token = ApiToken.objects.get(name="CRM sync")
    assert token.kind == "service" and token.scopes == ["read", "write"]
    shown = [str(m) for m in response.context["messages"]]
    clear = shown[0].rsplit(" ", 1)[1]
    assert bearer(clear).get(reverse("api:threads")).status_code == 200


def test_a_token_name_with_account_data_is_refused_and_kept_on_the_page(client, member):
    client.force_login(member)
    response = client.post(reverse("api_tokens:list"), {"name": "card 4111 1111 1111 1111", "scopes": ["read"]})
    assert response.status_code == 400 and b"account data" in response.content
    assert b"4111 1111 1111 1111" in response.content  # what was typed is kept
    assert not ApiToken.objects.exists()


@pytest.mark.parametrize("size", [2, 15])
def test_the_token_page_costs_the_same_queries_at_any_size(size, client, member, django_assert_max_num_queries):
    for i in range(size):
        create_token(user=member, name=f"token {i}", scopes=["read"])
    client.force_login(member)
    with django_assert_max_num_queries(8):
        assert client.get(reverse("api_tokens:list")).status_code == 200
