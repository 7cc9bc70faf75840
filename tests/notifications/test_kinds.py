"""Every kind of notification, on the site and by email, and every opt-out."""

from __future__ import annotations

import pytest
from django.core import mail

from notifications import emails, services
from notifications.models import Kind, Notification
from tests.factories import StaffFactory, UserFactory

pytestmark = pytest.mark.django_db

ALL_KINDS = list(Kind.values)


def recipient_for(kind):
    return StaffFactory() if kind == Kind.NEW_TICKETS else UserFactory()


def shown(user):
    return list(Notification.objects.shown_to(user))


def mails_to(user):
    return [m for m in mail.outbox if m.to == [user.email]]


@pytest.mark.parametrize("kind", ALL_KINDS)
def test_every_kind_shows_on_the_site_and_sends_one_email_by_default(fire, kind):
    member = recipient_for(kind)
    fire(kind, member)
    notifications = shown(member)
    assert [n.kind for n in notifications] == [kind]
    assert services.unread_count(member) == 1
    [message] = mails_to(member)
    assert message.alternatives and message.alternatives[0][1] == "text/html"
    assert "/notifications/unsubscribe/" in message.body
    assert "/notifications/unsubscribe/" in message.alternatives[0][0]
    assert message.extra_headers["List-Unsubscribe"].startswith("<http")
    assert message.extra_headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert Notification.objects.get(recipient=member).email_status == "sent"


@pytest.mark.parametrize("kind", ALL_KINDS)
def test_turning_a_kind_off_on_the_site_keeps_its_email(fire, kind):
    member = recipient_for(kind)
    services.set_preferences(user=member, choices={kind: (False, True)})
    fire(kind, member)
    assert shown(member) == []
    assert services.unread_count(member) == 0
    assert len(mails_to(member)) == 1


@pytest.mark.parametrize("kind", ALL_KINDS)
def test_turning_a_kind_off_by_email_keeps_it_on_the_site(fire, kind):
    member = recipient_for(kind)
    services.set_preferences(user=member, choices={kind: (True, False)})
    fire(kind, member)
    assert [n.kind for n in shown(member)] == [kind]
    assert mails_to(member) == []


def test_turning_off_one_kind_leaves_the_others(fire):
    member = UserFactory()
    services.set_preferences(user=member, choices={Kind.ANSWER: (False, False)})
    fire(Kind.ANSWER, member)
    fire(Kind.RANK, member)
    assert [n.kind for n in shown(member)] == [Kind.RANK]
    assert [m.subject for m in mails_to(member)] == ["[Peerdesk] You reached the rank Contributor"]


def test_an_email_turned_off_after_the_event_is_not_sent(member, category, django_capture_on_commit_callbacks):
    from tests.notifications.conftest import answer, ask

    thread = ask(member, category)
    answer(UserFactory(), thread)  # the email task waits for commit (never, in this test)
    services.set_preferences(user=member, choices={Kind.ANSWER: (True, False)})
    assert emails.send_pending_emails(now=Notification.objects.get().created_at + services.LOST_EMAIL_AFTER) == 0
    assert mail.outbox == []
    assert Notification.objects.get().email_status == "skipped"


def test_members_cannot_receive_or_choose_the_staff_digest(member):
    assert Kind.NEW_TICKETS not in services.preferences_for(member)
    services.set_preferences(user=member, choices={Kind.NEW_TICKETS: (True, True)})
    assert services.notify(recipient=member, kind=Kind.NEW_TICKETS, text="1 new ticket") is None
    assert not Notification.objects.exists()
