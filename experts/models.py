"""The crowd-experts tier: vetted members paid to answer offered threads and run sessions.

- Expert / Expertise: the roster. A member applies (one Expert row, status applied) for some
  categories (one Expertise row each); staff approve or reject each category; an expert with
  an approved category is active; staff (or the quality check) suspend and reinstate.
- Offer / Claim: a public thread whose community window ended, offered to the category's
  experts for the expert window. One Offer per thread ever; one live claim per offer (a
  database constraint). Both carry their own deadline (``window_ends_at``, ``hold_until``),
  swept by beat like escalation's deadlines.
- Service / SessionRequest: paid sessions from an admin-managed list, remote or in person.
- PayoutEntry / PayoutBatch: the append-only payout ledger; Expert.balance is the stored sum.

Money is Decimal with a currency code on every row that holds an amount; never a float.
"""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone

from community.models import Answer, Category, Thread

MONEY = {"max_digits": 10, "decimal_places": 2}
CURRENCY_HELP = "Three-letter ISO 4217 code, e.g. EUR."


class ExpertSettings(models.Model):
    """Site-wide experts settings edited by admins. One row (pk=1), made on first use."""

    currency = models.CharField(max_length=3, default="EUR", help_text=CURRENCY_HELP)
    probation_answers = models.PositiveSmallIntegerField(
        default=3, help_text="A new expert's first N paid answers are reviewed by staff before payout."
    )
    approve_after_days = models.PositiveSmallIntegerField(
        default=3, help_text="Days after a paid answer without an accept before staff may approve it themselves."
    )
    minimum_payout = models.DecimalField(
        **MONEY, default=Decimal("20.00"), help_text="Smallest balance paid out in a batch."
    )
    quality_threshold = models.DecimalField(
        max_digits=4, decimal_places=3, default=Decimal("0.400"),
        help_text="Quality score (0–1: solution rate × average rating / 5) below which an expert is suspended.",
    )
    quality_min_tasks = models.PositiveSmallIntegerField(
        default=5, help_text="Tasks in the last 90 days before the quality threshold applies."
    )

    class Meta:
        verbose_name = "experts settings"
        verbose_name_plural = "experts settings"
        constraints = [
            models.CheckConstraint(condition=Q(pk=1), name="expert_settings_single_row"),
            models.CheckConstraint(condition=Q(minimum_payout__gte=0), name="expert_minimum_payout_not_negative"),
        ]

    def __str__(self) -> str:
        return "Experts settings"

    @classmethod
    def load(cls) -> "ExpertSettings":
        obj, _ = cls.objects.get_or_create(pk=1)
        return obj


class CategoryProgramme(models.Model):
    """The experts programme of one category (admin setting). No row: programme off."""

    category = models.OneToOneField(Category, on_delete=models.CASCADE, related_name="expert_programme")
    is_enabled = models.BooleanField(default=True, help_text="Offer this category's unanswered threads to experts.")
    fee = models.DecimalField(**MONEY, default=Decimal("15.00"), help_text="Paid for an accepted answer.")
    currency = models.CharField(max_length=3, default="EUR", help_text=CURRENCY_HELP)
    expert_window_minutes = models.PositiveIntegerField(
        default=120, help_text="Minutes experts have before the thread goes to the staff queue."
    )
    claim_hold_minutes = models.PositiveIntegerField(
        default=30, help_text="Minutes a claim holds before it lapses back to the offer."
    )

    class Meta:
        ordering = ["category__position", "category__name"]
        constraints = [
            models.CheckConstraint(condition=Q(fee__gt=0), name="programme_fee_positive"),
            models.CheckConstraint(
                condition=Q(expert_window_minutes__gt=0, claim_hold_minutes__gt=0), name="programme_windows_positive"
            ),
        ]

    def __str__(self) -> str:
        return f"Experts programme for {self.category}"

    @property
    def expert_window(self) -> timedelta:
        return timedelta(minutes=self.expert_window_minutes)

    @property
    def claim_hold(self) -> timedelta:
        return timedelta(minutes=self.claim_hold_minutes)


class ServiceArea(models.Model):
    """A place experts can reach in person (admin-managed): a town, a district."""

    name = models.CharField(max_length=80, unique=True)
    position = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["position", "name"]

    def __str__(self) -> str:
        return self.name


class ExpertQuerySet(models.QuerySet):
    def active(self) -> "ExpertQuerySet":
        return self.filter(status=Expert.Status.ACTIVE, user__is_active=True)

    def approved_for(self, category_id: int) -> "ExpertQuerySet":
        return self.active().filter(
            expertise__category_id=category_id, expertise__status=Expertise.Status.APPROVED
        )

    def by_quality(self) -> "ExpertQuerySet":
        """Who is offered work first: the best quality score, then the most tasks, then the
        longest-serving."""
        return self.order_by("-quality_score", "-quality_tasks", "approved_at", "pk")


class Expert(models.Model):
    """A member in the experts programme (or applying to it)."""

    class Status(models.TextChoices):
        APPLIED = "applied", "Application pending"
        ACTIVE = "active", "Active"
        REJECTED = "rejected", "Not accepted"
        SUSPENDED = "suspended", "Suspended"

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="expert")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.APPLIED)
    motivation = models.TextField(max_length=2000)
    availability = models.CharField(max_length=300)
    service_areas = models.ManyToManyField(ServiceArea, blank=True, related_name="experts")
    applied_at = models.DateTimeField(default=timezone.now)
    approved_at = models.DateTimeField(null=True, blank=True)
    status_reason = models.CharField(max_length=300, blank=True, help_text="Why rejected or suspended.")
    status_changed_at = models.DateTimeField(null=True, blank=True)
    # Stored sums, kept by experts.services and checked by `manage.py reconcile_payouts`.
    balance = models.DecimalField(**MONEY, default=Decimal("0"), help_text="Earned, not reversed, not yet paid.")
    currency = models.CharField(max_length=3, default="EUR")
    # The quality score over the last 90 days (experts.quality), recomputed on every finished
    # task and daily by beat.
    quality_score = models.DecimalField(max_digits=4, decimal_places=3, default=Decimal("1.000"))
    quality_tasks = models.PositiveIntegerField(default=0)
    quality_solved = models.PositiveIntegerField(default=0)
    quality_rating = models.DecimalField(max_digits=3, decimal_places=2, null=True, blank=True)
    quality_computed_at = models.DateTimeField(null=True, blank=True)
    quality_since = models.DateTimeField(null=True, blank=True, help_text="Set on reinstatement: tasks before it no longer count.")

    objects = ExpertQuerySet.as_manager()

    class Meta:
        constraints = [models.CheckConstraint(condition=Q(balance__gte=0), name="expert_balance_not_negative")]
        indexes = [models.Index(fields=["status", "-quality_score"], name="expert_status_quality")]

    def __str__(self) -> str:
        return f"Expert {self.user}"

    def get_absolute_url(self) -> str:
        return reverse("experts:staff_expert", kwargs={"pk": self.pk})

    @property
    def is_active(self) -> bool:
        return self.status == self.Status.ACTIVE


class Expertise(models.Model):
    """One category an expert applied for, and staff's decision on it."""

    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        APPROVED = "approved", "Approved"
        REJECTED = "rejected", "Rejected"

    expert = models.ForeignKey(Expert, on_delete=models.CASCADE, related_name="expertise")
    category = models.ForeignKey(Category, on_delete=models.CASCADE, related_name="+")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    reason = models.CharField(max_length=300, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["category__position", "category__name"]
        constraints = [models.UniqueConstraint(fields=["expert", "category"], name="one_expertise_per_category")]

    def __str__(self) -> str:
        return f"{self.expert} in {self.category} ({self.status})"


class Offer(models.Model):
    """A thread offered to a category's experts for the expert window. One per thread, ever,
    so two sweeps (or a sweep and a countdown task) cannot offer a thread twice."""

    class Status(models.TextChoices):
        OPEN = "open", "Open"
        CLAIMED = "claimed", "Claimed"
        ANSWERED = "answered", "Answered by an expert"
        SOLVED = "solved", "Solved by an expert"
        EXPIRED = "expired", "Sent to staff"
        WITHDRAWN = "withdrawn", "Withdrawn"

    LIVE = (Status.OPEN, Status.CLAIMED)

    thread = models.OneToOneField(Thread, on_delete=models.CASCADE, related_name="expert_offer")
    category = models.ForeignKey(Category, on_delete=models.PROTECT, related_name="+")
    fee = models.DecimalField(**MONEY)
    currency = models.CharField(max_length=3)
    claim_hold_minutes = models.PositiveIntegerField()
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.OPEN)
    created_at = models.DateTimeField(default=timezone.now)
    window_ends_at = models.DateTimeField()
    closed_at = models.DateTimeField(null=True, blank=True)
    offered_to = models.PositiveIntegerField(default=0, help_text="Experts told about it.")

    class Meta:
        ordering = ["-created_at", "-pk"]
        constraints = [models.CheckConstraint(condition=Q(fee__gt=0), name="offer_fee_positive")]
        indexes = [
            # The sweep reads only live offers whose window ended.
            models.Index(fields=["window_ends_at"], name="offer_live_window", condition=Q(status__in=["open", "claimed"])),
        ]

    def __str__(self) -> str:
        return f"Offer {self.pk} for thread {self.thread_id} ({self.status})"

    @property
    def is_live(self) -> bool:
        return self.status in self.LIVE


class Claim(models.Model):
    """An expert holding an offer. ``active`` holds until ``hold_until`` (then lapses back to
    the offer); ``answered`` once they answered in the thread, which makes it a paid answer."""

    class Status(models.TextChoices):
        ACTIVE = "active", "Claimed"
        ANSWERED = "answered", "Answered"
        LAPSED = "lapsed", "Lapsed"
        RELEASED = "released", "Released"
        REVOKED = "revoked", "Revoked (expert suspended)"

    class Review(models.TextChoices):
        NONE = "", "Not needed"
        PENDING = "pending", "Awaiting staff review"
        APPROVED = "approved", "Approved by staff"
        REJECTED = "rejected", "Rejected by staff"

    class Outcome(models.TextChoices):
        OPEN = "", "Waiting for the asker"
        ACCEPTED = "accepted", "Accepted by the asker"
        STAFF_APPROVED = "staff_approved", "Approved by staff"
        REJECTED = "rejected", "Not paid"

    offer = models.ForeignKey(Offer, on_delete=models.CASCADE, related_name="claims")
    expert = models.ForeignKey(Expert, on_delete=models.CASCADE, related_name="claims")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.ACTIVE)
    created_at = models.DateTimeField(default=timezone.now)
    hold_until = models.DateTimeField()
    ended_at = models.DateTimeField(null=True, blank=True)
    answer = models.OneToOneField(Answer, null=True, blank=True, on_delete=models.SET_NULL, related_name="expert_claim")
    answered_at = models.DateTimeField(null=True, blank=True)
    needs_review = models.CharField(max_length=10, choices=Review.choices, blank=True, default="")
    outcome = models.CharField(max_length=16, choices=Outcome.choices, blank=True, default="")
    outcome_at = models.DateTimeField(null=True, blank=True)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    rating = models.PositiveSmallIntegerField(
        null=True, blank=True, validators=[MinValueValidator(1), MaxValueValidator(5)]
    )

    class Meta:
        ordering = ["-created_at", "-pk"]
        constraints = [
            # The atomic claim: at most one live (held or answered) claim per offer.
            models.UniqueConstraint(
                fields=["offer"], condition=Q(status__in=["active", "answered"]), name="one_live_claim_per_offer"
            ),
            models.CheckConstraint(
                condition=Q(rating__isnull=True) | Q(rating__gte=1, rating__lte=5), name="claim_rating_1_to_5"
            ),
        ]
        indexes = [
            models.Index(fields=["hold_until"], name="claim_active_hold", condition=Q(status="active")),
            models.Index(fields=["expert", "-created_at"], name="claim_expert_recent"),
        ]

    def __str__(self) -> str:
        return f"Claim {self.pk} of offer {self.offer_id} by {self.expert_id} ({self.status})"


class Service(models.Model):
    """A paid session customers can book (admin-managed), e.g. "Set up a new phone with your
    laptop", in person, 45 min. ``price`` is what the customer is shown; ``expert_fee`` what
    the expert earns when the customer signs the session off."""

    class Mode(models.TextChoices):
        REMOTE = "remote", "Remote"
        IN_PERSON = "in_person", "In person"
        EITHER = "either", "Remote or in person"

    name = models.CharField(max_length=120)
    description = models.TextField(blank=True)
    category = models.ForeignKey(Category, on_delete=models.PROTECT, related_name="+")
    mode = models.CharField(max_length=10, choices=Mode.choices, default=Mode.EITHER)
    duration_minutes = models.PositiveIntegerField(default=45)
    price = models.DecimalField(**MONEY)
    expert_fee = models.DecimalField(**MONEY)
    currency = models.CharField(max_length=3, default="EUR", help_text=CURRENCY_HELP)
    is_active = models.BooleanField(default=True)
    position = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["position", "name"]
        constraints = [
            models.CheckConstraint(condition=Q(price__gte=0, expert_fee__gt=0), name="service_amounts_valid"),
            models.CheckConstraint(condition=Q(duration_minutes__gt=0), name="service_duration_positive"),
        ]

    def __str__(self) -> str:
        return self.name

    def allows(self, mode: str) -> bool:
        return self.mode == self.Mode.EITHER or self.mode == mode


class SessionQuerySet(models.QuerySet):
    def visible_to(self, user) -> "SessionQuerySet":
        """Sessions this user may open: the customer's own, the accepting expert's, open
        requests an active expert could take (their category, and area when in person), and
        everything for staff. The address is a separate rule: experts.permissions.can_see_address."""
        if user is None or not user.is_authenticated:
            return self.none()
        if user.is_staff:
            return self
        mine = Q(customer=user) | Q(expert__user=user)
        expert = Expert.objects.filter(user=user, status=Expert.Status.ACTIVE).first()
        if expert is None:
            return self.filter(mine)
        return self.filter(mine | Session.open_for_q(expert))


class Session(models.Model):
    """A customer's request for a paid session, and everything that follows."""

    class Status(models.TextChoices):
        REQUESTED = "requested", "Waiting for an expert"
        ACCEPTED = "accepted", "Accepted: time proposed"
        CONFIRMED = "confirmed", "Time confirmed"
        IN_PROGRESS = "in_progress", "In progress"
        DONE = "done", "Finished: waiting for sign-off"
        SIGNED_OFF = "signed_off", "Signed off"
        DISPUTED = "disputed", "Disputed"
        CANCELLED = "cancelled", "Cancelled"

    OPEN_STATUSES = (Status.REQUESTED, Status.ACCEPTED, Status.CONFIRMED, Status.IN_PROGRESS, Status.DONE)

    class Mode(models.TextChoices):
        REMOTE = "remote", "Remote"
        IN_PERSON = "in_person", "In person"

    customer = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="expert_sessions")
    service = models.ForeignKey(Service, on_delete=models.PROTECT, related_name="sessions")
    category = models.ForeignKey(Category, on_delete=models.PROTECT, related_name="+")
    thread = models.ForeignKey(Thread, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    mode = models.CharField(max_length=10, choices=Mode.choices)
    service_area = models.ForeignKey(ServiceArea, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    # Seen only by the customer, the expert who accepted and staff (experts.permissions).
    address = models.CharField(max_length=300, blank=True)
    preferred_times = models.CharField(max_length=300)
    details = models.TextField(max_length=2000, blank=True)
    price = models.DecimalField(**MONEY)
    expert_fee = models.DecimalField(**MONEY)
    currency = models.CharField(max_length=3)
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.REQUESTED)
    expert = models.ForeignKey(Expert, null=True, blank=True, on_delete=models.PROTECT, related_name="sessions")
    accepted_at = models.DateTimeField(null=True, blank=True)
    proposed_start = models.DateTimeField(null=True, blank=True)
    meeting_link = models.URLField(max_length=300, blank=True)
    confirmed_at = models.DateTimeField(null=True, blank=True)
    checked_in_at = models.DateTimeField(null=True, blank=True)
    checked_out_at = models.DateTimeField(null=True, blank=True)
    signed_off_at = models.DateTimeField(null=True, blank=True)
    rating = models.PositiveSmallIntegerField(null=True, blank=True)
    rating_comment = models.CharField(max_length=500, blank=True)
    dispute_reason = models.TextField(max_length=2000, blank=True)
    dispute_thread = models.ForeignKey(Thread, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    objects = SessionQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(rating__isnull=True) | Q(rating__gte=1, rating__lte=5), name="session_rating_1_to_5"
            ),
            models.CheckConstraint(
                condition=Q(mode="remote") | Q(service_area__isnull=False), name="in_person_session_has_area"
            ),
        ]
        indexes = [
            models.Index(fields=["status", "category"], name="session_status_category"),
            models.Index(fields=["customer", "-created_at"], name="session_customer_recent"),
        ]

    def __str__(self) -> str:
        return f"Session {self.pk}: {self.service_id} for {self.customer_id} ({self.status})"

    def get_absolute_url(self) -> str:
        return reverse("experts:session", kwargs={"pk": self.pk})

    @staticmethod
    def open_for_q(expert: Expert) -> Q:
        """Open requests this active expert may see and take: one of their approved
        categories, and one of their areas for in-person sessions."""
        categories = Expertise.objects.filter(expert=expert, status=Expertise.Status.APPROVED).values("category_id")
        areas = ServiceArea.objects.filter(experts=expert).values("pk")
        return Q(status=Session.Status.REQUESTED, category_id__in=categories) & (
            Q(mode=Session.Mode.REMOTE) | Q(service_area_id__in=areas)
        )


class PayoutBatch(models.Model):
    """A set of approved earnings staff pay together; marked paid once the money went out."""

    class Status(models.TextChoices):
        APPROVED = "approved", "Approved, to pay"
        PAID = "paid", "Paid"

    status = models.CharField(max_length=10, choices=Status.choices, default=Status.APPROVED)
    currency = models.CharField(max_length=3)
    total = models.DecimalField(max_digits=12, decimal_places=2, default=Decimal("0"))
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    paid_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    paid_at = models.DateTimeField(null=True, blank=True)
    reference = models.CharField(max_length=100, blank=True, help_text="Payroll or bank reference.")

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name_plural = "payout batches"

    def __str__(self) -> str:
        return f"Payout batch {self.pk} ({self.status})"

    def get_absolute_url(self) -> str:
        return reverse("experts:staff_batch", kwargs={"pk": self.pk})


class PayoutEntry(models.Model):
    """One row of an expert's payout ledger. Append-only: never edited, never deleted.

    earned (+amount to the balance) -> approved (in a batch; the balance is unchanged) ->
    paid (-amount: the money went out). A reversal (-amount) takes back an earning that was
    not paid. Expert.balance = Σ earned − Σ reversal − Σ paid (reconcile_payouts checks it).
    """

    class Kind(models.TextChoices):
        EARNED = "earned", "Earned"
        APPROVED = "approved", "Approved for payout"
        PAID = "paid", "Paid"
        REVERSAL = "reversal", "Reversed"

    expert = models.ForeignKey(Expert, on_delete=models.PROTECT, related_name="ledger")
    kind = models.CharField(max_length=10, choices=Kind.choices)
    amount = models.DecimalField(**MONEY)
    currency = models.CharField(max_length=3)
    claim = models.ForeignKey(Claim, null=True, blank=True, on_delete=models.PROTECT, related_name="ledger")
    session = models.ForeignKey(Session, null=True, blank=True, on_delete=models.PROTECT, related_name="ledger")
    earning = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="followups",
        help_text="The earned row an approval or reversal is about.",
    )
    batch = models.ForeignKey(PayoutBatch, null=True, blank=True, on_delete=models.PROTECT, related_name="entries")
    note = models.CharField(max_length=300, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name_plural = "payout entries"
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="payout_amount_positive"),
            # One earning per paid answer and per session; one approval and one reversal per earning.
            models.UniqueConstraint(fields=["claim"], condition=Q(kind="earned"), name="one_earning_per_claim"),
            models.UniqueConstraint(fields=["session"], condition=Q(kind="earned"), name="one_earning_per_session"),
            models.UniqueConstraint(
                fields=["earning", "kind"], condition=Q(kind__in=["approved", "reversal"]), name="one_followup_per_earning"
            ),
            models.UniqueConstraint(fields=["expert", "batch"], condition=Q(kind="paid"), name="one_payment_per_batch"),
        ]
        indexes = [models.Index(fields=["expert", "-created_at"], name="payout_expert_recent")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.amount} {self.currency} for {self.expert_id}"

    @property
    def signed_amount(self) -> Decimal:
        if self.kind == self.Kind.EARNED:
            return self.amount
        if self.kind == self.Kind.APPROVED:
            return Decimal("0")
        return -self.amount
