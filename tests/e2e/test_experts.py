"""The experts tier in a real browser: applying and vetting, a paid answer from offer to payout
export, an offer nobody claims reaching staff, a private question never offered, and an
in-person session from booking to rating. The clock is moved by calling the sweeps with a later
``now`` (the database is the clock), never by sleeping.
"""

from __future__ import annotations

import re
from datetime import timedelta
from decimal import Decimal

import pytest
import time_machine
from django.utils import timezone
from playwright.sync_api import expect

from community import services as community
from escalation.deadlines import sweep_due_deadlines
from escalation.models import EscalationPolicy, Ticket
from experts import services as experts
from experts.models import CategoryProgramme, Expert, ExpertSettings, Offer, Service, ServiceArea, Session
from tests.e2e.conftest import serious_accessibility_violations, shoot, sign_in
from tests.factories import DEFAULT_PASSWORD, CategoryFactory, StaffFactory, UserFactory

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def printers(live_server):
    category = CategoryFactory(name="Printers", slug="printers")
    EscalationPolicy.objects.create(
        category=category, answer_within_minutes=60, solve_within_minutes=24 * 60, staff_response_minutes=30
    )
    ExpertSettings.objects.update_or_create(pk=1, defaults={"probation_answers": 0, "minimum_payout": Decimal("10")})
    CategoryProgramme.objects.create(
        category=category, fee=Decimal("12.50"), currency="EUR", expert_window_minutes=120, claim_hold_minutes=30
    )
    return category


def _approved_expert(category, *, name="Erin Expert", areas=()):
    user = UserFactory(display_name=name)
    expert = experts.apply_as_expert(
        user=user, categories=[category], motivation="I fix printers.", availability="Evenings", service_areas=areas
    )
    experts.approve_expertise(staff=StaffFactory(), expertise_id=expert.expertise.get().pk)
    return user


def _question_past_its_window(asker, category, title):
    with time_machine.travel(timezone.now() - timedelta(minutes=61), tick=False):
        thread = community.ask_question(
            author=asker, category=category, title=title, body="It worked yesterday; today it says offline."
        )
    sweep_due_deadlines()
    return thread


def test_a_member_applies_staff_approve_and_a_paid_answer_earns_the_fee(page, new_page, live_server, printers):
    member = UserFactory(display_name="Erin Expert")
    staff = StaffFactory(display_name="Sam Staff")
    asker = UserFactory(display_name="Ada Asker")

    # Erin applies.
    sign_in(page, live_server.url, member.email, DEFAULT_PASSWORD)
    page.goto(f"{live_server.url}/experts/")
    page.get_by_role("link", name="Apply").click()
    page.get_by_label("Printers").check()
    page.get_by_label("Motivation").fill("I have repaired office printers for ten years.")
    page.get_by_label("Availability").fill("Weekday evenings")
    shoot(page, "experts-apply")
    page.get_by_role("button", name="Send application").click()
    expect(page.get_by_text("Staff will review your application")).to_be_visible()
    expect(page.get_by_text("Application pending")).to_be_visible()

    # Staff approve her for Printers.
    sam = new_page()
    sign_in(sam, live_server.url, staff.email, DEFAULT_PASSWORD)
    sam.goto(f"{live_server.url}/staff/queue/")
    sam.get_by_role("link", name="Community experts").click()
    expect(sam.get_by_role("heading", name="Community experts")).to_be_visible()
    shoot(sam, "experts-staff-roster")
    sam.get_by_role("link", name=re.compile("Review Erin Expert for Printers")).click()
    sam.get_by_role("button", name="Approve for Printers").click()
    expect(sam.get_by_text("Approved for Printers.")).to_be_visible()
    shoot(sam, "experts-staff-expert")
    assert Expert.objects.get(user=member).status == Expert.Status.ACTIVE

    # A public question nobody answered in its window is offered to her.
    thread = _question_past_its_window(asker, printers, "Office printer shows offline after the update")
    assert Offer.objects.get(thread=thread).status == Offer.Status.OPEN
    page.goto(f"{live_server.url}/experts/dashboard/")
    offers = page.get_by_role("region", name="Questions offered to you")
    expect(offers).to_contain_text("Office printer shows offline after the update")
    expect(offers).to_contain_text("12.50 EUR")
    shoot(page, "experts-dashboard")
    offers.get_by_role("button", name=re.compile("Claim")).click()
    expect(page.get_by_text("It's yours until")).to_be_visible()
    expect(page.get_by_text("You claimed this question")).to_be_visible()
    page.get_by_role("textbox", name="Your answer").fill(
        "Remove the printer, then add it again with its IP address instead of the discovered name."
    )
    page.get_by_role("button", name="Post your answer").click()
    answer = page.get_by_role("article", name="Answer by Erin Expert")
    expect(answer.get_by_text("Paid expert answer")).to_be_visible()
    shoot(page, "experts-thread-paid-answer")

    # Ada accepts it.
    ada = new_page()
    sign_in(ada, live_server.url, asker.email, DEFAULT_PASSWORD)
    ada.goto(f"{live_server.url}{thread.get_absolute_url()}")
    expect(ada.get_by_text("A community expert answered")).to_be_visible()
    ada.get_by_role("article", name="Answer by Erin Expert").get_by_role("button", name="Mark as solution").click()
    expect(ada.get_by_role("article", name="Answer by Erin Expert").get_by_text("✓ Solution", exact=True)).to_be_visible()

    # The fee is on Erin's earnings page and in the staff payout export.
    page.goto(f"{live_server.url}/experts/earnings/")
    expect(page.get_by_role("table")).to_contain_text("Office printer shows offline after the update")
    expect(page.get_by_role("table")).to_contain_text("+12.50 EUR")
    shoot(page, "experts-earnings")
    sam.goto(f"{live_server.url}/staff/experts/payouts/")
    expect(sam.get_by_role("region", name="Ready to approve")).to_contain_text("12.50 EUR")
    shoot(sam, "experts-staff-payouts")
    csv_response = sam.request.get(f"{live_server.url}/staff/experts/payouts/export.csv")
    assert csv_response.ok and "Erin Expert" in csv_response.text() and "12.50,EUR" in csv_response.text()
    sam.get_by_role("button", name="Approve a payout batch").click()
    expect(sam.get_by_text(re.compile(r"Batch #\d+ approved: 12.50 EUR"))).to_be_visible()
    sam.get_by_label("Reference").fill("PAYROLL-DEC")
    sam.get_by_role("button", name="Mark this batch paid").click()
    expect(sam.get_by_text(re.compile(r"Batch #\d+ marked paid"))).to_be_visible()
    shoot(sam, "experts-staff-batch")
    assert Expert.objects.get(user=member).balance == 0


def test_an_offer_nobody_claims_reaches_the_staff_queue_and_a_private_question_is_never_offered(page, new_page, live_server, printers):
    expert_user = _approved_expert(printers)
    asker = UserFactory(display_name="Ada Asker")
    staff = StaffFactory(display_name="Sam Staff")
    thread = _question_past_its_window(asker, printers, "Duplex printing stopped working")
    with time_machine.travel(timezone.now() - timedelta(minutes=61), tick=False):
        private = community.ask_question(
            author=asker, category=printers, title="Printer bought with my card was charged twice",
            body="Charged twice on card 4111 1111 1111 1111.",
        )
    sweep_due_deadlines()
    assert private.is_private and not Offer.objects.filter(thread=private).exists()

    sign_in(page, live_server.url, expert_user.email, DEFAULT_PASSWORD)
    page.goto(f"{live_server.url}/experts/dashboard/")
    offers = page.get_by_role("region", name="Questions offered to you")
    expect(offers).to_contain_text("Duplex printing stopped working")
    expect(offers).not_to_contain_text("charged twice")
    response = page.goto(f"{live_server.url}{private.get_absolute_url()}")
    assert response.status == 404

    # The expert window ends with nobody claiming: the thread is in the staff queue with its history.
    offer = Offer.objects.get(thread=thread)
    later = offer.window_ends_at + timedelta(minutes=1)
    experts.sweep_offers(now=later)
    sweep_due_deadlines(now=later)
    assert Ticket.objects.get(thread=thread).reason == Ticket.Reason.UNANSWERED
    sam = new_page()
    sign_in(sam, live_server.url, staff.email, DEFAULT_PASSWORD)
    sam.goto(f"{live_server.url}/staff/queue/")
    row = sam.get_by_role("row", name=re.compile("Duplex printing stopped working"))
    expect(row).to_be_visible()
    row.get_by_role("link", name=re.compile("Duplex printing")).click()
    expect(sam.get_by_text(re.compile("Expert window ended: Offered to 1 expert"))).to_be_visible()
    shoot(sam, "experts-ticket-history")
    page.goto(f"{live_server.url}{thread.get_absolute_url()}")
    expect(page.get_by_role("button", name="Claim this question")).to_have_count(0)


def test_a_customer_books_an_in_person_session_the_expert_runs_it_and_the_customer_rates_it(page, new_page, live_server, printers):
    area = ServiceArea.objects.create(name="Riverside")
    ServiceArea.objects.create(name="Hilltop")
    Service.objects.create(
        name="Set up a new phone with your laptop", category=printers, mode=Service.Mode.IN_PERSON,
        duration_minutes=45, price=Decimal("49.00"), expert_fee=Decimal("35.00"), currency="EUR",
        description="An expert comes to you and connects your phone, laptop and printer.",
    )
    expert_user = _approved_expert(printers, areas=[area])
    bystander = _approved_expert(printers, name="Bo Bystander", areas=[area])
    customer = UserFactory(display_name="Cleo Customer")

    sign_in(page, live_server.url, customer.email, DEFAULT_PASSWORD)
    page.goto(f"{live_server.url}/experts/")
    expect(page.get_by_text("49.00 EUR")).to_be_visible()
    shoot(page, "experts-landing")
    page.get_by_role("link", name=re.compile("Book “Set up a new phone")).click()
    page.get_by_label("In person").check()
    page.get_by_label("Area").select_option(label="Riverside")
    page.get_by_label("Address").fill("8 Willow Crescent, ring twice")
    page.get_by_label("Preferred times").fill("Saturday morning")
    page.get_by_label("Details").fill("New phone, and the printer should print from it.")
    shoot(page, "experts-book")
    page.get_by_role("button", name="Send request").click()
    expect(page.get_by_text("Your request is with our experts")).to_be_visible()
    expect(page.get_by_text("8 Willow Crescent")).to_be_visible()
    session_url = page.url
    session = Session.objects.get()

    # Another expert of the area sees the request but not the address.
    bo = new_page()
    sign_in(bo, live_server.url, bystander.email, DEFAULT_PASSWORD)
    bo.goto(session_url)
    expect(bo.get_by_text("Shown to the expert who accepts")).to_be_visible()
    expect(bo.get_by_text("Willow Crescent")).to_have_count(0)

    # The expert accepts and proposes a time.
    erin = new_page()
    sign_in(erin, live_server.url, expert_user.email, DEFAULT_PASSWORD)
    erin.goto(f"{live_server.url}/experts/dashboard/")
    erin.get_by_role("region", name="Session requests you can take").get_by_role("link", name=re.compile("Set up a new phone")).click()
    start = timezone.localtime(timezone.now() + timedelta(days=2)).replace(minute=0, second=0, microsecond=0)
    erin.get_by_label("Proposed start").fill(start.strftime("%Y-%m-%dT%H:%M"))
    erin.get_by_role("button", name="Accept and propose this time").click()
    expect(erin.get_by_text("You accepted the session")).to_be_visible()
    expect(erin.get_by_text("8 Willow Crescent")).to_be_visible()
    bo.reload()
    expect(bo.get_by_role("heading", name="We couldn't find that page")).to_be_visible()

    # The customer confirms; the expert checks in and out; the customer signs off and rates.
    page.reload()
    page.get_by_role("button", name="Confirm this time").click()
    expect(page.get_by_text("Time confirmed. The expert will see you then.")).to_be_visible()
    erin.reload()
    erin.get_by_role("button", name="Check in").click()
    expect(erin.get_by_text("Checked in.")).to_be_visible()
    erin.get_by_role("button", name="Check out").click()
    expect(erin.get_by_text("Checked out.")).to_be_visible()
    shoot(erin, "experts-session-expert")
    page.reload()
    page.get_by_label("5 / 5").check()
    page.get_by_label("Comment").fill("Quick and friendly.")
    shoot(page, "experts-session-sign-off")
    page.get_by_role("button", name="Sign off").click()
    expect(page.get_by_text("The session is signed off")).to_be_visible()
    session.refresh_from_db()
    assert session.status == Session.Status.SIGNED_OFF and session.rating == 5
    erin.goto(f"{live_server.url}/experts/earnings/")
    expect(erin.get_by_role("table")).to_contain_text("+35.00 EUR")


def test_the_experts_pages_have_no_serious_accessibility_violations(browser, page, live_server, printers):
    area = ServiceArea.objects.create(name="Riverside")
    Service.objects.create(
        name="Printer tune-up", category=printers, mode=Service.Mode.EITHER, duration_minutes=30,
        price=Decimal("25.00"), expert_fee=Decimal("20.00"), currency="EUR",
    )
    expert_user = _approved_expert(printers, areas=[area])
    staff = StaffFactory()
    thread = _question_past_its_window(UserFactory(), printers, "Printer prints blank pages")
    session = experts.request_session(
        customer=UserFactory(), service=Service.objects.get(), mode="in_person", service_area=area,
        address="1 Elm Street", preferred_times="Monday",
    )

    def state(user):
        context = browser.new_context()
        try:
            sign_in(context.new_page(), live_server.url, user.email, DEFAULT_PASSWORD)
            return context.storage_state()
        finally:
            context.close()

    expert_state, staff_state = state(expert_user), state(staff)
    checks = [
        ("/experts/", None), ("/experts/apply/", expert_state), ("/experts/dashboard/", expert_state),
        ("/experts/earnings/", expert_state), ("/experts/sessions/new/", expert_state),
        (session.get_absolute_url(), expert_state), (thread.get_absolute_url(), expert_state),
        ("/staff/experts/", staff_state), ("/staff/experts/offers/", staff_state),
        ("/staff/experts/payouts/", staff_state), ("/staff/experts/sessions/", staff_state),
        (f"/staff/experts/{Expert.objects.get(user=expert_user).pk}/", staff_state),
    ]
    problems = {}
    for path, storage in checks:
        found = serious_accessibility_violations(browser, f"{live_server.url}{path}", storage_state=storage)
        if found:
            problems[path] = found
    assert not problems, problems
