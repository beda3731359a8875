"""Forms of the keys page."""

from datetime import UTC, datetime, time, timedelta

from django import forms
from django.utils import timezone

GRACE_CHOICES = [
    ("0", "Now: the old key stops at once"),
    ("3600", "In 1 hour"),
    ("86400", "In 24 hours"),
    ("604800", "In 7 days"),
]


class KeyCreateForm(forms.Form):
    name = forms.CharField(
        max_length=100, widget=forms.TextInput(attrs={"placeholder": "e.g. production server"})
    )
    expires_on = forms.DateField(
        required=False,
        label="Expires on (optional)",
        help_text="It stops at the end of this day (UTC).",
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    rpm_limit = forms.IntegerField(
        required=False,
        min_value=1,
        max_value=100000,
        label="Requests/min (optional)",
        help_text="Empty: your plan's limit.",
    )
    spend_cap = forms.IntegerField(
        required=False,
        min_value=1,
        max_value=10**12,
        label="Spend cap (optional)",
        help_text="Most credits the key may ever spend.",
    )

    def clean_expires_on(self):
        day = self.cleaned_data["expires_on"]
        if day is not None and day < timezone.now().date():
            raise forms.ValidationError("The expiry date is in the past.")
        return day

    @property
    def expires_at(self):
        day = self.cleaned_data.get("expires_on")
        if day is None:
            return None
        return datetime.combine(day + timedelta(days=1), time.min, tzinfo=UTC)


class KeyRotateForm(forms.Form):
    grace = forms.TypedChoiceField(
        choices=GRACE_CHOICES,
        coerce=lambda seconds: timedelta(seconds=int(seconds)),
        initial="3600",
        label="The old key stops working",
        widget=forms.RadioSelect,
    )
