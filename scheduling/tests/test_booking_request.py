"""booking_request's reads under its lock: the slot with its educator, course and the
student's enrolment; the student's clashing bookings; the seat count the table guards."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import IntegrityError, connection, transaction
from django.test.utils import CaptureQueriesContext

from scheduling import errors, services
from scheduling.errors import BookingError
from scheduling.models import Slot
from scheduling.tests.factories import CourseFactory, EducatorFactory, SlotFactory

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("in_course", [True, False])
@pytest.mark.parametrize("enrolled", [True, False])
def test_a_request_locks_its_slot_and_names_its_educator_and_course(
    educator, student, in_course, enrolled
):
    course = CourseFactory(educator=educator)
    slot = SlotFactory(educator=educator, course=course if in_course else None)
    if enrolled:
        services.enroll(student=student, course=course)
    with CaptureQueriesContext(connection) as queries:
        if in_course and not enrolled:
            with pytest.raises(BookingError) as refused:
                services.booking_request(student=student, slot=slot)
            assert refused.value.message == errors.NOT_ENROLLED
            booking = None
        else:
            booking = services.booking_request(student=student, slot=slot)
    if connection.features.has_select_for_update_of:
        table = connection.ops.quote_name(Slot._meta.db_table)
        assert any(q["sql"].endswith(f"FOR UPDATE OF {table}") for q in queries)
    if booking is None:
        assert not slot.bookings.exists()
        return
    # The booking's slot was read with its educator and course: naming them costs nothing.
    with CaptureQueriesContext(connection) as later:
        assert booking.slot.educator == educator
        assert booking.slot.course == (course if in_course else None)
    assert len(later) == 0
    assert Slot.objects.get(pk=slot.pk).seats_taken == 1


def test_a_slot_gone_before_the_lock_is_not_found(student):
    slot = SlotFactory(educator=EducatorFactory())
    Slot.objects.filter(pk=slot.pk).delete()
    with pytest.raises(Slot.DoesNotExist):
        services.booking_request(student=student, slot=slot)


def test_only_the_students_active_overlapping_bookings_clash(student, other_student):
    def slot(starts_at, ends_at):  # an educator each: one educator's slots never overlap
        return SlotFactory(educator=EducatorFactory(), starts_at=starts_at, ends_at=ends_at)

    target = SlotFactory(educator=EducatorFactory(), capacity=3)
    start, end, hour = target.starts_at, target.ends_at, timedelta(hours=1)
    before, after = slot(start - hour, start), slot(end, end + hour)  # touching only
    cancelled = slot(start, end)
    theirs = slot(start, end)
    for each in (before, after, cancelled):
        services.booking_request(student=student, slot=each)
    services.booking_cancel(
        booking=cancelled.bookings.get(student=student), by=student, reason="No"
    )
    services.booking_request(student=other_student, slot=theirs)  # someone else's

    booking = services.booking_request(student=student, slot=target)
    with pytest.raises(BookingError) as again:
        services.booking_request(student=student, slot=target)
    assert again.value.message == errors.ALREADY_BOOKED

    for clashing in (
        slot(start + timedelta(minutes=10), start + timedelta(minutes=20)),  # inside
        slot(start - hour, end + hour),  # around
        slot(start + timedelta(minutes=30), end + hour),  # across the end
    ):
        with pytest.raises(BookingError) as overlap:
            services.booking_request(student=student, slot=clashing)
        assert overlap.value.message == errors.BOOKING_OVERLAP
    services.booking_cancel(booking=booking, by=student, reason="No")
    inside = slot(start + timedelta(minutes=10), start + timedelta(minutes=20))
    assert services.booking_request(student=student, slot=inside).slot == inside


def test_a_seat_taken_past_the_capacity_is_refused_by_the_table_as_full(student):
    slot = SlotFactory(educator=EducatorFactory(), capacity=1)
    Slot.objects.filter(pk=slot.pk).update(seats_taken=1)
    stale = Slot.objects.get(pk=slot.pk)
    stale.seats_taken = 0  # as a check that missed the seat: the table still refuses
    with pytest.raises(BookingError) as refused, transaction.atomic():
        services._create_booking(student=student, slot=stale, message="", actor=student)
    assert refused.value.message == errors.SLOT_FULL
    assert Slot.objects.get(pk=slot.pk).seats_taken == 1
    assert not slot.bookings.exists()


def test_a_seat_given_back_below_zero_is_refused_by_the_table():
    slot = SlotFactory(educator=EducatorFactory(), capacity=1)
    with pytest.raises(IntegrityError), transaction.atomic():
        services._move_seats(slot.pk, -1)
    assert Slot.objects.get(pk=slot.pk).seats_taken == 0
