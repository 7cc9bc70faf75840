"""Questions (threads), answers and the members' reactions to them.

Counters (answer_count, upvote_count, me_too_count, flag_count) are stored on the rows and moved
with F() by community.services, never recounted per page. ``version`` goes up on every change
that alters how a thread renders, so cached fragments can be keyed by it.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.text import slugify
from taggit.managers import TaggableManager

from config.urlcache import cached_reverse


class Category(models.Model):
    """A product area. Admin-managed; ``position`` orders them in menus and lists."""

    name = models.CharField(max_length=80, unique=True)
    slug = models.SlugField(max_length=80, unique=True)
    description = models.TextField(blank=True)
    position = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering = ["position", "name"]
        verbose_name_plural = "categories"

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return cached_reverse("community:category", slug=self.slug)


def listed_q(prefix: str = "") -> Q:
    """The condition for a thread that anyone may see in lists, search, tag pages and feeds:
    not private, deleted or hidden. ``prefix`` ("threads__") applies it across a relation."""
    return Q(**{f"{prefix}is_private": False, f"{prefix}is_deleted": False, f"{prefix}is_hidden": False})


def _is_staff(user) -> bool:
    return user is not None and user.is_authenticated and user.is_active and user.is_staff


def _is_member(user) -> bool:
    return user is not None and user.is_authenticated and user.is_active


class ThreadQuerySet(models.QuerySet):
    def visible_to(self, user) -> "ThreadQuerySet":
        """Threads this user may open. The one visibility rule; Thread.is_visible_to is the
        same rule for a loaded row and must be changed with it.

        Staff see everything. Everyone else sees public threads that are neither deleted nor
        hidden by flags, plus their own threads (private or hidden ones included, not deleted).
        A deactivated account sees what an anonymous visitor sees.
        """
        if _is_staff(user):
            return self
        if _is_member(user):
            return self.filter(listed_q() | Q(author=user, is_deleted=False))
        return self.filter(listed_q())

    def listed(self) -> "ThreadQuerySet":
        """Threads that may appear in public lists, search, tag pages and feeds: never a
        private, deleted or hidden one, whoever is looking."""
        return self.filter(listed_q())

    def unanswered(self) -> "ThreadQuerySet":
        return self.filter(answer_count=0)

    def solved(self) -> "ThreadQuerySet":
        return self.filter(solution__isnull=False)

    def unsolved(self) -> "ThreadQuerySet":
        return self.filter(solution__isnull=True)

    def with_list_data(self) -> "ThreadQuerySet":
        """Everything a list row shows, in a constant number of queries; each thread's tags
        as the list ``tag_list`` (through the manager, Django would build a tag query per
        thread only to hold the prefetched rows)."""
        return self.select_related("category", "author").prefetch_related(models.Prefetch("tags", to_attr="tag_list"))


class Thread(models.Model):
    """A question and everything posted under it."""

    class PrivateReason(models.TextChoices):
        NONE = "", "Public"
        AUTHOR = "author", "Marked private by the author"
        DETECTED = "detected", "Account data detected"

    category = models.ForeignKey(Category, on_delete=models.PROTECT, related_name="threads")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="threads")
    title = models.CharField(max_length=150)
    slug = models.SlugField(max_length=160, allow_unicode=False)
    body = models.TextField(help_text="Markdown source as the author wrote it.")
    body_html = models.TextField(help_text="Sanitized HTML rendered from body when saved.")
    tags = TaggableManager(blank=True)

    is_private = models.BooleanField(default=False)
    private_reason = models.CharField(max_length=16, choices=PrivateReason.choices, blank=True, default="")

    solution = models.ForeignKey(
        "Answer", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    answer_count = models.PositiveIntegerField(default=0)
    upvote_count = models.PositiveIntegerField(default=0, help_text="Upvotes on all its answers.")
    me_too_count = models.PositiveIntegerField(default=0)
    flag_count = models.PositiveIntegerField(default=0)
    comment_count = models.PositiveIntegerField(default=0, help_text="Comments not deleted, on the question and its answers.")

    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    last_activity_at = models.DateTimeField(default=timezone.now)
    edited_at = models.DateTimeField(null=True, blank=True)
    first_answer_at = models.DateTimeField(
        null=True, blank=True, help_text="When someone other than the asker first answered."
    )
    solved_at = models.DateTimeField(null=True, blank=True)

    is_deleted = models.BooleanField(default=False)
    deleted_at = models.DateTimeField(null=True, blank=True)
    is_hidden = models.BooleanField(default=False, help_text="Hidden by flags, pending staff review.")
    version = models.PositiveIntegerField(default=1)

    objects = ThreadQuerySet.as_manager()

    class Meta:
        indexes = [
            models.Index(
                fields=["-last_activity_at"],
                name="thread_listed_activity",
                condition=listed_q(),
            ),
            models.Index(fields=["category", "-last_activity_at"], name="thread_category_activity"),
            # The sidebar's counts of listed threads per category and per tag: index-only scans
            # of the listed threads on PostgreSQL (INCLUDE id), not a scan of the wide table.
            models.Index(fields=["category"], include=["id"], condition=listed_q(), name="thread_listed_category"),
            models.Index(fields=["author", "-created_at"], name="thread_author_created"),
            # The deflection report's cohort scans (reports.selectors): covering on PostgreSQL so
            # they are index-only; built concurrently by community/migrations/0006.
            models.Index(
                fields=["created_at"],
                include=["id", "category", "is_deleted", "author", "solution", "first_answer_at", "solved_at"],
                name="report_thread_cohort",
            ),
        ]

    def __str__(self) -> str:
        return self.title

    def save(self, *args, **kwargs) -> None:
        if not self.slug:
            self.slug = slugify(self.title)[:160] or "question"
        super().save(*args, **kwargs)

    def get_absolute_url(self) -> str:
        return cached_reverse("community:thread", pk=self.pk, slug=self.slug)

    @property
    def has_solution(self) -> bool:
        return self.solution_id is not None

    @property
    def is_listed(self) -> bool:
        return not (self.is_private or self.is_deleted or self.is_hidden)

    def is_visible_to(self, user) -> bool:
        """ThreadQuerySet.visible_to for this loaded row, without a query."""
        if _is_staff(user):
            return True
        if self.is_listed:
            return True
        return _is_member(user) and self.author_id == user.pk and not self.is_deleted


def _posts_visible_to(queryset: models.QuerySet, user) -> models.QuerySet:
    """The one rule for what is posted under a thread (answers and comments), assuming the
    user may read the thread: staff see everything; everyone else sees what is neither deleted
    nor hidden by flags, and a member also sees their own hidden posts (not deleted ones), so
    they can tell why others no longer do."""
    if _is_staff(user):
        return queryset
    shown = Q(is_deleted=False, is_hidden=False)
    if _is_member(user):
        return queryset.filter(shown | Q(author=user, is_deleted=False))
    return queryset.filter(shown)


class AnswerQuerySet(models.QuerySet):
    def visible_to(self, user) -> "AnswerQuerySet":
        """Answers this user may read, assuming they may read the thread (_posts_visible_to)."""
        return _posts_visible_to(self, user)


class Answer(models.Model):
    thread = models.ForeignKey(Thread, on_delete=models.CASCADE, related_name="answers")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="answers")
    body = models.TextField()
    body_html = models.TextField()
    is_official = models.BooleanField(default=False, help_text="Posted by staff: shows the Official badge.")
    upvote_count = models.PositiveIntegerField(default=0)
    flag_count = models.PositiveIntegerField(default=0)

    created_at = models.DateTimeField(default=timezone.now)
    edited_at = models.DateTimeField(null=True, blank=True)
    is_deleted = models.BooleanField(default=False)
    deleted_at = models.DateTimeField(null=True, blank=True)
    is_hidden = models.BooleanField(default=False, help_text="Hidden by flags, pending staff review.")

    objects = AnswerQuerySet.as_manager()

    def is_visible_to(self, user) -> bool:
        """AnswerQuerySet.visible_to (_posts_visible_to) for this loaded row, without a query;
        changed with it."""
        if _is_staff(user):
            return True
        if not self.is_deleted and not self.is_hidden:
            return True
        return _is_member(user) and self.author_id == user.pk and not self.is_deleted

    class Meta:
        ordering = ["created_at", "pk"]
        indexes = [
            models.Index(fields=["thread", "created_at"], name="answer_thread_created"),
            models.Index(fields=["author", "-created_at"], name="answer_author_created"),
            # The deflection report's answer counts (reports.selectors); see Thread's.
            models.Index(
                fields=["created_at"], include=["id", "thread", "author", "is_deleted"], name="report_answer_created"
            ),
        ]

    def __str__(self) -> str:
        return f"Answer {self.pk} to {self.thread_id}"

    def get_absolute_url(self) -> str:
        return f"{self.thread.get_absolute_url()}#answer-{self.pk}"


class AnswerVote(models.Model):
    """One "This helped" per member and answer."""

    answer = models.ForeignKey(Answer, on_delete=models.CASCADE, related_name="votes")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="answer_votes")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["answer", "user"], name="one_vote_per_user_and_answer")]


class MeToo(models.Model):
    """One "I have this too" per member and thread."""

    thread = models.ForeignKey(Thread, on_delete=models.CASCADE, related_name="me_toos")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="me_toos")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["thread", "user"], name="one_me_too_per_user_and_thread")]


class Flag(models.Model):
    """A member's report that a question, an answer or a comment breaks the rules.

    Exactly one of thread / answer / comment is set. One flag per member and post. When a post's distinct
    flags reach CommunitySettings.flag_threshold it is hidden pending staff review;
    ``resolution`` records what staff decided.
    """

    class Reason(models.TextChoices):
        SPAM = "spam", "Spam or advertising"
        RUDE = "rude", "Rude or abusive"
        OFF_TOPIC = "off_topic", "Off-topic"
        PERSONAL_DATA = "personal_data", "Shares personal or account data"

    class Resolution(models.TextChoices):
        PENDING = "", "Pending"
        RESTORED = "restored", "Restored by staff"
        REMOVED = "removed", "Removed by staff"

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="flags")
    thread = models.ForeignKey(Thread, null=True, blank=True, on_delete=models.CASCADE, related_name="flags")
    answer = models.ForeignKey(Answer, null=True, blank=True, on_delete=models.CASCADE, related_name="flags")
    comment = models.ForeignKey(
        "Comment", null=True, blank=True, on_delete=models.CASCADE, related_name="flags"
    )
    reason = models.CharField(max_length=20, choices=Reason.choices)
    note = models.CharField(max_length=300, blank=True)
    weight = models.PositiveSmallIntegerField(default=1, help_text="How much this flag counts (rank privilege).")
    created_at = models.DateTimeField(default=timezone.now)
    resolution = models.CharField(max_length=10, choices=Resolution.choices, blank=True, default="")
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    resolved_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=(
                    Q(thread__isnull=False, answer__isnull=True, comment__isnull=True)
                    | Q(thread__isnull=True, answer__isnull=False, comment__isnull=True)
                    | Q(thread__isnull=True, answer__isnull=True, comment__isnull=False)
                ),
                name="flag_targets_exactly_one_post_or_comment",
            ),
            models.UniqueConstraint(
                fields=["user", "thread"], condition=Q(thread__isnull=False), name="one_flag_per_user_and_thread"
            ),
            models.UniqueConstraint(
                fields=["user", "answer"], condition=Q(answer__isnull=False), name="one_flag_per_user_and_answer"
            ),
            models.UniqueConstraint(
                fields=["user", "comment"],
                condition=Q(comment__isnull=False),
                name="one_flag_per_user_and_comment",
            ),
        ]

    @property
    def post(self):
        """The question, answer or comment this flag is about."""
        return self.thread or self.answer or self.comment


class Revision(models.Model):
    """The previous text of a question or answer, kept on every edit so staff can see history.

    Exactly one of thread / answer is set. ``title`` is empty for answers.
    """

    thread = models.ForeignKey(Thread, null=True, blank=True, on_delete=models.CASCADE, related_name="revisions")
    answer = models.ForeignKey(Answer, null=True, blank=True, on_delete=models.CASCADE, related_name="revisions")
    title = models.CharField(max_length=150, blank=True)
    body = models.TextField()
    edited_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=(Q(thread__isnull=False, answer__isnull=True) | Q(thread__isnull=True, answer__isnull=False)),
                name="revision_targets_exactly_one_post",
            ),
        ]


class CommunitySettings(models.Model):
    """Site-wide community settings edited by admins. One row (pk=1), made on first use."""

    flag_threshold = models.PositiveSmallIntegerField(
        default=3, help_text="Distinct flags (weighted) that hide a post pending staff review."
    )

    class Meta:
        verbose_name = "community settings"
        verbose_name_plural = "community settings"
        constraints = [models.CheckConstraint(condition=Q(pk=1), name="community_settings_single_row")]

    def __str__(self) -> str:
        return "Community settings"

    @classmethod
    def load(cls) -> "CommunitySettings":
        obj, _ = cls.objects.get_or_create(pk=1)
        return obj


# --- Conversation: comments and follows ---------------------------------------------------------

COMMENT_MAX_LENGTH = 600


class CommentQuerySet(models.QuerySet):
    def visible_to(self, user) -> "CommentQuerySet":
        """Comments this user may read, assuming they may read the thread (and the answer):
        the same rule as answers (_posts_visible_to). Staff see deleted and hidden ones too."""
        return _posts_visible_to(self, user)


class Comment(models.Model):
    """A short remark under the question (``answer`` empty) or under one answer: "which
    version are you on?", "that didn't work, here is the error". Inline Markdown only, at most
    COMMENT_MAX_LENGTH characters. Comments never earn kudos and cannot be accepted."""

    thread = models.ForeignKey(Thread, on_delete=models.CASCADE, related_name="comments")
    answer = models.ForeignKey(Answer, null=True, blank=True, on_delete=models.CASCADE, related_name="comments")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="comments")
    body = models.CharField(max_length=COMMENT_MAX_LENGTH)
    body_html = models.TextField()
    created_at = models.DateTimeField(default=timezone.now)
    edited_at = models.DateTimeField(null=True, blank=True)
    is_deleted = models.BooleanField(default=False)
    deleted_at = models.DateTimeField(null=True, blank=True)
    # db_default too: processes still running the previous release insert comments without
    # this column while a deploy rolls out.
    is_hidden = models.BooleanField(
        default=False, db_default=False, help_text="Hidden by flags, pending staff review."
    )

    objects = CommentQuerySet.as_manager()

    class Meta:
        ordering = ["created_at", "pk"]
        indexes = [
            models.Index(fields=["thread", "created_at"], name="comment_thread_created"),
            models.Index(fields=["author", "-created_at"], name="comment_author_created"),
        ]

    def __str__(self) -> str:
        return f"Comment {self.pk} on {self.thread_id}"

    def get_absolute_url(self) -> str:
        return f"{self.thread.get_absolute_url()}#comment-{self.pk}"

    @property
    def post(self):
        """The question or answer this comment is under."""
        return self.answer if self.answer_id else self.thread


class Follow(models.Model):
    """A member follows a thread, a tag or a category: new activity there is notified.

    Exactly one of thread / category / tag is set, one row per member and target. Members
    follow the threads they ask, answer or comment on automatically; ``is_active`` False
    records an explicit unfollow, so posting there again does not follow it back.
    """

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="follows")
    thread = models.ForeignKey(Thread, null=True, blank=True, on_delete=models.CASCADE, related_name="follows")
    category = models.ForeignKey(Category, null=True, blank=True, on_delete=models.CASCADE, related_name="follows")
    tag = models.ForeignKey("taggit.Tag", null=True, blank=True, on_delete=models.CASCADE, related_name="follows")
    is_active = models.BooleanField(default=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=(
                    Q(thread__isnull=False, category__isnull=True, tag__isnull=True)
                    | Q(thread__isnull=True, category__isnull=False, tag__isnull=True)
                    | Q(thread__isnull=True, category__isnull=True, tag__isnull=False)
                ),
                name="follow_targets_exactly_one",
            ),
            models.UniqueConstraint(fields=["user", "thread"], condition=Q(thread__isnull=False), name="one_follow_per_user_and_thread"),
            models.UniqueConstraint(fields=["user", "category"], condition=Q(category__isnull=False), name="one_follow_per_user_and_category"),
            models.UniqueConstraint(fields=["user", "tag"], condition=Q(tag__isnull=False), name="one_follow_per_user_and_tag"),
        ]
        indexes = [
            models.Index(fields=["thread"], name="follow_thread_active", condition=Q(is_active=True, thread__isnull=False)),
        ]

    def __str__(self) -> str:
        return f"{self.user_id} follows {self.thread_id or self.category_id or self.tag_id}"

    @property
    def target(self):
        return self.thread or self.category or self.tag


# --- Images ---------------------------------------------------------------------------------


class ImageQuerySet(models.QuerySet):
    def visible_to(self, user) -> "ImageQuerySet":
        """Images this user may load: a pending upload (not yet in a post) only by its uploader;
        an attached one by whoever may see its thread (Thread.objects.visible_to) and, for an
        answer's image, that answer (Answer.objects.visible_to)."""
        pending = Q(thread__isnull=True)
        mine = Q(uploader=user) if user is not None and user.is_authenticated else Q(pk__in=[])
        attached = Q(thread__in=Thread.objects.visible_to(user)) & (
            Q(answer__isnull=True) | Q(answer__in=Answer.objects.visible_to(user))
        )
        return self.filter((pending & mine) | attached)

    def pending_for(self, user) -> "ImageQuerySet":
        return self.filter(uploader=user, thread__isnull=True)


class Image(models.Model):
    """A screenshot a member uploaded: validated and re-encoded without metadata by
    community.images, stored through Django's storage API (never served by it: only the
    community:image view serves it, after checking who may see it on every request).

    Pending (no thread) until the post that shows it is saved; then attached to that thread
    (and answer), whose visibility it follows from then on.
    """

    key = models.CharField(max_length=32, unique=True, help_text="Random, URL-safe: the image's address.")
    uploader = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="images")
    file = models.FileField(upload_to="images/%Y/%m/", max_length=200)
    name = models.CharField(max_length=80, help_text="Safe file name shown and sent with the image.")
    content_type = models.CharField(max_length=32)
    width = models.PositiveIntegerField()
    height = models.PositiveIntegerField()
    size = models.PositiveIntegerField(help_text="Bytes after re-encoding.")
    thread = models.ForeignKey(Thread, null=True, blank=True, on_delete=models.CASCADE, related_name="images")
    answer = models.ForeignKey(Answer, null=True, blank=True, on_delete=models.CASCADE, related_name="images")
    created_at = models.DateTimeField(default=timezone.now)
    attached_at = models.DateTimeField(null=True, blank=True)

    objects = ImageQuerySet.as_manager()

    class Meta:
        indexes = [models.Index(fields=["uploader", "-created_at"], name="image_uploader_created")]
        constraints = [
            models.CheckConstraint(
                condition=Q(answer__isnull=True) | Q(thread__isnull=False), name="image_answer_has_thread"
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("community:image", kwargs={"key": self.key, "name": self.name})

    @property
    def is_public(self) -> bool:
        """Whether anyone at all may load it (so shared caches may keep it)."""
        return Image.objects.visible_to(None).filter(pk=self.pk).exists()
class SearchWord(models.Model):
    """A word of the titles of listed threads, with how many titles have it: the vocabulary
    that search corrects typos against (community.search.correct_words). Rebuilt from the
    listed threads by beat (SEARCH_WORDS_SECONDS) and topped up when a public question is
    asked or retitled, so it only ever holds words anyone may see. On PostgreSQL a trigram
    index on ``word`` (migration 0004) finds the words alike in a few milliseconds."""

    word = models.CharField(max_length=40, unique=True)
    threads = models.PositiveIntegerField(default=1)

    def __str__(self) -> str:
        return self.word
