"""Forms of the experts tier. They bound and validate input; the services decide and write
(and run the account-data scanner on free text)."""

from __future__ import annotations

from django import forms
from django.utils import timezone

from community.models import Category
from experts.models import ServiceArea, Service, Session


class ApplyForm(forms.Form):
    categories = forms.ModelMultipleChoiceField(
        queryset=Category.objects.filter(expert_programme__is_enabled=True),
        widget=forms.CheckboxSelectMultiple,
        help_text="The product areas you know well. Staff approve each one separately.",
    )
    motivation = forms.CharField(
        max_length=2000, widget=forms.Textarea(attrs={"rows": 5}),
        help_text="Why you would like to help as an expert, and what you know (up to 2,000 characters).",
    )
    availability = forms.CharField(
        max_length=300, help_text="When you can usually help, e.g. “weekday evenings, Saturday mornings”.",
    )
    service_areas = forms.ModelMultipleChoiceField(
        queryset=ServiceArea.objects.all(), required=False, widget=forms.CheckboxSelectMultiple,
        label="Areas you can reach in person", help_text="Leave empty if you only help remotely.",
    )


class ReasonForm(forms.Form):
    reason = forms.CharField(max_length=300, help_text="Told to the member.")


class ReferenceForm(forms.Form):
    reference = forms.CharField(max_length=100, required=False, help_text="Payroll or bank reference (optional).")


class ReviewForm(forms.Form):
    # approve / reject: a probation review; pay: approve an answer the asker never accepted.
    decision = forms.ChoiceField(choices=[("approve", "Approve"), ("reject", "Reject"), ("pay", "Approve the fee")])
    reason = forms.CharField(max_length=300, required=False)

    def clean(self):
        data = super().clean()
        if data.get("decision") == "reject" and not (data.get("reason") or "").strip():
            self.add_error("reason", "Say why the answer is not paid.")
        return data


class RatingForm(forms.Form):
    rating = forms.TypedChoiceField(
        coerce=int, choices=[(n, f"{n} / 5") for n in range(5, 0, -1)], widget=forms.RadioSelect,
        label="How helpful was it?",
    )


class SignOffForm(RatingForm):
    comment = forms.CharField(max_length=500, required=False, widget=forms.Textarea(attrs={"rows": 3}))


class DisputeForm(forms.Form):
    reason = forms.CharField(
        max_length=2000, widget=forms.Textarea(attrs={"rows": 4}),
        help_text="What went wrong. Our support team will look into it; only you and staff see this.",
    )


class ServiceChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Service) -> str:
        return f"{obj.name} — {obj.price} {obj.currency}, {obj.get_mode_display().lower()}, {obj.duration_minutes} min"


class SessionRequestForm(forms.Form):
    service = ServiceChoiceField(queryset=Service.objects.filter(is_active=True), empty_label="Choose a service")
    mode = forms.ChoiceField(choices=Session.Mode.choices, widget=forms.RadioSelect, label="Where")
    service_area = forms.ModelChoiceField(
        queryset=ServiceArea.objects.all(), required=False, empty_label="Choose an area",
        label="Area", help_text="In person only.",
    )
    address = forms.CharField(
        max_length=300, required=False,
        help_text="In person only. Only the expert who accepts your request, and our staff, see it.",
    )
    preferred_times = forms.CharField(max_length=300, help_text="E.g. “Tuesday or Thursday after 6 pm”.")
    details = forms.CharField(
        max_length=2000, required=False, widget=forms.Textarea(attrs={"rows": 4}),
        help_text="What you need help with. Never include passwords or card numbers.",
    )
    thread = forms.IntegerField(required=False, widget=forms.HiddenInput)


class AcceptSessionForm(forms.Form):
    proposed_start = forms.DateTimeField(
        label="Proposed start", widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M"],
    )
    meeting_link = forms.CharField(
        max_length=300, required=False, label="Meeting link",
        help_text="Remote sessions: the https:// link the customer joins.",
    )

    def clean_proposed_start(self):
        value = self.cleaned_data["proposed_start"]
        if value <= timezone.now():
            raise forms.ValidationError("Propose a time in the future.")
        return value
