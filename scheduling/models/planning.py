"""Booking policies, weekly hours and waitlists."""

from __future__ import annotations

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.utils import timezone

from ..schedule_cache import ChangesSchedule
from .bookings import Booking
from .courses import MAX_CAPACITY, MIN_CAPACITY, Course
from .slots import Slot

# ---------------------------------------------------------------- booking policies

POLICY_LIMITS = {
    "min_notice_hours": (0, 24 * 30),
    "horizon_days": (0, 730),
    "buffer_minutes": (0, 240),
    "daily_max": (0, 50),
    "cancel_notice_hours": (0, 24 * 30),
}


class BookingPolicy(ChangesSchedule):
    """An educator's booking rules; an educator without a row has the defaults below."""

    changes_profile = True  # the course and mentor pages remember it with the educator

    educator = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="booking_policy"
    )
    min_notice_hours = models.PositiveSmallIntegerField(
        "minimum notice (hours)",
        default=0,
        help_text="No request less than this many hours before the start.",
    )
    horizon_days = models.PositiveSmallIntegerField(
        "booking horizon (days)",
        default=0,
        help_text="No request more than this many days ahead; 0 means no limit.",
    )
    buffer_minutes = models.PositiveSmallIntegerField(
        "buffer (minutes)",
        default=0,
        help_text="Sessions closer than this count as overlapping.",
    )
    daily_max = models.PositiveSmallIntegerField(
        "daily maximum", default=0, help_text="Sessions per day; 0 means no maximum."
    )
    cancel_notice_hours = models.PositiveSmallIntegerField(
        "cancellation notice (hours)",
        default=0,
        help_text="Students cannot cancel within this many hours of the start.",
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = "booking policy"
        verbose_name_plural = "booking policies"
        constraints = [
            models.CheckConstraint(
                condition=Q(horizon_days__gte=0, horizon_days__lte=730),
                name="policy_horizon_range",
            ),
        ]

    def __str__(self) -> str:
        return f"Booking policy of {self.educator}"

    @classmethod
    def for_educator(cls, educator) -> BookingPolicy:
        """The educator's (a user or their id) saved policy, or an unsaved one holding the
        defaults."""
        educator_id = getattr(educator, "pk", educator)
        if educator_id is None:
            return cls()
        policy = cls.objects.filter(educator_id=educator_id).first()
        return policy if policy is not None else cls(educator_id=educator_id)

    def summary(self) -> str:
        """The policies in one line, as the booking page states them."""
        parts = [
            f"Book at least {self.min_notice_hours} h ahead"
            if self.min_notice_hours
            else "Book up to the start",
        ]
        if self.horizon_days:
            parts.append(f"at most {self.horizon_days} days ahead")
        if self.buffer_minutes:
            parts.append(f"{self.buffer_minutes} min between sessions")
        if self.daily_max:
            parts.append(f"at most {self.daily_max} sessions a day")
        parts.append(
            f"cancel up to {self.cancel_notice_hours} h before the start"
            if self.cancel_notice_hours
            else "cancel any time before the start"
        )
        return " · ".join(parts) + "."


# ---------------------------------------------------------------- weekly availability

MIN_SESSION_MINUTES = 15
MAX_SESSION_MINUTES = 240
DEFAULT_HORIZON_WEEKS = 4
MAX_HORIZON_WEEKS = 12


class WeeklyPattern(ChangesSchedule):
    """Weekly hours in the educator's own zone; the services publish its slots ahead.
    Insights name them (waitlist demand per pattern): saving one forgets the figures."""

    educator = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="weekly_patterns"
    )
    # ISO weekday digits, Monday=1 … Sunday=7, e.g. "13" for Monday and Wednesday.
    weekdays = models.CharField(max_length=7)
    start_time = models.TimeField()
    end_time = models.TimeField()
    session_minutes = models.PositiveSmallIntegerField(
        default=60,
        validators=[
            MinValueValidator(MIN_SESSION_MINUTES),
            MaxValueValidator(MAX_SESSION_MINUTES),
        ],
    )
    timezone = models.CharField(max_length=64)
    capacity = models.PositiveSmallIntegerField(
        default=1, validators=[MinValueValidator(MIN_CAPACITY), MaxValueValidator(MAX_CAPACITY)]
    )
    course = models.ForeignKey(
        Course, on_delete=models.PROTECT, related_name="weekly_patterns", null=True, blank=True
    )
    requires_approval = models.BooleanField(default=True)
    meeting_link = models.URLField(max_length=500, blank=True)
    note = models.TextField(blank=True)
    horizon_weeks = models.PositiveSmallIntegerField(
        default=DEFAULT_HORIZON_WEEKS,
        validators=[MinValueValidator(1), MaxValueValidator(MAX_HORIZON_WEEKS)],
    )
    # The occurrences the last publishing skipped because they overlapped another slot.
    skipped = models.JSONField(default=list, blank=True, editable=False)
    published_until = models.DateTimeField(null=True, blank=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["educator", "weekdays", "start_time", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(start_time__lt=F("end_time")), name="pattern_starts_before_ends"
            ),
            models.CheckConstraint(
                condition=Q(session_minutes__gte=MIN_SESSION_MINUTES)
                & Q(session_minutes__lte=MAX_SESSION_MINUTES),
                name="pattern_session_length_range",
            ),
            models.CheckConstraint(
                condition=Q(horizon_weeks__gte=1, horizon_weeks__lte=MAX_HORIZON_WEEKS),
                name="pattern_horizon_range",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.educator} · {self.days_label} {self.start_time:%H:%M}–{self.end_time:%H:%M}"

    @property
    def days_label(self) -> str:
        names = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"]
        return ", ".join(names[int(d) - 1] for d in self.weekdays)


# ---------------------------------------------------------------- waitlist


class WaitlistStatus(models.TextChoices):
    WAITING = "waiting", "Waiting"
    OFFERED = "offered", "Seat offered"
    SKIPPED = "skipped", "Skipped (overlapping session)"
    LEFT = "left", "Left"


class WaitlistEntry(ChangesSchedule):
    """A student waiting for a seat in a full slot; first come, first offered. Insights
    count the waiting (demand per pattern): saving one forgets the figures."""

    Status = WaitlistStatus

    slot = models.ForeignKey(Slot, on_delete=models.CASCADE, related_name="waitlist")
    student = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="waitlist_entries"
    )
    status = models.CharField(
        max_length=16, choices=WaitlistStatus.choices, default=WaitlistStatus.WAITING
    )
    booking = models.ForeignKey(
        Booking, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    resolved_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["created_at", "id"]
        verbose_name = "waitlist entry"
        verbose_name_plural = "waitlist"
        constraints = [
            models.UniqueConstraint(
                fields=["slot", "student"],
                condition=Q(status="waiting"),
                name="waitlist_one_waiting_per_student_slot",
            ),
        ]
        indexes = [models.Index(fields=["slot", "status", "created_at"], name="waitlist_queue_idx")]

    def __str__(self) -> str:
        return f"{self.student} waiting for {self.slot} ({self.get_status_display()})"

    @property
    def educator_id(self) -> int:
        """The slot's educator, whose insights count the waiting (the services that save
        an entry have its slot at hand and set it, so this reads nothing more)."""
        return self.slot.educator_id
