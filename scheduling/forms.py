"""Input validation for the pages. Forms check shapes; the services decide the rules."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

from django import forms
from django.utils import timezone

from . import errors, selectors, services
from .errors import BookingError
from .models import (
    FEEDBACK_COMMENT_MAX_LENGTH,
    ITEM_MAX_LENGTH,
    MAX_CAPACITY,
    MESSAGE_MAX_LENGTH,
    MIN_CAPACITY,
    NOTE_MAX_LENGTH,
    POLICY_LIMITS,
    Course,
    Slot,
)


class ServiceErrorMixin:
    """Show a service's refusal next to the input it is about."""

    error_fields: dict[str, str] = {}

    def add_service_error(self, error: BookingError) -> None:
        field = self.error_fields.get(error.field or "")
        self.add_error(field if field in self.fields else None, error.message)


def local_time_missing(day: date, at: time) -> str:
    """A message when `at` on `day` does not exist in the viewer's zone (the hour the
    clocks skip when summer time starts), else "". Read silently, 02:30 on such a day would
    become 03:30; an hour that happens twice (autumn) is read as its first occurrence."""
    tz = timezone.get_current_timezone()
    wall = datetime.combine(day, at)
    if wall.replace(tzinfo=tz).astimezone(UTC).astimezone(tz).replace(tzinfo=None) == wall:
        return ""
    return errors.LOCAL_TIME_MISSING.format(time=f"{at:%H:%M}", day=f"{day:%d %b %Y}", zone=tz)


# --- student forms


class SlotChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, slot: Slot) -> str:
        start = timezone.localtime(slot.starts_at)
        seats = f"{slot.seats_left} seat{'s' if slot.seats_left != 1 else ''} left"
        return f"{start:%a %d %b, %H:%M} {start.tzname()} ({slot.duration_minutes} min, {seats})"


class BookingSlotField(forms.Field):
    """The slot a booking form sends: one of a course's (`course_id`) or an educator's
    (`educator_id`) slots, as the form's `within` says. Only what the booking service needs
    before it locks the slot is read (`selectors.slot_to_book`: id, educator, course; the
    service reads the rest under the lock). Not rendered: the week's cards are the
    choices."""

    default_error_messages = {"invalid_choice": "Select a valid choice."}

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.within: dict[str, int] = {}

    def to_python(self, value) -> Slot | None:
        if value in self.empty_values:
            return None
        try:
            pk = int(str(value).strip())
        except ValueError:
            pk = None
        slot = None if pk is None else selectors.slot_to_book(pk, **self.within)
        if slot is None:
            raise forms.ValidationError(
                self.error_messages["invalid_choice"], code="invalid_choice"
            )
        return slot


class BookingRequestForm(ServiceErrorMixin, forms.Form):
    slot = BookingSlotField(
        label="Choose a time",
        error_messages={
            "required": "Choose a time.",
            "invalid_choice": "That time is no longer available; pick another.",
        },
    )
    message = forms.CharField(
        label="Message",
        required=False,
        max_length=MESSAGE_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 4, "placeholder": "What would you like to work on?"}),
        help_text="Optional, up to 1000 characters.",
    )
    error_fields = {"message": "message"}

    def __init__(self, *args, within: dict[str, int], **kwargs):
        """`within`: {"course_id": ...} or {"educator_id": ...}, whose slots may be chosen."""
        super().__init__(*args, **kwargs)
        self.fields["slot"].within = within


class ReasonForm(forms.Form):
    reason = forms.CharField(
        label="Reason (optional)",
        required=False,
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 2}),
    )


# --- educator forms


def time_text_input() -> forms.TimeInput:
    """A 24-hour "HH:MM" box: the browser's own time picker follows the visitor's locale
    (12-hour in en-US), while the app speaks 24-hour everywhere. The datalist on the slot
    form offers quarter hours."""
    return forms.TimeInput(
        format="%H:%M",
        attrs={
            "inputmode": "numeric",
            "pattern": "([01][0-9]|2[0-3]):[0-5][0-9]",
            "placeholder": "HH:MM",
            "autocomplete": "off",
            "list": "quarter-hours",
        },
    )


# What cannot change while students hold seats, and why (shown beside each input).
SEAT_LOCKED_FIELDS = {
    "course": errors.COURSE_LOCKED,
    "date": errors.TIME_LOCKED,
    "start_time": errors.TIME_LOCKED,
    "duration": errors.TIME_LOCKED,
    "end_time": errors.TIME_LOCKED,
}


class SlotForm(ServiceErrorMixin, forms.Form):
    """Date and time are read in the educator's own timezone."""

    course = forms.ModelChoiceField(
        queryset=Course.objects.none(),
        required=False,
        label="Course",
        empty_label="No course: any student may book",
    )
    date = forms.DateField(label="Date", widget=forms.DateInput(attrs={"type": "date"}))
    start_time = forms.TimeField(
        label="Start time",
        widget=time_text_input(),
        input_formats=["%H:%M", "%H:%M:%S"],
        help_text="24-hour clock, e.g. 14:30.",
    )
    duration = forms.IntegerField(
        label="Duration (minutes)", initial=60, min_value=5, max_value=24 * 60, required=False
    )
    end_time = forms.TimeField(
        label="End time",
        required=False,
        widget=time_text_input(),
        input_formats=["%H:%M", "%H:%M:%S"],
        help_text="Optional: give an end time instead of a duration; it wins when both are set.",
    )
    capacity = forms.IntegerField(
        label="Capacity",
        initial=1,
        min_value=MIN_CAPACITY,
        max_value=MAX_CAPACITY,
        help_text="How many students can join this session (1–50).",
    )
    requires_approval = forms.BooleanField(
        label="Requires approval",
        required=False,
        initial=True,
        help_text="Off: requests are approved at once with the meeting link below.",
    )
    meeting_link = forms.CharField(
        label="Meeting link",
        required=False,
        max_length=500,
        widget=forms.URLInput(attrs={"placeholder": "https://meet.example.com/your-room"}),
        help_text="Default link for approved students; you can change it per request.",
    )
    note = forms.CharField(label="Note", required=False, widget=forms.Textarea(attrs={"rows": 3}))
    error_fields = {
        "starts_at": "start_time",
        "ends_at": "duration",
        "duration": "duration",
        "capacity": "capacity",
        "course": "course",
        "meeting_link": "meeting_link",
    }

    def __init__(self, *args, educator, slot: Slot | None = None, **kwargs):
        if slot is not None and "initial" not in kwargs:
            start = timezone.localtime(slot.starts_at)
            kwargs["initial"] = {
                "course": slot.course_id,
                "date": start.date(),
                "start_time": start.time().replace(second=0, microsecond=0),
                "duration": slot.duration_minutes,
                "capacity": slot.capacity,
                "requires_approval": slot.requires_approval,
                "meeting_link": slot.meeting_link,
                "note": slot.note,
            }
        super().__init__(*args, **kwargs)
        self.fields["course"].queryset = Course.objects.filter(educator=educator).order_by("title")
        self.seat_locked = bool(slot is not None and slot.seats_taken)
        if self.seat_locked:
            # Read-only in the form, with the reason beside each input, instead of a
            # refusal after Save.
            for name, reason in SEAT_LOCKED_FIELDS.items():
                self.fields[name].disabled = True
                self.fields[name].help_text = (
                    "Fixed while students hold seats: cancel their requests or ask them first."
                    if name != "course"
                    else reason
                )

    def clean(self):
        data = super().clean()
        if self.seat_locked:
            self._refuse_locked_changes()
        if data.get("duration") is None and not data.get("end_time") and "duration" in data:
            self.add_error("duration", "Give a duration or an end time.")
        # The service refuses such dates too; stopping here keeps the arithmetic in
        # service_kwargs from overflowing on the last day a datetime can hold.
        if data.get("date") and data["date"].year >= services.LATEST.year:
            self.add_error("date", errors.TOO_FAR_AHEAD)
        for name in ("start_time", "end_time"):
            if data.get("date") and data.get(name):
                missing = local_time_missing(data["date"], data[name])
                if missing:
                    self.add_error(name, missing)
        return data

    def _refuse_locked_changes(self) -> None:
        """A read-only input ignores what is posted for it; a post that tries to change
        one anyway (an old page, a script) is told why rather than quietly ignored."""
        for name, reason in SEAT_LOCKED_FIELDS.items():
            raw = self.data.get(self.add_prefix(name))
            if raw in (None, ""):
                continue
            try:
                posted = self.fields[name].to_python(raw)
            except forms.ValidationError:
                posted = raw
            initial = self.get_initial_for_field(self.fields[name], name)
            if getattr(posted, "pk", posted) != getattr(initial, "pk", initial):
                self.add_error(None, reason)
                return

    def add_service_error(self, error: BookingError) -> None:
        # An end-time refusal belongs next to whichever input set the end.
        if error.field == "ends_at" and self.cleaned_data.get("end_time"):
            self.add_error("end_time", error.message)
        else:
            super().add_service_error(error)

    def service_kwargs(self) -> dict:
        data = self.cleaned_data
        tz = timezone.get_current_timezone()
        starts_at = timezone.make_aware(datetime.combine(data["date"], data["start_time"]), tz)
        if data.get("end_time"):
            ends_at = timezone.make_aware(datetime.combine(data["date"], data["end_time"]), tz)
        else:
            ends_at = starts_at + timedelta(minutes=data["duration"])
        return {
            "course": data["course"],
            "starts_at": starts_at,
            "ends_at": ends_at,
            "capacity": data["capacity"],
            "requires_approval": data["requires_approval"],
            "meeting_link": data["meeting_link"],
            "note": data["note"],
        }


class ApproveForm(ServiceErrorMixin, forms.Form):
    meeting_link = forms.CharField(
        label="Meeting link",
        required=False,
        max_length=500,
        widget=forms.URLInput(attrs={"placeholder": "https://meet.example.com/room"}),
    )
    error_fields = {"meeting_link": "meeting_link"}


class RejectForm(ServiceErrorMixin, forms.Form):
    reason = forms.CharField(
        label="Reason",
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 2}),
        error_messages={"required": "Give a reason for rejecting the request."},
    )
    error_fields = {"reason": "reason"}


class CourseForm(ServiceErrorMixin, forms.ModelForm):
    class Meta:
        model = Course
        fields = ["title", "description", "field", "is_published"]
        labels = {"is_published": "Published", "field": "Field"}
        help_texts = {"is_published": "Students see published courses in the catalog."}
        widgets = {"description": forms.Textarea(attrs={"rows": 4})}

    error_fields = {"title": "title"}


# --- booking policies, reschedule, weekly hours


class PolicyForm(ServiceErrorMixin, forms.Form):
    """The policy values as whole numbers; their ranges are the service's to judge."""

    min_notice_hours = forms.IntegerField(label="Minimum notice (hours)")
    horizon_days = forms.IntegerField(label="Booking horizon (days, 0: no limit)")
    buffer_minutes = forms.IntegerField(label="Buffer between sessions (minutes)")
    daily_max = forms.IntegerField(label="Daily maximum of sessions (0: no maximum)")
    cancel_notice_hours = forms.IntegerField(label="Cancellation notice (hours)")

    error_fields = {name: name for name in POLICY_LIMITS}

    def __init__(self, *args, policy, **kwargs):
        kwargs.setdefault("initial", {name: getattr(policy, name) for name in POLICY_LIMITS})
        super().__init__(*args, **kwargs)
        for name in POLICY_LIMITS:
            self.fields[name].help_text = policy._meta.get_field(name).help_text


class RescheduleForm(ServiceErrorMixin, forms.Form):
    slot = SlotChoiceField(
        queryset=Slot.objects.none(),
        widget=forms.RadioSelect,
        label="Move to",
        empty_label=None,
        error_messages={
            "required": "Choose the new time.",
            "invalid_choice": "That time is no longer available; pick another.",
        },
    )

    def __init__(self, *args, slots, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["slot"].queryset = slots


WEEKDAY_CHOICES = [
    ("1", "Mon"),
    ("2", "Tue"),
    ("3", "Wed"),
    ("4", "Thu"),
    ("5", "Fri"),
    ("6", "Sat"),
    ("7", "Sun"),
]


class WeeklyPatternForm(ServiceErrorMixin, forms.Form):
    weekdays = forms.MultipleChoiceField(
        choices=WEEKDAY_CHOICES,
        widget=forms.CheckboxSelectMultiple,
        error_messages={"required": errors.PATTERN_NO_DAYS},
    )
    start_time = forms.TimeField(label="From", widget=forms.TimeInput(attrs={"type": "time"}))
    end_time = forms.TimeField(label="Until", widget=forms.TimeInput(attrs={"type": "time"}))
    session_minutes = forms.IntegerField(label="Session length (minutes)", initial=60)
    capacity = forms.IntegerField(initial=1, min_value=MIN_CAPACITY, max_value=MAX_CAPACITY)
    course = forms.ModelChoiceField(
        queryset=Course.objects.none(), required=False, empty_label="No course (mentoring)"
    )
    requires_approval = forms.BooleanField(required=False, initial=True)
    meeting_link = forms.URLField(required=False, max_length=500)
    note = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 2}))
    horizon_weeks = forms.IntegerField(
        label="Publish ahead (weeks)", initial=4, min_value=1, max_value=12
    )

    error_fields = {
        name: name
        for name in (
            "weekdays",
            "end_time",
            "session_minutes",
            "capacity",
            "course",
            "meeting_link",
            "horizon_weeks",
        )
    }

    def __init__(self, *args, educator, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["course"].queryset = Course.objects.filter(educator=educator)


# --- a session's notes and action items (views/sessions.py)


class SessionNoteForm(ServiceErrorMixin, forms.Form):
    error_fields = {"text": "text"}
    note = forms.IntegerField(required=False, widget=forms.HiddenInput)  # set: an edit
    text = forms.CharField(
        label="Note",
        max_length=NOTE_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 3}),
        error_messages={"required": errors.NOTE_EMPTY, "max_length": errors.NOTE_TOO_LONG},
    )


class ActionItemForm(ServiceErrorMixin, forms.Form):
    error_fields = {"text": "text", "owner": "owner"}
    text = forms.CharField(
        label="Action item",
        max_length=ITEM_MAX_LENGTH,
        error_messages={"required": errors.ITEM_EMPTY, "max_length": errors.ITEM_TOO_LONG},
    )
    owner = forms.ChoiceField(
        label="Who does it",
        choices=[("student", "The student"), ("educator", "The educator")],
        error_messages={"required": errors.ITEM_OWNER, "invalid_choice": errors.ITEM_OWNER},
    )


class ItemDoneForm(ServiceErrorMixin, forms.Form):
    item = forms.IntegerField()
    done = forms.BooleanField(required=False)


class FeedbackForm(ServiceErrorMixin, forms.Form):
    error_fields = {"rating": "rating", "comment": "comment"}
    rating = forms.TypedChoiceField(
        label="Your rating",
        coerce=int,
        choices=[(n, str(n)) for n in range(1, 6)],
        error_messages={
            "required": errors.FEEDBACK_RATING,
            "invalid_choice": errors.FEEDBACK_RATING,
        },
    )
    comment = forms.CharField(
        label="Comment (optional)",
        required=False,
        max_length=FEEDBACK_COMMENT_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 3}),
        error_messages={"max_length": errors.FEEDBACK_TOO_LONG},
    )


class ReplyForm(ServiceErrorMixin, forms.Form):
    error_fields = {"reply": "reply"}
    reply = forms.CharField(
        label="Reply to the student",
        max_length=FEEDBACK_COMMENT_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 2}),
        error_messages={
            "required": errors.FEEDBACK_REPLY_EMPTY,
            "max_length": errors.FEEDBACK_TOO_LONG,
        },
    )
