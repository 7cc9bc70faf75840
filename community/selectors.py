"""Reads behind community's pages: the thread page, the thread lists with their filters, the
sidebar, the tag index and the staff moderation queue.

Everything public starts from Thread.objects.listed(), so a private, deleted or hidden thread
never appears in a list, a count or a tag cloud, whoever is looking.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.contrib.contenttypes.models import ContentType
from django.db.models import Count, OuterRef, Q, QuerySet, Subquery
from django.db.models.functions import Coalesce
from django.utils.functional import empty
from taggit.models import Tag, TaggedItem

from community import permissions
from community.hooks import answer_labels, thread_notices
from community.models import AnswerVote, Category, Flag, MeToo, Revision, Thread

PAGE_SIZE = 25
POPULAR_TAGS = 15

SHOW_CHOICES = {
    "all": "All",
    "unanswered": "Unanswered",
    "unsolved": "Unsolved",
    "solved": "Solved",
}
SORT_CHOICES = {
    "activity": "Latest activity",
    "newest": "Newest",
    "metoo": "Most “I have this too”",
}
_ORDERINGS = {
    "activity": ("-last_activity_at", "-pk"),
    "newest": ("-created_at", "-pk"),
    "metoo": ("-me_too_count", "-last_activity_at", "-pk"),
}


@dataclass(frozen=True)
class ListFilters:
    """What a thread list is narrowed to. Unknown values fall back to the defaults, so a
    hand-edited URL shows the plain list instead of an error."""

    show: str = "all"
    sort: str = "activity"
    category: Category | None = None
    tag: Tag | None = None
    # "Mine": only the viewer's threads (asked, answered or commented on); members only.
    mine: bool = False

    @classmethod
    def from_params(cls, params, *, category=None, tag=None, user=None) -> "ListFilters":
        show = params.get("show", "all")
        sort = params.get("sort", "activity")
        return cls(
            show=show if show in SHOW_CHOICES else "all",
            sort=sort if sort in SORT_CHOICES else "activity",
            category=category,
            tag=tag,
            mine=params.get("mine") == "1" and user is not None and user.is_authenticated,
        )


def mine(user) -> QuerySet:
    """The threads a member asked, answered or commented on, as they may see them: their own
    private questions included (Thread.objects.visible_to), never anyone else's."""
    from community.models import Answer, Comment

    answered = Answer.objects.filter(author=user, is_deleted=False).values("thread_id")
    commented = Comment.objects.filter(author=user, is_deleted=False).values("thread_id")
    return Thread.objects.visible_to(user).filter(
        Q(author=user) | Q(pk__in=answered) | Q(pk__in=commented), is_deleted=False
    )


def listed_threads(filters: ListFilters, *, user=None) -> QuerySet:
    """Listed threads narrowed and ordered by ``filters``, with what a row shows joined in
    (a constant number of queries per page, whatever its size). With ``filters.mine`` the
    user's own threads instead (see mine())."""
    threads = mine(user) if filters.mine and user is not None else Thread.objects.listed()
    if filters.category is not None:
        threads = threads.filter(category=filters.category)
    if filters.tag is not None:
        threads = threads.filter(tags=filters.tag)
    if filters.show == "unanswered":
        threads = threads.unanswered()
    elif filters.show == "solved":
        threads = threads.solved()
    elif filters.show == "unsolved":
        threads = threads.unsolved()
    return threads.with_list_data().order_by(*_ORDERINGS[filters.sort])


def _listed_tagged_items() -> QuerySet:
    return TaggedItem.objects.filter(
        content_type=ContentType.objects.get_for_model(Thread),
        object_id__in=Thread.objects.listed().values("pk"),
    )


def tags_with_counts(*, limit: int | None = None) -> list[Tag]:
    """Tags used by at least one listed thread, each with ``num_threads``; the most used
    first, then by name. One query."""
    # From the threads' side: one join of listed threads to their tags, grouped by tag (the
    # tag-side query nested two IN subqueries and counted DISTINCT: 3-6 times slower at 10,000
    # questions). A thread carries a tag once (taggit's unique item), so COUNT(*) counts threads.
    rows = (
        Thread.objects.listed()
        .filter(tags__isnull=False)
        .values("tags__id", "tags__name", "tags__slug")
        .annotate(num_threads=Count("pk"))
        .order_by("-num_threads", "tags__name")
    )
    tags = []
    for row in rows[:limit] if limit else rows:
        tag = Tag(id=row["tags__id"], name=row["tags__name"], slug=row["tags__slug"])
        tag.num_threads = row["num_threads"]
        tags.append(tag)
    return tags


def listed_tag(slug: str, *, queryset=None) -> Tag | None:
    """The tag with this slug if at least one listed thread carries it, else None: a tag used
    only on private, deleted or hidden threads does not exist for anyone (its name could be
    the private part). One query; ``queryset`` (tags with annotations) to start from."""
    tags = Tag.objects.all() if queryset is None else queryset
    return tags.filter(slug=slug, taggit_taggeditem_items__in=_listed_tagged_items()).distinct().first()


def sidebar() -> dict:
    """The sidebar beside every list: categories (with descriptions and listed-thread counts)
    and popular tags. Two queries, cached until the next change to a list: their counts scan
    every listed thread (community.pagecache.cached_for_lists)."""
    from community.pagecache import cached_for_lists

    return cached_for_lists("sidebar", _sidebar, counts_only=True)


def _sidebar() -> dict:
    # A count per category, each over the listed threads' partial index (thread_listed_category);
    # a LEFT JOIN with COUNT ... FILTER read every thread row instead.
    counts = Thread.objects.listed().filter(category=OuterRef("pk")).order_by().values("category").annotate(n=Count("pk"))
    categories = Category.objects.annotate(num_threads=Coalesce(Subquery(counts.values("n")), 0))
    return {"categories": list(categories), "popular_tags": tags_with_counts(limit=POPULAR_TAGS)}


# --- Moderation -----------------------------------------------------------------------------


@dataclass
class FlaggedPost:
    """A question, answer or comment with its pending flags, for the staff moderation page."""

    kind: str  # "thread", "answer" or "comment"
    post: object
    thread: Thread
    flags: list[Flag] = field(default_factory=list)

    @property
    def weight(self) -> int:
        return sum(flag.weight for flag in self.flags)

    @property
    def key(self) -> str:
        return f"{self.kind}-{self.post.pk}"


def flagged_posts() -> list[FlaggedPost]:
    """Every post with pending flags: hidden ones first, then by pending weight, then the
    longest waiting. One query, whatever the number of posts or flags."""
    flags = (
        Flag.objects.filter(resolution=Flag.Resolution.PENDING)
        .select_related(
            "user",
            "thread__author",
            "thread__category",
            "answer__author",
            "answer__thread__category",
            "comment__author",
            "comment__thread__category",
        )
        .order_by("created_at", "pk")
    )
    posts: dict[str, FlaggedPost] = {}
    for flag in flags:
        if flag.thread_id is not None:
            item = FlaggedPost(kind="thread", post=flag.thread, thread=flag.thread)
        elif flag.answer_id is not None:
            item = FlaggedPost(kind="answer", post=flag.answer, thread=flag.answer.thread)
        else:
            item = FlaggedPost(kind="comment", post=flag.comment, thread=flag.comment.thread)
        posts.setdefault(item.key, item).flags.append(flag)
    return sorted(
        posts.values(),
        key=lambda p: (not p.post.is_hidden, -p.weight, p.flags[0].created_at),
    )


# --- Conversation: who takes part, who follows ------------------------------------------------


def thread_follower_ids(thread) -> list[int]:
    """Members following this thread (active follows), oldest first. One query."""
    from community.models import Follow

    return list(Follow.objects.filter(thread=thread, is_active=True).order_by("pk").values_list("user_id", flat=True))


def topic_followers(thread) -> dict[int, str]:
    """{member id: what they follow ("category" or "tag")} for the thread's category and
    tags. One query (plus the thread's tag ids)."""
    from community.models import Follow

    tag_ids = list(thread.tags.values_list("pk", flat=True))
    rows = Follow.objects.filter(Q(category_id=thread.category_id) | Q(tag_id__in=tag_ids), is_active=True)
    found: dict[int, str] = {}
    for user_id, category_id in rows.order_by("pk").values_list("user_id", "category_id"):
        found.setdefault(user_id, "category" if category_id else "tag")
    return found


def conversation_member_ids(comment) -> list[int]:
    """Who else commented under the same post (question or answer), oldest first."""
    from community.models import Comment

    rows = Comment.objects.filter(thread_id=comment.thread_id, answer_id=comment.answer_id, is_deleted=False)
    ids: list[int] = []
    for user_id in rows.exclude(pk=comment.pk).order_by("pk").values_list("author_id", flat=True):
        if user_id not in ids:
            ids.append(user_id)
    return ids


# --- A member's own place: the profile's tabs ---------------------------------------------------

PROFILE_PAGE_SIZE = 20
PROFILE_TABS = {
    "questions": "Questions",
    "answers": "Answers",
    "solutions": "Solutions",
    "following": "Following",
}


def profile_activity(*, member, viewer, params) -> dict:
    """The profile's tabs for ``member`` as ``viewer`` may see them: questions (their own
    private ones for themselves and staff only, through Thread.objects.visible_to), answers,
    accepted solutions and, for themselves and staff, what they follow. A constant number of
    queries whatever the page size: three counts and the page's rows (plus a count for the
    following tab)."""
    from django.core.paginator import Paginator
    from django.db.models import F

    from community.models import Answer, Follow

    is_self = viewer is not None and viewer.is_authenticated and viewer.pk == member.pk
    may_see_follows = is_self or (viewer is not None and viewer.is_authenticated and viewer.is_staff)
    tabs = [t for t in PROFILE_TABS if t != "following" or may_see_follows]
    tab = params.get("tab", "questions")
    if tab not in tabs:
        tab = "questions"
    visible_threads = Thread.objects.visible_to(viewer)
    questions = visible_threads.filter(author=member).select_related("category").order_by("-created_at", "-pk")
    answers = (
        Answer.objects.visible_to(viewer)
        .filter(author=member, thread__in=visible_threads.values("pk"))
        .select_related("thread")
        .order_by("-created_at", "-pk")
    )
    solutions = answers.filter(thread__solution=F("pk"))
    counts = {"questions": questions.count(), "answers": answers.count(), "solutions": solutions.count()}
    if tab == "following":
        rows = (
            Follow.objects.filter(user=member, is_active=True)
            .filter(Q(thread__isnull=True) | Q(thread__in=visible_threads.values("pk")))
            .select_related("thread", "category", "tag")
            .order_by("-created_at", "-pk")
        )
    else:
        rows = {"questions": questions, "answers": answers, "solutions": solutions}[tab]
    paginator = Paginator(rows, PROFILE_PAGE_SIZE)
    if tab in counts:  # counted above already; Paginator.count is a cached_property
        paginator.count = counts[tab]
    page = paginator.get_page(params.get("page"))
    return {
        "member": member,
        "is_self": is_self,
        "tab": tab,
        "tabs": [(key, PROFILE_TABS[key], counts.get(key)) for key in tabs],
        "page": page,
    }


# --- The thread page ----------------------------------------------------------------------------


def concrete_user(user):
    """``request.user`` is a lazy proxy: each attribute read goes through it. A page that asks
    a hundred questions of the viewer (one per answer) asks them of the user itself."""
    wrapped = getattr(user, "_wrapped", None)
    if wrapped is None:
        return user
    if wrapped is empty:
        user._setup()
        wrapped = user._wrapped
    return wrapped


def thread_page(*, thread: Thread, viewer) -> dict:
    """Everything the thread page shows to ``viewer``, in a fixed number of queries whatever the
    number of answers: the answers with their authors, the viewer's votes, "I have this too"
    and flags, the tags, revisions for staff and the other apps' notices. Assumes ``viewer``
    may see ``thread`` (Thread.objects.visible_to); ``thread.viewer_has_me_too``, when
    annotated, saves a query."""
    user = viewer = concrete_user(viewer)
    is_staff = user.is_authenticated and user.is_staff
    answers = list(thread.answers.visible_to(user).select_related("author").order_by("created_at", "pk"))
    voted: set[int] = set()
    has_me_too = False
    flagged_thread, flagged_answers = False, set()
    if user.is_authenticated:
        voted = set(AnswerVote.objects.filter(user=user, answer__thread=thread).values_list("answer_id", flat=True))
        has_me_too = getattr(thread, "viewer_has_me_too", None)
        if has_me_too is None:
            has_me_too = MeToo.objects.filter(user=user, thread=thread).exists()
        flags = Flag.objects.filter(Q(thread=thread) | Q(answer__thread=thread), user=user)
        for thread_id, answer_id in flags.values_list("thread_id", "answer_id"):
            if thread_id:
                flagged_thread = True
            else:
                flagged_answers.add(answer_id)
    revisions_by_answer: dict[int, list[Revision]] = {}
    thread_revisions: list[Revision] = []
    # Only edited posts have revisions: skip the query when nothing on the page was edited.
    if permissions.can_see_history(user) and (thread.edited_at or any(a.edited_at for a in answers)):
        for revision in Revision.objects.filter(Q(thread=thread) | Q(answer__thread=thread)).select_related("edited_by"):
            if revision.thread_id:
                thread_revisions.append(revision)
            else:
                revisions_by_answer.setdefault(revision.answer_id, []).append(revision)
    can_accept = permissions.can_accept(user, thread)
    labels = answer_labels(thread=thread, answers=answers)  # e.g. "Paid expert answer" (experts)
    for answer in answers:
        answer.thread = thread
        answer.labels = labels.get(answer.pk, [])
        answer.is_solution = answer.pk == thread.solution_id
        answer.viewer_voted = answer.pk in voted
        answer.viewer_can_vote = permissions.can_vote(user, answer)
        answer.viewer_can_edit = permissions.can_edit_post(user, answer)
        answer.viewer_can_accept = can_accept and not answer.is_deleted and not answer.is_hidden
        answer.revision_list = revisions_by_answer.get(answer.pk, [])
        answer.viewer_flagged = answer.pk in flagged_answers
    # The accepted answer first under the question; the rest oldest first, so the thread reads
    # as the conversation it was (later answers often build on earlier ones) and an answer
    # does not jump around while people vote. The vote counts are on every answer.
    solution = [a for a in answers if a.is_solution]
    others = [a for a in answers if not a.is_solution]
    return {
        "thread": thread,
        "tags": list(thread.tags.all()),
        "solution": solution[0] if solution else None,
        "answers": others,
        "answer_total": len(answers),
        "has_me_too": has_me_too,
        "flagged_thread": flagged_thread,
        "can_me_too": permissions.can_me_too(user, thread),
        "can_edit_thread": permissions.can_edit_post(user, thread),
        "can_retag": user.is_authenticated and permissions.can_retag(user, thread),
        "can_ask_for_more_help": permissions.can_ask_for_more_help(user, thread),
        "can_answer": permissions.can_answer(user, thread),
        "is_staff_viewer": is_staff,
        "thread_revisions": thread_revisions,
        "notices": thread_notices(thread=thread, viewer=user),
    }
