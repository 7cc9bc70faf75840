"""Staff and admins connect Peerdesk to other tools in a real browser: a webhook endpoint
receiving a signed delivery, and an escalated ticket handed to a (local) Zendesk.

Tasks run eagerly in tests (config/test_settings.py), so the fast-path task has usually sent
by the time the test looks; the loops marked "the worker" send whatever is still due, as the
beat sweep's tasks would."""

from __future__ import annotations

import re

from playwright.sync_api import expect

from api import webhooks
from api.models import WebhookEndpoint
from community import services as community
from escalation import helpdesk
from escalation.models import Channel, HelpdeskHandoff
from tests.api.receiver import Receiver
from tests.e2e.conftest import serious_accessibility_violations, shoot, sign_in
from tests.escalation.fake_helpdesk import FakeZendesk
from tests.factories import DEFAULT_PASSWORD, AdminFactory, CategoryFactory, StaffFactory, UserFactory


def test_admin_registers_a_webhook_and_a_signed_delivery_arrives(page, live_server):
    receiver = Receiver()
    try:
        admin = AdminFactory()
        sign_in(page, live_server.url, admin.email, DEFAULT_PASSWORD)
        page.goto(f"{live_server.url}/admin/api/webhookendpoint/add/")
        page.get_by_label("Name").fill("Local CRM")
        page.get_by_label("Url").fill(receiver.url + "/peerdesk")
        page.get_by_label("A question was asked").check()
        page.get_by_role("button", name="Save", exact=True).click()
        expect(page.get_by_text("was added successfully")).to_be_visible()
        endpoint = WebhookEndpoint.objects.get(name="Local CRM")

        page.get_by_role("checkbox", name=re.compile("Select this object")).first.check()
        page.get_by_label("Action:").select_option(label="Send a test event (ping)")
        page.get_by_role("button", name="Go").click()
        expect(page.get_by_text("Queued a ping to 1 endpoint")).to_be_visible()

        for delivery_id in webhooks.due_delivery_ids():  # the worker
            webhooks.attempt_delivery(delivery_id=delivery_id)
        got = receiver.received[0]
        assert got.path == "/peerdesk" and got.headers["Peerdesk-Event"] == "ping"
        assert webhooks.verify_signature(endpoint.secret, got.headers["Peerdesk-Signature"], got.body)

        # A real event: a customer asks, the endpoint hears of it.
        community.ask_question(author=UserFactory(), category=CategoryFactory(), title="Sync stopped after update",
                               body="Calendar sync stopped yesterday.")
        for delivery_id in webhooks.due_delivery_ids():
            webhooks.attempt_delivery(delivery_id=delivery_id)
        assert receiver.received[1].json()["data"]["thread"]["title"] == "Sync stopped after update"

        page.goto(f"{live_server.url}/admin/api/webhookdelivery/")
        expect(page.get_by_role("cell", name="Delivered").first).to_be_visible()
        shoot(page, "admin-webhook-deliveries", phone=False)
    finally:
        receiver.stop()


def test_staff_hand_an_escalated_ticket_to_the_helpdesk_and_see_its_link(page, new_page, live_server, browser):
    zendesk = FakeZendesk()
    try:
        Channel.objects.create(name="Acme Zendesk", instructions="Our helpdesk team will email you shortly.",
                               kind=Channel.Kind.ZENDESK, api_url=zendesk.url, api_user="agent@acme.test",
                               api_token="zd-token")
        asker = UserFactory(display_name="Pia Private")
        thread = community.ask_question(author=asker, category=CategoryFactory(name="Billing"),
                                        title="Charged twice for my plan", body="Please refund the second charge.",
                                        is_private=True)
        staff = StaffFactory()
        sign_in(page, live_server.url, staff.email, DEFAULT_PASSWORD)
        page.goto(f"{live_server.url}/staff/queue/")
        page.get_by_role("link", name=re.compile("Charged twice for my plan")).click()
        page.get_by_label("Channel").select_option(label="Acme Zendesk")
        page.get_by_role("button", name="Redirect").click()
        # The form posts and comes back to the ticket: wait for that page before reloading it.
        expect(page.get_by_text("Sent the asker to Acme Zendesk.")).to_be_visible()

        for handoff in HelpdeskHandoff.objects.filter(status="pending"):  # the worker
            helpdesk.push_handoff(handoff_id=handoff.pk)
        assert zendesk.tickets[1001]["subject"] == "Charged twice for my plan"

        page.reload()
        link = page.get_by_role("link", name="Ticket 1001 in Acme Zendesk")
        expect(link).to_be_visible()
        assert link.get_attribute("href") == f"{zendesk.url}/agent/tickets/1001"
        expect(page.locator("#handoff")).to_contain_text("new")
        shoot(page, "staff-ticket-helpdesk")
        state = page.context.storage_state()
        assert serious_accessibility_violations(browser, page.url, storage_state=state) == []

        customer = new_page()
        sign_in(customer, live_server.url, asker.email, DEFAULT_PASSWORD)
        customer.goto(f"{live_server.url}{thread.get_absolute_url()}")
        expect(customer.get_by_text(re.compile("continues in our helpdesk"))).to_be_visible()
        expect(customer.get_by_role("link", name="Follow your request")).to_have_attribute(
            "href", f"{zendesk.url}/hc/requests/1001")
        shoot(customer, "thread-helpdesk-notice")
    finally:
        zendesk.stop()


def test_the_api_token_page_works_and_is_accessible(page, live_server, browser):
    member = UserFactory()
    sign_in(page, live_server.url, member.email, DEFAULT_PASSWORD)
    page.goto(f"{live_server.url}/settings/api-tokens/")
    page.get_by_label("Name").fill("Home script")
    page.get_by_label(re.compile("Write: ask")).check()
    page.get_by_role("button", name="Create token").click()
    token = page.get_by_label("Your token").input_value()
    assert token.startswith("pdk_")
    expect(page.get_by_role("row", name=re.compile("Home script"))).to_contain_text("read, write")
    shoot(page, "api-tokens")
    state = page.context.storage_state()
    assert serious_accessibility_violations(browser, f"{live_server.url}/settings/api-tokens/", storage_state=state) == []
    page.get_by_role("button", name=re.compile("Revoke")).click()
    expect(page.get_by_text("is revoked")).to_be_visible()
    page.goto(f"{live_server.url}/api/v1/threads/")
    shoot(page, "api-browsable", phone=False)
