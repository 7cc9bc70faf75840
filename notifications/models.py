"""What a member is told about, and how they want to be told.

A Notification row is written for every event a member is told about, in the transaction of the
event (from notifications.receivers), whatever their preferences: ``on_site`` says whether it
shows under the bell and ``email_status`` whether it is (still) to be mailed. Keeping the row
even when both are off is what makes "once" checks (the accept reminder) hold.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone


class Kind(models.TextChoices):
    ANSWER = "answer", "Someone answers my question"
    ACCEPTED = "accepted", "My answer is accepted as the solution"
    UPVOTED = "upvoted", "My answer helped someone (grouped)"
    RANK = "rank", "I reach a new rank"
    SUPPORT = "support", "Support staff reply to my escalated question or change its status"
    ACCEPT_REMINDER = "accept_reminder", "A reminder to accept an answer that helped"
    NEW_TICKETS = "new_tickets", "New tickets in the support queue (staff)"
    # The experts tier (experts.events).
    EXPERT_OFFER = "expert_offer", "A paid question or session request is offered to me (community experts)"
    EXPERT = "expert", "My expert application, status and earnings"
    SESSION = "session", "My expert sessions: an expert accepts, times, check-in and sign-off"
    EXPERTS_STAFF = "experts_staff", "Expert applications and automatic suspensions (staff)"
    COMMENT = "comment", "Someone comments on my post or in a conversation I take part in"
    MENTION = "mention", "Someone mentions me (@username)"
    FOLLOWED = "followed", "New questions, answers or comments in what I follow"


STAFF_ONLY_KINDS = frozenset({Kind.NEW_TICKETS, Kind.EXPERTS_STAFF})
# Kinds mailed by the periodic digest (one mail per group per period), not one mail per event.
DIGEST_KINDS = frozenset({Kind.UPVOTED})


class NotificationQuerySet(models.QuerySet):
    def shown_to(self, user) -> "NotificationQuerySet":
        """The member's on-site notifications that they may still open: one about a thread
        that is (or became) private, deleted or hidden is left out for anyone who may no
        longer see that thread. One query, with a subquery on the thread rule."""
        from community.models import Thread

        return self.filter(recipient=user, on_site=True).filter(
            Q(thread__isnull=True) | Q(thread__in=Thread.objects.visible_to(user).values("pk"))
        )

    def unread(self) -> "NotificationQuerySet":
        return self.filter(read_at__isnull=True)


class Notification(models.Model):
    class EmailStatus(models.TextChoices):
        NONE = "none", "Not wanted"
        PENDING = "pending", "Waiting to be sent"
        SENT = "sent", "Sent"
        SKIPPED = "skipped", "Skipped (turned off or not allowed)"

    recipient = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications")
    kind = models.CharField(max_length=20, choices=Kind.choices)
    thread = models.ForeignKey(
        "community.Thread", null=True, blank=True, on_delete=models.CASCADE, related_name="notifications"
    )
    answer = models.ForeignKey(
        "community.Answer", null=True, blank=True, on_delete=models.CASCADE, related_name="notifications"
    )
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    comment = models.ForeignKey(
        "community.Comment", null=True, blank=True, on_delete=models.CASCADE, related_name="notifications"
    )
    text = models.CharField(max_length=300)
    # Extra facts the email needs (ticket ids of a digest, a channel, a rank name).
    data = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    read_at = models.DateTimeField(null=True, blank=True)
    # Events with the same key are merged into the member's unread row (upvotes of one answer).
    group_key = models.CharField(max_length=80, blank=True, default="")
    count = models.PositiveIntegerField(default=1)
    mailed_count = models.PositiveIntegerField(default=0)
    on_site = models.BooleanField(default=True)
    email_status = models.CharField(max_length=8, choices=EmailStatus.choices, default=EmailStatus.NONE)
    emailed_at = models.DateTimeField(null=True, blank=True)

    objects = NotificationQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-pk"]
        indexes = [
            models.Index(fields=["recipient", "-created_at"], name="notification_recipient_recent"),
            # The bell's count reads only unread on-site rows.
            models.Index(
                fields=["recipient"], name="notification_unread", condition=Q(read_at__isnull=True, on_site=True)
            ),
            # The periodic mailer reads only rows still to be mailed.
            models.Index(fields=["kind", "created_at"], name="notification_email_pending", condition=Q(email_status="pending")),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["recipient", "thread"],
                condition=Q(kind="accept_reminder"),
                name="one_accept_reminder_per_thread",
            ),
            models.CheckConstraint(condition=Q(count__gte=1), name="notification_count_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} for {self.recipient_id}: {self.text}"

    @property
    def is_read(self) -> bool:
        return self.read_at is not None

    def get_absolute_url(self) -> str:
        if self.comment_id and self.comment is not None:
            return self.comment.get_absolute_url()
        if self.answer_id and self.answer is not None:
            return self.answer.get_absolute_url()
        if self.thread_id and self.thread is not None:
            return self.thread.get_absolute_url()
        if self.data.get("url"):
            return self.data["url"]
        if self.kind == Kind.NEW_TICKETS:
            return "/staff/queue/"
        if self.kind == Kind.RANK:
            return self.recipient.get_absolute_url()
        return "/notifications/"


class NotificationPreference(models.Model):
    """A member's choice for one kind. No row means the default: on site and by email."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notification_preferences")
    kind = models.CharField(max_length=20, choices=Kind.choices)
    on_site = models.BooleanField(default=True)
    email = models.BooleanField(default=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "kind"], name="one_preference_per_user_and_kind")]

    def __str__(self) -> str:
        return f"{self.user_id} {self.kind}: site={self.on_site} email={self.email}"


class NotificationSettings(models.Model):
    """Site-wide notification settings edited by admins. One row (pk=1), made on first use."""

    accept_reminder_days = models.PositiveSmallIntegerField(
        default=3,
        help_text="Days after a helpful answer from someone else arrived before the asker is "
        "reminded (once) to accept an answer.",
    )

    class Meta:
        verbose_name = "notification settings"
        verbose_name_plural = "notification settings"
        constraints = [
            models.CheckConstraint(condition=Q(pk=1), name="notification_settings_single_row"),
            models.CheckConstraint(condition=Q(accept_reminder_days__gte=1), name="accept_reminder_days_positive"),
        ]

    def __str__(self) -> str:
        return "Notification settings"

    @classmethod
    def load(cls) -> "NotificationSettings":
        obj, _ = cls.objects.get_or_create(pk=1)
        return obj
