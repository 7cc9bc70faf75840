from __future__ import annotations

from django import forms

SCOPE_CHOICES = [
    ("read", "Read: questions, answers, members and kudos you can see"),
    ("write", "Write: ask questions and post answers as you"),
    ("staff", "Staff: work the ticket queue"),
]


class TokenForm(forms.Form):
    name = forms.CharField(max_length=80, help_text="What the token is for, e.g. “Home automation”.")
    scopes = forms.MultipleChoiceField(
        choices=SCOPE_CHOICES, widget=forms.CheckboxSelectMultiple, initial=["read"],
        error_messages={"required": "Choose at least one scope."},
    )

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        if not user.is_staff:
            self.fields["scopes"].choices = SCOPE_CHOICES[:2]

    def clean_name(self) -> str:
        name = " ".join(self.cleaned_data["name"].split())
        if not name:
            raise forms.ValidationError("Give the token a name.")
        return name
