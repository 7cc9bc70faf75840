"""Escalation: timers per thread, tickets for the staff queue, and what staff did with them.

The database is the clock: every open thread's deadlines are ``Deadline`` rows that a periodic
sweep (escalation.tasks.sweep_due_deadlines) picks up, so a lost or repeated Celery message
never loses or doubles an escalation. One open ticket per thread is a database constraint, which
is what makes escalating idempotent.
"""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone

from community.models import Category, Thread

DEFAULT_ANSWER_WITHIN_MINUTES = 4 * 60
DEFAULT_SOLVE_WITHIN_MINUTES = 72 * 60
DEFAULT_STAFF_RESPONSE_MINUTES = 8 * 60


class EscalationPolicy(models.Model):
    """How long the community has before staff step in. One default row (``is_default``) and
    at most one row per category; a category without its own row uses the default."""

    is_default = models.BooleanField(default=False, editable=False)
    category = models.OneToOneField(
        Category, null=True, blank=True, on_delete=models.CASCADE, related_name="escalation_policy"
    )
    answer_within_minutes = models.PositiveIntegerField(
        default=DEFAULT_ANSWER_WITHIN_MINUTES,
        help_text="Minutes the community has to post a first answer (from someone other than the asker).",
    )
    solve_within_minutes = models.PositiveIntegerField(
        default=DEFAULT_SOLVE_WITHIN_MINUTES, help_text="Minutes until a thread must have an accepted solution."
    )
    staff_response_minutes = models.PositiveIntegerField(
        default=DEFAULT_STAFF_RESPONSE_MINUTES, help_text="Minutes staff have to reply once a ticket is opened."
    )

    class Meta:
        verbose_name = "escalation policy"
        verbose_name_plural = "escalation policies"
        ordering = ["-is_default", "category__name"]
        constraints = [
            models.UniqueConstraint(fields=["is_default"], condition=Q(is_default=True), name="one_default_policy"),
            models.CheckConstraint(
                condition=Q(is_default=True, category__isnull=True) | Q(is_default=False, category__isnull=False),
                name="policy_is_default_or_for_one_category",
            ),
            models.CheckConstraint(
                condition=Q(answer_within_minutes__gt=0, solve_within_minutes__gt=0, staff_response_minutes__gt=0),
                name="policy_durations_positive",
            ),
        ]

    def __str__(self) -> str:
        return "Default policy" if self.is_default else f"Policy for {self.category}"

    @property
    def answer_within(self) -> timedelta:
        return timedelta(minutes=self.answer_within_minutes)

    @property
    def solve_within(self) -> timedelta:
        return timedelta(minutes=self.solve_within_minutes)

    @property
    def staff_response(self) -> timedelta:
        return timedelta(minutes=self.staff_response_minutes)


class Deadline(models.Model):
    """One timer of one thread. ``status`` is pending until the sweep escalates it or the
    community beats it (cleared). Rows are kept, never deleted, so a moved timer keeps its id."""

    class Kind(models.TextChoices):
        FIRST_ANSWER = "first_answer", "First answer"
        SOLVE = "solve", "Solution"

    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        CLEARED = "cleared", "Met by the community"
        ESCALATED = "escalated", "Escalated"

    thread = models.ForeignKey(Thread, on_delete=models.CASCADE, related_name="escalation_deadlines")
    kind = models.CharField(max_length=16, choices=Kind.choices)
    due_at = models.DateTimeField()
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.PENDING)
    created_at = models.DateTimeField(default=timezone.now)
    done_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["thread", "kind"], name="one_deadline_per_thread_and_kind")]
        indexes = [
            # The sweep reads only pending rows that are due: its cost follows what is due, not
            # how many threads ever had a timer.
            models.Index(fields=["due_at"], name="deadline_pending_due", condition=Q(status="pending")),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} for thread {self.thread_id} due {self.due_at:%Y-%m-%d %H:%M}"


class Channel(models.Model):
    """A specialised place staff can send a customer to (Billing, Account security, ...)."""

    name = models.CharField(max_length=80, unique=True)
    instructions = models.TextField(help_text="Plain text emailed to the customer when staff redirect them.")
    link = models.URLField(blank=True, help_text="Optional address included in the email.")
    is_active = models.BooleanField(default=True)
    position = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["position", "name"]

    def __str__(self) -> str:
        return self.name


class TicketQuerySet(models.QuerySet):
    def active(self) -> "TicketQuerySet":
        return self.filter(status__in=Ticket.ACTIVE_STATUSES)

    def with_queue_data(self) -> "TicketQuerySet":
        return self.select_related("thread", "thread__category", "thread__author", "assignee")


class Ticket(models.Model):
    """A thread handed to support staff. At most one active ticket per thread (the constraint
    that makes escalating idempotent); resolved and redirected tickets stay as history."""

    class Reason(models.TextChoices):
        UNANSWERED = "unanswered", "Unanswered"
        UNSOLVED = "unsolved", "Unsolved"
        STILL_NEEDS_HELP = "still_needs_help", "Still needs help"
        CONFIDENTIAL = "confidential", "Confidential"
        FLAGGED = "flagged", "Flagged"

    class Status(models.TextChoices):
        OPEN = "open", "Open"
        CLAIMED = "claimed", "Claimed"
        WAITING = "waiting", "Waiting on customer"
        RESOLVED = "resolved", "Resolved"
        REDIRECTED = "redirected", "Redirected"

    class Outcome(models.TextChoices):
        SOLVED = "solved", "Solved by staff"
        REDIRECTED = "redirected", "Redirected"
        DUPLICATE = "duplicate", "Duplicate"
        NO_RESPONSE = "no_response", "No response from the customer"
        COMMUNITY = "community", "Solved by the community"

    ACTIVE_STATUSES = (Status.OPEN, Status.CLAIMED, Status.WAITING)
    # Statuses in which staff owe the customer a reply (and so can be overdue).
    AWAITING_STAFF = (Status.OPEN, Status.CLAIMED)

    thread = models.ForeignKey(Thread, on_delete=models.CASCADE, related_name="tickets")
    reason = models.CharField(max_length=20, choices=Reason.choices)
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.OPEN)
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="assigned_tickets"
    )
    due_at = models.DateTimeField(help_text="When staff must have replied (the policy's staff response target).")
    created_at = models.DateTimeField(default=timezone.now)
    claimed_at = models.DateTimeField(null=True, blank=True)
    first_response_at = models.DateTimeField(null=True, blank=True)
    resolved_at = models.DateTimeField(null=True, blank=True)
    channel = models.ForeignKey(Channel, null=True, blank=True, on_delete=models.SET_NULL, related_name="tickets")
    outcome = models.CharField(
        max_length=12, choices=Outcome.choices, blank=True, default="",
        help_text="How a closed ticket ended, as staff said when closing it; the report counts them.",
    )
    staff_notified_at = models.DateTimeField(
        null=True, blank=True, help_text="When this ticket went out in a staff digest email."
    )

    objects = TicketQuerySet.as_manager()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["thread"],
                condition=Q(status__in=["open", "claimed", "waiting"]),
                name="one_active_ticket_per_thread",
            ),
        ]
        indexes = [
            models.Index(fields=["status", "due_at"], name="ticket_status_due"),
            models.Index(
                fields=["created_at"], name="ticket_not_notified", condition=Q(staff_notified_at__isnull=True)
            ),
        ]

    def __str__(self) -> str:
        return f"Ticket {self.pk}: {self.thread_id} ({self.get_status_display()})"

    def get_absolute_url(self) -> str:
        return reverse("escalation:ticket", kwargs={"pk": self.pk})

    @property
    def is_active(self) -> bool:
        return self.status in self.ACTIVE_STATUSES

    @property
    def awaits_staff(self) -> bool:
        return self.status in self.AWAITING_STAFF

    @property
    def is_overdue(self) -> bool:
        return self.status in self.AWAITING_STAFF and self.due_at < timezone.now()


class TicketEvent(models.Model):
    """One line of a ticket's history: who did what, when. ``actor`` is None for the system
    (a timer, a flag threshold)."""

    class Action(models.TextChoices):
        OPENED = "opened", "Opened"
        CLAIMED = "claimed", "Claimed"
        ASSIGNED = "assigned", "Assigned"
        ANSWERED = "answered", "Answered"
        NOTED = "noted", "Added a note"
        REDIRECTED = "redirected", "Redirected"
        RESOLVED = "resolved", "Resolved"
        REOPENED = "reopened", "Reopened"
        CUSTOMER = "customer", "Customer activity"
        FLAGGED = "flagged", "Post hidden by flags"
        MODERATED = "moderated", "Reviewed the flags"
        TIMER = "timer", "Deadline passed"

    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="events")
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    action = models.CharField(max_length=12, choices=Action.choices)
    detail = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["created_at", "pk"]
        indexes = [models.Index(fields=["ticket", "created_at"], name="ticketevent_ticket_created")]

    def __str__(self) -> str:
        return f"{self.get_action_display()} on ticket {self.ticket_id}"


class TicketNote(models.Model):
    """An internal note: staff only, never shown to the customer."""

    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="notes")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    body = models.TextField()
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["created_at", "pk"]

    def __str__(self) -> str:
        return f"Note {self.pk} on ticket {self.ticket_id}"


class Macro(models.Model):
    """A saved reply staff insert into an official answer or an internal note. Personal
    (``owner`` set: only its owner sees it) or shared with all staff; for one category or all.
    Placeholders are filled for the ticket at hand (escalation.macros.PLACEHOLDERS)."""

    title = models.CharField(max_length=80)
    body = models.TextField(max_length=5000)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.CASCADE, related_name="macros",
        help_text="Empty: shared with all staff.",
    )
    category = models.ForeignKey(
        "community.Category", null=True, blank=True, on_delete=models.CASCADE, related_name="+",
        help_text="Empty: offered on tickets of every category.",
    )
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    use_count = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-use_count", "title"]
        indexes = [models.Index(fields=["owner", "-use_count"], name="macro_owner_uses")]

    def __str__(self) -> str:
        return self.title

    @property
    def is_shared(self) -> bool:
        return self.owner_id is None
