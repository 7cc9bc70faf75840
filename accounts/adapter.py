"""allauth's account adapter, with Peerdesk's rule on usernames: none that looks like another
member's or staff's name (accounts.names.skeleton)."""

from __future__ import annotations

from allauth.account.adapter import DefaultAccountAdapter
from django import forms

from accounts.names import is_invisible
from accounts.selectors import name_taken_by_lookalike

LOOKALIKE_MESSAGE = "This name looks too much like another member's name. Please choose another."


class AccountAdapter(DefaultAccountAdapter):
    def clean_username(self, username, shallow=False):
        if any(is_invisible(ch) for ch in username or ""):
            raise forms.ValidationError("A username can't contain invisible or direction-changing characters.")
        username = super().clean_username(username, shallow=shallow)
        if not shallow and name_taken_by_lookalike(username):
            raise forms.ValidationError(LOOKALIKE_MESSAGE)
        return username
