"""Domain events of accounts, sent inside the transaction of the service that caused them
(like community/events.py). Sent with ``sender=User``.

Receivers:
- community.pagecache: a member's name shows on every page they posted on, so cached pages
  and answer fragments are rendered again.
"""

from django.dispatch import Signal

# user: the User whose public profile (display name) changed.
profile_changed = Signal()
