"""Forms for asking, answering and editing. They validate; community.services saves."""

from __future__ import annotations

from django import forms

from community import validators
from community.models import COMMENT_MAX_LENGTH, Category, Flag

BODY_HELP = "Markdown: **bold**, _italic_, `code`, ``` for code blocks, [links](https://…), - lists, > quotes."


class QuestionForm(forms.Form):
    title = forms.CharField(
        max_length=validators.TITLE_MAX_LENGTH,
        help_text="Say what is wrong in one sentence, e.g. “Calendar sync stops after the 4.2 update”.",
        widget=forms.TextInput(attrs={"autocomplete": "off", "minlength": validators.TITLE_MIN_LENGTH}),
    )
    body = forms.CharField(
        label="Details",
        max_length=validators.BODY_MAX_LENGTH,
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
        help_text=f"Comma separated, up to {validators.MAX_TAGS}, e.g. “sync, ios”.",
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
        return validators.clean_tags(self.cleaned_data.get("tags", ""))

    def clean_title(self) -> str:
        return validators.clean_title(self.cleaned_data["title"])

    def clean_body(self) -> str:
        return validators.clean_body(self.cleaned_data["body"])


class AnswerForm(forms.Form):
    body = forms.CharField(
        label="Your answer",
        max_length=validators.BODY_MAX_LENGTH,
        help_text=BODY_HELP,
        widget=forms.Textarea(attrs={"rows": 7, "minlength": validators.ANSWER_MIN_LENGTH}),
    )

    def clean_body(self) -> str:
        return validators.clean_answer_body(self.cleaned_data["body"])

class CommentForm(forms.Form):
    body = forms.CharField(
        label="Comment",
        max_length=COMMENT_MAX_LENGTH,
        help_text=f"Up to {COMMENT_MAX_LENGTH} characters: **bold**, _italic_, `code`, [links](https://…), @username.",
        widget=forms.Textarea(attrs={"rows": 2}),
        error_messages={
            "required": "Write your comment first.",
            "max_length": f"Keep comments under {COMMENT_MAX_LENGTH} characters. For a longer reply, post an answer.",
        },
    )



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


class RetagForm(forms.Form):
    tags = forms.CharField(
        label="Tags",
        max_length=200,
        required=False,
        help_text="Up to 5, separated by commas: letters, digits, dashes, dots, + and #.",
    )
