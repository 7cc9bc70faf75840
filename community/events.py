"""Domain events: how community tells the rest of Peerdesk what happened.

community knows nothing of kudos or escalation. Its services send these signals *inside* their
transaction, after the change is written, so a receiver's own writes commit or roll back with
it. Receivers must therefore be quick and must not do I/O: anything slow (email, a countdown
task) is queued with config.tasks.enqueue_on_commit. Each signal is sent with
``sender=<the model class>`` and the keyword arguments listed; every receiver is wired in its
app's AppConfig.ready() with a dispatch_uid.

Receivers:
- kudos.receivers: points for upvotes, accepted answers, "I have this too", and taking them back.
- escalation.receivers: deadlines set / cleared / moved, tickets for private, still-needs-help
  and flagged posts.
- notifications.receivers: the asker hears of answers, the answerer of accepts and (grouped)
  upvotes; a thread made private hides its notifications from everyone but author and staff.
  Comments, mentions and follows: the post's author, the conversation, the members named and
  the followers hear of new comments and answers (each once, nobody of their own).
- escalation.receivers: an asker's comment under the only answer means it still needs help.
"""

from django.dispatch import Signal

# thread: the new Thread (is_private already decided; a private thread is never public).
question_asked = Signal()

# thread: the edited Thread; became_private: True when this edit made it private.
question_edited = Signal()

# answer: the new Answer (answer.thread is set; answer.is_official for staff answers);
# mentioned: the active members it names with @username (maybe empty).
answer_posted = Signal()

# answer: the edited Answer; mentioned: members the edit names who were not named before.
answer_edited = Signal()

# answer, voter: a member's "This helped" on someone else's answer (never their own).
answer_upvoted = Signal()

# answer, voter: that vote taken back.
answer_unvoted = Signal()

# thread, user: "I have this too" on someone else's question.
me_too_added = Signal()

# thread, user: that taken back.
me_too_removed = Signal()

# thread, answer, accepted_by: answer is now thread.solution. When a solution is replaced,
# solution_unaccepted for the old answer is sent first.
solution_accepted = Signal()

# thread, answer, unaccepted_by: answer is no longer the solution.
solution_unaccepted = Signal()

# thread, user: the asker says the thread still needs help (it has answers).
help_still_needed = Signal()

# post (a Thread or an Answer), by: the author (or staff) soft-deleted it.
post_deleted = Signal()

# post (a Thread, an Answer or a Comment; an answer's or comment's .thread is set): enough
# distinct flags hid it, pending staff review. Comments earn no kudos: receivers that move
# points leave them alone.
post_hidden = Signal()

# post (a Thread, an Answer or a Comment), by: staff reviewed the flags and restored it.
post_restored = Signal()

# post (a Thread, an Answer or a Comment), by: staff reviewed the flags and removed it for good
# (a comment is soft-deleted, as when its author deletes it; no comment_deleted is sent).
post_removed = Signal()

# --- Conversation -----------------------------------------------------------------------------

# comment: the new Comment (comment.thread, comment.answer set; answer None under the question);
# mentioned: the active members it names with @username (maybe empty).
comment_posted = Signal()

# comment: the edited Comment; mentioned: members named now who were not named before.
comment_edited = Signal()

# comment, by: the author (or staff) deleted the comment.
comment_deleted = Signal()
