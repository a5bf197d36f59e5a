"""Courses, availability slots, bookings and their history.

Invariants that must hold even when two requests race are written here as database
constraints; the service layer (services.py) checks them first to give friendly errors.
"""

from __future__ import annotations

from datetime import datetime

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.functional import cached_property

MIN_CAPACITY = 1
MAX_CAPACITY = 50
MESSAGE_MAX_LENGTH = 1000


class Course(models.Model):
    title = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    field = models.CharField(max_length=100, blank=True)
    educator = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="courses"
    )
    is_published = models.BooleanField("published", default=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["title", "id"]
        indexes = [models.Index(fields=["is_published", "title"])]

    def __str__(self) -> str:
        return self.title

    def is_visible_to(self, user) -> bool:
        """Published courses are everyone's to see; an unpublished one only its educator's."""
        return self.is_published or (user.is_authenticated and self.educator_id == user.pk)


class Enrollment(models.Model):
    student = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="enrollments"
    )
    course = models.ForeignKey(Course, on_delete=models.PROTECT, related_name="enrollments")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["student", "course"], name="enrollment_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.student} in {self.course}"


class SlotQuerySet(models.QuerySet):
    def open(self, now: datetime | None = None) -> SlotQuerySet:
        """Slots a student could still book: not withdrawn and starting in the future."""
        return self.filter(withdrawn_at__isnull=True, starts_at__gt=now or timezone.now())

    def with_seats_left(self) -> SlotQuerySet:
        return self.filter(seats_taken__lt=F("capacity"))

    def upcoming(self, now: datetime | None = None) -> SlotQuerySet:
        return self.filter(ends_at__gt=now or timezone.now())

    def past(self, now: datetime | None = None) -> SlotQuerySet:
        return self.filter(ends_at__lte=now or timezone.now())

    def for_educator(self, educator) -> SlotQuerySet:
        return self.filter(educator=educator)

    def for_course(self, course) -> SlotQuerySet:
        return self.filter(course=course)

    def overlapping(self, starts_at: datetime, ends_at: datetime) -> SlotQuerySet:
        """Slots sharing some time with [starts_at, ends_at); touching ends do not overlap."""
        return self.filter(starts_at__lt=ends_at, ends_at__gt=starts_at)


class Slot(models.Model):
    """An educator's availability: one time window with `capacity` seats."""

    educator = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="slots"
    )
    course = models.ForeignKey(
        Course, on_delete=models.PROTECT, related_name="slots", null=True, blank=True
    )
    starts_at = models.DateTimeField()
    ends_at = models.DateTimeField()
    capacity = models.PositiveSmallIntegerField(
        default=1, validators=[MinValueValidator(MIN_CAPACITY), MaxValueValidator(MAX_CAPACITY)]
    )
    # Seats held by pending + approved bookings, kept by the services under the slot's row
    # lock, so the database itself refuses a slot holding more than its capacity.
    seats_taken = models.PositiveSmallIntegerField(default=0, editable=False)
    requires_approval = models.BooleanField(default=True)
    meeting_link = models.URLField(max_length=500, blank=True)
    note = models.TextField(blank=True)
    withdrawn_at = models.DateTimeField(null=True, blank=True, editable=False)
    withdraw_reason = models.TextField(blank=True, editable=False)
    # The weekly pattern that published this slot (empty for a single slot).
    pattern = models.ForeignKey(
        "WeeklyPattern",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="slots",
        editable=False,
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = SlotQuerySet.as_manager()

    class Meta:
        ordering = ["starts_at", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(starts_at__lt=F("ends_at")), name="slot_starts_before_ends"
            ),
            models.CheckConstraint(
                condition=Q(capacity__gte=MIN_CAPACITY, capacity__lte=MAX_CAPACITY),
                name="slot_capacity_range",
            ),
            models.CheckConstraint(
                condition=Q(seats_taken__lte=F("capacity")), name="slot_seats_within_capacity"
            ),
        ]
        indexes = [
            models.Index(fields=["educator", "starts_at"], name="slot_educator_start_idx"),
            # A course's slots by time, with what makes one open and bookable: the course
            # slots API counts its open slots with seats left from the index alone.
            models.Index(
                fields=["course", "starts_at", "withdrawn_at", "seats_taken", "capacity"],
                name="slot_course_start_idx",
            ),
            models.Index(fields=["starts_at"], name="slot_start_idx"),
            # An educator's upcoming (or past) slots that are not withdrawn, counted from
            # the index alone (Manage Availability's tabs), not from all their slots.
            models.Index(
                fields=["educator", "withdrawn_at", "ends_at"], name="slot_educator_upcoming_idx"
            ),
        ]

    def __str__(self) -> str:
        when = timezone.localtime(self.starts_at).strftime("%Y-%m-%d %H:%M")
        return f"{self.educator} · {when}" + (f" · {self.course}" if self.course_id else "")

    @property
    def seats_left(self) -> int:
        return self.seats_left_of(self.capacity, self.seats_taken)

    @staticmethod
    def seats_left_of(capacity: int, seats_taken: int) -> int:
        return max(capacity - seats_taken, 0)

    @property
    def is_withdrawn(self) -> bool:
        return self.withdrawn_at is not None

    @property
    def has_started(self) -> bool:
        return self.starts_at <= timezone.now()

    @property
    def has_ended(self) -> bool:
        return self.ends_at <= timezone.now()

    @property
    def is_open(self) -> bool:
        return not self.is_withdrawn and not self.has_started

    @property
    def is_bookable(self) -> bool:
        return self.is_open and self.seats_left > 0

    @property
    def duration_minutes(self) -> int:
        return int((self.ends_at - self.starts_at).total_seconds() // 60)

    @property
    def card_key(self) -> tuple:
        """Everything a slot's card in a week shows (_slot_choice.html), with the viewer's
        `requested`/`enrol_needed` when the list was annotated for them: the key under which
        the rendered card is remembered (`{% memo %}`), so it must grow with the card."""
        return (
            self.pk,
            self.starts_at,
            self.ends_at,
            self.capacity,
            self.seats_taken,
            self.requires_approval,
            self.note,
            self.course_id,
            self.course.title if self.course_id else None,
            getattr(self, "requested", None),
            getattr(self, "enrol_needed", None),
        )

    @property
    def availability_key(self) -> tuple:
        """Everything a slot's row on Manage Availability shows besides the viewer's tab and
        the slot's phase (educator/availability.html keys those itself): the key under
        which the rendered row is remembered (`{% memo %}`), so it must grow with the row."""
        return (
            self.pk,
            self.starts_at,
            self.ends_at,
            self.course.title if self.course_id else None,
            self.withdrawn_at,
            self.withdraw_reason,
            self.capacity,
            self.seats_taken,
            self.requires_approval,
            self.note,
            getattr(self, "completed_count", None),
        )


class BookingStatus(models.TextChoices):
    PENDING = "pending", "Pending"
    APPROVED = "approved", "Approved"
    REJECTED = "rejected", "Rejected"
    CANCELLED = "cancelled", "Cancelled"
    COMPLETED = "completed", "Completed"


ACTIVE_STATUSES = (BookingStatus.PENDING, BookingStatus.APPROVED)


class BookingQuerySet(models.QuerySet):
    def active(self) -> BookingQuerySet:
        """Bookings that hold a seat."""
        return self.filter(status__in=ACTIVE_STATUSES)

    def for_student(self, student) -> BookingQuerySet:
        return self.filter(student=student)

    def for_educator(self, educator) -> BookingQuerySet:
        return self.filter(educator=educator)

    def with_status(self, status: str | None) -> BookingQuerySet:
        return self.filter(status=status) if status else self

    def with_related(self) -> BookingQuerySet:
        return self.select_related("slot", "slot__educator", "slot__course", "student")


class Booking(models.Model):
    """A student's request for a seat in a slot (the API calls it a session request)."""

    Status = BookingStatus

    slot = models.ForeignKey(Slot, on_delete=models.PROTECT, related_name="bookings")
    student = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="bookings"
    )
    # The slot's educator, kept on the booking (a slot's owner never changes, and a booking
    # moves only between one educator's slots): an educator's requests and their counts per
    # status come from one index, instead of from every slot they ever published.
    educator = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="requests_received",
        editable=False,
        db_index=False,  # booking_educator_status_idx leads with it
    )
    message = models.TextField(max_length=MESSAGE_MAX_LENGTH, blank=True)
    status = models.CharField(
        max_length=16, choices=BookingStatus.choices, default=BookingStatus.PENDING
    )
    meeting_link = models.URLField(max_length=500, blank=True)
    decision_note = models.TextField(
        blank=True, help_text="The reason for a rejection or cancellation."
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    decided_at = models.DateTimeField(null=True, blank=True)
    cancelled_at = models.DateTimeField(null=True, blank=True)
    completed_at = models.DateTimeField(null=True, blank=True)
    # The start of the slot this booking was last moved from (shown as "rescheduled from").
    rescheduled_from = models.DateTimeField(null=True, blank=True, editable=False)

    objects = BookingQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["slot", "student"],
                condition=Q(status__in=ACTIVE_STATUSES),
                name="booking_one_active_per_student_slot",
            ),
            models.CheckConstraint(
                condition=Q(status__in=BookingStatus.values), name="booking_status_valid"
            ),
        ]
        indexes = [
            models.Index(fields=["student", "status"], name="booking_student_status_idx"),
            models.Index(fields=["slot", "status"], name="booking_slot_status_idx"),
            models.Index(fields=["status", "created_at"], name="booking_status_created_idx"),
            models.Index(fields=["educator", "status"], name="booking_educator_status_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.student} → {self.slot} ({self.get_status_display()})"

    def save(self, *args, **kwargs):
        """A new booking takes its slot's educator (`bulk_create` callers set it)."""
        if self.educator_id is None and self.slot_id is not None:
            if Booking.slot.is_cached(self) and self.slot.pk == self.slot_id:
                self.educator_id = self.slot.educator_id
            else:
                self.educator_id = (
                    Slot.objects.filter(pk=self.slot_id).values_list("educator", flat=True).get()
                )
        super().save(*args, **kwargs)

    @property
    def is_active(self) -> bool:
        return self.status in ACTIVE_STATUSES

    @property
    def visible_meeting_link(self) -> str:
        """The link is the student's only once the request is approved."""
        if self.status in (BookingStatus.APPROVED, BookingStatus.COMPLETED):
            return self.meeting_link
        return ""

    @property
    def rejection_reason(self) -> str:
        return self.decision_note if self.status == BookingStatus.REJECTED else ""

    @cached_property
    def is_ahead(self) -> bool:
        """The session has not started yet. Read once per instance, so a card and the key
        it is remembered under (`card_key`) agree even when it starts in between."""
        return self.slot.starts_at > timezone.now()

    @property
    def card_key(self) -> tuple:
        """Everything a request's card on My Requests shows (student/_booking_card.html and
        the .ics button in it), with the page's annotations `is_new`, `is_upcoming` and
        `cancelled_by_id`: the key under which the rendered card is remembered
        (`{% memo %}`), so it must grow with the card. Time passing changes the card only
        through `is_ahead` (Reschedule/Cancel): the key holds it, not the clock."""
        slot = self.slot
        return (
            self.pk,
            self.student_id,
            self.status,
            self.message,
            self.decision_note,
            self.meeting_link,
            getattr(self, "is_new", None),
            getattr(self, "is_upcoming", None),
            getattr(self, "cancelled_by_id", None),
            self.is_ahead,
            slot.starts_at,
            slot.ends_at,
            slot.withdrawn_at is not None,
            slot.educator_id,
            slot.educator.display_name,
            slot.course_id,
            slot.course.title if slot.course_id else None,
        )

    @property
    def request_card_key(self) -> tuple:
        """Everything a request's card on Session Requests shows besides the time-dependent
        phase of its slot, the `next` address and a refusal (educator/requests.html keys
        those itself): the key under which the rendered card is remembered (`{% memo %}`),
        so it must grow with the card."""
        slot = self.slot
        return (
            self.pk,
            self.status,
            self.message,
            self.meeting_link,
            self.decision_note,
            self.created_at,
            self.rescheduled_from,
            self.student.display_name,
            slot.starts_at,
            slot.ends_at,
            slot.meeting_link,
            slot.course.title if slot.course_id else None,
        )


class BookingEvent(models.Model):
    """One status change of a booking: who did it, from what, to what, and why."""

    booking = models.ForeignKey(Booking, on_delete=models.CASCADE, related_name="history")
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        help_text="Empty when the system made the change (e.g. closing past sessions).",
    )
    from_status = models.CharField(max_length=16, choices=BookingStatus.choices, blank=True)
    to_status = models.CharField(max_length=16, choices=BookingStatus.choices)
    note = models.TextField(blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["created_at", "id"]
        verbose_name = "booking history entry"
        verbose_name_plural = "booking history"
        indexes = [models.Index(fields=["booking", "created_at"], name="bookingevent_booking_idx")]

    def __str__(self) -> str:
        return f"{self.from_status or '∅'} → {self.to_status}"


# ---------------------------------------------------------------- booking policies

POLICY_LIMITS = {
    "min_notice_hours": (0, 24 * 30),
    "horizon_days": (0, 730),
    "buffer_minutes": (0, 240),
    "daily_max": (0, 50),
    "cancel_notice_hours": (0, 24 * 30),
}


class BookingPolicy(models.Model):
    """An educator's booking rules; an educator without a row has the defaults below."""

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


class WeeklyPattern(models.Model):
    """Weekly hours in the educator's own zone; the services publish its slots ahead."""

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


class WaitlistEntry(models.Model):
    """A student waiting for a seat in a full slot; first come, first offered."""

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
