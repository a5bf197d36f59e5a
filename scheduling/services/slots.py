"""Slots: an educator's bookable times, created, changed and withdrawn."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.db import transaction
from django.utils import timezone

from accounts.models import User

from .. import errors
from ..errors import BookingError
from ..models import (
    ACTIVE_STATUSES,
    MAX_CAPACITY,
    MIN_CAPACITY,
    Booking,
    BookingStatus,
    Course,
    Slot,
)
from .bookings import _transition
from .checks import (
    _UNSET,
    DEFAULT_DURATION,
    LATEST,
    MAX_DURATION,
    MIN_DURATION,
    _lock_slot,
    _lock_user,
    _require_slot_owner,
    _text,
    validate_meeting_link,
)
from .waitlist import waitlist_offer_seats


def _aware(value: datetime, *, field: str) -> datetime:
    """`value` with a timezone (naive: the current one), refused when out of range."""
    try:
        if timezone.is_naive(value):
            value = timezone.make_aware(value, timezone.get_current_timezone())
        if value >= LATEST:
            raise BookingError(errors.INVALID, errors.TOO_FAR_AHEAD, field=field)
    except OverflowError:
        raise BookingError(errors.INVALID, errors.TOO_FAR_AHEAD, field=field) from None
    return value


def _resolve_times(
    starts_at: datetime, ends_at: datetime | None, duration: timedelta | int | None
) -> tuple[datetime, datetime]:
    """The end is given, or the start plus a duration (60 minutes unless said)."""
    starts_at = _aware(starts_at, field="starts_at")
    if ends_at is not None:
        return starts_at, _aware(ends_at, field="ends_at")
    if duration is None:
        duration = DEFAULT_DURATION
    elif isinstance(duration, bool) or not isinstance(duration, (int, timedelta)):
        raise BookingError(errors.INVALID, errors.DURATION_RANGE, field="duration")
    elif isinstance(duration, int):
        try:
            duration = timedelta(minutes=duration)
        except OverflowError:  # minutes beyond what a timedelta holds: out of range too
            raise BookingError(errors.INVALID, errors.DURATION_RANGE, field="duration") from None
    if not MIN_DURATION <= duration <= MAX_DURATION:
        raise BookingError(errors.INVALID, errors.DURATION_RANGE, field="duration")
    return starts_at, starts_at + duration


def _check_times(starts_at: datetime, ends_at: datetime, *, now: datetime) -> None:
    # Callers that pass aware datetimes straight in (the admin's form) get the bound too.
    starts_at, ends_at = _aware(starts_at, field="starts_at"), _aware(ends_at, field="ends_at")
    if starts_at <= now:
        raise BookingError(errors.INVALID, errors.START_IN_PAST, field="starts_at")
    if ends_at <= starts_at:
        raise BookingError(errors.INVALID, errors.ENDS_BEFORE_START, field="ends_at")
    # The same bounds whether the length came as a duration or as an end.
    if not MIN_DURATION <= ends_at - starts_at <= MAX_DURATION:
        raise BookingError(errors.INVALID, errors.DURATION_RANGE, field="ends_at")


def _check_capacity(capacity: int) -> None:
    if isinstance(capacity, bool) or not isinstance(capacity, int):
        raise BookingError(errors.INVALID, errors.CAPACITY_RANGE, field="capacity")
    if not MIN_CAPACITY <= capacity <= MAX_CAPACITY:
        raise BookingError(errors.INVALID, errors.CAPACITY_RANGE, field="capacity")


def _check_course(course: Course | None, educator: User) -> None:
    if course is not None and course.educator_id != educator.pk:
        raise BookingError(errors.FORBIDDEN, errors.NOT_COURSE_OWNER, field="course")


def _check_no_overlap(
    educator: User, starts_at: datetime, ends_at: datetime, exclude: int | None = None
) -> None:
    clash = Slot.objects.for_educator(educator).filter(withdrawn_at__isnull=True)
    clash = clash.overlapping(starts_at, ends_at)
    if exclude is not None:
        clash = clash.exclude(pk=exclude)
    if clash.exists():
        raise BookingError(errors.CONFLICT, errors.SLOT_OVERLAP, field="starts_at")


def check_slot(
    *,
    educator: User,
    starts_at: datetime,
    ends_at: datetime,
    capacity: int,
    course: Course | None,
    meeting_link: str,
    slot: Slot | None = None,
) -> None:
    """Every rule a new slot, or a changed `slot`, must satisfy; raises BookingError.

    Forms call it to show errors early; slot_create and slot_update call it again under
    the educator's lock, where the answer is final.
    """
    if not educator.is_educator:
        raise BookingError(errors.FORBIDDEN, errors.NOT_AN_EDUCATOR, field="educator")
    if slot is not None and slot.is_withdrawn:
        raise BookingError(errors.CONFLICT, errors.SLOT_WITHDRAWN)
    if slot is None or (starts_at, ends_at) != (slot.starts_at, slot.ends_at):
        now = timezone.now()
        # Moving a started slot would rewrite what happened in it (completed sessions,
        # requests that timed out) and reopen it for booking; a new start in the past,
        # though, is invalid input (API: 400) whatever the slot, so _check_times says so.
        moved_to_past = _aware(starts_at, field="starts_at") <= now
        if (
            slot is not None
            and slot.has_started
            and not (moved_to_past and starts_at != slot.starts_at)
        ):
            raise BookingError(errors.CONFLICT, errors.MOVE_STARTED, field="starts_at")
        _check_times(starts_at, ends_at, now=now)
        if slot is not None and slot.seats_taken:
            raise BookingError(errors.CONFLICT, errors.TIME_LOCKED, field="starts_at")
        _check_no_overlap(educator, starts_at, ends_at, exclude=slot.pk if slot else None)
    _check_capacity(capacity)
    if slot is not None and capacity < slot.seats_taken:
        raise BookingError(
            errors.CONFLICT,
            errors.CAPACITY_BELOW_SEATS.format(seats=slot.seats_taken),
            field="capacity",
        )
    _check_course(course, educator)
    if slot is not None and slot.seats_taken and getattr(course, "pk", None) != slot.course_id:
        raise BookingError(errors.CONFLICT, errors.COURSE_LOCKED, field="course")
    validate_meeting_link(meeting_link)


def slot_create(
    *,
    educator: User,
    starts_at: datetime,
    ends_at: datetime | None = None,
    duration: timedelta | int | None = None,
    capacity: int = 1,
    course: Course | None = None,
    requires_approval: bool = True,
    meeting_link: str = "",
    note: str = "",
) -> Slot:
    """Publish a window of availability for `educator`.

    The end defaults to `duration` (60 minutes) after the start. Refused when the start is
    not in the future, the capacity is outside 1–50, the course is someone else's, the link
    is not http(s), or the time overlaps one of the educator's other open slots.
    """
    if not educator.is_educator:
        raise BookingError(errors.FORBIDDEN, errors.NOT_AN_EDUCATOR)
    starts_at, ends_at = _resolve_times(starts_at, ends_at, duration)
    fields = dict(
        educator=educator,
        starts_at=starts_at,
        ends_at=ends_at,
        capacity=capacity,
        course=course,
        meeting_link=validate_meeting_link(meeting_link),
    )
    with transaction.atomic():
        # Serialise one educator's slot changes so two overlapping slots cannot both pass.
        _lock_user(educator)
        check_slot(**fields)
        return Slot.objects.create(
            **fields, requires_approval=bool(requires_approval), note=_text(note)
        )


def slot_update(
    *,
    slot: Slot,
    by: User,
    starts_at: datetime | object = _UNSET,
    ends_at: datetime | object | None = _UNSET,
    duration: timedelta | int | object | None = _UNSET,
    capacity: int | object = _UNSET,
    course: Course | object | None = _UNSET,
    requires_approval: bool | object = _UNSET,
    meeting_link: str | object = _UNSET,
    note: str | object = _UNSET,
) -> Slot:
    """Change a slot; only the arguments given change.

    The time and course cannot change while seats are held (students booked them), the
    capacity never drops below the seats taken, and a withdrawn slot cannot change at all.
    Moving only the start keeps the slot's length.
    """
    _require_slot_owner(by, slot)
    with transaction.atomic():
        _lock_user(slot.educator)
        slot = _lock_slot(slot.pk)
        new_start, new_end = slot.starts_at, slot.ends_at
        if any(value is not _UNSET for value in (starts_at, ends_at, duration)):
            new_start = slot.starts_at if starts_at is _UNSET else starts_at
            new_end = None if ends_at is _UNSET else ends_at
            new_duration = None if duration is _UNSET else duration
            if new_end is None and new_duration is None:
                new_duration = slot.ends_at - slot.starts_at  # moving keeps the length
            new_start, new_end = _resolve_times(new_start, new_end, new_duration)
        new = dict(
            starts_at=new_start,
            ends_at=new_end,
            capacity=slot.capacity if capacity is _UNSET else capacity,
            course=slot.course if course is _UNSET else course,
            meeting_link=(
                slot.meeting_link if meeting_link is _UNSET else validate_meeting_link(meeting_link)
            ),
        )
        check_slot(educator=slot.educator, slot=slot, **new)
        for name, value in new.items():
            setattr(slot, name, value)
        if requires_approval is not _UNSET:
            slot.requires_approval = bool(requires_approval)
        if note is not _UNSET:
            slot.note = _text(note)
        slot.save()
        if slot.seats_taken < slot.capacity:  # raised capacity: waiting students first
            waitlist_offer_seats(slot_id=slot.pk)
            slot.refresh_from_db()
        return slot


def slot_withdraw(*, slot: Slot, by: User, reason: str = "") -> Slot:
    """Take a slot off the calendar without deleting anything.

    Its pending and approved bookings become cancelled with the reason recorded in their
    history, and each student is told; the returned slot's `cancelled_bookings` says how
    many. A slot that has started cannot be withdrawn.
    """
    _require_slot_owner(by, slot)
    reason = _text(reason) or errors.WITHDRAWN_DEFAULT_REASON
    with transaction.atomic():
        slot = _lock_slot(slot.pk)
        if slot.is_withdrawn:
            raise BookingError(errors.CONFLICT, errors.SLOT_ALREADY_WITHDRAWN)
        if slot.has_started:
            raise BookingError(errors.CONFLICT, errors.WITHDRAW_STARTED)
        now = timezone.now()
        slot.withdrawn_at = now
        slot.withdraw_reason = reason
        slot.save(update_fields=["withdrawn_at", "withdraw_reason", "updated_at"])
        bookings = Booking.objects.select_for_update(of=("self",)).filter(
            slot=slot, status__in=ACTIVE_STATUSES
        )
        cancelled = 0
        for booking in bookings.select_related("student", "slot", "slot__educator"):
            cancelled += 1
            _transition(
                booking,
                to=BookingStatus.CANCELLED,
                actor=by,
                note=reason,
                decision_note=reason,
                cancelled_at=now,
            )
        slot.refresh_from_db()
        slot.cancelled_bookings = cancelled  # counted under the lock: what the caller reports
        return slot
