"""The report's filter: a period and a category, read from the query string."""

from __future__ import annotations

from django import forms
from django.utils import timezone

from community.models import Category
from reports.selectors import Period

PERIOD_CHOICES = [("7", "Last 7 days"), ("30", "Last 30 days"), ("90", "Last 90 days"), ("custom", "From … to …")]
DEFAULT_PERIOD = "30"
MAX_DAYS = 366 * 2


class ReportForm(forms.Form):
    period = forms.ChoiceField(choices=PERIOD_CHOICES, required=False, widget=forms.RadioSelect)
    date_from = forms.DateField(
        required=False, label="From", widget=forms.DateInput(attrs={"type": "date"}),
        error_messages={"invalid": "Enter the start date as YYYY-MM-DD."},
    )
    date_to = forms.DateField(
        required=False, label="To", widget=forms.DateInput(attrs={"type": "date"}),
        error_messages={"invalid": "Enter the end date as YYYY-MM-DD."},
    )
    category = forms.ModelChoiceField(
        queryset=Category.objects.order_by("position", "name"), required=False, empty_label="All categories",
        error_messages={"invalid_choice": "That category doesn't exist any more; pick one from the list."},
    )

    def __init__(self, data=None, *args, **kwargs):
        data = data.copy() if data is not None else {}
        if not data.get("period"):
            data["period"] = "custom" if (data.get("date_from") or data.get("date_to")) else DEFAULT_PERIOD
        super().__init__(data, *args, **kwargs)

    def clean(self):
        cleaned = super().clean()
        if self.errors:
            return cleaned
        today = timezone.localdate()
        if cleaned.get("period") != "custom":
            cleaned["range"] = Period.last(int(cleaned.get("period") or DEFAULT_PERIOD), today=today)
            return cleaned
        first, last = cleaned.get("date_from"), cleaned.get("date_to")
        if first is None or last is None:
            raise forms.ValidationError("Choose both a start and an end date, or pick one of the fixed periods.")
        if first > last:
            raise forms.ValidationError("The start date is after the end date.")
        if first > today:
            raise forms.ValidationError("The start date is in the future: there is nothing to report yet.")
        if (last - first).days + 1 > MAX_DAYS:
            raise forms.ValidationError(f"Choose at most {MAX_DAYS} days.")
        cleaned["range"] = Period(first, min(last, today))
        return cleaned

    def query(self) -> dict:
        """The chosen filter as query-string values (for the CSV link)."""
        data = {"period": self.cleaned_data["period"]}
        if data["period"] == "custom":
            data["date_from"] = self.cleaned_data["date_from"].isoformat()
            data["date_to"] = self.cleaned_data["date_to"].isoformat()
        if self.cleaned_data.get("category"):
            data["category"] = self.cleaned_data["category"].pk
        return data
