"""Domain events of the experts tier, sent inside the service's transaction after the change is
written (like community's and escalation's): receivers must be quick and queue slow work with
config.tasks.enqueue_on_commit.

Receivers:
- notifications.receivers: experts hear of offers (best score first), decisions, suspensions
  and payouts; customers hear of their session's steps; staff hear of applications and
  automatic suspensions.
"""

from django.dispatch import Signal

# expert: the Expert who applied (or applied again).
expert_applied = Signal()

# expert, expertise (the decided Expertise), actor: the staff member.
expertise_decided = Signal()

# expert, actor (staff, or None for the quality check), automatic: bool.
expert_suspended = Signal()

# expert, actor.
expert_reinstated = Signal()

# offer: the new Offer; experts: the Experts it is offered to, best quality score first.
offer_made = Signal()

# offer, claim: an expert claimed the offer.
offer_claimed = Signal()

# offer: its expert window ended without an expert answer (the thread went to staff).
offer_expired = Signal()

# entry: an earned PayoutEntry (a paid answer or a signed-off session).
fee_earned = Signal()

# batch: a PayoutBatch marked paid; totals: {expert_id: Decimal}.
batch_paid = Signal()

# session: a new Session request.
session_requested = Signal()

# session, actor, event: "accepted", "confirmed", "checked_in", "checked_out", "signed_off",
# "disputed" or "cancelled".
session_changed = Signal()
