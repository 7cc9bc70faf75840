from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone

from community import services as community
from escalation.deadlines import escalate_thread, sweep_due_deadlines
from escalation.models import Deadline, EscalationPolicy, Ticket
from tests.escalation.conftest import answer, ask
from tests.factories import CategoryFactory, UserFactory

pytestmark = pytest.mark.django_db


def _deadlines(thread):
    return {d.kind: d for d in Deadline.objects.filter(thread=thread)}


def test_the_default_policy_exists_after_migrating():
    default = EscalationPolicy.objects.get(is_default=True)
    assert (default.answer_within_minutes, default.solve_within_minutes, default.staff_response_minutes) == (
        240,
        4320,
        480,
    )


def test_asking_sets_both_deadlines_from_the_category_policy(member, category, policy):
    thread = ask(member, category)
    deadlines = _deadlines(thread)
    assert deadlines["first_answer"].due_at == thread.created_at + timedelta(minutes=60)
    assert deadlines["solve"].due_at == thread.created_at + timedelta(minutes=180)
    assert {d.status for d in deadlines.values()} == {"pending"}


def test_a_category_without_its_own_policy_uses_the_default(member):
    thread = ask(member, CategoryFactory())
    assert _deadlines(thread)["first_answer"].due_at == thread.created_at + timedelta(hours=4)


def test_an_answer_by_the_asker_does_not_stop_the_first_answer_timer(member, category, policy):
    thread = ask(member, category)
    answer(member, thread)
    assert _deadlines(thread)["first_answer"].status == "pending"


def test_an_answer_by_someone_else_clears_the_first_answer_timer_only(member, other_member, category, policy):
    thread = ask(member, category)
    answer(other_member, thread)
    deadlines = _deadlines(thread)
    assert deadlines["first_answer"].status == "cleared"
    assert deadlines["solve"].status == "pending"


def test_accepting_a_solution_clears_the_solve_timer(member, other_member, category, policy):
    thread = ask(member, category)
    reply = answer(other_member, thread)
    community.accept_answer(user=member, answer=reply)
    assert _deadlines(thread)["solve"].status == "cleared"


def test_unaccepting_restores_the_solve_timer_with_a_fresh_answer_window(member, other_member, category, policy):
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        thread = ask(member, category)
        reply = answer(other_member, thread)
        community.accept_answer(user=member, answer=reply)
    with time_machine.travel(start + timedelta(minutes=170), tick=False):
        community.unaccept_answer(user=member, answer=reply)
    solve = _deadlines(thread)["solve"]
    assert solve.status == "pending"
    assert solve.due_at == start + timedelta(minutes=170 + 60)


def test_unaccepting_early_restores_the_original_solve_time(member, other_member, category, policy):
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        thread = ask(member, category)
        reply = answer(other_member, thread)
        community.accept_answer(user=member, answer=reply)
        community.unaccept_answer(user=member, answer=reply)
    assert _deadlines(thread)["solve"].due_at == start + timedelta(minutes=180)


def test_answered_one_second_before_the_deadline_is_not_escalated(member, other_member, category, policy):
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        thread = ask(member, category)
    with time_machine.travel(start + timedelta(minutes=60) - timedelta(seconds=1), tick=False):
        answer(other_member, thread)
    with time_machine.travel(start + timedelta(minutes=61), tick=False):
        sweep_due_deadlines()
    assert not Ticket.objects.exists()
    assert _deadlines(thread)["first_answer"].status == "cleared"


def test_an_unanswered_question_is_escalated_by_the_sweep_once_due(member, category, policy):
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        thread = ask(member, category)
    with time_machine.travel(start + timedelta(minutes=59), tick=False):
        assert sweep_due_deadlines() == 0
    assert not Ticket.objects.exists()
    with time_machine.travel(start + timedelta(minutes=60, seconds=5), tick=False):
        assert sweep_due_deadlines() == 1
        now = timezone.now()
    ticket = Ticket.objects.get()
    assert (ticket.thread, ticket.reason, ticket.status) == (thread, "unanswered", "open")
    assert ticket.due_at == now + timedelta(minutes=30)
    deadlines = _deadlines(thread)
    assert deadlines["first_answer"].status == "escalated"
    # Staff have it now: the solve timer would only open the same ticket again.
    assert deadlines["solve"].status == "cleared"
    assert list(ticket.events.values_list("action", flat=True)) == ["opened"]


def test_an_answered_but_unsolved_question_is_escalated_as_unsolved(member, other_member, category, policy):
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        thread = ask(member, category)
        answer(other_member, thread)
    with time_machine.travel(start + timedelta(minutes=181), tick=False):
        sweep_due_deadlines()
    assert Ticket.objects.get(thread=thread).reason == "unsolved"


def test_sweeping_twice_changes_nothing_the_second_time(member, category, policy):
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        ask(member, category)
        ask(member, category)
    with time_machine.travel(start + timedelta(hours=5), tick=False):
        # Both timers of both threads are due; each thread gets one ticket.
        assert sweep_due_deadlines() == 4
        tickets = list(Ticket.objects.values_list("pk", "status", "due_at"))
        assert sweep_due_deadlines() == 0
    assert list(Ticket.objects.values_list("pk", "status", "due_at")) == tickets
    assert len(tickets) == 2


def test_a_late_or_repeated_countdown_task_changes_nothing(member, category, policy):
    from escalation.tasks import escalate_if_due

    start = timezone.now()
    with time_machine.travel(start, tick=False):
        thread = ask(member, category)
    with time_machine.travel(start + timedelta(minutes=61), tick=False):
        escalate_if_due.delay(thread.pk)
        escalate_if_due.delay(thread.pk)
        sweep_due_deadlines()
    with time_machine.travel(start + timedelta(hours=9), tick=False):
        escalate_if_due.delay(thread.pk)
    assert Ticket.objects.filter(thread=thread).count() == 1


def test_an_early_countdown_task_does_nothing(member, category, policy):
    from escalation.tasks import escalate_if_due

    thread = ask(member, category)
    assert escalate_if_due.delay(thread.pk).get() == 0
    assert not Ticket.objects.exists()


def test_escalating_an_escalated_thread_returns_the_same_ticket(member, category, policy):
    thread = ask(member, category)
    first, created = escalate_thread(thread=thread, reason=Ticket.Reason.UNANSWERED)
    again, created_again = escalate_thread(thread=thread, reason=Ticket.Reason.UNSOLVED)
    assert (created, created_again, again) == (True, False, first)


def test_the_database_refuses_a_second_active_ticket_for_a_thread(member, category, policy):
    from django.db import IntegrityError, transaction

    thread = ask(member, category)
    escalate_thread(thread=thread, reason=Ticket.Reason.UNANSWERED)
    with pytest.raises(IntegrityError), transaction.atomic():
        Ticket.objects.create(thread=thread, reason="unsolved", due_at=timezone.now())


def test_a_deleted_question_is_not_escalated(member, category, policy):
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        thread = ask(member, category)
        community.delete_question(user=member, thread=thread)
    with time_machine.travel(start + timedelta(hours=5), tick=False):
        sweep_due_deadlines()
    assert not Ticket.objects.exists()


def test_a_rolled_back_question_enqueues_nothing_and_leaves_no_deadline(member, category, policy, django_capture_on_commit_callbacks):
    from django.db import transaction

    policy.answer_within_minutes = 1
    policy.save()

    with django_capture_on_commit_callbacks() as callbacks:
        with pytest.raises(RuntimeError), transaction.atomic():
            ask(member, category)
            raise RuntimeError("the request failed after asking")
    assert callbacks == []
    assert not Deadline.objects.exists()


def test_a_short_window_enqueues_its_countdown_after_commit(member, category, policy, django_capture_on_commit_callbacks):
    policy.answer_within_minutes = 1
    policy.save()
    with django_capture_on_commit_callbacks() as callbacks:
        ask(member, category)
    assert len(callbacks) == 1


def test_a_window_longer_than_the_broker_keeps_messages_relies_on_the_sweep_alone(member, category, policy, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks() as callbacks:
        ask(member, category)
    assert callbacks == []
    assert Deadline.objects.filter(status="pending").count() == 2


def test_sweep_query_count_does_not_grow_with_deadlines_that_are_not_due(
    member, category, policy, django_assert_num_queries, django_assert_max_num_queries
):
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        due = ask(member, category)
    with time_machine.travel(start + timedelta(minutes=30), tick=False):
        for _ in range(3):
            ask(member, category)
    with time_machine.travel(start + timedelta(minutes=61), tick=False):
        from django.db import connection
        from django.test.utils import CaptureQueriesContext

        with CaptureQueriesContext(connection) as few:
            sweep_due_deadlines()
    assert Ticket.objects.get().thread == due
    Ticket.objects.all().delete()
    Deadline.objects.all().delete()

    start2 = start + timedelta(days=1)
    with time_machine.travel(start2, tick=False):
        ask(member, category)
    with time_machine.travel(start2 + timedelta(minutes=30), tick=False):
        for _ in range(30):
            ask(member, category)
    with time_machine.travel(start2 + timedelta(minutes=61), tick=False):
        # At most as many: the first sweep may also warm caches (the experts tier's programmes).
        with django_assert_max_num_queries(len(few.captured_queries)):
            sweep_due_deadlines()


def test_the_sweep_handles_more_due_deadlines_than_one_batch(member, category, policy):
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        threads = [ask(member, category) for _ in range(7)]
    with time_machine.travel(start + timedelta(minutes=61), tick=False):
        assert sweep_due_deadlines(batch_size=3) == 7
    assert Ticket.objects.filter(thread__in=threads).count() == 7


def test_with_the_broker_emptied_all_waiting_threads_are_escalated_by_the_next_sweep(category, policy, django_capture_on_commit_callbacks):
    """No countdown task ever runs (as if Redis were flushed): the sweep alone escalates all."""
    asker = UserFactory()
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        # Captured and never executed: the broker lost every countdown message.
        with django_capture_on_commit_callbacks(execute=False):
            threads = [ask(asker, category) for _ in range(100)]
    with time_machine.travel(start + timedelta(minutes=60, seconds=30), tick=False):
        assert sweep_due_deadlines() == 100
    assert Ticket.objects.filter(thread__in=threads, reason="unanswered").count() == 100
    assert not Deadline.objects.filter(status="pending", kind="first_answer").exists()
