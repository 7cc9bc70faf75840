from __future__ import annotations

from django import forms

from accounts import hooks, services
from accounts.names import NAME_MAX_LENGTH, clean_display_name
from accounts.selectors import name_taken_by_lookalike

LOOKALIKE_MESSAGE = "This name looks too much like another member's name. Please choose another."


def _clean_display_name(value: str, *, user_id: int | None) -> str:
    """Invisible and direction-changing characters go; a name that looks like another
    member's (or staff's) username or display name is refused."""
    name = clean_display_name(value)
    if name and name_taken_by_lookalike(name, exclude_user_id=user_id):
        raise forms.ValidationError(LOOKALIKE_MESSAGE)
    return name


class SignupForm(forms.Form):
    """Extra sign-up fields; allauth calls signup() once it has created the user."""

    display_name = forms.CharField(
        label="Display name",
        max_length=NAME_MAX_LENGTH,
        required=False,
        help_text="How other members see you. You can change it later.",
    )

    def clean_display_name(self) -> str:
        return _clean_display_name(self.cleaned_data.get("display_name", ""), user_id=None)

    def signup(self, request, user) -> None:
        from django.contrib import messages
        from django.core.exceptions import ValidationError

        try:
            user = services.update_profile(user=user, display_name=self.cleaned_data.get("display_name", ""))
        except ValidationError:
            return  # taken in the moment since the form was checked: the username stands in
        if user.masked_findings:
            messages.warning(request, hooks.explain(user.masked_findings, where="display name"))


class ProfileForm(forms.Form):
    display_name = forms.CharField(label="Display name", max_length=NAME_MAX_LENGTH, required=False)
    time_zone = forms.ChoiceField(
        label="Time zone",
        required=False,
        help_text="Times on the site are shown in this zone.",
    )

    def __init__(self, *args, user=None, **kwargs):
        from accounts import timezones

        super().__init__(*args, **kwargs)
        self.user = user
        self.fields["time_zone"].choices = [("", "Same as my browser")] + timezones.choices()

    def clean_display_name(self) -> str:
        return _clean_display_name(
            self.cleaned_data["display_name"], user_id=getattr(self.user, "pk", None)
        )
