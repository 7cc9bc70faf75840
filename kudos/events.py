"""Domain events of kudos, sent inside the transaction that caused them (like community's, see
community/events.py): receivers must be quick and queue slow work with
config.tasks.enqueue_on_commit. Sent with ``sender=RankNotice``.

Receivers:
- notifications.receivers: the member's "new rank" notification and email.
"""

from django.dispatch import Signal

# notice: the new RankNotice (notice.user_id, notice.rank_name); rank: the Rank reached.
# Sent once per member and rank: climbing back over a threshold sends nothing.
rank_reached = Signal()
