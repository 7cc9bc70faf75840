from __future__ import annotations

from django import forms

from accounts import hooks, services


class SignupForm(forms.Form):
    """Extra sign-up fields; allauth calls signup() once it has created the user."""

    display_name = forms.CharField(
        label="Display name",
        max_length=60,
        required=False,
        help_text="How other members see you. You can change it later.",
    )

    def signup(self, request, user) -> None:
        user = services.update_profile(user=user, display_name=self.cleaned_data.get("display_name", ""))
        if user.masked_findings:
            from django.contrib import messages

            messages.warning(request, hooks.explain(user.masked_findings, where="display name"))


class ProfileForm(forms.Form):
    display_name = forms.CharField(label="Display name", max_length=60, required=False)

    def clean_display_name(self) -> str:
        return " ".join(self.cleaned_data["display_name"].split())
