"""Places on community's pages that other apps fill, so community imports none of them.

A thread notice is a small panel shown on a thread page under the question (for instance
escalation's "A support specialist will reply by ..."). A provider is registered from the
other app's AppConfig.ready() and is called as ``provider(thread=..., viewer=...)``; it returns
None (nothing to show) or ``(template_name, context)``. It must only reveal what the viewer may
see and must not run a query per answer (it runs once per page).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable

NoticeProvider = Callable[..., "tuple[str, dict[str, Any]] | None"]

_thread_notice_providers: dict[str, NoticeProvider] = {}


def register_thread_notice(*, key: str, provider: NoticeProvider) -> None:
    _thread_notice_providers[key] = provider


def thread_notices(*, thread, viewer) -> list[dict[str, Any]]:
    """Rendered-ready notices for this thread page: [{"template_name": ..., "context": ...}]."""
    notices = []
    for key in sorted(_thread_notice_providers):
        result = _thread_notice_providers[key](thread=thread, viewer=viewer)
        if result is not None:
            template_name, context = result
            notices.append({"template_name": template_name, "context": context})
    return notices


# --- Answer labels ---------------------------------------------------------------------------
# A label under an answer's badges that another app decides (the experts tier's "Paid expert
# answer"). A provider is called once per thread page as ``provider(thread=..., answers=[...])``
# and returns {answer_id: [(label, css_class), ...]}; it must run at most one query.

AnswerLabelsProvider = Callable[..., "dict[int, list[tuple[str, str]]]"]

_answer_label_providers: dict[str, AnswerLabelsProvider] = {}


def register_answer_labels(*, key: str, provider: AnswerLabelsProvider) -> None:
    _answer_label_providers[key] = provider


def answer_labels(*, thread, answers) -> dict[int, list[tuple[str, str]]]:
    labels: dict[int, list[tuple[str, str]]] = {}
    if not answers:
        return labels
    for key in sorted(_answer_label_providers):
        for answer_id, found in _answer_label_providers[key](thread=thread, answers=answers).items():
            labels.setdefault(answer_id, []).extend(found)
    return labels


# --- Privileges -----------------------------------------------------------------------------
# What a member may do is decided outside community (kudos ties privileges to ranks), but
# enforced here. One provider, registered by kudos, answers for a user; without one, the
# defaults below apply (no limits beyond the defaults, flags count once, only staff retag).
# Kudos makes a brand-new account (too young, or no verified email, as its rank says) count
# for nothing: flags of weight 0 and votes that move no points.


@dataclass(frozen=True)
class Privileges:
    questions_per_day: int | None = None  # None: no limit
    answers_per_day: int | None = None
    links_per_day: int | None = None
    seconds_between_posts: int = 0
    flag_weight: int = 1  # 0: the member's flags send a post to review but never hide it
    can_retag: bool = False
    votes_move_points: bool = True  # whether "This helped" from this member earns points
    is_trusted: bool = True  # past the brand-new stage (account age, verified email)


PrivilegesProvider = Callable[..., Privileges]

_privileges_provider: PrivilegesProvider | None = None


def register_privileges_provider(provider: PrivilegesProvider) -> None:
    """provider(user) -> Privileges; must not query the database per call more than once."""
    global _privileges_provider
    _privileges_provider = provider


def privileges_for(user) -> Privileges:
    if user is not None and user.is_authenticated and user.is_staff:
        return Privileges(flag_weight=1, can_retag=True)
    if _privileges_provider is None:
        return Privileges()
    return _privileges_provider(user)


# --- Viewer facts -----------------------------------------------------------------------------
# Where other apps keep what they show a signed-in member in their own corner of a thread page
# (the bell's unread count, the /manage/ link's roles version, the rank table's version, the
# experts' version). A member's own copy of a thread page (community.ownpage) is served only
# while the values under these cache keys are those it was rendered with. A provider is called
# as ``provider(user_id)`` and returns the cache keys (of the default cache) whose values decide
# its parts of the page for that member, beyond the member's and the thread's rows, which the
# copy checks itself.

ViewerFactsProvider = Callable[[int], "list[str]"]

_viewer_facts_providers: dict[str, ViewerFactsProvider] = {}


def register_viewer_facts(*, key: str, provider: ViewerFactsProvider) -> None:
    _viewer_facts_providers[key] = provider


def viewer_fact_keys(user_id: int) -> list[str]:
    return [name for key in sorted(_viewer_facts_providers) for name in _viewer_facts_providers[key](user_id)]
