"""The payout ledger: append-only, batches approved and paid, the CSV, the reconcile command."""

from __future__ import annotations

import csv
import io
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.urls import reverse

from community import services as community
from experts import services
from experts.models import Expert, ExpertSettings, PayoutBatch, PayoutEntry
from tests.experts.conftest import make_expert, offered_thread

pytestmark = pytest.mark.django_db


def _earn(category, asker, expert, body="Turn Bluetooth off and on again, then pair."):
    thread = offered_thread(asker, category)
    services.claim_offer(user=expert.user, offer_id=thread.expert_offer.pk)
    answer = community.post_answer(author=expert.user, thread=thread, body=body)
    community.accept_answer(user=asker, answer=answer)
    return thread


def test_a_batch_approves_balances_over_the_minimum_and_paying_it_empties_them(category, programme, member, staff):
    ExpertSettings.objects.filter(pk=1).update(minimum_payout=Decimal("20.00"))
    rich, poor = make_expert(category), make_expert(category)
    _earn(category, member, rich)
    _earn(category, member, rich)
    _earn(category, member, poor)
    batch = services.create_payout_batch(staff=staff)
    assert batch.total == Decimal("25.00")
    assert set(batch.entries.values_list("expert_id", flat=True)) == {rich.pk}
    services.mark_batch_paid(staff=staff, batch_id=batch.pk, reference="PAY-2026-12")
    rich.refresh_from_db()
    poor.refresh_from_db()
    assert rich.balance == Decimal("0") and poor.balance == Decimal("12.50")
    assert list(PayoutEntry.objects.filter(expert=rich).order_by("pk").values_list("kind", flat=True)) == [
        "earned", "earned", "approved", "approved", "paid"]
    with pytest.raises(services.ExpertActionError):
        services.mark_batch_paid(staff=staff, batch_id=batch.pk)


def test_the_ledger_sums_to_every_experts_balance_and_reconcile_finds_drift(category, programme, member, staff):
    ExpertSettings.objects.filter(pk=1).update(minimum_payout=Decimal("1.00"))
    experts = [make_expert(category) for _ in range(3)]
    for expert in experts:
        _earn(category, member, expert)
    services.mark_batch_paid(staff=staff, batch_id=services.create_payout_batch(staff=staff).pk)
    _earn(category, member, experts[0])
    entry = PayoutEntry.objects.filter(expert=experts[1], kind="earned").first()
    with pytest.raises(services.ExpertActionError):
        services.reverse_earning(staff=staff, entry_id=entry.pk, reason="Paid already")
    assert services.find_balance_drift() == []
    out = io.StringIO()
    call_command("reconcile_payouts", stdout=out)
    assert "match" in out.getvalue()
    Expert.objects.filter(pk=experts[2].pk).update(balance=Decimal("99.00"))
    out = io.StringIO()
    call_command("reconcile_payouts", stdout=out)
    assert experts[2].user.username in out.getvalue() and "+99.00" in out.getvalue()
    call_command("reconcile_payouts", "--fix", stdout=io.StringIO())
    assert services.find_balance_drift() == []


def test_amounts_are_decimals_with_a_currency(category, programme, member):
    expert = make_expert(category)
    _earn(category, member, expert)
    entry = PayoutEntry.objects.get()
    assert isinstance(entry.amount, Decimal) and entry.currency == "EUR"


def test_the_fee_is_on_the_earnings_page_and_in_the_staff_csv(client, category, programme, member, staff):
    expert = make_expert(category)
    thread = _earn(category, member, expert)
    client.force_login(expert.user)
    page = client.get(reverse("experts:earnings")).content.decode()
    assert "12.50 EUR" in page and thread.title in page
    client.force_login(staff)
    response = client.get(reverse("experts:payouts_csv"))
    rows = list(csv.DictReader(io.StringIO(response.content.decode())))
    assert response["Content-Type"].startswith("text/csv")
    assert [(r["expert"], r["kind"], r["amount"], r["currency"]) for r in rows] == [
        (expert.user.name, "earned", "12.50", "EUR")]


def test_the_csv_neutralises_spreadsheet_formulas(client, category, programme, member, staff):
    expert = make_expert(category)
    type(expert.user).objects.filter(pk=expert.user.pk).update(display_name="=HYPERLINK(1)")
    _earn(category, member, expert)
    client.force_login(staff)
    body = client.get(reverse("experts:payouts_csv")).content.decode()
    assert "'=HYPERLINK(1)" in body


def test_no_batch_without_an_expert_over_the_minimum(category, programme, member, staff):
    ExpertSettings.objects.filter(pk=1).update(minimum_payout=Decimal("100.00"))
    _earn(category, member, make_expert(category))
    with pytest.raises(services.ExpertActionError, match="minimum payout"):
        services.create_payout_batch(staff=staff)
    assert not PayoutBatch.objects.exists()
