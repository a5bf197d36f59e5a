"""Waitlists: a student waits for a full slot; a freed seat is offered to the first
waiting student the educator's policies allow."""

from __future__ import annotations

from django.db import IntegrityError, connection, transaction
from django.db.models import Q
from django.utils import timezone

from accounts.models import User

from .. import errors
from ..errors import BookingError
from ..models import (
    Booking,
    BookingPolicy,
    Enrollment,
    Slot,
    WaitlistEntry,
    WaitlistStatus,
)
from .checks import _create_booking, _lock_slot, _lock_user
from .policies import check_policies


def waitlist_position(*, entry: WaitlistEntry) -> int:
    """1 for the first waiting student."""
    before = Q(created_at__lt=entry.created_at) | Q(created_at=entry.created_at, pk__lt=entry.pk)
    ahead = WaitlistEntry.objects.filter(slot_id=entry.slot_id, status=WaitlistStatus.WAITING)
    return ahead.filter(before).count() + 1


def waitlist_join(*, student: User, slot: Slot) -> WaitlistEntry:
    """Queue a student for a full slot; the returned entry carries its `position`.

    Only a full, open slot has a waitlist; a student holding a request for the slot, or
    already waiting, cannot join again.
    """
    if not student.is_student:
        raise BookingError(errors.FORBIDDEN, errors.NOT_A_STUDENT)
    with transaction.atomic():
        _lock_user(student)
        slot = _lock_slot(slot.pk)
        if slot.is_withdrawn:
            raise BookingError(errors.CONFLICT, errors.SLOT_WITHDRAWN)
        if slot.has_started:
            raise BookingError(errors.CONFLICT, errors.SLOT_STARTED)
        if (
            slot.course_id
            and not Enrollment.objects.filter(student=student, course_id=slot.course_id).exists()
        ):
            raise BookingError(errors.FORBIDDEN, errors.NOT_ENROLLED)
        if Booking.objects.active().filter(slot=slot, student=student).exists():
            raise BookingError(errors.CONFLICT, errors.ALREADY_BOOKED)
        if slot.seats_taken < slot.capacity:
            raise BookingError(errors.CONFLICT, errors.WAITLIST_NOT_FULL)
        waiting = WaitlistEntry.objects.filter(
            slot=slot, student=student, status=WaitlistStatus.WAITING
        )
        if waiting.exists():
            raise BookingError(errors.CONFLICT, errors.WAITLIST_ALREADY)
        try:
            entry = WaitlistEntry.objects.create(slot=slot, student=student)
        except IntegrityError as exc:
            raise BookingError(errors.CONFLICT, errors.WAITLIST_ALREADY) from exc
        entry.position = waitlist_position(entry=entry)
        return entry


def waitlist_leave(*, student: User, slot: Slot) -> WaitlistEntry:
    """Take a student off a slot's waitlist."""
    with transaction.atomic():
        entry = (
            WaitlistEntry.objects.select_for_update()
            .filter(slot=slot, student=student, status=WaitlistStatus.WAITING)
            .first()
        )
        if entry is None:
            raise BookingError(errors.NOT_FOUND, errors.WAITLIST_NOT_ON)
        entry.slot = slot
        entry.status = WaitlistStatus.LEFT
        entry.resolved_at = timezone.now()
        entry.save(update_fields=["status", "resolved_at"])
        return entry


def waitlist_offer_seats(*, slot_id: int) -> int:
    """Give a slot's free seats to its waiting students, first come first; returns how many.

    Each offer is a request made for the student (pending or approved by the slot's rule),
    under the slot's lock, so a seat goes to exactly one student even when seats free
    concurrently. A student who meanwhile holds an overlapping session, or whom the
    educator's booking policies would refuse, is skipped. The student's row (and the
    educator's, when a policy counts their sessions) is taken only if free (locking order
    puts users first): if it is busy, the seat waits for the next run of the periodic task.
    """
    offered = 0
    skip_locked = connection.features.has_select_for_update_skip_locked
    with transaction.atomic():
        slot = _lock_slot(slot_id)
        policy = BookingPolicy.for_educator(slot.educator_id)
        counts = bool(policy.buffer_minutes or policy.daily_max)
        if counts and skip_locked:
            educator = User.objects.select_for_update(skip_locked=True).filter(pk=slot.educator_id)
            if not list(educator.values_list("pk")):
                return 0  # the educator is busy right now; the periodic task tries again
        while slot.is_open and slot.seats_taken < slot.capacity:
            entry = (
                WaitlistEntry.objects.select_for_update(of=("self",))
                .filter(slot=slot, status=WaitlistStatus.WAITING)
                .select_related("student")
                .order_by("created_at", "pk")
                .first()
            )
            if entry is None:
                break
            entry.slot = slot
            free = User.objects.select_for_update(skip_locked=True).filter(pk=entry.student_id)
            if skip_locked and not list(free.values_list("pk")):
                break  # the student is busy right now; the periodic task tries again
            clash = (
                Booking.objects.active()
                .for_student(entry.student)
                .filter(slot__starts_at__lt=slot.ends_at, slot__ends_at__gt=slot.starts_at)
            )
            entry.resolved_at = timezone.now()
            try:
                check_policies(student=entry.student, slot=slot, policy=policy)
            except BookingError:
                refused = True
            else:
                refused = clash.exists()
            if refused:
                entry.status = WaitlistStatus.SKIPPED
                entry.save(update_fields=["status", "resolved_at"])
                continue
            booking = _create_booking(student=entry.student, slot=slot, message="", actor=None)
            entry.status, entry.booking = WaitlistStatus.OFFERED, booking
            entry.save(update_fields=["status", "resolved_at", "booking"])
            offered += 1
    return offered


def waitlist_fill_all() -> int:
    """Offer every open slot's free seats to its waiting students (the periodic task)."""
    slots = (
        Slot.objects.open()
        .with_seats_left()
        .filter(waitlist__status=WaitlistStatus.WAITING)
        .values_list("pk", flat=True)
        .distinct()
    )
    return sum(waitlist_offer_seats(slot_id=pk) for pk in list(slots))
