"""The database refuses what the services refuse, even when the services are bypassed."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import IntegrityError, transaction
from django.utils import timezone

from scheduling.models import Booking, Enrollment, Slot
from scheduling.tests.factories import BookingFactory, SlotFactory

pytestmark = pytest.mark.django_db


def violates(**_):
    return pytest.raises(IntegrityError)


def test_slot_must_end_after_it_starts(educator):
    start = timezone.now() + timedelta(days=1)
    with violates(), transaction.atomic():
        Slot.objects.create(educator=educator, starts_at=start, ends_at=start)


@pytest.mark.parametrize("capacity", [0, 51])
def test_slot_capacity_between_1_and_50(educator, capacity):
    start = timezone.now() + timedelta(days=1)
    with violates(), transaction.atomic():
        Slot.objects.create(
            educator=educator,
            starts_at=start,
            ends_at=start + timedelta(hours=1),
            capacity=capacity,
        )


def test_slot_never_holds_more_seats_than_capacity(slot):
    with violates(), transaction.atomic():
        Slot.objects.filter(pk=slot.pk).update(seats_taken=slot.capacity + 1)


def test_one_active_booking_per_student_and_slot(educator, student):
    slot = SlotFactory(educator=educator, capacity=3)
    BookingFactory(slot=slot, student=student)
    with violates(), transaction.atomic():
        Booking.objects.create(slot=slot, student=student, status="approved")


def test_finished_bookings_do_not_block_a_new_one(educator, student):
    slot = SlotFactory(educator=educator, capacity=3)
    for status in ("cancelled", "rejected", "completed"):
        Booking.objects.create(slot=slot, student=student, status=status)
    Booking.objects.create(slot=slot, student=student, status="pending")
    assert Booking.objects.filter(slot=slot, student=student).count() == 4


def test_booking_status_must_be_known(slot, student):
    with violates(), transaction.atomic():
        Booking.objects.create(slot=slot, student=student, status="maybe")


def test_enrolment_unique_per_student_and_course(course, student):
    Enrollment.objects.create(student=student, course=course)
    with violates(), transaction.atomic():
        Enrollment.objects.create(student=student, course=course)


def test_user_role_must_be_known(student):
    from accounts.models import User

    with violates(), transaction.atomic():
        User.objects.filter(pk=student.pk).update(role="wizard")
