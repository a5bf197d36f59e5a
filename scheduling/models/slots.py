"""Availability slots: when an educator is free, for how many, and who may book."""

from __future__ import annotations

from datetime import datetime

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.utils import timezone

from ..schedule_cache import ChangesSchedule
from .courses import MAX_CAPACITY, MIN_CAPACITY, Course


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


class Slot(ChangesSchedule):
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
