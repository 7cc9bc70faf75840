from __future__ import annotations

from django import forms
from django.contrib.auth import get_user_model

from community.models import Category
from escalation.models import Channel, Ticket
from escalation.tickets import RESOLVE_OUTCOMES
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
        label="Add a note", max_length=5000, widget=forms.Textarea(attrs={"rows": 5}),
        help_text="Only staff see notes. Card and account numbers are masked: staff never need them in full.",
    )
    macro = forms.IntegerField(required=False, widget=forms.HiddenInput)

    def clean_body(self) -> str:
        body = self.cleaned_data["body"].strip()
        if not body:
            raise forms.ValidationError("Write something first.")
        return body


class AnswerForm(forms.Form):
    THEN_CHOICES = [
        ("wait", "Post and wait for the customer"),
        ("resolve", "Post and resolve (solved by staff)"),
    ]
    body = forms.CharField(
        label="Answer", max_length=20000, widget=forms.Textarea(attrs={"rows": 8}),
        help_text="Posted in the thread with the Official badge; the asker is emailed. Markdown works.",
    )
    then = forms.ChoiceField(label="Then", choices=THEN_CHOICES, initial="wait", widget=forms.RadioSelect,
                             required=False)

    def clean_then(self) -> str:
        return self.cleaned_data.get("then") or "wait"
    macro = forms.IntegerField(required=False, widget=forms.HiddenInput)


class ResolveForm(forms.Form):
    outcome = forms.ChoiceField(
        label="Outcome", initial=Ticket.Outcome.SOLVED, required=False,
        choices=[(value, Ticket.Outcome(value).label) for value in RESOLVE_OUTCOMES if value != "redirected"],
    )

    def clean_outcome(self) -> str:
        return self.cleaned_data.get("outcome") or Ticket.Outcome.SOLVED


class BulkForm(forms.Form):
    ACTIONS = [("", "Choose an action"), ("claim", "Claim"), ("assign", "Assign to…"), ("resolve", "Resolve as…")]
    tickets = forms.TypedMultipleChoiceField(coerce=int, choices=(), error_messages={
        "required": "Select at least one ticket first.",
        "invalid_choice": "One of the selected tickets no longer exists.",
    })
    action = forms.ChoiceField(choices=ACTIONS, error_messages={"required": "Choose what to do with the tickets."})
    assignee = forms.ModelChoiceField(
        queryset=get_user_model().objects.filter(is_staff=True, is_active=True).order_by("display_name"),
        required=False, empty_label="Choose a colleague",
    )
    outcome = forms.ChoiceField(choices=[("", "Choose an outcome")] + ResolveForm.base_fields["outcome"].choices,
                                required=False)

    def __init__(self, data=None, **kwargs):
        super().__init__(data, **kwargs)
        raw = data.getlist("tickets") if data is not None else []
        self.fields["tickets"].choices = [(value, value) for value in raw[:200] if value.isdigit()]

    def clean(self):
        data = super().clean()
        if data.get("action") == "assign" and not data.get("assignee"):
            self.add_error("assignee", "Choose the colleague to assign the tickets to.")
        if data.get("action") == "resolve" and not data.get("outcome"):
            self.add_error("outcome", "Choose how the tickets ended.")
        return data


class MacroForm(forms.Form):
    title = forms.CharField(label="Name", max_length=80, help_text="What you will look for, e.g. “Reset link expired”.")
    body = forms.CharField(
        label="Reply", max_length=5000, widget=forms.Textarea(attrs={"rows": 8}),
        help_text="Placeholders: {asker_name}, {thread_title}, {thread_url}, {staff_name}, {category}. Markdown works.",
    )
    shared = forms.BooleanField(label="Share with all staff", required=False)
    category = forms.ModelChoiceField(
        queryset=Category.objects.order_by("name"), required=False, empty_label="Every category",
        help_text="Offered only on tickets of this category.",
    )


class RedirectForm(forms.Form):
    channel = forms.ModelChoiceField(
        queryset=Channel.objects.filter(is_active=True), empty_label="Choose a channel",
        help_text="The asker is emailed this channel's instructions and the ticket is closed. "
        "A helpdesk channel also opens a ticket in that helpdesk with the question and its answers.",
    )
