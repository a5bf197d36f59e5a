"""Races for reschedule and the waitlist, on PostgreSQL (row locks) and SQLite (its one
write lock), with the thread helpers of test_races."""

from __future__ import annotations

from collections import Counter

import pytest

from scheduling import errors, services
from scheduling.models import Booking, Slot, WaitlistEntry
from scheduling.tests.factories import BookingFactory, EducatorFactory, SlotFactory, StudentFactory

# _real_concurrency: the autouse fixture that refuses a fake race, applied here too.
from scheduling.tests.test_races import (  # noqa: F401
    FIGURES,
    THREADS,
    _real_concurrency,
    outcome,
    race,
)

pytestmark = pytest.mark.django_db(transaction=True)


def test_racing_reschedules_into_the_last_seat_never_overbook():
    educator = EducatorFactory()
    target = SlotFactory(educator=educator, capacity=2)
    BookingFactory(slot=target)  # one seat left
    bookings = [BookingFactory(slot=SlotFactory(educator=educator)) for _ in range(THREADS)]
    results = race(
        [
            lambda b=b: services.booking_reschedule(booking=b, to_slot=target, by=b.student)
            for b in bookings
        ]
    )
    counts = Counter(outcome(r) if isinstance(r, Exception) else "moved" for r in results)
    FIGURES.append(f"{THREADS} reschedules into the last seat: {dict(counts)}")
    assert counts == {"moved": 1, errors.SLOT_FULL: THREADS - 1}
    target.refresh_from_db()
    assert target.seats_taken == 2 == Booking.objects.active().filter(slot=target).count()
    # Everyone refused still holds their old seat: nobody ended up with neither.
    for booking in bookings:
        booking.refresh_from_db()
        assert booking.is_active
        if booking.slot_id != target.pk:
            assert booking.slot.seats_taken == 1
    assert Booking.objects.active().count() == THREADS + 1


def test_seats_freed_at_once_go_to_the_first_waiting_students_exactly_once():
    educator = EducatorFactory()
    slot = SlotFactory(educator=educator, capacity=3)
    holders = [BookingFactory(slot=slot) for _ in range(3)]
    waiting = [StudentFactory() for _ in range(6)]
    for student in waiting:
        services.waitlist_join(student=student, slot=slot)
    late = [StudentFactory() for _ in range(THREADS - 3)]
    calls = [lambda b=b: services.booking_cancel(booking=b, by=b.student) for b in holders]
    # Meanwhile others try to join the (momentarily full or freed) slot directly.
    calls += [lambda s=s: services.booking_request(student=s, slot=slot) for s in late]
    results = race(calls)
    slot.refresh_from_db()
    got = set(Booking.objects.active().filter(slot=slot).values_list("student_id", flat=True))
    offered = WaitlistEntry.objects.filter(slot=slot, status="offered")
    FIGURES.append(
        f"3 seats freed at once, 6 waiting, {len(late)} direct requests: "
        f"{offered.count()} offered, {dict(Counter(outcome(r) for r in results[3:]))}"
    )
    assert slot.seats_taken == 3 == len(got)
    assert offered.count() + len(got & {s.pk for s in late}) == 3
    # Each offer is a booking of its own, and the first waiting were served first.
    assert len(set(offered.values_list("booking_id", flat=True))) == offered.count()
    served = [s.pk for s in waiting if s.pk in got]
    assert served == [s.pk for s in waiting[: len(served)]]
    assert all(
        r is None or not isinstance(r, Exception) or outcome(r) == errors.SLOT_FULL for r in results
    )


def test_concurrent_joins_get_distinct_positions_and_each_seat_one_student():
    educator = EducatorFactory()
    slot = SlotFactory(educator=educator, capacity=1)
    holder = BookingFactory(slot=slot)
    students = [StudentFactory() for _ in range(THREADS)]
    race([lambda s=s: services.waitlist_join(student=s, slot=slot) for s in students])
    assert WaitlistEntry.objects.filter(slot=slot, status="waiting").count() == THREADS
    services.booking_cancel(booking=holder, by=holder.student)
    slot.refresh_from_db()
    assert slot.seats_taken == 1
    assert WaitlistEntry.objects.filter(slot=slot, status="offered").count() == 1
    assert Slot.objects.get(pk=slot.pk).bookings.active().count() == 1


def test_two_moves_of_one_booking_at_once_move_it_once_and_refuse_the_other():
    educator = EducatorFactory()
    booking = BookingFactory(slot=SlotFactory(educator=educator))
    first, second = SlotFactory(educator=educator), SlotFactory(educator=educator)
    stale = [Booking.objects.get(pk=booking.pk) for _ in range(2)]
    results = race(
        [
            lambda b=b, t=t: services.booking_reschedule(booking=b, to_slot=t, by=b.student)
            for b, t in zip(stale, (first, second), strict=True)
        ]
    )
    counts = Counter(outcome(r) if isinstance(r, Exception) else "moved" for r in results)
    assert counts == {"moved": 1, errors.RESCHEDULE_MOVED_MEANWHILE: 1}
    refused = next(r for r in results if isinstance(r, Exception))
    assert refused.http_status == 409
    booking.refresh_from_db()
    moved_to = next(
        t
        for t, r in zip((first, second), results, strict=True)
        if r is not None and not isinstance(r, Exception)
    )
    assert booking.slot_id == moved_to.pk
    seats = {s.pk: s.seats_taken for s in Slot.objects.all()}
    assert seats == {pk: int(pk == moved_to.pk) for pk in seats}
