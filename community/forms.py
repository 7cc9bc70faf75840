"""Forms for asking, answering and editing. They validate; community.services saves."""

from __future__ import annotations

from django import forms
from django.core.exceptions import ValidationError

from community import privacy, services
from community.models import Category, Flag

BODY_HELP = "Markdown: **bold**, _italic_, `code`, ``` for code blocks, [links](https://…), - lists, > quotes."


class QuestionForm(forms.Form):
    title = forms.CharField(
        min_length=services.TITLE_MIN_LENGTH,
        max_length=services.TITLE_MAX_LENGTH,
        help_text="Say what is wrong in one sentence, e.g. “Calendar sync stops after the 4.2 update”.",
        widget=forms.TextInput(attrs={"autocomplete": "off"}),
    )
    body = forms.CharField(
        label="Details",
        max_length=services.BODY_MAX_LENGTH,
        help_text="What did you try, what happened, which device and version? " + BODY_HELP,
        widget=forms.Textarea(attrs={"rows": 10}),
    )
    category = forms.ModelChoiceField(
        queryset=Category.objects.all(),
        empty_label="Choose a product area",
        widget=forms.Select(attrs={"data-validate": "question", "aria-describedby": "category-errors"}),
        error_messages={"invalid_choice": "Choose one of the listed product areas."},
    )
    tags = forms.CharField(
        required=False,
        max_length=1000,
        help_text=f"Comma separated, up to {services.MAX_TAGS}, e.g. “sync, ios”.",
        widget=forms.TextInput(attrs={"autocomplete": "off"}),
    )
    is_private = forms.BooleanField(
        required=False,
        label="This question contains private account details",
        help_text="Only you and our support staff will see it. We also make it private for you "
        "when we find card numbers, bank details or passwords in it.",
    )

    def __init__(self, *args, thread=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.thread = thread
        if thread is not None:
            # Moving a question between product areas is for staff in the admin.
            del self.fields["category"]
        if thread is not None and thread.is_private:
            # A private question never becomes public again: the box stays ticked.
            self.fields["is_private"].disabled = True
            self.fields["is_private"].initial = True
            self.fields["is_private"].help_text = "This question is private: only you and our support staff see it."

    def clean_tags(self) -> list[str]:
        return services.clean_tags(self.cleaned_data.get("tags", ""))

    def clean_title(self) -> str:
        return " ".join(self.cleaned_data["title"].split())

    def detected_private_data(self) -> list[str]:
        """The kinds of account data in the title and body (after is_valid(), so both are
        bounded by the fields' max_length)."""
        data = getattr(self, "cleaned_data", {})
        _title, _body, findings = services.mask_question(title=data.get("title", ""), body=data.get("body", ""))
        return privacy.kinds_of(findings)


class AnswerForm(forms.Form):
    body = forms.CharField(
        label="Your answer",
        min_length=services.ANSWER_MIN_LENGTH,
        max_length=services.BODY_MAX_LENGTH,
        help_text=BODY_HELP,
        widget=forms.Textarea(attrs={"rows": 7}),
    )


def errors_from(exc: ValidationError) -> list[str]:
    return list(exc.messages)


# --- Flags ----------------------------------------------------------------------------------


class FlagForm(forms.Form):
    reason = forms.ChoiceField(
        choices=Flag.Reason.choices,
        widget=forms.RadioSelect,
        error_messages={"required": "Choose why you are flagging this post.", "invalid_choice": "Choose one of the listed reasons."},
    )
    note = forms.CharField(
        required=False,
        max_length=1000,
        label="Note for staff (optional)",
        widget=forms.TextInput(attrs={"autocomplete": "off"}),
    )
