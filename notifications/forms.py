from __future__ import annotations

from django import forms

from notifications.models import Kind


class PreferencesForm(forms.Form):
    """Two checkboxes per kind the member can receive: ``<kind>-on_site`` and ``<kind>-email``."""

    def __init__(self, *args, kinds: list[str], **kwargs):
        super().__init__(*args, **kwargs)
        self.kinds = kinds
        labels = dict(Kind.choices)
        for kind in kinds:
            self.fields[f"{kind}-on_site"] = forms.BooleanField(required=False, label=f"{labels[kind]}: on the site")
            self.fields[f"{kind}-email"] = forms.BooleanField(required=False, label=f"{labels[kind]}: by email")

    @classmethod
    def initial_from(cls, prefs: dict[str, tuple[bool, bool]]) -> dict:
        initial = {}
        for kind, (on_site, email) in prefs.items():
            initial[f"{kind}-on_site"] = on_site
            initial[f"{kind}-email"] = email
        return initial

    def rows(self):
        labels = dict(Kind.choices)
        return [
            {"kind": kind, "label": labels[kind], "on_site": self[f"{kind}-on_site"], "email": self[f"{kind}-email"]}
            for kind in self.kinds
        ]

    def choices(self) -> dict[str, tuple[bool, bool]]:
        return {
            kind: (self.cleaned_data[f"{kind}-on_site"], self.cleaned_data[f"{kind}-email"]) for kind in self.kinds
        }
