"""Sign-up and profile forms."""

from __future__ import annotations

import uuid

from django import forms
from django.conf import settings
from django.contrib.auth.forms import PasswordResetForm, UserCreationForm

from outbox.tasks import send_password_reset

from .models import User
from .timezones import grouped_choices

# The browser's zone is preselected by static/js/timezone.js (CSP-clean, no inline script):
# "preselect" on sign-up; on the profile, where a zone is already saved, it only offers it.
TIMEZONE_HELP = "Every time on Mentoring is shown in this timezone."


def timezone_field(mode: str) -> forms.ChoiceField:
    return forms.ChoiceField(
        label="Timezone",
        choices=grouped_choices,
        help_text=TIMEZONE_HELP,
        widget=forms.Select(attrs={"data-browser-timezone": mode}),
    )


class SignupForm(UserCreationForm):
    role = forms.ChoiceField(
        label="I am a", choices=User.Role.choices, widget=forms.RadioSelect, initial="student"
    )
    timezone = timezone_field("preselect")

    class Meta:
        model = User
        fields = ["username", "first_name", "last_name", "email", "role", "field", "timezone"]
        labels = {"field": "Field", "email": "Email"}
        help_texts = {"field": "Educators: the subject you teach, e.g. “Web Development”."}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["email"].required = True
        self.fields["first_name"].required = True
        self.fields["timezone"].initial = settings.TIME_ZONE
        if self.is_bound:  # a choice was sent: show it again, never overwrite it
            self.fields["timezone"].widget.attrs["data-browser-timezone"] = "offer"

    def validate_password_for_user(self, user, password_field_name="password1"):
        # "Too short"/"too common" is about the password typed first: show it there, not
        # under the confirmation (which keeps only "the two fields didn't match").
        super().validate_password_for_user(user, password_field_name=password_field_name)

    def clean(self):
        data = super().clean()
        if data.get("role") == User.Role.EDUCATOR and not (data.get("field") or "").strip():
            self.add_error("field", "Educators tell students which field they teach.")
        return data


class ProfileForm(forms.ModelForm):
    timezone = timezone_field("offer")

    class Meta:
        model = User
        fields = ["first_name", "last_name", "email", "field", "bio", "timezone"]
        labels = {"field": "Field", "bio": "About you", "email": "Email"}
        widgets = {"bio": forms.Textarea(attrs={"rows": 4})}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # A zone saved before the curated list (e.g. "US/Pacific") stays choosable.
        self.fields["timezone"].choices = grouped_choices(self.instance.timezone)
        # Students see their profile in their own words, not an educator's help text.
        if self.instance.is_student:
            self.fields["field"].help_text = "Optional: what you study, e.g. “Data Science”."
            self.fields["bio"].help_text = "Optional: a few words about you and your goals."
        else:
            self.fields["bio"].help_text = "Shown on your public page to students."


class QueuedPasswordResetForm(PasswordResetForm):
    """Django's reset form, answered without touching mail or even looking the address up:
    a task finds the accounts and sends the links, so an existing address and an unknown
    one take the same time however slow the mail server is."""

    def save(self, **kwargs) -> None:
        send_password_reset.enqueue(self.cleaned_data["email"], uuid.uuid4().hex)
