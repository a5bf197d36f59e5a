"""Concurrency: many processes' worth of requests at once, on PostgreSQL and on SQLite.

Each thread has its own database connection and they are released together by a barrier,
so the requests really overlap inside the database. PostgreSQL serialises them on row locks;
SQLite (a file database, as deployed) on its one write lock, which IMMEDIATE transactions
take at BEGIN while the busy timeout makes the others queue instead of failing.
"""

from __future__ import annotations

import os
import signal
import threading
import time
from collections import Counter

import pytest
from django.db import connection, connections, transaction

from accounts.models import User
from scheduling import errors, services
from scheduling.errors import BookingError
from scheduling.models import Booking, BookingEvent, Slot
from scheduling.tests.factories import (
    BookingFactory,
    CourseFactory,
    EducatorFactory,
    SlotFactory,
    StudentFactory,
)

pytestmark = pytest.mark.django_db(transaction=True)

THREADS = 24
FIGURES: list[str] = []  # printed at the end of the run by the root conftest


@pytest.fixture(autouse=True)
def _real_concurrency():
    if os.environ.get("MENTORING_REQUIRE_POSTGRES") == "1" and connection.vendor != "postgresql":
        pytest.fail("this run must race on PostgreSQL (MENTORING_REQUIRE_POSTGRES=1)")
    if connection.vendor == "sqlite" and connection.is_in_memory_db():
        pytest.fail("races on SQLite need a file database (the root conftest makes one)")


def race(calls) -> list:
    """Run each call in its own thread and connection, all released at once.

    Returns what each call returned or raised, in order.
    """
    barrier = threading.Barrier(len(calls))
    results: list = [None] * len(calls)

    def run(index, call):
        try:
            barrier.wait()
            results[index] = call()
        except Exception as exc:  # the outcome is what we inspect
            results[index] = exc
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(i, c)) for i, c in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return results


def outcome(result) -> str:
    if isinstance(result, BookingError):
        return result.message
    if isinstance(result, Exception):
        return f"unexpected {type(result).__name__}: {result}"
    return "booked"


def test_capacity_holds_when_many_students_race_for_a_slot():
    slot = SlotFactory(educator=EducatorFactory(), capacity=3)
    students = [StudentFactory() for _ in range(THREADS)]
    results = race([lambda s=s: services.booking_request(student=s, slot=slot) for s in students])
    counts = Counter(outcome(r) for r in results)
    FIGURES.append(f"{THREADS} students racing for 3 seats: {dict(counts)}")
    assert counts == {"booked": 3, errors.SLOT_FULL: THREADS - 3}
    slot.refresh_from_db()
    assert Booking.objects.filter(slot=slot).count() == 3
    assert slot.seats_taken == 3


def test_one_student_racing_for_one_slot_gets_one_booking():
    slot = SlotFactory(educator=EducatorFactory(), capacity=10)
    student = StudentFactory()
    results = race([lambda: services.booking_request(student=student, slot=slot)] * THREADS)
    counts = Counter(outcome(r) for r in results)
    FIGURES.append(f"one student, {THREADS} concurrent requests for one slot: {dict(counts)}")
    assert counts == {"booked": 1, errors.ALREADY_BOOKED: THREADS - 1}
    assert Booking.objects.filter(slot=slot, student=student).count() == 1
    slot.refresh_from_db()
    assert slot.seats_taken == 1


def test_one_student_racing_for_overlapping_slots_gets_one():
    student = StudentFactory()
    first = SlotFactory(educator=EducatorFactory())
    clashing = [
        SlotFactory(educator=EducatorFactory(), starts_at=first.starts_at) for _ in range(7)
    ]
    slots = [first, *clashing]
    results = race([lambda s=s: services.booking_request(student=student, slot=s) for s in slots])
    counts = Counter(outcome(r) for r in results)
    FIGURES.append(f"one student, {len(slots)} overlapping slots at once: {dict(counts)}")
    assert counts == {"booked": 1, errors.BOOKING_OVERLAP: len(slots) - 1}


@pytest.mark.parametrize("round_", range(5))
def test_approve_racing_cancel_ends_in_exactly_one_state(round_):
    educator = EducatorFactory()
    slot = SlotFactory(educator=educator, meeting_link="https://meet.example.com/race")
    booking = BookingFactory(slot=slot)
    approve = lambda: services.booking_approve(booking=booking, by=educator)  # noqa: E731
    cancel = lambda: services.booking_cancel(booking=booking, by=booking.student)  # noqa: E731
    results = race([approve, cancel] if round_ % 2 else [cancel, approve])

    booking.refresh_from_db()
    trail = list(
        BookingEvent.objects.filter(booking=booking).values_list("from_status", "to_status")
    )
    path = " -> ".join(to for _, to in trail)
    FIGURES.append(f"approve vs cancel, round {round_}: {path}")
    if booking.status == "cancelled":
        # Either cancel won outright, or approve won and the student cancelled the approval.
        assert trail in (
            [("", "pending"), ("pending", "cancelled")],
            [("", "pending"), ("pending", "approved"), ("approved", "cancelled")],
        )
        if len(trail) == 2:
            refused = [r for r in results if isinstance(r, BookingError)]
            assert [r.message for r in refused] == [
                errors.ILLEGAL_TRANSITION.format(status="cancelled", action="approved")
            ]
    else:
        pytest.fail(f"cancel always applies to pending or approved; got {booking.status}")
    slot.refresh_from_db()
    assert slot.seats_taken == 0


def test_approve_racing_reject_applies_exactly_one():
    educator = EducatorFactory()
    slot = SlotFactory(educator=educator, meeting_link="https://meet.example.com/race")
    booking = BookingFactory(slot=slot)
    results = race(
        [
            lambda: services.booking_approve(booking=booking, by=educator),
            lambda: services.booking_reject(booking=booking, by=educator, reason="No"),
        ]
    )
    booking.refresh_from_db()
    assert booking.status in ("approved", "rejected")
    assert sum(isinstance(r, BookingError) for r in results) == 1
    transitions = BookingEvent.objects.filter(booking=booking).exclude(from_status="")
    assert [e.to_status for e in transitions] == [booking.status]
    slot.refresh_from_db()
    assert slot.seats_taken == (1 if booking.status == "approved" else 0)


def test_withdraw_racing_requests_leaves_no_active_booking():
    educator = EducatorFactory()
    slot = SlotFactory(educator=educator, capacity=10)
    students = [StudentFactory() for _ in range(10)]
    calls = [lambda s=s: services.booking_request(student=s, slot=slot) for s in students]
    calls.append(lambda: services.slot_withdraw(slot=slot, by=educator))
    race(calls)
    slot.refresh_from_db()
    assert slot.withdrawn_at is not None
    assert not Booking.objects.active().filter(slot=slot).exists()
    assert slot.seats_taken == 0


def test_overlapping_slots_created_concurrently_only_one_wins():
    educator = EducatorFactory()
    first = SlotFactory(educator=educator)
    Slot.objects.filter(pk=first.pk).delete()
    results = race(
        [
            lambda: services.slot_create(educator=educator, starts_at=first.starts_at)
            for _ in range(8)
        ]
    )
    counts = Counter(outcome(r) if isinstance(r, Exception) else "created" for r in results)
    assert counts == {"created": 1, errors.SLOT_OVERLAP: 7}


def test_a_transaction_that_reads_then_writes_is_not_refused_by_another_writer():
    """A read path that turns into a write waits for its turn; it is never refused mid-way.

    On SQLite a transaction that began with a read cannot take the write lock once another
    writer has committed since, and fails at once, whatever the busy timeout; IMMEDIATE
    transactions take the lock at BEGIN, so the second writer queues behind the first.
    """
    first, second = StudentFactory(), StudentFactory()
    has_read = threading.Event()

    def read_then_write():
        with transaction.atomic():
            User.objects.count()
            has_read.set()
            time.sleep(0.3)  # the other writer comes now
            User.objects.filter(pk=first.pk).update(first_name="First")

    def write():
        has_read.wait(10)
        with transaction.atomic():
            User.objects.filter(pk=second.pk).update(first_name="Second")

    results = race([read_then_write, write])
    assert results == [None, None]  # both returned; neither raised "database is locked"
    assert set(User.objects.values_list("first_name", flat=True)) == {"First", "Second"}


def test_sqlite_is_set_for_several_processes():
    """WAL (readers go on while one writer works) and a writer that waits its turn."""
    if connection.vendor != "sqlite":
        pytest.skip("SQLite's own settings")
    with connection.cursor() as cursor:
        assert cursor.execute("PRAGMA journal_mode").fetchone() == ("wal",)
        assert cursor.execute("PRAGMA busy_timeout").fetchone() == (20_000,)
    assert connection.transaction_mode == "IMMEDIATE"


def test_writers_wait_their_turn_without_signals_or_timers(educator, student):
    """A web worker's writes leave its signal handlers and interval timer alone: waiting for
    the write lock is SQLite's busy timeout, nothing of ours."""
    alarm_before = signal.getsignal(signal.SIGALRM)
    slot = SlotFactory(educator=educator)
    services.booking_request(student=student, slot=slot, message="Hello")
    assert signal.getsignal(signal.SIGALRM) is alarm_before
    assert signal.getitimer(signal.ITIMER_REAL) == (0.0, 0.0)


def test_the_slot_a_request_locks_is_locked_alone(educator, student):
    """The booking's read of its slot locks the slot row (as select_for_update(of=self)
    did), not the course's nor the educator's."""
    if connection.vendor != "postgresql":
        pytest.skip("row locks: PostgreSQL only (SQLite's IMMEDIATE transaction holds all)")
    from django.db import DatabaseError

    course = CourseFactory(educator=educator)
    slot = SlotFactory(educator=educator, course=course)

    def try_lock(table: str, pk: int) -> bool:
        def lock():
            with transaction.atomic(), connection.cursor() as cursor:
                cursor.execute(f"SELECT id FROM {table} WHERE id = %s FOR UPDATE NOWAIT", [pk])
            return True

        (outcome,) = race([lock])
        assert outcome is True or isinstance(outcome, DatabaseError), outcome
        return outcome is True

    with transaction.atomic():
        services._lock_slot_to_book(slot.pk, student=student)
        assert not try_lock("scheduling_slot", slot.pk)
        assert try_lock("scheduling_course", course.pk)
        assert try_lock("accounts_user", educator.pk)
    assert try_lock("scheduling_slot", slot.pk)
