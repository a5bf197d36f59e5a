"""A booking's life: requested, approved or rejected, cancelled, completed."""

from __future__ import annotations

from datetime import datetime

from django.db import transaction
from django.utils import timezone

from accounts.models import User

from .. import errors, notifications
from ..errors import BookingError
from ..models import (
    ACTIVE_STATUSES,
    MESSAGE_MAX_LENGTH,
    Booking,
    BookingPolicy,
    BookingStatus,
    Slot,
)
from .checks import (
    _clashing_slot_ids,
    _create_booking,
    _lock_booking,
    _lock_slot_to_book,
    _lock_user,
    _move_seats,
    _record_event,
    _require_slot_owner,
    _text,
    validate_meeting_link,
)
from .policies import _check_cancel_notice, _lock_policy, check_policies
from .waitlist import waitlist_offer_seats


def _transition(
    booking: Booking, *, to: str, actor: User | None, note: str = "", **fields
) -> Booking:
    """Move a locked booking to `to`, record the change and free its seat if it held one."""
    from_status = booking.status
    booking.status = to
    for name, value in fields.items():
        setattr(booking, name, value)
    booking.save(update_fields=["status", "updated_at", *fields])
    _record_event(booking, actor=actor, from_status=from_status, note=note)
    freed = from_status in ACTIVE_STATUSES and to not in ACTIVE_STATUSES
    if freed:
        _move_seats(booking.slot_id, -1, forgotten=True)  # booking.save forgot, in this transaction
        booking.slot.seats_taken = max(booking.slot.seats_taken - 1, 0)
    notifications.booking_changed(booking, actor=actor, from_status=from_status)
    if freed and not booking.slot.is_withdrawn:
        waitlist_offer_seats(slot_id=booking.slot_id)
    return booking


def _refuse_transition(booking: Booking, action: str) -> BookingError:
    return BookingError(
        errors.CONFLICT,
        errors.ILLEGAL_TRANSITION.format(status=booking.status, action=action),
    )


def booking_request(*, student: User, slot: Slot, message: str = "") -> Booking:
    """A student asks for a seat in `slot`.

    The slot is locked, then checked: open (not withdrawn, not started), the student
    enrolled when the slot belongs to a course, a seat left, no active request of theirs
    for it, and no other active booking of theirs at an overlapping time. Slots that need
    no approval book straight to approved with the slot's meeting link.
    """
    if not student.is_student:
        raise BookingError(errors.FORBIDDEN, errors.NOT_A_STUDENT)
    message = _text(message)
    if len(message) > MESSAGE_MAX_LENGTH:
        raise BookingError(errors.INVALID, errors.MESSAGE_TOO_LONG, field="message")
    policy = BookingPolicy.for_educator(slot.educator_id)
    with transaction.atomic():
        # The student first (their overlap check), then the slot (its seat count): two
        # requests may otherwise read the same numbers and both write.
        _lock_user(student)
        _lock_policy(policy)
        # With it: educator and course (the notification and the email name them), and
        # whether the student is enrolled in the slot's course.
        slot = _lock_slot_to_book(slot.pk, student=student)
        if slot.is_withdrawn:
            raise BookingError(errors.CONFLICT, errors.SLOT_WITHDRAWN)
        if slot.has_started:
            raise BookingError(errors.CONFLICT, errors.SLOT_STARTED)
        if slot.course_id and not slot.enrolled:
            raise BookingError(errors.FORBIDDEN, errors.NOT_ENROLLED)
        # One query answers both "already booked" and "overlaps": a slot overlaps itself.
        clashes = _clashing_slot_ids(student, slot.starts_at, slot.ends_at)
        if slot.pk in clashes:
            raise BookingError(errors.CONFLICT, errors.ALREADY_BOOKED)
        if slot.seats_taken >= slot.capacity:
            raise BookingError(errors.CONFLICT, errors.SLOT_FULL)
        if clashes:
            raise BookingError(errors.CONFLICT, errors.BOOKING_OVERLAP)
        check_policies(student=student, slot=slot, policy=policy)
        return _create_booking(student=student, slot=slot, message=message, actor=student)


def booking_approve(*, booking: Booking, by: User, meeting_link: str = "") -> Booking:
    """The slot's educator accepts a pending request, with a meeting link.

    The link defaults to the slot's own; one of the two must be an http(s) URL.
    """
    _require_slot_owner(by, booking.slot)
    link = validate_meeting_link(meeting_link)
    with transaction.atomic():
        booking = _lock_booking(booking)
        if booking.status != BookingStatus.PENDING:
            raise _refuse_transition(booking, "approved")
        if booking.slot.has_started:
            raise BookingError(errors.CONFLICT, errors.APPROVE_STARTED)
        link = link or booking.slot.meeting_link
        if not link:
            raise BookingError(errors.INVALID, errors.MEETING_LINK_REQUIRED, field="meeting_link")
        return _transition(
            booking,
            to=BookingStatus.APPROVED,
            actor=by,
            meeting_link=link,
            decided_at=timezone.now(),
        )


def booking_reject(*, booking: Booking, by: User, reason: str) -> Booking:
    """The slot's educator declines a pending request; the student sees the reason."""
    _require_slot_owner(by, booking.slot)
    reason = _text(reason)
    if not reason:
        raise BookingError(errors.INVALID, errors.REASON_REQUIRED, field="reason")
    with transaction.atomic():
        booking = _lock_booking(booking)
        if booking.status != BookingStatus.PENDING:
            raise _refuse_transition(booking, "rejected")
        return _transition(
            booking,
            to=BookingStatus.REJECTED,
            actor=by,
            note=reason,
            decision_note=reason,
            decided_at=timezone.now(),
        )


def booking_cancel(*, booking: Booking, by: User, reason: str = "") -> Booking:
    """The student who asked withdraws a pending or approved request before it starts."""
    if not (by.is_staff or booking.student_id == by.pk):
        raise BookingError(errors.FORBIDDEN, errors.NOT_BOOKING_STUDENT)
    reason = _text(reason)
    with transaction.atomic():
        booking = _lock_booking(booking)
        if booking.status not in ACTIVE_STATUSES:
            raise _refuse_transition(booking, "cancelled")
        if booking.slot.has_started:
            raise BookingError(errors.CONFLICT, errors.CANCEL_STARTED)
        if not by.is_staff:
            _check_cancel_notice(booking)
        return _transition(
            booking,
            to=BookingStatus.CANCELLED,
            actor=by,
            note=reason,
            decision_note=reason,
            cancelled_at=timezone.now(),
        )


def booking_complete(*, booking: Booking, by: User | None) -> Booking:
    """Mark an approved session as held, once it has started (`by=None`: the system)."""
    _require_slot_owner(by, booking.slot)
    with transaction.atomic():
        booking = _lock_booking(booking)
        if booking.status != BookingStatus.APPROVED:
            raise _refuse_transition(booking, "completed")
        if not booking.slot.has_started:
            raise BookingError(errors.CONFLICT, errors.COMPLETE_BEFORE_START)
        return _transition(
            booking, to=BookingStatus.COMPLETED, actor=by, completed_at=timezone.now()
        )


def close_past_sessions(*, now: datetime | None = None) -> dict[str, int]:
    """Settle what time has decided; safe to run again and again (e.g. every minute).

    Pending requests whose slot has started become rejected ("Not answered before the
    session started"); approved sessions whose slot has ended become completed.
    """
    now = now or timezone.now()
    counts = {"rejected": 0, "completed": 0}
    due = Booking.objects.filter(
        status=BookingStatus.PENDING, slot__starts_at__lte=now
    ) | Booking.objects.filter(status=BookingStatus.APPROVED, slot__ends_at__lte=now)
    for booking in due.order_by("slot_id", "pk").only("pk", "slot_id"):
        with transaction.atomic():
            booking = _lock_booking(booking)
            if booking.status == BookingStatus.PENDING and booking.slot.starts_at <= now:
                _transition(
                    booking,
                    to=BookingStatus.REJECTED,
                    actor=None,
                    note=errors.NOT_ANSWERED_IN_TIME,
                    decision_note=errors.NOT_ANSWERED_IN_TIME,
                    decided_at=now,
                )
                counts["rejected"] += 1
            elif booking.status == BookingStatus.APPROVED and booking.slot.ends_at <= now:
                _transition(booking, to=BookingStatus.COMPLETED, actor=None, completed_at=now)
                counts["completed"] += 1
    return counts
