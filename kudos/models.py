"""Kudos: the points ledger, the admin-tuned point rules and ranks, and rank-up notices.

A member's total lives on accounts.User.points and is only moved by kudos.services, with F(),
in the same transaction as the LedgerEntry that explains it; reconcile_points checks the two.

How a replayed event is kept from crediting twice while vote / unvote / vote again still works:
a credit is identified by (reason, source_key, generation). source_key names what earned the
points ("answer:12:voter:5"); generation counts the earlier credits for that key, each of which
must have been reversed before a new one is made. A replayed event finds the current generation
still active and adds nothing; two racing copies of one event both try the same generation and
the unique constraint lets only one in. A reversal is its own row with negative points pointing
at the credit it takes back (reversal_of, one-to-one), so a credit can be taken back only once.
"""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils import timezone

from kudos import ranks


class Reason(models.TextChoices):
    ANSWER_UPVOTED = "answer_upvoted", "Answer upvoted"
    ANSWER_ACCEPTED = "answer_accepted", "Answer accepted as the solution"
    ACCEPTED_AN_ANSWER = "accepted_an_answer", "Accepted an answer to their question"
    ME_TOO = "me_too", "Question got “I have this too”"
    STAFF_AWARD = "staff_award", "Award from staff"
    RECONCILE = "reconcile", "Correction"


class PointRule(models.Model):
    """How many points one automatic action gives. One row per action, made by a migration;
    admins change the points (0 turns a rule off). Reversals take back what was credited, not
    the current value, so changing a rule never unbalances the ledger."""

    action = models.CharField(
        max_length=32,
        unique=True,
        choices=[(r.value, r.label) for r in Reason if r not in (Reason.STAFF_AWARD, Reason.RECONCILE)],
    )
    points = models.IntegerField()
    description = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["action"]

    def __str__(self) -> str:
        return f"{self.get_action_display()}: {self.points:+d}"


class Rank(models.Model):
    """A rank level reached at ``min_points``, with what it lets a member do."""

    name = models.CharField(max_length=40, unique=True)
    min_points = models.IntegerField(unique=True, help_text="Points needed to reach this rank.")
    colour = models.CharField(
        max_length=7,
        default="#57606a",
        help_text="Badge text colour as #rrggbb; it must be readable on white (contrast 4.5:1 or more).",
    )
    description = models.CharField(max_length=200, blank=True)

    questions_per_day = models.PositiveIntegerField(null=True, blank=True, help_text="Empty: no limit.")
    answers_per_day = models.PositiveIntegerField(null=True, blank=True, help_text="Empty: no limit.")
    links_per_day = models.PositiveIntegerField(null=True, blank=True, help_text="Empty: no limit.")
    seconds_between_posts = models.PositiveIntegerField(default=0)
    flag_weight = models.PositiveSmallIntegerField(default=1, help_text="How much this member's flags count.")
    can_retag = models.BooleanField(default=False, help_text="May change the tags of others' questions.")
    votes_move_points = models.BooleanField(
        default=True, help_text="Their “This helped” votes earn the answer's author points (once trusted, below)."
    )
    trusted_after_hours = models.PositiveIntegerField(
        default=24,
        help_text="An account younger than this counts as brand new: its votes move no points and its "
        "flags send a post to review without counting toward hiding it. 0: trusted at once.",
    )
    trust_needs_verified_email = models.BooleanField(
        default=True, help_text="An account without a verified email address is treated as brand new too."
    )

    class Meta:
        ordering = ["min_points"]
        constraints = [
            models.CheckConstraint(condition=Q(min_points__gte=0), name="rank_min_points_not_negative"),
            models.CheckConstraint(condition=Q(flag_weight__gte=1), name="rank_flag_weight_positive"),
        ]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        if not ranks.is_hex_colour(self.colour):
            raise ValidationError({"colour": "Use a colour written as #rrggbb, for example #1f5fbf."})
        ratio = ranks.contrast_ratio(self.colour, ranks.BADGE_BACKGROUND)
        if ratio < ranks.MIN_CONTRAST:
            raise ValidationError(
                {"colour": f"This colour is too light to read on white ({ratio:.1f}:1; 4.5:1 is needed)."}
            )

    def to_info(self) -> ranks.RankInfo:
        return ranks.RankInfo(
            id=self.pk,
            name=self.name,
            min_points=self.min_points,
            colour=self.colour,
            description=self.description,
            questions_per_day=self.questions_per_day,
            answers_per_day=self.answers_per_day,
            links_per_day=self.links_per_day,
            seconds_between_posts=self.seconds_between_posts,
            flag_weight=self.flag_weight,
            can_retag=self.can_retag,
            votes_move_points=self.votes_move_points,
            trusted_after_hours=self.trusted_after_hours,
            trust_needs_verified_email=self.trust_needs_verified_email,
        )


class LedgerEntry(models.Model):
    """One change of a member's points. Append-only: never updated or deleted."""

    recipient = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="kudos")
    points = models.IntegerField()
    reason = models.CharField(max_length=32, choices=Reason.choices)
    source_key = models.CharField(max_length=120, help_text="What earned the points, e.g. answer:12:voter:5.")
    generation = models.PositiveIntegerField(default=0)
    reversal_of = models.OneToOneField(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="reversal"
    )
    cause = models.CharField(
        max_length=32, blank=True, help_text="For a reversal: the event that took it back."
    )
    thread = models.ForeignKey(
        "community.Thread", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    answer = models.ForeignKey(
        "community.Answer", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text="The member (or staff) whose action caused it.",
    )
    note = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name_plural = "ledger entries"
        constraints = [
            models.UniqueConstraint(
                fields=["reason", "source_key", "generation"],
                condition=Q(reversal_of__isnull=True),
                name="one_credit_per_reason_source_generation",
            ),
        ]
        indexes = [
            models.Index(fields=["recipient", "-created_at"], name="ledger_recipient_created"),
            models.Index(fields=["reason", "source_key"], name="ledger_reason_source"),
        ]

    def __str__(self) -> str:
        return f"{self.points:+d} to {self.recipient_id} ({self.reason})"

    @property
    def is_reversal(self) -> bool:
        return self.reversal_of_id is not None


class RankNotice(models.Model):
    """Tells a member, on their next page, that they reached a new rank."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="rank_notices")
    rank = models.ForeignKey(Rank, null=True, on_delete=models.SET_NULL, related_name="+")
    rank_name = models.CharField(max_length=40)
    created_at = models.DateTimeField(default=timezone.now)
    seen_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        indexes = [
            models.Index(fields=["user"], name="rank_notice_unseen", condition=Q(seen_at__isnull=True)),
        ]

    def __str__(self) -> str:
        return f"{self.user_id} reached {self.rank_name}"
