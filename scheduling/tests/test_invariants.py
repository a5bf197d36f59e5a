"""Invariant fuzzing: random sequences of service calls under a moving clock.

Hypothesis drives every service that changes bookings (slots created, moved, resized and
withdrawn; enrolment; requests approved, rejected, cancelled and completed; past sessions
closed) for three students, two educators and a staff member while the clock moves on.
After every step the database must still hold what DESIGN.md promises:

- a slot's `seats_taken` equals its active (pending/approved) bookings, never above capacity,
  and a withdrawn slot holds none;
- one active booking per student and slot, and no student in two active bookings at once;
- every booking's history runs from its creation to its current status through legal
  changes only, and its timestamps agree with its slot (requested before it started,
  completed after it started);
- nothing is ever deleted;
- a refusal (`BookingError`) is one the rules explain and leaves no trace in the database;
  any other exception fails the test.

The number of examples comes from a Hypothesis settings profile: `invariants` (the default,
bounded for CI) or `invariants-deep` (`INVARIANTS_PROFILE=invariants-deep make test
PYTEST_ARGS=scheduling/tests/test_invariants.py`). Failing examples are kept in
`.hypothesis/` and replayed first on the next run.
"""

from __future__ import annotations

import os
from collections import Counter, defaultdict
from datetime import UTC, datetime, timedelta
from itertools import combinations, pairwise
from pathlib import Path
from unittest import mock

from django.db import transaction
from django.db.models import F, Q
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.database import DirectoryBasedExampleDatabase
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)

from accounts.models import User
from scheduling import errors, services
from scheduling.errors import BookingError
from scheduling.models import (
    ACTIVE_STATUSES,
    Booking,
    BookingEvent,
    BookingStatus,
    Course,
    Enrollment,
    Slot,
)
from scheduling.tests import factories

EXAMPLES_DIR = Path(__file__).resolve().parents[2] / ".hypothesis" / "examples"
_common = dict(
    deadline=None,
    database=DirectoryBasedExampleDatabase(str(EXAMPLES_DIR)),
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    print_blob=True,
)
settings.register_profile("invariants", max_examples=50, stateful_step_count=40, **_common)
settings.register_profile("invariants-deep", max_examples=500, stateful_step_count=60, **_common)
PROFILE = os.environ.get("INVARIANTS_PROFILE", "invariants")

# A fixed Monday morning: runs are reproducible, and far enough ahead of any real clock.
BASE = datetime(2031, 3, 10, 8, 0, tzinfo=UTC)
QUARTER = timedelta(minutes=15)
LINK = "https://meet.example.com/room"
# Which row a call acts on: (aim at a row it may succeed on?, row number).
ROW = st.tuples(st.sampled_from([True, True, True, False]), st.integers(0, 30))

PENDING, APPROVED = BookingStatus.PENDING, BookingStatus.APPROVED
REJECTED, CANCELLED, COMPLETED = (
    BookingStatus.REJECTED,
    BookingStatus.CANCELLED,
    BookingStatus.COMPLETED,
)
# The status machine of DESIGN.md: ("", x) is a booking's creation.
LEGAL = {
    ("", PENDING),
    ("", APPROVED),
    (PENDING, APPROVED),
    (PENDING, REJECTED),
    (PENDING, CANCELLED),
    (APPROVED, CANCELLED),
    (APPROVED, COMPLETED),
}
TRACKED = (User, Course, Enrollment, Slot, Booking, BookingEvent)

# Counted across the whole run, reported at the end so CI output shows what was fuzzed.
FIGURES: Counter = Counter()


def summary() -> str:
    """One line for the end of the test run: examples, calls, and what succeeded."""
    done = ", ".join(
        f"{name} {count}"
        for name, count in sorted(FIGURES.items())
        if name not in {"examples", "steps", "successes", "refusals"}
    )
    return (
        f"{FIGURES['examples']} examples, {FIGURES['steps']} service calls "
        f"({FIGURES['successes']} succeeded, {FIGURES['refusals']} refused as the rules say); "
        f"succeeded: {done}"
    )


class Clock:
    """What `django.utils.timezone.now` answers during the run: it only moves forward."""

    def __init__(self) -> None:
        self.now = BASE

    def __call__(self) -> datetime:
        return self.now


CLOCK = Clock()


def snapshot() -> tuple:
    """Every row the services write, to prove a refusal wrote nothing."""
    return tuple(
        tuple(model.objects.order_by("pk").values_list())
        for model in (Course, Enrollment, Slot, Booking, BookingEvent)
    )


def overlaps(a: Slot, b: Slot) -> bool:
    return a.starts_at < b.ends_at and b.starts_at < a.ends_at


class Cast:
    """The people and courses every example starts from (created once per test)."""

    def __init__(self) -> None:
        self.students = [factories.StudentFactory() for _ in range(3)]
        self.educators = [factories.EducatorFactory() for _ in range(2)]
        self.staff = factories.EducatorFactory(is_staff=True, is_superuser=True)
        first, second = self.educators
        self.courses = [
            factories.CourseFactory(educator=first),
            factories.CourseFactory(educator=first, is_published=False),
            factories.CourseFactory(educator=second),
        ]


class ServiceMachine(RuleBasedStateMachine):
    """One example: a fresh database state (rolled back afterwards) and a clock at BASE."""

    cast: Cast

    def __init__(self) -> None:
        super().__init__()
        CLOCK.now = BASE
        self._atomic = transaction.atomic()
        self._atomic.__enter__()
        self.seen = {model: set(model.objects.values_list("pk", flat=True)) for model in TRACKED}
        FIGURES["examples"] += 1

    def teardown(self) -> None:
        transaction.set_rollback(True)
        self._atomic.__exit__(None, None, None)

    # ------------------------------------------------------------ helpers

    @staticmethod
    def pick(queryset, row: tuple[bool, int], *likely_q, **likely):
        """Row number `index` of `queryset`; with `hopeful`, of those matching `likely`
        (rows the call may succeed on), so that long, successful histories are explored
        as well as refusals."""
        hopeful, index = row
        rows = list(queryset.filter(*likely_q, **likely).order_by("pk")) if hopeful else []
        rows = rows or list(queryset.order_by("pk"))
        return rows[index % len(rows)] if rows else None

    def actor(self, owner: User, who: str) -> User:
        """The owner, someone of the same role who does not own it, or staff."""
        if who == "staff":
            return self.cast.staff
        if who == "owner":
            return owner
        pool = self.cast.educators if owner.is_educator else self.cast.students
        return next(user for user in pool if user.pk != owner.pk)

    def course_for(self, educator: User, which: str) -> Course | None:
        if which == "none":
            return None
        own = [c for c in self.cast.courses if c.educator_id == educator.pk]
        if which == "own":
            return own[0]
        return next(c for c in self.cast.courses if c.educator_id != educator.pk)

    def attempt(self, reasons: set[str], service, **arguments):
        """Run one service call. `reasons`: every refusal the rules allow here (empty: it
        must succeed). A refusal must be one of them and must leave the database as it was."""
        FIGURES["steps"] += 1
        before = snapshot()
        try:
            result = service(**arguments)
        except BookingError as refusal:
            FIGURES["refusals"] += 1
            assert snapshot() == before, f"{refusal!r} left a partial write"
            assert refusal.message in reasons, f"unexpected {refusal!r}; expected {reasons}"
            return None
        assert not reasons, f"succeeded although the rules say {reasons}"
        FIGURES["successes"] += 1
        FIGURES[service.__name__] += 1
        return result

    @staticmethod
    def open_slot() -> dict:
        return {"withdrawn_at__isnull": True, "starts_at__gt": CLOCK.now}

    @staticmethod
    def quarter_now() -> datetime:
        return CLOCK.now.replace(minute=CLOCK.now.minute // 15 * 15)

    def decision_refusals(self, booking: Booking, by, *, needs: str, action: str) -> set[str]:
        """What refuses an educator's decision: not their slot, or the wrong status."""
        reasons = set()
        if not self.can_manage(by, booking.slot):
            reasons.add(errors.NOT_SLOT_OWNER)
        if booking.status != needs:
            reasons.add(errors.ILLEGAL_TRANSITION.format(status=booking.status, action=action))
        return reasons

    def can_manage(self, user: User | None, slot: Slot) -> bool:
        return user is None or user.is_staff or slot.educator_id == user.pk

    def educator_clashes(self, educator: User, starts_at, ends_at, exclude=None) -> bool:
        others = Slot.objects.filter(educator=educator, withdrawn_at__isnull=True)
        probe = Slot(starts_at=starts_at, ends_at=ends_at)
        return any(overlaps(probe, other) for other in others if other.pk != exclude)

    # ------------------------------------------------------------ the clock

    @initialize(
        slots=st.lists(
            st.tuples(
                st.integers(0, 1),
                st.integers(1, 48),
                st.sampled_from([30, 60, 90]),
                st.integers(1, 3),
                st.sampled_from(["none", "none", "own"]),
                st.booleans(),
            ),
            min_size=2,
            max_size=6,
        ),
        enrolments=st.lists(st.tuples(st.integers(0, 2), st.integers(0, 2)), max_size=6),
        requests=st.lists(st.tuples(st.integers(0, 2), ROW), max_size=8),
    )
    def open_calendar(self, slots, enrolments, requests):
        """Start from a few open slots, enrolments and requests, so that the decisions
        and the clock have bookings to act on from the first step."""
        for educator, quarters, minutes, capacity, course, approval in slots:
            self.slot_create(educator, quarters, minutes, capacity, course, approval, LINK)
        for student, course in enrolments:
            self.enroll(student, course)
        for student, row in requests:
            self.booking_request(student, row)

    @rule(minutes=st.sampled_from([5, 15, 30, 60, 180]), cron=st.booleans())
    def time_passes(self, minutes, cron):
        """The clock moves on; then, perhaps, the scheduled close_past_sessions runs."""
        CLOCK.now += timedelta(minutes=minutes)
        if cron:
            self.close_past_sessions()

    @rule(
        edge=st.sampled_from(["starts_at", "ends_at"]),
        minutes=st.sampled_from([-1, 0, 0, 1, 10]),
        cron=st.booleans(),
    )
    def time_reaches_the_next_slot(self, edge, minutes, cron):
        """The clock moves to just before, at or after the next slot start or end: the
        moments where "has started" and "has ended" change their answer."""
        upcoming = Slot.objects.filter(**{f"{edge}__gt": CLOCK.now}).order_by(edge)
        slot = upcoming.first()
        if slot is None:
            return
        CLOCK.now = max(CLOCK.now, getattr(slot, edge) + timedelta(minutes=minutes))
        if cron:
            self.close_past_sessions()

    # ------------------------------------------------------------ slots

    # Enough open slots make a busy calendar; more would only dilute the bookings.
    @precondition(lambda self: Slot.objects.open(CLOCK.now).count() < 6)
    @rule(
        educator=st.integers(0, 1),
        quarters=st.integers(-2, 48),
        minutes=st.sampled_from([15, 30, 60, 90]),
        capacity=st.integers(1, 3),
        course=st.sampled_from(["none", "none", "none", "own", "own", "other"]),
        requires_approval=st.booleans(),
        link=st.sampled_from(["", LINK]),
    )
    def slot_create(self, educator, quarters, minutes, capacity, course, requires_approval, link):
        educator = self.cast.educators[educator]
        starts_at = self.quarter_now() + quarters * QUARTER
        ends_at = starts_at + timedelta(minutes=minutes)
        course = self.course_for(educator, course)
        reasons = set()
        if starts_at <= CLOCK.now:
            reasons.add(errors.START_IN_PAST)
        if self.educator_clashes(educator, starts_at, ends_at):
            reasons.add(errors.SLOT_OVERLAP)
        if course is not None and course.educator_id != educator.pk:
            reasons.add(errors.NOT_COURSE_OWNER)
        slot = self.attempt(
            reasons,
            services.slot_create,
            educator=educator,
            starts_at=starts_at,
            duration=minutes,
            capacity=capacity,
            course=course,
            requires_approval=requires_approval,
            meeting_link=link,
        )
        if slot is not None:
            assert (slot.starts_at, slot.ends_at, slot.seats_taken) == (starts_at, ends_at, 0)

    @rule(
        row=ROW,
        who=st.sampled_from(["owner", "owner", "owner", "other", "staff"]),
        # Move by some quarters from where it is, or to some quarters from now.
        move=st.none() | st.tuples(st.sampled_from(["by", "to"]), st.integers(-4, 24)),
        capacity=st.none() | st.integers(1, 3),
        course=st.none() | st.sampled_from(["none", "own", "other"]),
        requires_approval=st.none() | st.booleans(),
        link=st.none() | st.sampled_from(["", LINK]),
    )
    def slot_update(self, row, who, move, capacity, course, requires_approval, link):
        slot = self.pick(Slot.objects.all(), row, **self.open_slot())
        if slot is None:
            return
        by = self.actor(slot.educator, who)
        changes = {}
        if move is not None:
            how, quarters = move
            origin = slot.starts_at if how == "by" else self.quarter_now()
            changes["starts_at"] = origin + quarters * QUARTER
        if capacity is not None:
            changes["capacity"] = capacity
        if course is not None:
            changes["course"] = self.course_for(slot.educator, course)
        if requires_approval is not None:
            changes["requires_approval"] = requires_approval
        if link is not None:
            changes["meeting_link"] = link
        reasons = set()
        if not self.can_manage(by, slot):
            reasons.add(errors.NOT_SLOT_OWNER)
        if slot.withdrawn_at is not None:
            reasons.add(errors.SLOT_WITHDRAWN)
        new_start = changes.get("starts_at", slot.starts_at)
        if new_start != slot.starts_at:
            new_end = new_start + (slot.ends_at - slot.starts_at)
            if slot.starts_at <= CLOCK.now:
                reasons.add(errors.MOVE_STARTED)
            if new_start <= CLOCK.now:
                reasons.add(errors.START_IN_PAST)
            if slot.seats_taken:
                reasons.add(errors.TIME_LOCKED)
            if self.educator_clashes(slot.educator, new_start, new_end, exclude=slot.pk):
                reasons.add(errors.SLOT_OVERLAP)
        if changes.get("capacity", slot.capacity) < slot.seats_taken:
            reasons.add(errors.CAPACITY_BELOW_SEATS.format(seats=slot.seats_taken))
        if "course" in changes:
            new_course = changes["course"]
            if new_course is not None and new_course.educator_id != slot.educator_id:
                reasons.add(errors.NOT_COURSE_OWNER)
            if slot.seats_taken and getattr(new_course, "pk", None) != slot.course_id:
                reasons.add(errors.COURSE_LOCKED)
        saved = self.attempt(reasons, services.slot_update, slot=slot, by=by, **changes)
        if saved is not None:
            saved.refresh_from_db()
            assert saved.starts_at == new_start
            assert saved.ends_at - saved.starts_at == slot.ends_at - slot.starts_at
            assert saved.capacity == changes.get("capacity", slot.capacity)

    @rule(
        row=ROW,
        who=st.sampled_from(["owner", "owner", "other", "staff"]),
        reason=st.sampled_from(["", "Ill today."]),
    )
    def slot_withdraw(self, row, who, reason):
        slot = self.pick(Slot.objects.all(), row, **self.open_slot())
        if slot is None:
            return
        by = self.actor(slot.educator, who)
        holding = set(slot.bookings.active().values_list("pk", flat=True))
        reasons = set()
        if not self.can_manage(by, slot):
            reasons.add(errors.NOT_SLOT_OWNER)
        if slot.withdrawn_at is not None:
            reasons.add(errors.SLOT_ALREADY_WITHDRAWN)
        if slot.starts_at <= CLOCK.now:
            reasons.add(errors.WITHDRAW_STARTED)
        withdrawn = self.attempt(reasons, services.slot_withdraw, slot=slot, by=by, reason=reason)
        if withdrawn is not None:
            assert withdrawn.cancelled_bookings == len(holding)
            cancelled = Booking.objects.filter(pk__in=holding, status=CANCELLED)
            assert cancelled.count() == len(holding)
            assert all(
                b.decision_note == (reason or errors.WITHDRAWN_DEFAULT_REASON) for b in cancelled
            )

    # ------------------------------------------------------------ courses

    @rule(student=st.integers(0, 2), course=st.integers(0, 2))
    def enroll(self, student, course):
        student, course = self.cast.students[student], self.cast.courses[course]
        existed = Enrollment.objects.filter(student=student, course=course).exists()
        reasons = set() if course.is_published else {errors.COURSE_NOT_PUBLISHED}
        result = self.attempt(reasons, services.enroll, student=student, course=course)
        if result is not None:
            assert result[1] is not existed

    # ------------------------------------------------------------ bookings

    @rule(requests=st.lists(st.tuples(st.integers(0, 2), ROW), min_size=1, max_size=4))
    def request(self, requests):
        """A busy moment: one to four requests in a row."""
        for student, row in requests:
            self.booking_request(student, row)

    def booking_request(self, student, row):
        student = self.cast.students[student]
        enrolled = Enrollment.objects.filter(student=student).values("course_id")
        slot = self.pick(
            Slot.objects.all(),
            row,
            Q(course__isnull=True) | Q(course__in=enrolled),
            seats_taken__lt=F("capacity"),
            **self.open_slot(),
        )
        if slot is None:
            return
        mine = Booking.objects.active().filter(student=student).select_related("slot")
        reasons = set()
        if slot.withdrawn_at is not None:
            reasons.add(errors.SLOT_WITHDRAWN)
        if slot.starts_at <= CLOCK.now:
            reasons.add(errors.SLOT_STARTED)
        if (
            slot.course_id
            and not Enrollment.objects.filter(student=student, course_id=slot.course_id).exists()
        ):
            reasons.add(errors.NOT_ENROLLED)
        if any(b.slot_id == slot.pk for b in mine):
            reasons.add(errors.ALREADY_BOOKED)
        if slot.bookings.active().count() >= slot.capacity:
            reasons.add(errors.SLOT_FULL)
        if any(b.slot_id != slot.pk and overlaps(b.slot, slot) for b in mine):
            reasons.add(errors.BOOKING_OVERLAP)
        booking = self.attempt(
            reasons, services.booking_request, student=student, slot=slot, message="Hi"
        )
        if booking is not None:
            booking.refresh_from_db()
            assert booking.status == (PENDING if slot.requires_approval else APPROVED)

    def _booking(self, row, **likely) -> Booking | None:
        bookings = Booking.objects.select_related("slot", "slot__educator", "student")
        return self.pick(bookings, row, **likely)

    @rule(
        row=ROW,
        who=st.sampled_from(["owner", "owner", "other", "staff"]),
        link=st.sampled_from(["", LINK]),
    )
    def booking_approve(self, row, who, link):
        booking = self._booking(row, status=PENDING, slot__starts_at__gt=CLOCK.now)
        if booking is None:
            return
        by = self.actor(booking.slot.educator, who)
        reasons = self.decision_refusals(booking, by, needs=PENDING, action="approved")
        if booking.slot.starts_at <= CLOCK.now:
            reasons.add(errors.APPROVE_STARTED)
        if not (link or booking.slot.meeting_link):
            reasons.add(errors.MEETING_LINK_REQUIRED)
        self.attempt(
            reasons,
            services.booking_approve,
            booking=booking,
            by=by,
            meeting_link=link,
        )

    @rule(
        row=ROW,
        who=st.sampled_from(["owner", "owner", "other", "staff"]),
        reason=st.sampled_from(["Fully booked that day.", " "]),
    )
    def booking_reject(self, row, who, reason):
        booking = self._booking(row, status=PENDING)
        if booking is None:
            return
        by = self.actor(booking.slot.educator, who)
        reasons = self.decision_refusals(booking, by, needs=PENDING, action="rejected")
        if not reason.strip():
            reasons.add(errors.REASON_REQUIRED)
        self.attempt(reasons, services.booking_reject, booking=booking, by=by, reason=reason)

    @rule(row=ROW, who=st.sampled_from(["owner", "owner", "other", "staff"]))
    def booking_cancel(self, row, who):
        booking = self._booking(row, status__in=ACTIVE_STATUSES, slot__starts_at__gt=CLOCK.now)
        if booking is None:
            return
        by = self.actor(booking.student, who)
        reasons = set()
        if not (by.is_staff or by.pk == booking.student_id):
            reasons.add(errors.NOT_BOOKING_STUDENT)
        if booking.status not in ACTIVE_STATUSES:
            reasons.add(errors.ILLEGAL_TRANSITION.format(status=booking.status, action="cancelled"))
        if booking.slot.starts_at <= CLOCK.now:
            reasons.add(errors.CANCEL_STARTED)
        self.attempt(reasons, services.booking_cancel, booking=booking, by=by)

    @rule(
        row=ROW,
        who=st.sampled_from(["owner", "owner", "other", "staff", "system"]),
    )
    def booking_complete(self, row, who):
        booking = self._booking(row, status=APPROVED, slot__starts_at__lte=CLOCK.now)
        if booking is None:
            return
        by = None if who == "system" else self.actor(booking.slot.educator, who)
        reasons = self.decision_refusals(booking, by, needs=APPROVED, action="completed")
        if booking.slot.starts_at > CLOCK.now:
            reasons.add(errors.COMPLETE_BEFORE_START)
        self.attempt(reasons, services.booking_complete, booking=booking, by=by)

    def close_past_sessions(self):
        now = CLOCK.now
        due_pending = Booking.objects.filter(status=PENDING, slot__starts_at__lte=now).count()
        due_approved = Booking.objects.filter(status=APPROVED, slot__ends_at__lte=now).count()
        counts = self.attempt(set(), services.close_past_sessions)
        assert counts == {"rejected": due_pending, "completed": due_approved}
        assert not Booking.objects.filter(status=PENDING, slot__starts_at__lte=now).exists()
        assert not Booking.objects.filter(status=APPROVED, slot__ends_at__lte=now).exists()
        # Idempotent: a second run right away finds nothing left to settle.
        assert services.close_past_sessions() == {"rejected": 0, "completed": 0}

    # ------------------------------------------------------------ invariants

    @invariant()
    def seats_match_active_bookings(self):
        held = Counter(Booking.objects.active().values_list("slot_id", flat=True))
        for slot in Slot.objects.all():
            assert slot.seats_taken == held[slot.pk], (slot.pk, slot.seats_taken, held[slot.pk])
            assert slot.seats_taken <= slot.capacity
            if slot.withdrawn_at is not None:
                assert slot.seats_taken == 0, f"withdrawn slot {slot.pk} still holds seats"

    @invariant()
    def every_booking_carries_its_slots_educator(self):
        stray = Booking.objects.exclude(educator=F("slot__educator")).values_list("pk", flat=True)
        assert not stray, f"bookings whose educator is not their slot's: {list(stray)}"

    @invariant()
    def one_active_booking_per_student_and_slot(self):
        pairs = Counter(Booking.objects.active().values_list("student_id", "slot_id"))
        assert all(count == 1 for count in pairs.values()), pairs

    @invariant()
    def no_student_in_two_places_at_once(self):
        by_student = defaultdict(list)
        for booking in Booking.objects.active().select_related("slot"):
            by_student[booking.student_id].append(booking)
        for bookings in by_student.values():
            for a, b in combinations(bookings, 2):
                assert not overlaps(a.slot, b.slot), f"bookings {a.pk} and {b.pk} overlap"

    @invariant()
    def history_explains_every_status(self):
        chains = defaultdict(list)
        for event in BookingEvent.objects.order_by("pk"):
            chains[event.booking_id].append(event)
        for booking in Booking.objects.select_related("slot"):
            chain = chains[booking.pk]
            assert chain, f"booking {booking.pk} has no history"
            assert chain[0].from_status == "", chain[0]
            for before, after in pairwise(chain):
                assert after.from_status == before.to_status, (booking.pk, before, after)
            for event in chain:
                assert (event.from_status, event.to_status) in LEGAL, (booking.pk, event)
            assert chain[-1].to_status == booking.status, (booking.pk, chain, booking.status)
            slot = booking.slot
            assert booking.created_at < slot.starts_at, f"booking {booking.pk} after its start"
            if booking.status == COMPLETED:
                assert booking.completed_at >= slot.starts_at, f"{booking.pk} done before start"
            # An educator approves with a link; a slot booked without approval passes on its
            # own link, which API.md lets the educator leave empty.
            approved_by_educator = any(event.from_status == PENDING for event in chain)
            if booking.status in (APPROVED, COMPLETED) and approved_by_educator:
                assert booking.meeting_link, f"booking {booking.pk} confirmed without a link"
            if booking.status == REJECTED and booking.decision_note == errors.NOT_ANSWERED_IN_TIME:
                assert booking.decided_at >= slot.starts_at, f"{booking.pk} timed out early"
            if booking.is_active and slot.course_id:
                assert Enrollment.objects.filter(
                    student_id=booking.student_id, course_id=slot.course_id
                ).exists()

    @invariant()
    def nothing_is_deleted(self):
        for model in TRACKED:
            now = set(model.objects.values_list("pk", flat=True))
            lost = self.seen[model] - now
            assert not lost, f"{model.__name__} rows deleted: {sorted(lost)}"
            self.seen[model] = now


def test_service_calls_keep_every_invariant(db):
    ServiceMachine.cast = Cast()
    profile = settings.get_profile(PROFILE)
    with mock.patch("django.utils.timezone.now", CLOCK):
        run_state_machine_as_test(ServiceMachine, settings=profile)
    assert FIGURES["steps"] >= profile.max_examples, FIGURES
