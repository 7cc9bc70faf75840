"""API token strings: what a member is shown once, and what is stored (a hash).

A token reads ``pdk_<prefix>_<secret>``. The prefix (public, unique) finds the row; the
secret is 32 random bytes, so a plain SHA-256 of the whole string is enough to store (no
slow password hash is needed against guessing at 256 bits), and comparing digests with
hmac.compare_digest keeps the comparison constant-time. The clear token is never stored.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets

PREFIX = "pdk"


def generate() -> tuple[str, str, str]:
    """(clear token, prefix, hash): show the first once, store the other two."""
    prefix = secrets.token_hex(6)
    clear = f"{PREFIX}_{prefix}_{secrets.token_urlsafe(32)}"
    return clear, prefix, digest(clear)


def digest(clear: str) -> str:
    return hashlib.sha256(clear.encode()).hexdigest()


def parse_prefix(clear: str) -> str | None:
    parts = clear.split("_", 2)
    if len(parts) != 3 or parts[0] != PREFIX or len(parts[1]) != 12:
        return None
    return parts[1]


def matches(clear: str, stored_hash: str) -> bool:
    return hmac.compare_digest(digest(clear), stored_hash)
