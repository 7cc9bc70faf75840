from __future__ import annotations

import uuid

from django import forms
from django.contrib.auth import get_user_model

from kudos.services import AWARD_LIMIT


class AwardForm(forms.Form):
    member = forms.CharField(label="Member's username", max_length=150)
    points = forms.IntegerField(
        min_value=-AWARD_LIMIT, max_value=AWARD_LIMIT, help_text="A negative amount takes points away."
    )
    note = forms.CharField(
        label="Reason",
        max_length=300,
        help_text="Shown with the points on the member's public profile.",
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    key = forms.CharField(widget=forms.HiddenInput, max_length=64, initial=lambda: uuid.uuid4().hex)

    def clean_member(self):
        username = self.cleaned_data["member"].strip().lstrip("@")
        member = get_user_model().objects.filter(username__iexact=username, is_active=True).first()
        if member is None:
            raise forms.ValidationError(f"No active member has the username “{username}”.")
        return member

    def clean_points(self):
        points = self.cleaned_data["points"]
        if points == 0:
            raise forms.ValidationError("Award a number of points other than zero.")
        return points


class RingReversalForm(forms.Form):
    """Staff reverse a voting ring's points: the ring's member ids (from the report) and why."""

    members = forms.CharField(widget=forms.HiddenInput, max_length=2000)
    reason = forms.CharField(
        label="Reason",
        max_length=300,
        help_text="Recorded with every reversed entry in the members' kudos history.",
        widget=forms.Textarea(attrs={"rows": 2}),
    )

    def clean_members(self) -> list[int]:
        raw = self.cleaned_data["members"]
        try:
            ids = sorted({int(part) for part in raw.split(",") if part.strip()})
        except ValueError:
            raise forms.ValidationError("This ring's list of members is damaged; reload the page.") from None
        if len(ids) < 2:
            raise forms.ValidationError("A voting ring has at least two members.")
        return ids
