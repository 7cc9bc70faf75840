from __future__ import annotations

from django import forms

from community.models import Category
from escalation.models import Channel, Ticket
from escalation.selectors import ACTIVE, ASSIGNED_CHOICES, QueueFilters


class QueueFilterForm(forms.Form):
    """The queue's filters, read from the query string. Unknown values are errors shown above
    the list, and the list falls back to the default filters."""

    reason = forms.ChoiceField(choices=[("", "Any reason"), *Ticket.Reason.choices], required=False)
    category = forms.ModelChoiceField(queryset=Category.objects.all(), required=False, empty_label="Any category")
    status = forms.ChoiceField(
        choices=[(ACTIVE, "Active"), ("", "Any status"), *Ticket.Status.choices], required=False
    )
    assigned = forms.ChoiceField(choices=ASSIGNED_CHOICES, required=False)

    def __init__(self, data=None, **kwargs):
        data = data.copy() if data is not None else None
        if data is not None and "status" not in data:
            data["status"] = ACTIVE
        super().__init__(data, **kwargs)

    def filters(self) -> QueueFilters:
        if not self.is_valid():
            return QueueFilters()
        category = self.cleaned_data["category"]
        return QueueFilters(
            reason=self.cleaned_data["reason"],
            category=category.pk if category else None,
            status=self.cleaned_data["status"],
            assigned=self.cleaned_data["assigned"],
        )


class NoteForm(forms.Form):
    body = forms.CharField(
        label="Add a note", max_length=5000, widget=forms.Textarea(attrs={"rows": 3}),
        help_text="Only staff see notes. Card and account numbers are masked: staff never need them in full.",
    )

    def clean_body(self) -> str:
        body = self.cleaned_data["body"].strip()
        if not body:
            raise forms.ValidationError("Write something first.")
        return body


class AnswerForm(forms.Form):
    body = forms.CharField(
        label="Answer", max_length=20000, widget=forms.Textarea(attrs={"rows": 6}),
        help_text="Posted in the thread with the Official badge; the asker is emailed. Markdown works.",
    )


class RedirectForm(forms.Form):
    channel = forms.ModelChoiceField(
        queryset=Channel.objects.filter(is_active=True), empty_label="Choose a channel",
        help_text="The asker is emailed this channel's instructions and the ticket is closed.",
    )
