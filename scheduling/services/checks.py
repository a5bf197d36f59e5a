"""What the services share: the checks of who may act, user text and links, the row locks
in their order, the seat count, and a booking's own rows (its insert and its history).

Locking order, to keep concurrent writers from deadlocking: a user row (the student who
books, or the educator whose slots change) first, then the slot row, then booking rows.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from urllib.parse import urlsplit

from django.db import IntegrityError, connection
from django.db.models import Exists, F, OuterRef
from django.utils import timezone

from accounts.models import User

from .. import errors, notifications
from ..errors import BookingError
from ..models import (
    Booking,
    BookingEvent,
    BookingStatus,
    Enrollment,
    Slot,
)
from ..schedule_cache import schedule_changed

DEFAULT_DURATION = timedelta(minutes=60)
MIN_DURATION = timedelta(minutes=5)
MAX_DURATION = timedelta(hours=24)
# An input bound, not a booking rule: far enough from datetime.max that adding a day or
# showing the time in any timezone cannot overflow.
LATEST = datetime(9999, 1, 1, tzinfo=UTC)

_UNSET = object()


# ---------------------------------------------------------------- shared checks


def _require_educator(user: User) -> None:
    if not (user.is_educator or user.is_staff):
        raise BookingError(errors.FORBIDDEN, errors.NOT_AN_EDUCATOR)


def _require_slot_owner(user: User | None, slot: Slot) -> None:
    if user is None:  # the system itself (scheduled jobs)
        return
    if not (user.is_staff or slot.educator_id == user.pk):
        raise BookingError(errors.FORBIDDEN, errors.NOT_SLOT_OWNER)


def validate_meeting_link(link: str, *, field: str = "meeting_link") -> str:
    """Only http(s) URLs with a host: a link is shown as a button, never as a script."""
    link = (link or "").strip()
    if not link:
        return ""
    # Whitespace or control characters inside a link are never legitimate (and PostgreSQL
    # refuses NUL outright); urlsplit would silently drop some of them.
    if any(char.isspace() or ord(char) < 32 or ord(char) == 127 for char in link):
        raise BookingError(errors.INVALID, errors.MEETING_LINK_INVALID, field=field)
    try:
        parts = urlsplit(link)
        parts.port  # noqa: B018 - raises ValueError for a port that is not a number
    except ValueError:  # e.g. "http://[::1" or "http://host:port"
        raise BookingError(errors.INVALID, errors.MEETING_LINK_INVALID, field=field) from None
    if parts.scheme.lower() not in ("http", "https") or not parts.netloc:
        raise BookingError(errors.INVALID, errors.MEETING_LINK_INVALID, field=field)
    if len(link) > 500:
        raise BookingError(errors.INVALID, errors.MEETING_LINK_INVALID, field=field)
    return link


def _text(value: str | None) -> str:
    """User text as stored: stripped, and without NUL, which PostgreSQL cannot store."""
    return (value or "").replace("\x00", "").strip()


def _lock_user(user: User) -> None:
    if not connection.features.has_select_for_update:
        # SQLite: no row locks; the transaction's BEGIN IMMEDIATE already holds the
        # database's one write lock, so the SELECT would lock nothing and only cost a query.
        return
    # Evaluated on purpose: a lazy queryset locks nothing.
    list(User.objects.select_for_update().filter(pk=user.pk).values_list("pk"))


def _lock_slot(slot_id: int) -> Slot:
    """The slot, its row locked (a booking request locks and reads more at once:
    `_lock_slot_to_book`)."""
    return Slot.objects.select_for_update(of=("self",)).get(pk=slot_id)


def _lock_slot_to_book(slot_id: int, *, student: User) -> Slot:
    """The slot, its row locked, with `educator` and `course` loaded and `enrolled`: whether
    `student` is enrolled in its course. Raises Slot.DoesNotExist."""
    enrolled = Enrollment.objects.filter(student=student, course=OuterRef("course"))
    return (
        Slot.objects.select_for_update(of=("self",))
        .select_related("educator", "course")
        .annotate(enrolled=Exists(enrolled))
        .get(pk=slot_id)
    )


def _clashing_slot_ids(student: User, starts_at: datetime, ends_at: datetime) -> set[int]:
    """Slots of the student's active bookings that share some time with [starts_at, ends_at)."""
    return set(
        Booking.objects.active()
        .for_student(student)
        .filter(slot__starts_at__lt=ends_at, slot__ends_at__gt=starts_at)
        .values_list("slot_id", flat=True)
    )


def _move_seats(
    slot_id: int, by: int, *, educator_id: int | None = None, forgotten: bool = False
) -> None:
    """Take (+1) or give back (-1) a seat of a locked slot; the table's constraints refuse
    a count outside 0..capacity (IntegrityError). `educator_id`: the slot's, when the
    caller knows it (else it is read), whose remembered open times are forgotten, unless
    the caller's transaction `forgotten` them already (a booking's row saved in it: one
    forget holds for the whole transaction, see schedule_cache)."""
    Slot.objects.filter(pk=slot_id).update(seats_taken=F("seats_taken") + by)
    if forgotten:
        return
    if educator_id is None:
        educator_id = Slot.objects.filter(pk=slot_id).values_list("educator", flat=True).first()
    schedule_changed(educator_id)


def _lock_booking(booking: Booking) -> Booking:
    """Lock the slot, then the booking, and return the booking as it is now."""
    _lock_slot(booking.slot_id)
    return (
        Booking.objects.select_for_update(of=("self",))
        .select_related("slot", "slot__educator", "slot__course", "student")
        .get(pk=booking.pk)
    )


# ---------------------------------------------------------------- a booking's rows


def _record_event(booking: Booking, *, actor: User | None, from_status: str, note: str = ""):
    """One line of the booking's history: its change from `from_status` to its status now."""
    return BookingEvent.objects.create(
        booking=booking, actor=actor, from_status=from_status, to_status=booking.status, note=note
    )


def _create_booking(*, student: User, slot: Slot, message: str, actor: User | None) -> Booking:
    """Insert a booking into a locked, checked slot and take its seat."""
    now = timezone.now()
    auto = not slot.requires_approval
    status = BookingStatus.APPROVED if auto else BookingStatus.PENDING
    try:
        booking = Booking.objects.create(
            slot=slot,
            student=student,
            educator_id=slot.educator_id,
            message=message,
            status=status,
            meeting_link=slot.meeting_link if auto else "",
            decided_at=now if auto else None,
        )
        _move_seats(slot.pk, +1, forgotten=True)  # Booking.save forgot, in this transaction
    except IntegrityError as exc:
        # The constraints caught what the checks missed; raising rolls the whole
        # transaction back, so no savepoint is needed.
        if "seats" in str(exc):
            raise BookingError(errors.CONFLICT, errors.SLOT_FULL) from exc
        raise BookingError(errors.CONFLICT, errors.ALREADY_BOOKED) from exc
    slot.seats_taken += 1
    booking.slot = slot
    note = "Booked without approval" if auto else ""
    if actor is None:
        note = "Offered from the waitlist" + (" and booked" if auto else "")
    _record_event(booking, actor=actor, from_status="", note=note)
    notifications.booking_changed(
        booking, actor=actor, from_status="", event="" if actor else "waitlist_offer"
    )
    return booking
