import threading
from contextlib import contextmanager

import pytest
import time_machine
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection

from community import events, services, validators
from community.models import Answer, AnswerVote, MeToo, Revision, Thread
from tests.factories import StaffFactory, UserFactory

BODY = "My phone stopped syncing after the last update. What can I try?"


@contextmanager
def capture(signal):
    sent = []

    def receiver(sender, **kwargs):
        sent.append({"sender": sender, **kwargs})

    signal.connect(receiver, weak=False, dispatch_uid=f"capture-{id(sent)}")
    try:
        yield sent
    finally:
        signal.disconnect(dispatch_uid=f"capture-{id(sent)}")


def ask(author, category, **kwargs):
    defaults = {"title": "Sync stopped after the update", "body": BODY, "tags": ["sync"]}
    defaults.update(kwargs)
    return services.ask_question(author=author, category=category, **defaults)


@pytest.fixture
def thread(member, category):
    return ask(member, category)


@pytest.fixture
def answer(thread, other_member):
    return services.post_answer(author=other_member, thread=thread, body="Sign out and in again.")


# --- ask_question ---------------------------------------------------------------------------


def test_asking_a_question_stores_rendered_html_tags_and_sends_question_asked(member, category):
    with capture(events.question_asked) as sent:
        thread = ask(member, category, body="Try **this**", tags="Sync, iOS App, sync")
    thread.refresh_from_db()
    assert thread.body_html == "<p>Try <strong>this</strong></p>\n"
    assert sorted(thread.tags.names()) == ["ios-app", "sync"]
    assert thread.is_private is False and thread.private_reason == ""
    assert thread.slug == "sync-stopped-after-the-update"
    assert sent == [{"sender": Thread, "signal": events.question_asked, "thread": thread}]


def test_a_question_with_a_card_number_is_private_when_first_saved(member, category):
    seen = []

    def receiver(sender, thread, **kwargs):
        seen.append(Thread.objects.filter(pk=thread.pk).values_list("is_private", flat=True).get())

    events.question_asked.connect(receiver, weak=False, dispatch_uid="test-private-first")
    try:
        thread = ask(member, category, body="I was charged twice on 4111 1111 1111 1111, please help")
    finally:
        events.question_asked.disconnect(dispatch_uid="test-private-first")
    thread.refresh_from_db()
    assert thread.is_private and thread.private_reason == Thread.PrivateReason.DETECTED
    assert seen == [True]
    assert not Thread.objects.listed().filter(pk=thread.pk).exists()


def test_a_question_the_author_marks_private_is_private_for_that_reason(member, category):
    thread = ask(member, category, is_private=True)
    assert thread.is_private and thread.private_reason == Thread.PrivateReason.AUTHOR


def test_asking_rejects_more_than_five_tags_and_a_short_title(member, category):
    with pytest.raises(ValidationError, match="at most 5 tags"):
        ask(member, category, tags=[f"t{i}" for i in range(100)])
    with pytest.raises(ValidationError, match="at least"):
        ask(member, category, title="Help")
    with pytest.raises(ValidationError, match="needs some text"):
        ask(member, category, body="   ")
    assert Thread.objects.count() == 0


def test_asking_renders_script_and_javascript_links_harmless(member, category):
    thread = ask(member, category, body='<script>alert(1)</script> [x](javascript:alert(1)) <b onclick="x()">b</b>')
    assert "<script" not in thread.body_html
    assert 'href="javascript' not in thread.body_html
    assert "<b " not in thread.body_html


def test_anonymous_users_cannot_ask(category):
    from django.contrib.auth.models import AnonymousUser

    with pytest.raises(PermissionDenied):
        ask(AnonymousUser(), category)


# --- edit_question / delete_question ----------------------------------------------------------


def test_editing_a_question_keeps_a_revision_marks_edited_and_bumps_the_version(thread, member):
    with time_machine.travel("2026-03-01 12:00Z", tick=False):
        with capture(events.question_edited) as sent:
            services.edit_question(user=member, thread=thread, title="Sync stopped after update 4.2", body="New text", tags=["sync", "ios"])
    thread.refresh_from_db()
    assert thread.title == "Sync stopped after update 4.2" and thread.body_html == "<p>New text</p>\n"
    assert thread.edited_at.isoformat() == "2026-03-01T12:00:00+00:00"
    assert thread.version == 2
    assert sorted(thread.tags.names()) == ["ios", "sync"]
    revision = Revision.objects.get(thread=thread)
    assert (revision.title, revision.body, revision.edited_by) == ("Sync stopped after the update", BODY, member)
    assert sent[0]["became_private"] is False


def test_an_edit_that_adds_an_iban_makes_the_question_private_and_says_so(thread, member):
    with capture(events.question_edited) as sent:
        services.edit_question(user=member, thread=thread, title=thread.title, body="Refund to GB82 WEST 1234 5698 7654 32")
    thread.refresh_from_db()
    assert thread.is_private and thread.private_reason == Thread.PrivateReason.DETECTED
    assert sent[0]["became_private"] is True


def test_an_edit_never_makes_a_private_question_public(member, category):
    thread = ask(member, category, is_private=True)
    with capture(events.question_edited) as sent:
        services.edit_question(user=member, thread=thread, title=thread.title, body="Nothing secret", is_private=False)
    thread.refresh_from_db()
    assert thread.is_private is True
    assert sent[0]["became_private"] is False


def test_only_the_author_or_staff_can_edit_a_question(thread, other_member, staff):
    with pytest.raises(PermissionDenied):
        services.edit_question(user=other_member, thread=thread, title=thread.title, body="Hijacked")
    services.edit_question(user=staff, thread=thread, title=thread.title, body="Tidied by staff")
    assert Thread.objects.get(pk=thread.pk).body == "Tidied by staff"


def test_an_edit_that_changes_nothing_records_and_announces_nothing(thread, member):
    with capture(events.question_edited) as sent:
        services.edit_question(user=member, thread=thread, title=thread.title, body=thread.body, tags=["sync"])
    assert sent == [] and Revision.objects.count() == 0
    assert Thread.objects.get(pk=thread.pk).version == 1


def test_deleting_a_question_is_soft_and_sends_post_deleted(thread, member, other_member):
    with pytest.raises(PermissionDenied):
        services.delete_question(user=other_member, thread=thread)
    with capture(events.post_deleted) as sent:
        services.delete_question(user=member, thread=thread)
        services.delete_question(user=member, thread=thread)
    thread.refresh_from_db()
    assert thread.is_deleted and thread.deleted_at is not None
    assert not Thread.objects.visible_to(member).filter(pk=thread.pk).exists()
    assert Thread.objects.visible_to(StaffFactory()).filter(pk=thread.pk).exists()
    assert len(sent) == 1 and sent[0]["post"] == thread and sent[0]["by"] == member


# --- post_answer / edit_answer / delete_answer ------------------------------------------------


def test_posting_an_answer_counts_it_sets_first_answer_time_and_sends_answer_posted(thread, other_member):
    with time_machine.travel("2026-03-02 09:30Z", tick=False):
        with capture(events.answer_posted) as sent:
            answer = services.post_answer(author=other_member, thread=thread, body="Reinstall the app.")
    thread.refresh_from_db()
    assert thread.answer_count == 1 and thread.version == 2
    assert thread.first_answer_at.isoformat() == "2026-03-02T09:30:00+00:00"
    assert thread.last_activity_at == thread.first_answer_at
    assert answer.is_official is False
    assert sent == [{"sender": Answer, "signal": events.answer_posted, "answer": answer, "mentioned": []}]


def test_the_askers_own_answer_does_not_count_as_a_first_answer(thread, member):
    services.post_answer(author=member, thread=thread, body="Some extra detail from me.")
    thread.refresh_from_db()
    assert thread.answer_count == 1 and thread.first_answer_at is None


def test_staff_answers_are_official(thread, staff):
    answer = services.post_answer(author=staff, thread=thread, body="We are on it.")
    assert answer.is_official is True


def test_nobody_but_author_and_staff_can_answer_a_private_question(member, other_member, staff, category):
    thread = ask(member, category, is_private=True)
    with pytest.raises(PermissionDenied):
        services.post_answer(author=other_member, thread=thread, body="Let me see")
    services.post_answer(author=staff, thread=thread, body="Support here.")
    assert Thread.objects.get(pk=thread.pk).answer_count == 1


def test_an_empty_answer_is_rejected(thread, other_member):
    with pytest.raises(ValidationError):
        services.post_answer(author=other_member, thread=thread, body="  ")
    assert Answer.objects.count() == 0


def test_editing_an_answer_keeps_a_revision_and_sends_answer_edited(answer, other_member, member):
    with pytest.raises(PermissionDenied):
        services.edit_answer(user=member, answer=answer, body="Not mine")
    with capture(events.answer_edited) as sent:
        services.edit_answer(user=other_member, answer=answer, body="Sign out, then sign in.")
    answer.refresh_from_db()
    assert answer.body_html == "<p>Sign out, then sign in.</p>\n" and answer.edited_at is not None
    assert Revision.objects.get(answer=answer).body == "Sign out and in again."
    assert len(sent) == 1


def test_deleting_the_accepted_answer_unaccepts_it_first_and_moves_the_counters(answer, member, other_member):
    services.upvote_answer(user=member, answer=answer)
    services.accept_answer(user=member, answer=answer)
    order = []
    with capture(events.solution_unaccepted) as unaccepted, capture(events.post_deleted) as deleted:
        events.solution_unaccepted.connect(lambda sender, **kw: order.append("unaccepted"), weak=False, dispatch_uid="o1")
        events.post_deleted.connect(lambda sender, **kw: order.append("deleted"), weak=False, dispatch_uid="o2")
        try:
            services.delete_answer(user=other_member, answer=answer)
        finally:
            events.solution_unaccepted.disconnect(dispatch_uid="o1")
            events.post_deleted.disconnect(dispatch_uid="o2")
    thread = Thread.objects.get(pk=answer.thread_id)
    assert order == ["unaccepted", "deleted"]
    assert unaccepted[0]["answer"] == answer and deleted[0]["post"].pk == answer.pk
    assert thread.solution_id is None and thread.solved_at is None
    assert thread.answer_count == 0 and thread.upvote_count == 0
    assert Answer.objects.get(pk=answer.pk).is_deleted


# --- upvotes --------------------------------------------------------------------------------


def test_an_upvote_counts_once_on_the_answer_and_the_thread(answer, member):
    with capture(events.answer_upvoted) as sent:
        services.upvote_answer(user=member, answer=answer)
        services.upvote_answer(user=member, answer=answer)
    answer.refresh_from_db()
    assert AnswerVote.objects.filter(answer=answer).count() == 1
    assert answer.upvote_count == 1
    assert Thread.objects.get(pk=answer.thread_id).upvote_count == 1
    assert len(sent) == 1 and sent[0]["voter"] == member


def test_nobody_can_upvote_their_own_answer(answer, other_member):
    with pytest.raises(PermissionDenied, match="your own answer"):
        services.upvote_answer(user=other_member, answer=answer)
    assert AnswerVote.objects.count() == 0


def test_removing_an_upvote_takes_it_back_and_sends_answer_unvoted(answer, member):
    services.upvote_answer(user=member, answer=answer)
    with capture(events.answer_unvoted) as sent:
        assert services.remove_upvote(user=member, answer=answer) is True
        assert services.remove_upvote(user=member, answer=answer) is False
    answer.refresh_from_db()
    assert answer.upvote_count == 0 and Thread.objects.get(pk=answer.thread_id).upvote_count == 0
    assert len(sent) == 1


def test_toggling_an_upvote_switches_it_on_and_off(answer, member):
    assert services.toggle_upvote(user=member, answer=answer) is True
    assert services.toggle_upvote(user=member, answer=answer) is False
    assert AnswerVote.objects.count() == 0


@pytest.mark.django_db(transaction=True)
def test_a_lost_upvote_race_is_answered_like_the_winner(on_postgres, answer, member):
    """The same member's vote sent twice at once (a double click, two tabs): both requests
    really run together on PostgreSQL; the one that loses gets the winner's vote back, not an
    error, and moves no counter and sends no event of its own."""
    barrier = threading.Barrier(2)
    votes, errors = [], []

    def vote():
        try:
            barrier.wait(timeout=10)
            votes.append(services.upvote_answer(user=member, answer=answer))
        except Exception as exc:  # noqa: BLE001 - reported by the assertion below
            errors.append(exc)
        finally:
            connection.close()

    with capture(events.answer_upvoted) as sent:
        requests = [threading.Thread(target=vote) for _ in range(2)]
        for request in requests:
            request.start()
        for request in requests:
            request.join(timeout=60)
    assert errors == []
    assert len(votes) == 2 and votes[0].pk == votes[1].pk
    assert {vote.user for vote in votes} == {member}
    assert AnswerVote.objects.filter(answer=answer).count() == 1
    # The winner's request moves the counter; the loser does not move it again.
    assert Answer.objects.get(pk=answer.pk).upvote_count == 1
    assert len(sent) == 1


@pytest.mark.django_db(transaction=True)
def test_concurrent_upvotes_by_one_member_leave_one_vote_and_count_one(on_postgres, category):
    asker, answerer, voter = UserFactory(), UserFactory(), UserFactory()
    thread = ask(asker, category)
    answer = services.post_answer(author=answerer, thread=thread, body="Try this.")
    barrier = threading.Barrier(4)
    errors = []

    def vote():
        try:
            barrier.wait()
            services.upvote_answer(user=voter, answer=answer)
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)
        finally:
            connection.close()

    workers = [threading.Thread(target=vote) for _ in range(4)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    assert errors == []
    assert AnswerVote.objects.filter(answer=answer).count() == 1
    assert Answer.objects.get(pk=answer.pk).upvote_count == 1
    assert Thread.objects.get(pk=thread.pk).upvote_count == 1


# --- "I have this too" ----------------------------------------------------------------------


def test_me_too_counts_once_and_can_be_taken_back(thread, other_member):
    with capture(events.me_too_added) as added, capture(events.me_too_removed) as removed:
        services.add_me_too(user=other_member, thread=thread)
        services.add_me_too(user=other_member, thread=thread)
        assert Thread.objects.get(pk=thread.pk).me_too_count == 1
        assert services.remove_me_too(user=other_member, thread=thread) is True
        assert services.remove_me_too(user=other_member, thread=thread) is False
    assert Thread.objects.get(pk=thread.pk).me_too_count == 0
    assert MeToo.objects.count() == 0
    assert len(added) == 1 and len(removed) == 1 and added[0]["user"] == other_member


def test_the_asker_cannot_say_i_have_this_too(thread, member):
    with pytest.raises(PermissionDenied):
        services.add_me_too(user=member, thread=thread)


def test_toggling_me_too_switches_it_on_and_off(thread, other_member):
    assert services.toggle_me_too(user=other_member, thread=thread) is True
    assert services.toggle_me_too(user=other_member, thread=thread) is False


# --- solutions ------------------------------------------------------------------------------


def test_the_asker_accepts_an_answer_and_replacing_it_unaccepts_the_old_one_first(thread, member, other_member):
    first = services.post_answer(author=other_member, thread=thread, body="First idea")
    second = services.post_answer(author=UserFactory(), thread=thread, body="Second idea")
    services.accept_answer(user=member, answer=first)
    order = []
    events.solution_unaccepted.connect(lambda sender, answer, **kw: order.append(("un", answer.pk)), weak=False, dispatch_uid="a1")
    events.solution_accepted.connect(lambda sender, answer, **kw: order.append(("acc", answer.pk)), weak=False, dispatch_uid="a2")
    try:
        services.accept_answer(user=member, answer=second)
        services.accept_answer(user=member, answer=second)
    finally:
        events.solution_unaccepted.disconnect(dispatch_uid="a1")
        events.solution_accepted.disconnect(dispatch_uid="a2")
    thread.refresh_from_db()
    assert order == [("un", first.pk), ("acc", second.pk)]
    assert thread.solution_id == second.pk and thread.solved_at is not None
    assert Thread.objects.solved().filter(pk=thread.pk).exists()


def test_staff_can_accept_but_other_members_cannot(answer, staff):
    with pytest.raises(PermissionDenied):
        services.accept_answer(user=UserFactory(), answer=answer)
    services.accept_answer(user=staff, answer=answer)
    assert Thread.objects.get(pk=answer.thread_id).solution_id == answer.pk


def test_unaccepting_clears_the_solution_and_sends_the_event(answer, member):
    services.accept_answer(user=member, answer=answer)
    with capture(events.solution_unaccepted) as sent:
        services.unaccept_answer(user=member, answer=answer)
        services.unaccept_answer(user=member, answer=answer)
    thread = Thread.objects.get(pk=answer.thread_id)
    assert thread.solution_id is None and thread.solved_at is None
    assert len(sent) == 1 and sent[0]["unaccepted_by"] == member


def test_still_need_help_needs_the_asker_and_an_answer(thread, member, other_member):
    with pytest.raises(ValidationError, match="Nobody has answered"):
        services.ask_for_more_help(user=member, thread=thread)
    services.post_answer(author=other_member, thread=thread, body="Try this")
    with pytest.raises(PermissionDenied):
        services.ask_for_more_help(user=other_member, thread=thread)
    with capture(events.help_still_needed) as sent:
        services.ask_for_more_help(user=member, thread=thread)
    assert sent[0]["thread"] == thread and sent[0]["user"] == member


def test_events_are_sent_inside_the_transaction_so_a_failing_receiver_rolls_back(thread, other_member):
    def failing(sender, **kwargs):
        raise RuntimeError("receiver failed")

    events.answer_posted.connect(failing, weak=False, dispatch_uid="failing")
    try:
        with pytest.raises(RuntimeError):
            services.post_answer(author=other_member, thread=thread, body="Will be rolled back")
    finally:
        events.answer_posted.disconnect(dispatch_uid="failing")
    assert Answer.objects.count() == 0
    assert Thread.objects.get(pk=thread.pk).answer_count == 0


def test_clean_tags_normalises_and_rejects_odd_characters():
    assert validators.clean_tags(" Wi Fi , wi-fi,ios ") == ["wi-fi", "ios"]
    with pytest.raises(ValidationError, match="may use only"):
        validators.clean_tags(["<script>"])


def test_the_demo_data_has_threads_in_every_community_state(db):
    from django.core.management import call_command

    call_command("seed_demo", stdout=open("/dev/null", "w"))
    threads = Thread.objects.all()
    assert threads.filter(is_private=True, private_reason="detected").exists()
    assert threads.unanswered().listed().exists()
    assert threads.solved().filter(solution__author__is_staff=False).exists()
    assert threads.filter(edited_at__isnull=False, revisions__isnull=False).exists()
    assert threads.filter(me_too_count__gt=0, upvote_count__gt=0).exists()
    assert threads.filter(answers__is_official=True).exists()
    assert all(thread.tags.exists() for thread in threads)


def test_privilege_limits_on_questions_and_answers_are_enforced(member, other_member, category, monkeypatch):
    from community import hooks

    monkeypatch.setattr(hooks, "_privileges_provider", lambda user: hooks.Privileges(questions_per_day=1, answers_per_day=1))
    thread = ask(member, category)
    with pytest.raises(ValidationError, match="1 question a day"):
        ask(member, category, title="A second question today")
    services.post_answer(author=other_member, thread=thread, body="One answer")
    with pytest.raises(ValidationError, match="1 answer a day"):
        services.post_answer(author=other_member, thread=thread, body="Two answers")
    assert Thread.objects.count() == 1 and Answer.objects.count() == 1


def test_posts_too_close_together_are_refused(member, category, monkeypatch):
    from community import hooks

    monkeypatch.setattr(hooks, "_privileges_provider", lambda user: hooks.Privileges(seconds_between_posts=60))
    with time_machine.travel("2026-03-01 12:00Z", tick=False):
        thread = ask(member, category)
    with time_machine.travel("2026-03-01 12:00:30Z", tick=False):
        with pytest.raises(ValidationError, match="wait 60 seconds"):
            services.post_answer(author=member, thread=thread, body="Too soon")
    with time_machine.travel("2026-03-01 12:01:30Z", tick=False):
        services.post_answer(author=member, thread=thread, body="Fine now")


def test_a_deleted_question_takes_no_answers(thread, member, other_member):
    services.delete_question(user=member, thread=thread)
    with pytest.raises(PermissionDenied):
        services.post_answer(author=other_member, thread=thread, body="Too late")


def test_the_links_per_day_limit_counts_links_across_posts(member, category, monkeypatch):
    from community import hooks

    monkeypatch.setattr(hooks, "_privileges_provider", lambda user: hooks.Privileges(links_per_day=2))
    thread = ask(member, category, body="See [one](https://a.example) and [two](https://b.example)")
    services.post_answer(author=member, thread=thread, body="No links here")
    with pytest.raises(ValidationError, match="2 links a day"):
        services.post_answer(author=member, thread=thread, body="And [three](https://c.example)")


def test_the_ask_form_and_the_service_refuse_a_title_with_the_same_rule(member, category):
    from community.forms import QuestionForm

    title = "Help" + " " * 20 + "me"  # 26 characters typed, 7 once white space is folded
    form = QuestionForm({"title": title, "body": "Details here", "category": category.pk, "tags": ""})
    assert not form.is_valid()
    with pytest.raises(ValidationError) as refused:
        services.ask_question(author=member, category=category, title=title, body="Details here")
    assert form.errors["title"] == refused.value.messages


@pytest.mark.django_db(transaction=True)
def test_concurrent_toggles_by_many_members_keep_every_counter_and_the_points_true(default_rules_and_ranks, category):
    """The vote endpoint's one-statement toggle and one-statement credit on PostgreSQL, run by
    six members at once, three of whom vote and take it back: the stored counters equal the
    vote rows, and the author's points equal their ledger."""
    from django.db.models import Sum

    from kudos.models import LedgerEntry

    asker, answerer = UserFactory(), UserFactory()
    thread = ask(asker, category)
    answer = services.post_answer(author=answerer, thread=thread, body="Try this.")
    voters = [UserFactory() for _ in range(6)]
    barrier = threading.Barrier(len(voters))
    errors = []

    def toggle(index, voter):
        try:
            barrier.wait(timeout=10)
            for _ in range(2 if index % 2 else 1):
                services.toggle_vote(user=voter, answer_id=answer.pk)
        except Exception as exc:  # noqa: BLE001 - reported by the assertion below
            errors.append(exc)
        finally:
            connection.close()

    workers = [threading.Thread(target=toggle, args=(i, voter)) for i, voter in enumerate(voters)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout=60)
    assert errors == []
    votes = AnswerVote.objects.filter(answer=answer).count()
    assert votes == 3
    assert Answer.objects.get(pk=answer.pk).upvote_count == votes
    assert Thread.objects.get(pk=thread.pk).upvote_count == votes
    answerer.refresh_from_db()
    ledger = LedgerEntry.objects.filter(recipient=answerer).aggregate(total=Sum("points"))["total"] or 0
    assert answerer.points == ledger > 0  # the voters move points: the credit statement ran
