"""Moving a booking to another slot of the same educator."""

from __future__ import annotations

from django.db import IntegrityError, transaction
from django.utils import timezone

from accounts.models import User

from .. import errors, notifications
from ..errors import BookingError
from ..models import (
    ACTIVE_STATUSES,
    Booking,
    BookingPolicy,
    BookingStatus,
    Slot,
)
from .bookings import _refuse_transition
from .checks import _lock_slot, _lock_user, _move_seats, _record_event
from .policies import _check_cancel_notice, _lock_policy, check_policies
from .waitlist import waitlist_offer_seats


def booking_reschedule(*, booking: Booking, to_slot: Slot, by: User) -> Booking:
    """Move a pending or approved request to another open slot of the same educator and
    course, in one transaction.

    The new seat is taken before the old one is freed, so a refusal (full, overlap, a
    policy) leaves the booking where it was. A slot that needs approval makes the request
    pending again; one that does not confirms it with its link. The history records the
    move, both parties are told, and the freed seat goes to the old slot's waitlist.
    """
    if not (by.is_staff or booking.student_id == by.pk):
        raise BookingError(errors.FORBIDDEN, errors.NOT_BOOKING_STUDENT_MOVE)
    policy = BookingPolicy.for_educator(to_slot.educator_id)
    with transaction.atomic():
        _lock_user(booking.student)
        _lock_policy(policy)
        # The caller's copy may be stale: a move that committed while we waited for the
        # student's lock has changed the slot, and this move was asked of the old one.
        current = Booking.objects.filter(pk=booking.pk).values_list("slot_id", flat=True).get()
        if current != booking.slot_id:
            raise BookingError(errors.CONFLICT, errors.RESCHEDULE_MOVED_MEANWHILE)
        # Both slots, lowest id first: two moves in opposite directions cannot deadlock.
        locked = {pk: _lock_slot(pk) for pk in sorted({current, to_slot.pk})}
        booking = (
            Booking.objects.select_for_update(of=("self",))
            .select_related("slot", "slot__educator", "slot__course", "student")
            .get(pk=booking.pk)
        )
        if booking.slot_id != current:
            raise BookingError(errors.CONFLICT, errors.RESCHEDULE_MOVED_MEANWHILE)
        old, new = locked[booking.slot_id], locked[to_slot.pk]
        booking.slot = old
        if booking.status not in ACTIVE_STATUSES:
            raise _refuse_transition(booking, "rescheduled")
        if old.has_started:
            raise BookingError(errors.CONFLICT, errors.RESCHEDULE_STARTED)
        if new.pk == old.pk:
            raise BookingError(errors.CONFLICT, errors.RESCHEDULE_SAME_SLOT, field="slot")
        if (new.educator_id, new.course_id) != (old.educator_id, old.course_id):
            raise BookingError(errors.CONFLICT, errors.RESCHEDULE_OTHER_EDUCATOR, field="slot")
        if new.is_withdrawn:
            raise BookingError(errors.CONFLICT, errors.SLOT_WITHDRAWN)
        if new.has_started:
            raise BookingError(errors.CONFLICT, errors.SLOT_STARTED)
        if new.seats_taken >= new.capacity:
            raise BookingError(errors.CONFLICT, errors.SLOT_FULL)
        clash = (
            Booking.objects.active()
            .for_student(booking.student)
            .filter(slot__starts_at__lt=new.ends_at, slot__ends_at__gt=new.starts_at)
            .exclude(pk=booking.pk)
        )
        if clash.exists():
            raise BookingError(errors.CONFLICT, errors.BOOKING_OVERLAP)
        if not by.is_staff:
            _check_cancel_notice(booking)
        check_policies(student=booking.student, slot=new, policy=policy, moving=booking)

        # The new seat first: the constraint refuses it if the slot is somehow full, and
        # then nothing below has happened.
        try:
            _move_seats(new.pk, +1, educator_id=new.educator_id)
        except IntegrityError as exc:
            raise BookingError(errors.CONFLICT, errors.SLOT_FULL) from exc
        _move_seats(old.pk, -1, educator_id=old.educator_id)
        new.seats_taken += 1
        from_status = booking.status
        auto = not new.requires_approval
        booking.slot = new
        booking.rescheduled_from = old.starts_at
        booking.status = BookingStatus.APPROVED if auto else BookingStatus.PENDING
        booking.meeting_link = new.meeting_link if auto else ""
        booking.decided_at = timezone.now() if auto else None
        booking.save()
        _record_event(
            booking,
            actor=by,
            from_status=from_status,
            note=f"Rescheduled from {old.starts_at:%Y-%m-%d %H:%M} UTC",
        )
        notifications.booking_changed(
            booking, actor=by, from_status=from_status, event="rescheduled"
        )
        waitlist_offer_seats(slot_id=old.pk)
        return booking
