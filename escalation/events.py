"""Domain events of escalation, sent inside the service's transaction after the change is
written (like community's, see community/events.py): receivers must be quick and queue slow
work with config.tasks.enqueue_on_commit. Each is sent with ``sender=Ticket``.

Receivers:
- notifications.receivers: the asker hears of staff replies and status changes; staff get the
  digest of new tickets.
- api.receivers: outgoing webhooks (question.escalated, ticket.claimed, ticket.resolved).
"""

from django.dispatch import Signal

# answer: the staff member's official Answer; ticket: the thread's active Ticket or None (an
# official answer on a thread that was never escalated).
staff_replied = Signal()

# ticket: the Ticket after the change; previous_status: its status before; actor: who changed
# it (staff, or the asker / None when the community or a timer did). Sent when a ticket is
# resolved, redirected to a channel (ticket.channel is set) or reopened.
ticket_status_changed = Signal()

# ticket_ids: the tickets this sweep announces to staff (each announced once).
new_tickets_swept = Signal()

# ticket: the Ticket after the change; staff: who claimed it. Sent once per claim (claiming a
# ticket one already owns sends nothing).
ticket_claimed = Signal()
