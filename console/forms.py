"""Forms for /manage/: they validate and say what is wrong in plain words; the services save.
Free text (reasons, channel texts) is bounded in length before anything looks at it and goes
through community.privacy, so account data never reaches the audit log or a member's ledger."""

from __future__ import annotations

import uuid

from django import forms

from community import privacy
from community.services import FLAG_THRESHOLD_MAX
from console.models import AuditEntry
from kudos.ranks import contrast_ratio, is_hex_colour, BADGE_BACKGROUND, MIN_CONTRAST
from kudos.services import AWARD_LIMIT

REASON_MAX = 300
THRESHOLD_MAX = 10_000_000
RULE_POINTS_MAX = 1000


class MaskingForm(forms.Form):
    """A form whose free text is masked by community.privacy before anything stores it;
    ``masked`` holds what to tell the writer (privacy.explain) once the change is saved."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.masked: list[str] = []

    def mask(self, text: str, *, where: str) -> str:
        """``text`` (already bounded by the field's max_length) with account data masked."""
        result = privacy.mask_account_data(text, max_chars=privacy.MAX_SCAN_CHARS)
        if result.changed:
            self.masked.append(privacy.explain(result.findings, where=where))
        return result.text


def _limit(label: str, help_text: str = "Empty: no limit.") -> forms.IntegerField:
    return forms.IntegerField(label=label, min_value=0, max_value=100_000, required=False, help_text=help_text)


class RankForm(MaskingForm):
    name = forms.CharField(max_length=40)
    min_points = forms.IntegerField(
        label="Points needed", min_value=0, max_value=THRESHOLD_MAX,
        error_messages={"min_value": "A threshold can't be below 0 points.",
                        "required": "Say how many points this rank needs."},
    )
    colour = forms.CharField(
        label="Badge colour", max_length=7, widget=forms.TextInput(attrs={"type": "color"}),
        help_text="Text colour of the badge; it must be readable on white.",
    )
    description = forms.CharField(max_length=200, required=False, help_text="Shown when a member points at the badge.")
    questions_per_day = _limit("Questions per day")
    answers_per_day = _limit("Answers per day")
    links_per_day = _limit("Links per day")
    seconds_between_posts = forms.IntegerField(label="Seconds between posts", min_value=0, max_value=86_400, initial=0)
    flag_weight = forms.IntegerField(label="Flag weight", min_value=1, max_value=10, initial=1,
                                     help_text="How much one flag from this rank counts.")
    can_retag = forms.BooleanField(label="May retag others' questions", required=False)

    def clean_name(self) -> str:
        return self.mask(" ".join(self.cleaned_data["name"].split()), where="rank name")

    def clean_description(self) -> str:
        return self.mask(self.cleaned_data["description"].strip(), where="rank description")

    def clean_colour(self) -> str:
        colour = self.cleaned_data["colour"].strip()
        if not is_hex_colour(colour):
            raise forms.ValidationError("Pick a colour written as #rrggbb, for example #1f5fbf.")
        ratio = contrast_ratio(colour, BADGE_BACKGROUND)
        if ratio < MIN_CONTRAST:
            raise forms.ValidationError(
                f"This colour is too light to read on white ({ratio:.1f}:1; 4.5:1 is needed). Pick a darker one."
            )
        return colour.lower()


class ThresholdPreviewForm(forms.Form):
    name = forms.CharField(max_length=40, required=False)
    min_points = forms.IntegerField(min_value=0, max_value=THRESHOLD_MAX)


def point_rules_form(rules, data=None):
    """One number per automatic action, named by the action."""
    fields = {
        rule.action: forms.IntegerField(
            label=rule.get_action_display(), min_value=-RULE_POINTS_MAX, max_value=RULE_POINTS_MAX,
            initial=rule.points, help_text=rule.description,
            error_messages={"required": "Give a number of points (0 turns the rule off)."},
        )
        for rule in rules
    }
    form_class = type("PointRulesForm", (forms.Form,), fields)
    return form_class(data)


class RecomputeForm(forms.Form):
    confirm = forms.BooleanField(
        label="I understand: every member's past points are recomputed with today's rules, through the ledger.",
        error_messages={"required": "Tick the box to confirm the recompute."},
    )
    key = forms.CharField(widget=forms.HiddenInput, max_length=64, initial=lambda: uuid.uuid4().hex)


UNITS = [("minutes", "minutes"), ("hours", "hours"), ("days", "days")]
UNIT_MINUTES = {"minutes": 1, "hours": 60, "days": 24 * 60}
MAX_MINUTES = 365 * 24 * 60
DURATIONS = {
    "answer_within_minutes": "Community window for a first answer",
    "solve_within_minutes": "Community window for a solution",
    "staff_response_minutes": "Staff reply target",
}


def split_minutes(minutes: int) -> tuple[int, str]:
    for unit in ("days", "hours"):
        if minutes % UNIT_MINUTES[unit] == 0:
            return minutes // UNIT_MINUTES[unit], unit
    return minutes, "minutes"


class PolicyForm(forms.Form):
    """Durations typed as a number and a unit (3 days, 4 hours) and stored as minutes."""

    answer_within = forms.IntegerField(label=DURATIONS["answer_within_minutes"], min_value=1, max_value=525_600)
    answer_within_unit = forms.ChoiceField(choices=UNITS, label="Unit")
    solve_within = forms.IntegerField(label=DURATIONS["solve_within_minutes"], min_value=1, max_value=525_600)
    solve_within_unit = forms.ChoiceField(choices=UNITS, label="Unit")
    staff_response = forms.IntegerField(label=DURATIONS["staff_response_minutes"], min_value=1, max_value=525_600)
    staff_response_unit = forms.ChoiceField(choices=UNITS, label="Unit")

    @classmethod
    def for_policy(cls, policy, data=None):
        initial = {}
        for name in ("answer_within", "solve_within", "staff_response"):
            value, unit = split_minutes(getattr(policy, f"{name}_minutes"))
            initial[name], initial[f"{name}_unit"] = value, unit
        return cls(data, initial=initial)

    def clean(self):
        data = super().clean()
        minutes = {}
        for name in ("answer_within", "solve_within", "staff_response"):
            value, unit = data.get(name), data.get(f"{name}_unit")
            if value is None or unit is None:
                continue
            total = value * UNIT_MINUTES[unit]
            if total > MAX_MINUTES:
                self.add_error(name, "Keep it to a year at most.")
                continue
            minutes[f"{name}_minutes"] = total
        if len(minutes) == 3 and minutes["solve_within_minutes"] < minutes["answer_within_minutes"]:
            self.add_error(
                "solve_within",
                "The solution window can't end before the first-answer window: make it at least as long.",
            )
        data["minutes"] = minutes
        return data


class ChannelForm(MaskingForm):
    name = forms.CharField(max_length=80)
    instructions = forms.CharField(
        max_length=2000, widget=forms.Textarea(attrs={"rows": 4}),
        help_text="Plain text emailed to the customer when staff send them to this channel.",
    )
    link = forms.URLField(required=False, assume_scheme="https", max_length=200, help_text="Optional; https:// only.")
    is_active = forms.BooleanField(label="Staff can choose it", required=False, initial=True)
    position = forms.IntegerField(min_value=0, max_value=10_000, initial=0, help_text="Lower comes first.")

    def clean_name(self) -> str:
        return self.mask(" ".join(self.cleaned_data["name"].split()), where="channel name")

    def clean_instructions(self) -> str:
        return self.mask(self.cleaned_data["instructions"].strip(), where="channel instructions")

    def clean_link(self) -> str:
        link = self.cleaned_data["link"]
        if link and not link.lower().startswith("https://"):
            raise forms.ValidationError("Use an https:// address.")
        return link


class FlagThresholdForm(forms.Form):
    flag_threshold = forms.IntegerField(
        label="Flags that hide a post", min_value=1, max_value=FLAG_THRESHOLD_MAX,
        help_text="Weighted: a member's flag counts as much as their rank's flag weight.",
    )


class ReasonField(forms.CharField):
    def __init__(self, **kwargs):
        kwargs.setdefault("max_length", REASON_MAX)
        kwargs.setdefault("widget", forms.Textarea(attrs={"rows": 2}))
        super().__init__(**kwargs)


class ReasonForm(MaskingForm):
    """Masks its ``reason`` (kept in the audit log, and in the ledger the member sees)."""

    def clean_reason(self) -> str:
        return self.mask((self.cleaned_data.get("reason") or "").strip(), where="reason")


class AwardForm(ReasonForm):
    points = forms.IntegerField(
        min_value=-AWARD_LIMIT, max_value=AWARD_LIMIT, help_text="A negative number takes points away.",
    )
    reason = ReasonField(help_text="The member sees it with the points on their profile.")
    key = forms.CharField(widget=forms.HiddenInput, max_length=64, initial=lambda: uuid.uuid4().hex)

    def clean_points(self) -> int:
        if self.cleaned_data["points"] == 0:
            raise forms.ValidationError("Award a number of points other than zero.")
        return self.cleaned_data["points"]


class ReverseForm(ReasonForm):
    reason = ReasonField(help_text="Shown in the member's ledger and the audit log.")


class SuspendForm(ReasonForm):
    reason = ReasonField(label="Reason for suspending", help_text="Kept in the audit log; the member is signed out and can't sign in.")


class ReinstateForm(ReasonForm):
    reason = ReasonField(label="Reason for reinstating", required=False)


class RoleForm(ReasonForm):
    role = forms.ChoiceField(choices=[("manager", "Community manager"), ("staff", "Support staff")])
    grant = forms.TypedChoiceField(choices=[("1", "Give"), ("0", "Remove")], coerce=lambda v: v == "1")
    reason = ReasonField(required=False)


class SearchForm(forms.Form):
    q = forms.CharField(max_length=100, required=False, label="Search members")


class AuditFilterForm(forms.Form):
    area = forms.ChoiceField(choices=[("", "All areas"), *AuditEntry.Area.choices], required=False)
    q = forms.CharField(max_length=100, required=False, label="Search")
