"""Bookings, their status machine's states and their history."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.functional import cached_property

from ..schedule_cache import STUDENT_KEY, ChangesSchedule
from .courses import MESSAGE_MAX_LENGTH
from .slots import Slot


class BookingStatus(models.TextChoices):
    PENDING = "pending", "Pending"
    APPROVED = "approved", "Approved"
    REJECTED = "rejected", "Rejected"
    CANCELLED = "cancelled", "Cancelled"
    COMPLETED = "completed", "Completed"


ACTIVE_STATUSES = (BookingStatus.PENDING, BookingStatus.APPROVED)


class Outcome(models.TextChoices):
    """Whether a session that started was held: the educator says so, once."""

    ATTENDED = "attended", "Attended"
    NO_SHOW = "no_show", "No-show"


# A session can have an outcome once it is approved (and has started) or completed.
OUTCOME_STATUSES = (BookingStatus.APPROVED, BookingStatus.COMPLETED)


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


class Booking(ChangesSchedule):
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
    # After the session: the educator's mark (staff may correct it) and the student's
    # "I was there" against a no-show. Changed only by services/outcomes.py.
    outcome = models.CharField(max_length=16, choices=Outcome.choices, blank=True)
    outcome_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        editable=False,
    )
    outcome_at = models.DateTimeField(null=True, blank=True, editable=False)
    disputed_at = models.DateTimeField(
        "student says they attended", null=True, blank=True, editable=False
    )

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
            models.CheckConstraint(
                condition=Q(outcome="")
                | Q(outcome__in=Outcome.values, status__in=OUTCOME_STATUSES),
                name="booking_outcome_valid",
            ),
            models.CheckConstraint(
                condition=Q(disputed_at__isnull=True) | Q(outcome=Outcome.NO_SHOW),
                name="booking_dispute_of_no_show",
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

    def forgets(self) -> list[str]:
        """The educator's open times and cards, and the student's My Requests."""
        return [*super().forgets(), STUDENT_KEY.format(self.student_id)]

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
            self.outcome,
            self.disputed_at is not None,
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
            self.outcome,
            self.disputed_at is not None,
            getattr(self, "student_sessions", None),
            getattr(self, "student_no_shows", None),
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

    @property
    def summary(self) -> str:
        """The line a session's timeline shows for this change."""
        if self.from_status == self.to_status and self.note:  # an outcome, a dispute
            return self.note
        if not self.from_status:
            done = "Booked" if self.to_status == BookingStatus.APPROVED else "Requested"
        elif self.to_status == BookingStatus.PENDING:
            done = "Waiting for approval again"
        else:
            done = BookingStatus(self.to_status).label
        return f"{done}: {self.note}" if self.note else done
