"""A hand-built dataset for the deflection report, made through the real services with the
clock set by time_machine, so every figure can be checked against numbers worked out by hand.

Today is Fri 20 Mar 2026 (UTC). Category "main" unless noted; staff reply target 8 hours.

t1  Tue 10 Mar 09:00 asker1   helper1 answers 10:00; asker accepts it 13:00     solved by community
t2  Tue 10 Mar 10:00 asker2   helper2 answers 12:00, helper1 13:00              answered, not solved
t3  Thu 12 Mar 08:00 asker1   private: confidential ticket at once (due 16:00); staff answer 09:00,
                              accepted 10:00                                      solved by staff
t4  Thu 12 Mar 09:00 asker2   no answers; escalated unanswered 14:00 (due 22:00), never replied
t5  Thu 12 Mar 11:00 asker1   asker answers own question 11:30; helper1 15:00; "still need help"
                              16:00 (due Fri 13 00:00); staff reply Fri 13 10:00 (late)
t6  Tue 10 Mar 09:00 asker1   category "other"; helper2 answers 12:00; accepted 14:00
t7  Tue 10 Mar 09:00 asker2   deleted by its author: not counted
t8  Fri 20 Mar 08:00 asker2   today; helper2 answers 08:30                         answered, not solved

Times to first answer: 1 h, 2 h, 1 h, 4 h, 3 h, 0.5 h -> median 1.5 h, p90 3.5 h.
Times to solution: 4 h, 2 h, 5 h -> median 4 h, p90 4.8 h.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from datetime import datetime, timezone as dt_timezone
from decimal import Decimal

import pytest
import time_machine

from community import services as community
from escalation.deadlines import escalate_thread
from escalation.models import Ticket
from escalation.tickets import answer_ticket
from reports.models import ReportSettings
from tests.factories import CategoryFactory, StaffFactory, UserFactory

TODAY = datetime(2026, 3, 20, 12, 0, tzinfo=dt_timezone.utc)
_n = itertools.count(1)


def at(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 3, day, hour, minute, tzinfo=dt_timezone.utc)


def ask(author, category, when, **kwargs):
    with time_machine.travel(when, tick=False):
        n = next(_n)
        return community.ask_question(
            author=author, category=category, title=f"How do I export report number {n}?",
            body="I need the monthly export as a CSV file for accounting.", **kwargs
        )


def answer(author, thread, when, body="Open Settings, then Export, and pick CSV for the month."):
    with time_machine.travel(when, tick=False):
        return community.post_answer(author=author, thread=thread, body=body)


def accept(user, answer_, when):
    with time_machine.travel(when, tick=False):
        return community.accept_answer(user=user, answer=answer_)


@dataclass
class Dataset:
    main: object
    other: object
    asker1: object
    asker2: object
    helper1: object
    helper2: object
    staff: object
    threads: dict


def build_dataset() -> Dataset:
    main = CategoryFactory(name="Main product", slug="main")
    other = CategoryFactory(name="Other product", slug="other")
    asker1, asker2, helper1, helper2 = UserFactory(), UserFactory(), UserFactory(), UserFactory()
    staff = StaffFactory()
    settings = ReportSettings.load()
    settings.cost_per_ticket, settings.currency = Decimal("40.00"), "USD"
    settings.save()
    t = {}

    t["t1"] = ask(asker1, main, at(10, 9))
    a = answer(helper1, t["t1"], at(10, 10))
    accept(asker1, a, at(10, 13))

    t["t2"] = ask(asker2, main, at(10, 10))
    answer(helper2, t["t2"], at(10, 12))
    answer(helper1, t["t2"], at(10, 13))

    t["t3"] = ask(asker1, main, at(12, 8), is_private=True)
    ticket = Ticket.objects.get(thread=t["t3"])
    with time_machine.travel(at(12, 9), tick=False):
        official = answer_ticket(ticket_id=ticket.pk, staff=staff, body="We refunded it; please check.")
    accept(asker1, official, at(12, 10))

    t["t4"] = ask(asker2, main, at(12, 9))
    with time_machine.travel(at(12, 14), tick=False):
        escalate_thread(thread=t["t4"], reason=Ticket.Reason.UNANSWERED)

    t["t5"] = ask(asker1, main, at(12, 11))
    answer(asker1, t["t5"], at(12, 11, 30), body="Answering myself: I tried the export page already.")
    answer(helper1, t["t5"], at(12, 15))
    with time_machine.travel(at(12, 16), tick=False):
        community.ask_for_more_help(user=asker1, thread=t["t5"])
    ticket = Ticket.objects.get(thread=t["t5"], status__in=Ticket.ACTIVE_STATUSES)
    with time_machine.travel(at(13, 10), tick=False):
        answer_ticket(ticket_id=ticket.pk, staff=staff, body="Staff here: the export needs the admin role.")

    t["t6"] = ask(asker1, other, at(10, 9))
    a = answer(helper2, t["t6"], at(10, 12))
    accept(asker1, a, at(10, 14))

    t["t7"] = ask(asker2, main, at(10, 9))
    with time_machine.travel(at(10, 9, 30), tick=False):
        community.delete_question(user=asker2, thread=t["t7"])

    t["t8"] = ask(asker2, main, at(20, 8))
    answer(helper2, t["t8"], at(20, 8, 30))
    return Dataset(main, other, asker1, asker2, helper1, helper2, staff, t)


@pytest.fixture
def dataset(db):
    return build_dataset()


@pytest.fixture
def today():
    with time_machine.travel(TODAY, tick=False):
        yield TODAY
