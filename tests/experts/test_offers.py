"""Offers, claims and paid answers: the expert window between the community and staff."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
import time_machine
from django.core import mail
from django.utils import timezone

from community import services as community
from escalation.deadlines import sweep_due_deadlines
from escalation.models import Deadline, Ticket
from experts import services
from experts.models import Claim, Offer, PayoutEntry
from notifications.models import Kind, Notification
from tests.experts.conftest import ask, make_expert, offered_thread
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def test_an_unanswered_public_question_is_offered_to_experts_best_score_first(category, programme, member):
    weaker = make_expert(category)
    stronger = make_expert(category)
    type(stronger).objects.filter(pk=stronger.pk).update(quality_score=Decimal("0.9"))
    type(weaker).objects.filter(pk=weaker.pk).update(quality_score=Decimal("0.5"))
    thread = offered_thread(member, category)
    offer = Offer.objects.get(thread=thread)
    assert offer.status == Offer.Status.OPEN and offer.fee == Decimal("12.50") and offer.offered_to == 2
    assert not Ticket.objects.filter(thread=thread).exists()
    # The staff deadline moved to the end of the expert window.
    deadline = Deadline.objects.get(thread=thread, kind=Deadline.Kind.FIRST_ANSWER)
    assert deadline.status == Deadline.Status.PENDING and deadline.due_at == offer.window_ends_at
    notices = list(Notification.objects.filter(kind=Kind.EXPERT_OFFER).order_by("pk").values_list("recipient_id", flat=True))
    assert notices == [stronger.user_id, weaker.user_id]
    assert Notification.objects.filter(kind=Kind.EXPERT_OFFER, email_status="pending").count() == 2


def test_a_private_question_is_never_offered(category, programme, member):
    make_expert(category)
    start = timezone.now() - timedelta(hours=3)
    with time_machine.travel(start, tick=False):
        thread = ask(member, category, is_private=True)
    sweep_due_deadlines()
    assert not Offer.objects.exists()
    assert services.offer_thread(thread=thread) is None
    assert Ticket.objects.get(thread=thread).reason == Ticket.Reason.CONFIDENTIAL


def test_a_category_without_the_programme_escalates_as_before(category, member):
    from escalation.models import EscalationPolicy

    EscalationPolicy.objects.create(category=category, answer_within_minutes=60, solve_within_minutes=600, staff_response_minutes=30)
    make_expert(category)
    thread = offered_thread(member, category)
    assert not Offer.objects.exists()
    assert Ticket.objects.get(thread=thread).reason == Ticket.Reason.UNANSWERED


def test_the_expert_claims_answers_and_earns_the_fee_when_the_asker_accepts(category, programme, member):
    expert = make_expert(category)
    thread = offered_thread(member, category)
    offer = thread.expert_offer
    claim = services.claim_offer(user=expert.user, offer_id=offer.pk)
    assert claim.status == Claim.Status.ACTIVE
    answer = community.post_answer(author=expert.user, thread=thread, body="Hold the pair button for ten seconds.")
    claim.refresh_from_db()
    assert claim.status == Claim.Status.ANSWERED and claim.answer_id == answer.pk
    community.accept_answer(user=member, answer=answer)
    expert.refresh_from_db()
    assert expert.balance == Decimal("12.50")
    entry = PayoutEntry.objects.get(expert=expert)
    assert entry.kind == PayoutEntry.Kind.EARNED and entry.amount == Decimal("12.50") and entry.currency == "EUR"
    offer.refresh_from_db()
    assert offer.status == Offer.Status.SOLVED
    # Accepting again (unaccept, accept) earns nothing more.
    community.unaccept_answer(user=member, answer=answer)
    community.accept_answer(user=member, answer=answer)
    assert PayoutEntry.objects.filter(kind="earned").count() == 1


def test_one_claim_at_a_time_and_the_loser_is_told(category, programme, member):
    first, second = make_expert(category), make_expert(category)
    thread = offered_thread(member, category)
    services.claim_offer(user=first.user, offer_id=thread.expert_offer.pk)
    with pytest.raises(services.ExpertActionError, match="already claimed"):
        services.claim_offer(user=second.user, offer_id=thread.expert_offer.pk)


def test_a_lapsed_claim_returns_to_the_offer(category, programme, member):
    first, second = make_expert(category), make_expert(category)
    thread = offered_thread(member, category)
    claim = services.claim_offer(user=first.user, offer_id=thread.expert_offer.pk)
    with time_machine.travel(timezone.now() + timedelta(minutes=31), tick=False):
        assert services.sweep_offers() == 1
        claim.refresh_from_db()
        assert claim.status == Claim.Status.LAPSED
        thread.expert_offer.refresh_from_db()
        assert thread.expert_offer.status == Offer.Status.OPEN
        # Another expert may claim it now; the first one's late answer is not a paid answer.
        services.claim_offer(user=second.user, offer_id=thread.expert_offer.pk)
        answer = community.post_answer(author=first.user, thread=thread, body="Late answer from the first expert.")
        assert not Claim.objects.filter(answer=answer).exists()


def test_an_offer_nobody_claims_reaches_the_staff_queue_at_the_end_of_the_window(category, programme, member):
    make_expert(category)
    thread = offered_thread(member, category)
    with time_machine.travel(timezone.now() + timedelta(minutes=119), tick=False):
        sweep_due_deadlines()
        services.sweep_offers()
        assert not Ticket.objects.filter(thread=thread).exists()
    with time_machine.travel(timezone.now() + timedelta(minutes=121), tick=False):
        services.sweep_offers()
        sweep_due_deadlines()
    ticket = Ticket.objects.get(thread=thread)
    assert ticket.reason == Ticket.Reason.UNANSWERED
    assert "Expert window ended" in ticket.events.get(action="opened").detail
    assert "nobody claimed it" in ticket.events.get(action="opened").detail
    thread.expert_offer.refresh_from_db()
    assert thread.expert_offer.status == Offer.Status.EXPIRED


def test_the_escalation_sweep_alone_also_hands_it_to_staff_at_the_window_end(category, programme, member):
    make_expert(category)
    thread = offered_thread(member, category)
    with time_machine.travel(timezone.now() + timedelta(minutes=121), tick=False):
        sweep_due_deadlines()  # the experts sweep has not run: escalation's own timer fires
        assert Ticket.objects.filter(thread=thread).count() == 1
        services.sweep_offers()
    assert Ticket.objects.filter(thread=thread).count() == 1
    thread.expert_offer.refresh_from_db()
    assert thread.expert_offer.status == Offer.Status.EXPIRED
    assert Ticket.objects.get(thread=thread).events.filter(detail__startswith="Expert window ended").exists()


def test_a_suspended_expert_loses_their_open_claims(category, programme, member, staff):
    expert = make_expert(category)
    thread = offered_thread(member, category)
    claim = services.claim_offer(user=expert.user, offer_id=thread.expert_offer.pk)
    services.suspend_expert(expert_id=expert.pk, by=staff, reason="Rude to customers")
    claim.refresh_from_db()
    thread.expert_offer.refresh_from_db()
    assert claim.status == Claim.Status.REVOKED
    assert thread.expert_offer.status == Offer.Status.OPEN
    with pytest.raises(Exception):
        services.claim_offer(user=expert.user, offer_id=thread.expert_offer.pk)
    assert Notification.objects.filter(recipient=expert.user, kind=Kind.EXPERT, text__contains="suspended").exists()


def test_probation_answers_wait_for_a_staff_review_before_payout(category, programme, member, staff):
    from experts.models import ExpertSettings

    ExpertSettings.objects.filter(pk=1).update(probation_answers=1, minimum_payout=Decimal("1"))
    expert = make_expert(category)
    thread = offered_thread(member, category)
    services.claim_offer(user=expert.user, offer_id=thread.expert_offer.pk)
    answer = community.post_answer(author=expert.user, thread=thread, body="Reset the network settings.")
    community.accept_answer(user=member, answer=answer)
    claim = Claim.objects.get(answer=answer)
    assert claim.needs_review == Claim.Review.PENDING
    with pytest.raises(services.ExpertActionError):
        services.create_payout_batch(staff=staff)
    services.review_paid_answer(staff=staff, claim_id=claim.pk, approve=True)
    batch = services.create_payout_batch(staff=staff)
    assert batch.total == Decimal("12.50")


def test_a_rejected_probation_answer_is_reversed_not_edited(category, programme, member, staff):
    from experts.models import ExpertSettings

    ExpertSettings.objects.filter(pk=1).update(probation_answers=3)
    expert = make_expert(category)
    thread = offered_thread(member, category)
    services.claim_offer(user=expert.user, offer_id=thread.expert_offer.pk)
    answer = community.post_answer(author=expert.user, thread=thread, body="Copied from a blog without checking.")
    community.accept_answer(user=member, answer=answer)
    claim = Claim.objects.get(answer=answer)
    services.review_paid_answer(staff=staff, claim_id=claim.pk, approve=False, reason="Not accurate")
    kinds = list(PayoutEntry.objects.order_by("pk").values_list("kind", "amount"))
    assert kinds == [("earned", Decimal("12.50")), ("reversal", Decimal("12.50"))]
    expert.refresh_from_db()
    assert expert.balance == 0


def test_staff_approve_a_paid_answer_only_after_the_waiting_days(category, programme, member, staff):
    expert = make_expert(category)
    thread = offered_thread(member, category)
    services.claim_offer(user=expert.user, offer_id=thread.expert_offer.pk)
    answer = community.post_answer(author=expert.user, thread=thread, body="Update the printer firmware first.")
    claim = Claim.objects.get(answer=answer)
    with pytest.raises(services.ExpertActionError):
        services.approve_paid_answer(staff=staff, claim_id=claim.pk)
    with time_machine.travel(timezone.now() + timedelta(days=4), tick=False):
        services.approve_paid_answer(staff=staff, claim_id=claim.pk)
    expert.refresh_from_db()
    assert expert.balance == Decimal("12.50")


def test_the_asker_cannot_claim_their_own_question(category, programme):
    expert = make_expert(category)
    asker = expert.user
    other_expert = make_expert(category)
    thread = offered_thread(asker, category)
    assert thread.expert_offer.offered_to == 1  # not offered to its own asker
    with pytest.raises(services.ExpertActionError):
        services.claim_offer(user=asker, offer_id=thread.expert_offer.pk)
    services.claim_offer(user=other_expert.user, offer_id=thread.expert_offer.pk)


def test_a_member_who_is_not_an_expert_cannot_claim(category, programme, member):
    from django.core.exceptions import PermissionDenied

    make_expert(category)
    thread = offered_thread(member, category)
    with pytest.raises(PermissionDenied):
        services.claim_offer(user=UserFactory(), offer_id=thread.expert_offer.pk)


def test_an_offer_email_goes_to_the_expert(category, programme, member, django_capture_on_commit_callbacks):
    expert = make_expert(category)
    start = timezone.now() - timedelta(minutes=61)
    with time_machine.travel(start, tick=False):
        ask(member, category, title="Scanner shows offline after update")
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        sweep_due_deadlines()
    assert any(expert.user.email in m.to and "paid question" in m.subject.lower() for m in mail.outbox)


def test_an_offered_question_made_private_is_withdrawn_and_its_claim_revoked(category, programme, member):
    expert = make_expert(category)
    thread = offered_thread(member, category)
    claim = services.claim_offer(user=expert.user, offer_id=thread.expert_offer.pk)
    community.edit_question(user=member, thread=thread, title=thread.title, body="My card is 4111 1111 1111 1111.")
    thread.expert_offer.refresh_from_db()
    claim.refresh_from_db()
    assert thread.expert_offer.status == Offer.Status.WITHDRAWN and claim.status == Claim.Status.REVOKED
    from experts.selectors import open_offers_for

    assert open_offers_for(expert) == []
    with pytest.raises(services.ExpertActionError):
        services.claim_offer(user=expert.user, offer_id=thread.expert_offer.pk)
