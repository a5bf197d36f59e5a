"""Every booking rule and every transition of the status machine, through the services."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.core import mail
from django.utils import timezone

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

pytestmark = pytest.mark.django_db


def refused(kind: str, message: str):
    """Context manager: the call is refused with exactly this kind and message."""

    class _Refused:
        def __enter__(self):
            return self

        def __exit__(self, exc_type, exc, tb):
            assert exc_type is BookingError, f"expected a refusal, got {exc_type}"
            assert (exc.kind, exc.message) == (kind, message)
            return True

    return _Refused()


def tomorrow(hour: int = 10):
    base = timezone.now().replace(minute=0, second=0, microsecond=0)
    return base.replace(hour=hour) + timedelta(days=1)


def move_to_past(slot: Slot, *, started_minutes_ago: int = 30, length: int = 60) -> Slot:
    """Tests only: let time pass by moving a slot back (services refuse past slots)."""
    start = timezone.now() - timedelta(minutes=started_minutes_ago)
    Slot.objects.filter(pk=slot.pk).update(
        starts_at=start, ends_at=start + timedelta(minutes=length)
    )
    slot.refresh_from_db()
    return slot


# ---------------------------------------------------------------- slots (rule 6)


def test_slot_defaults_to_sixty_minutes_one_seat_with_approval(educator):
    slot = services.slot_create(educator=educator, starts_at=tomorrow())
    assert slot.ends_at - slot.starts_at == timedelta(minutes=60)
    assert (slot.capacity, slot.requires_approval, slot.seats_taken) == (1, True, 0)


def test_slot_duration_sets_the_end(educator):
    slot = services.slot_create(educator=educator, starts_at=tomorrow(), duration=45)
    assert slot.ends_at - slot.starts_at == timedelta(minutes=45)


def test_slot_only_for_educators(student):
    with refused(errors.FORBIDDEN, errors.NOT_AN_EDUCATOR):
        services.slot_create(educator=student, starts_at=tomorrow())


def test_slot_must_start_in_the_future(educator):
    with refused(errors.INVALID, errors.START_IN_PAST):
        services.slot_create(educator=educator, starts_at=timezone.now() - timedelta(minutes=1))


def test_slot_must_end_after_it_starts(educator):
    start = tomorrow()
    with refused(errors.INVALID, errors.ENDS_BEFORE_START):
        services.slot_create(educator=educator, starts_at=start, ends_at=start)


@pytest.mark.parametrize("capacity", [0, 51, -1])
def test_slot_capacity_between_1_and_50(educator, capacity):
    with refused(errors.INVALID, errors.CAPACITY_RANGE):
        services.slot_create(educator=educator, starts_at=tomorrow(), capacity=capacity)


@pytest.mark.parametrize(
    "link", ["javascript:alert(1)", "ftp://files.example.com", "meet.example.com", "http://"]
)
def test_slot_meeting_link_must_be_http(educator, link):
    with refused(errors.INVALID, errors.MEETING_LINK_INVALID):
        services.slot_create(educator=educator, starts_at=tomorrow(), meeting_link=link)


def test_slot_course_must_be_the_educators_own(educator, other_educator):
    theirs = CourseFactory(educator=other_educator)
    with refused(errors.FORBIDDEN, errors.NOT_COURSE_OWNER):
        services.slot_create(educator=educator, starts_at=tomorrow(), course=theirs)


def test_slot_cannot_overlap_another_open_slot(educator):
    services.slot_create(educator=educator, starts_at=tomorrow(10))
    with refused(errors.CONFLICT, errors.SLOT_OVERLAP):
        services.slot_create(educator=educator, starts_at=tomorrow(10) + timedelta(minutes=30))


def test_touching_slots_do_not_overlap(educator):
    services.slot_create(educator=educator, starts_at=tomorrow(10))
    services.slot_create(educator=educator, starts_at=tomorrow(11))
    assert Slot.objects.for_educator(educator).count() == 2


def test_withdrawn_slot_frees_its_time(educator):
    first = services.slot_create(educator=educator, starts_at=tomorrow(10))
    services.slot_withdraw(slot=first, by=educator)
    services.slot_create(educator=educator, starts_at=tomorrow(10))


def test_other_educators_may_use_the_same_time(educator, other_educator):
    services.slot_create(educator=educator, starts_at=tomorrow(10))
    services.slot_create(educator=other_educator, starts_at=tomorrow(10))


def test_capacity_never_below_seats_taken(educator):
    slot = SlotFactory(educator=educator, capacity=3)
    BookingFactory(slot=slot)
    BookingFactory(slot=slot)
    with refused(errors.CONFLICT, errors.CAPACITY_BELOW_SEATS.format(seats=2)):
        services.slot_update(slot=slot, by=educator, capacity=1)
    assert services.slot_update(slot=slot, by=educator, capacity=2).capacity == 2


def test_time_cannot_move_while_seats_are_held(educator):
    slot = SlotFactory(educator=educator)
    BookingFactory(slot=slot)
    with refused(errors.CONFLICT, errors.TIME_LOCKED):
        services.slot_update(slot=slot, by=educator, starts_at=slot.starts_at + timedelta(hours=3))


def test_time_moves_when_no_seat_is_held_and_keeps_its_length(educator):
    slot = SlotFactory(educator=educator, duration=30)
    new_start = slot.starts_at + timedelta(hours=5)
    slot = services.slot_update(slot=slot, by=educator, starts_at=new_start)
    assert (slot.starts_at, slot.ends_at) == (new_start, new_start + timedelta(minutes=30))


def test_course_cannot_change_while_seats_are_held(educator):
    first, second = CourseFactory(educator=educator), CourseFactory(educator=educator)
    slot = SlotFactory(educator=educator, course=first, capacity=2)
    BookingFactory(slot=slot)
    with refused(errors.CONFLICT, errors.COURSE_LOCKED):
        services.slot_update(slot=slot, by=educator, course=second)
    with refused(errors.CONFLICT, errors.COURSE_LOCKED):
        services.slot_update(slot=slot, by=educator, course=None)
    slot.refresh_from_db()
    assert slot.course == first


@pytest.mark.parametrize("minutes", [0, 4, 24 * 60 + 1])
def test_slot_length_between_5_minutes_and_24_hours(educator, minutes):
    with refused(errors.INVALID, errors.DURATION_RANGE):
        services.slot_create(educator=educator, starts_at=tomorrow(), duration=minutes)


def test_slot_length_limits_are_inclusive(educator):
    short = services.slot_create(educator=educator, starts_at=tomorrow(8), duration=5)
    long = services.slot_create(educator=educator, starts_at=tomorrow(9), duration=24 * 60)
    assert (short.duration_minutes, long.duration_minutes) == (5, 24 * 60)


def test_moving_a_slot_onto_another_is_refused(educator):
    first = SlotFactory(educator=educator, starts_at=tomorrow(10))
    second = SlotFactory(educator=educator, starts_at=tomorrow(14))
    with refused(errors.CONFLICT, errors.SLOT_OVERLAP):
        services.slot_update(slot=second, by=educator, starts_at=first.starts_at)


def test_only_the_owner_changes_a_slot(slot, other_educator, student):
    for user in (other_educator, student):
        with refused(errors.FORBIDDEN, errors.NOT_SLOT_OWNER):
            services.slot_update(slot=slot, by=user, capacity=2)
        with refused(errors.FORBIDDEN, errors.NOT_SLOT_OWNER):
            services.slot_withdraw(slot=slot, by=user)


def test_staff_may_change_any_slot(slot, staff):
    assert services.slot_update(slot=slot, by=staff, note="Moved room").note == "Moved room"


def test_withdrawn_slot_cannot_change(slot, educator):
    services.slot_withdraw(slot=slot, by=educator)
    with refused(errors.CONFLICT, errors.SLOT_WITHDRAWN):
        services.slot_update(slot=slot, by=educator, capacity=2)
    with refused(errors.CONFLICT, errors.SLOT_ALREADY_WITHDRAWN):
        services.slot_withdraw(slot=slot, by=educator)


def test_withdraw_cancels_active_bookings_and_keeps_everything(educator):
    slot = SlotFactory(educator=educator, capacity=3, meeting_link="https://meet.example.com/x")
    pending = BookingFactory(slot=slot)
    approved = services.booking_approve(booking=BookingFactory(slot=slot), by=educator)
    rejected = services.booking_reject(booking=BookingFactory(slot=slot), by=educator, reason="No")
    services.slot_withdraw(slot=slot, by=educator, reason="Ill today")

    slot.refresh_from_db()
    assert slot.withdrawn_at is not None and slot.seats_taken == 0
    statuses = dict(Booking.objects.filter(slot=slot).values_list("pk", "status"))
    assert statuses == {pending.pk: "cancelled", approved.pk: "cancelled", rejected.pk: "rejected"}
    assert Booking.objects.get(pk=approved.pk).decision_note == "Ill today"
    last = BookingEvent.objects.filter(booking=pending).last()
    assert (last.from_status, last.to_status, last.note, last.actor) == (
        "pending",
        "cancelled",
        "Ill today",
        educator,
    )


def test_withdraw_without_reason_records_the_default(slot, educator):
    booking = BookingFactory(slot=slot)
    services.slot_withdraw(slot=slot, by=educator)
    booking.refresh_from_db()
    assert booking.decision_note == errors.WITHDRAWN_DEFAULT_REASON


def test_started_slot_cannot_be_withdrawn(slot, educator):
    move_to_past(slot)
    with refused(errors.CONFLICT, errors.WITHDRAW_STARTED):
        services.slot_withdraw(slot=slot, by=educator)


def test_started_slot_cannot_be_moved_so_its_history_stays_true(educator, student):
    """Found by the invariant fuzzer: a finished slot whose seats were freed (completed)
    could be moved into the future, so a completed session became an upcoming, bookable one."""
    slot = SlotFactory(educator=educator, meeting_link="https://meet.example.com/a")
    booking = services.booking_approve(
        booking=BookingFactory(slot=slot, student=student), by=educator
    )
    move_to_past(slot, started_minutes_ago=90)
    services.close_past_sessions()
    later = timezone.now() + timedelta(days=3)
    with refused(errors.CONFLICT, errors.MOVE_STARTED):
        services.slot_update(slot=slot, by=educator, starts_at=later)
    with refused(errors.CONFLICT, errors.MOVE_STARTED):
        services.slot_update(slot=slot, by=educator, duration=30)
    booking.refresh_from_db()
    slot.refresh_from_db()
    assert booking.status == "completed" and slot.starts_at < booking.completed_at
    # What does not rewrite the past still changes.
    assert services.slot_update(slot=slot, by=educator, note="Recording sent").note


def test_slot_without_approval_may_leave_the_link_for_later(educator, student):
    """The contract keeps the meeting link optional on every slot (API.md): a slot that
    books without approval confirms at once, and carries the slot's link when it has one."""
    slot = services.slot_create(educator=educator, starts_at=tomorrow(9), requires_approval=False)
    booking = services.booking_request(student=student, slot=slot)
    assert (booking.status, booking.meeting_link) == ("approved", "")
    linked = SlotFactory(educator=educator, meeting_link="https://meet.example.com/a")
    linked = services.slot_update(slot=linked, by=educator, requires_approval=False)
    other = services.booking_request(student=student, slot=linked)
    assert (other.status, other.meeting_link) == ("approved", "https://meet.example.com/a")


# ---------------------------------------------------------------- requesting (rules 1-5)


def test_student_requests_a_seat(slot, student):
    booking = services.booking_request(student=student, slot=slot, message="Help with ORM")
    slot.refresh_from_db()
    assert (booking.status, booking.message, slot.seats_taken) == ("pending", "Help with ORM", 1)
    event = booking.history.get()
    assert (event.actor, event.from_status, event.to_status) == (student, "", "pending")


def test_only_students_request(slot, other_educator):
    with refused(errors.FORBIDDEN, errors.NOT_A_STUDENT):
        services.booking_request(student=other_educator, slot=slot)


def test_withdrawn_slot_cannot_be_requested(slot, educator, student):
    services.slot_withdraw(slot=slot, by=educator)
    with refused(errors.CONFLICT, errors.SLOT_WITHDRAWN):
        services.booking_request(student=student, slot=slot)


def test_started_slot_cannot_be_requested(slot, student):
    move_to_past(slot)
    with refused(errors.CONFLICT, errors.SLOT_STARTED):
        services.booking_request(student=student, slot=slot)


def test_course_slot_needs_enrolment(educator, student):
    course = CourseFactory(educator=educator)
    slot = SlotFactory(educator=educator, course=course)
    with refused(errors.FORBIDDEN, errors.NOT_ENROLLED):
        services.booking_request(student=student, slot=slot)
    services.enroll(student=student, course=course)
    assert services.booking_request(student=student, slot=slot).status == "pending"


def test_full_slot_is_refused(slot, student, other_student):
    services.booking_request(student=student, slot=slot)
    with refused(errors.CONFLICT, errors.SLOT_FULL):
        services.booking_request(student=other_student, slot=slot)


def test_one_active_booking_per_slot_and_student(educator, student):
    slot = SlotFactory(educator=educator, capacity=5)
    services.booking_request(student=student, slot=slot)
    with refused(errors.CONFLICT, errors.ALREADY_BOOKED):
        services.booking_request(student=student, slot=slot)


def test_student_may_request_again_after_cancelling(slot, student):
    first = services.booking_request(student=student, slot=slot)
    services.booking_cancel(booking=first, by=student)
    assert services.booking_request(student=student, slot=slot).status == "pending"


def test_overlapping_bookings_of_one_student_are_refused(educator, other_educator, student):
    mine = SlotFactory(educator=educator, starts_at=tomorrow(10))
    clash = SlotFactory(educator=other_educator, starts_at=tomorrow(10) + timedelta(minutes=30))
    touching = SlotFactory(educator=other_educator, starts_at=tomorrow(9))
    services.booking_request(student=student, slot=mine)
    with refused(errors.CONFLICT, errors.BOOKING_OVERLAP):
        services.booking_request(student=student, slot=clash)
    assert services.booking_request(student=student, slot=touching).status == "pending"


def test_message_is_at_most_1000_characters(slot, student):
    with refused(errors.INVALID, errors.MESSAGE_TOO_LONG):
        services.booking_request(student=student, slot=slot, message="x" * 1001)
    assert services.booking_request(student=student, slot=slot, message="x" * 1000)


def test_slot_without_approval_books_straight_to_approved_with_its_link(educator, student):
    slot = SlotFactory(
        educator=educator, requires_approval=False, meeting_link="https://meet.example.com/a"
    )
    booking = services.booking_request(student=student, slot=slot)
    assert (booking.status, booking.meeting_link) == ("approved", "https://meet.example.com/a")
    assert booking.decided_at is not None


# ---------------------------------------------------------------- transitions


def test_approve_sets_the_link_and_tells_the_student(slot, educator):
    booking = BookingFactory(slot=slot)
    mail.outbox.clear()
    with_link = "https://meet.example.com/room"
    booking = services.booking_approve(booking=booking, by=educator, meeting_link=with_link)
    assert (booking.status, booking.meeting_link) == ("approved", with_link)
    assert booking.history.last().to_status == "approved"


def test_approve_uses_the_slot_link_by_default(educator):
    slot = SlotFactory(educator=educator, meeting_link="https://meet.example.com/default")
    booking = services.booking_approve(booking=BookingFactory(slot=slot), by=educator)
    assert booking.meeting_link == "https://meet.example.com/default"


def test_approve_needs_a_link(slot, educator):
    booking = BookingFactory(slot=slot)
    with refused(errors.INVALID, errors.MEETING_LINK_REQUIRED):
        services.booking_approve(booking=booking, by=educator)
    with refused(errors.INVALID, errors.MEETING_LINK_INVALID):
        services.booking_approve(booking=booking, by=educator, meeting_link="javascript:x")
    booking.refresh_from_db()
    assert booking.status == "pending"


def test_only_the_slot_owner_decides(slot, other_educator, student):
    booking = BookingFactory(slot=slot, student=student)
    for user in (other_educator, student):
        with refused(errors.FORBIDDEN, errors.NOT_SLOT_OWNER):
            services.booking_approve(booking=booking, by=user, meeting_link="https://x.example")
        with refused(errors.FORBIDDEN, errors.NOT_SLOT_OWNER):
            services.booking_reject(booking=booking, by=user, reason="no")
        with refused(errors.FORBIDDEN, errors.NOT_SLOT_OWNER):
            services.booking_complete(booking=booking, by=user)


def test_reject_needs_a_reason_and_frees_the_seat(slot, educator):
    booking = BookingFactory(slot=slot)
    with refused(errors.INVALID, errors.REASON_REQUIRED):
        services.booking_reject(booking=booking, by=educator, reason="   ")
    booking = services.booking_reject(booking=booking, by=educator, reason="Fully booked week")
    slot.refresh_from_db()
    assert (booking.status, booking.rejection_reason, slot.seats_taken) == (
        "rejected",
        "Fully booked week",
        0,
    )


def test_student_cancels_pending_or_approved_before_start(educator):
    slot = SlotFactory(educator=educator, capacity=2, meeting_link="https://meet.example.com/c")
    pending = BookingFactory(slot=slot)
    approved = services.booking_approve(booking=BookingFactory(slot=slot), by=educator)
    for booking in (pending, approved):
        cancelled = services.booking_cancel(booking=booking, by=booking.student, reason="Sick")
        assert (cancelled.status, cancelled.decision_note) == ("cancelled", "Sick")
        assert cancelled.cancelled_at is not None
    slot.refresh_from_db()
    assert slot.seats_taken == 0


def test_only_the_requesting_student_cancels(slot, educator, other_student):
    booking = BookingFactory(slot=slot)
    for user in (educator, other_student):
        with refused(errors.FORBIDDEN, errors.NOT_BOOKING_STUDENT):
            services.booking_cancel(booking=booking, by=user)


def test_cannot_cancel_after_the_start(slot, educator):
    booking = services.booking_approve(
        booking=BookingFactory(slot=slot), by=educator, meeting_link="https://m.example.com"
    )
    move_to_past(slot)
    with refused(errors.CONFLICT, errors.CANCEL_STARTED):
        services.booking_cancel(booking=booking, by=booking.student)


def test_complete_only_after_the_start(slot, educator):
    booking = services.booking_approve(
        booking=BookingFactory(slot=slot), by=educator, meeting_link="https://m.example.com"
    )
    with refused(errors.CONFLICT, errors.COMPLETE_BEFORE_START):
        services.booking_complete(booking=booking, by=educator)
    move_to_past(slot)
    booking = services.booking_complete(booking=booking, by=educator)
    assert booking.status == "completed" and booking.completed_at is not None


def test_approving_after_the_start_is_refused(slot, educator):
    booking = BookingFactory(slot=slot)
    move_to_past(slot)
    with refused(errors.CONFLICT, errors.APPROVE_STARTED):
        services.booking_approve(booking=booking, by=educator, meeting_link="https://m.example")


ILLEGAL = [
    # (status reached first, action refused)
    ("approved", "approve"),
    ("approved", "reject"),
    ("rejected", "approve"),
    ("rejected", "reject"),
    ("rejected", "cancel"),
    ("rejected", "complete"),
    ("cancelled", "approve"),
    ("cancelled", "reject"),
    ("cancelled", "cancel"),
    ("cancelled", "complete"),
    ("pending", "complete"),
    ("completed", "approve"),
    ("completed", "reject"),
    ("completed", "cancel"),
    ("completed", "complete"),
]

PAST_TENSE = {
    "approve": "approved",
    "reject": "rejected",
    "cancel": "cancelled",
    "complete": "completed",
}


def _reach(status: str, educator) -> Booking:
    slot = SlotFactory(educator=educator, meeting_link="https://meet.example.com/r")
    booking = BookingFactory(slot=slot)
    if status in ("approved", "completed"):
        booking = services.booking_approve(booking=booking, by=educator)
    if status == "rejected":
        booking = services.booking_reject(booking=booking, by=educator, reason="No")
    if status == "cancelled":
        booking = services.booking_cancel(booking=booking, by=booking.student)
    if status == "completed":
        move_to_past(slot)
        booking = services.booking_complete(booking=booking, by=educator)
    return booking


def _act(action: str, booking: Booking, educator):
    if action == "approve":
        return services.booking_approve(booking=booking, by=educator)
    if action == "reject":
        return services.booking_reject(booking=booking, by=educator, reason="No")
    if action == "cancel":
        return services.booking_cancel(booking=booking, by=booking.student)
    return services.booking_complete(booking=booking, by=educator)


@pytest.mark.parametrize(("status", "action"), ILLEGAL)
def test_illegal_transitions_are_refused_and_change_nothing(educator, status, action):
    booking = _reach(status, educator)
    events = booking.history.count()
    message = errors.ILLEGAL_TRANSITION.format(status=status, action=PAST_TENSE[action])
    if status == "completed" and action == "cancel":
        message = errors.ILLEGAL_TRANSITION.format(status=status, action="cancelled")
    with refused(errors.CONFLICT, message):
        _act(action, booking, educator)
    booking.refresh_from_db()
    assert booking.status == status and booking.history.count() == events


def test_every_change_is_recorded_in_history(slot, educator):
    booking = BookingFactory(slot=slot)
    services.booking_approve(booking=booking, by=educator, meeting_link="https://m.example.com")
    services.booking_cancel(booking=booking, by=booking.student, reason="Clash")
    trail = list(booking.history.values_list("from_status", "to_status", "actor"))
    assert trail == [
        ("", "pending", booking.student.pk),
        ("pending", "approved", educator.pk),
        ("approved", "cancelled", booking.student.pk),
    ]


# ---------------------------------------------------------------- time decides


def test_close_past_sessions_rejects_unanswered_and_completes_ended(educator):
    unanswered = BookingFactory(slot=SlotFactory(educator=educator))
    held = services.booking_approve(
        booking=BookingFactory(slot=SlotFactory(educator=educator)),
        by=educator,
        meeting_link="https://m.example.com",
    )
    running = services.booking_approve(
        booking=BookingFactory(slot=SlotFactory(educator=educator)),
        by=educator,
        meeting_link="https://m.example.com",
    )
    upcoming = BookingFactory(slot=SlotFactory(educator=educator))
    move_to_past(unanswered.slot, started_minutes_ago=5)
    move_to_past(held.slot, started_minutes_ago=120)
    move_to_past(running.slot, started_minutes_ago=10)  # still running: stays approved

    assert services.close_past_sessions() == {"rejected": 1, "completed": 1}
    assert services.close_past_sessions() == {"rejected": 0, "completed": 0}

    statuses = {b.pk: b.status for b in Booking.objects.all()}
    assert statuses[unanswered.pk] == "rejected"
    assert statuses[held.pk] == "completed"
    assert statuses[running.pk] == "approved"
    assert statuses[upcoming.pk] == "pending"
    unanswered.refresh_from_db()
    assert unanswered.decision_note == "Not answered before the session started"  # issue 2
    assert unanswered.history.last().actor is None


# ---------------------------------------------------------------- courses and enrolment


def test_enrolment_is_idempotent(course, student):
    first, created = services.enroll(student=student, course=course)
    again, created_again = services.enroll(student=student, course=course)
    assert (first.pk, created, created_again) == (again.pk, True, False)


def test_enrolment_only_for_students_in_published_courses(course, educator, student):
    with refused(errors.FORBIDDEN, errors.NOT_A_STUDENT_ENROL):
        services.enroll(student=educator, course=course)
    services.course_update(course=course, by=educator, is_published=False)
    with refused(errors.CONFLICT, errors.COURSE_NOT_PUBLISHED):
        services.enroll(student=student, course=course)


def test_course_rules(educator, other_educator, student):
    with refused(errors.FORBIDDEN, errors.NOT_AN_EDUCATOR):
        services.course_create(educator=student, title="Nope")
    with refused(errors.INVALID, errors.TITLE_REQUIRED):
        services.course_create(educator=educator, title="  ")
    course = services.course_create(educator=educator, title="Django")
    assert course.field == educator.field
    with refused(errors.FORBIDDEN, errors.NOT_COURSE_OWNER):
        services.course_update(course=course, by=other_educator, title="Mine")


# ---------------------------------------------------------------- notifications


def test_each_change_emails_the_other_party_after_commit(
    slot, educator, student, django_capture_on_commit_callbacks
):
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=False) as pending:
        booking = services.booking_request(student=student, slot=slot, message="Hi")
    assert mail.outbox == []  # nothing leaves before the commit
    for callback in pending:
        callback()
    assert [m.to for m in mail.outbox] == [[educator.email]]
    with django_capture_on_commit_callbacks(execute=True):
        services.booking_reject(booking=booking, by=educator, reason="Busy")
    assert mail.outbox[-1].to == [student.email]
    assert "Busy" in mail.outbox[-1].body


def test_a_refused_change_sends_no_email(
    slot, student, other_student, django_capture_on_commit_callbacks
):
    services.booking_request(student=student, slot=slot)
    with (
        django_capture_on_commit_callbacks(execute=True) as callbacks,
        pytest.raises(BookingError),
    ):
        services.booking_request(student=other_student, slot=slot)
    assert callbacks == []


def test_a_mail_outage_does_not_break_the_change(
    slot, student, settings, caplog, django_capture_on_commit_callbacks
):
    settings.EMAIL_BACKEND = "scheduling.tests.test_services.BrokenBackend"
    with django_capture_on_commit_callbacks(execute=True):
        booking = services.booking_request(student=student, slot=slot)
    assert Booking.objects.get(pk=booking.pk).status == "pending"
    assert "Could not send" in caplog.text


class BrokenBackend:
    def __init__(self, *args, **kwargs):
        pass

    def send_messages(self, messages):
        raise ConnectionRefusedError("SMTP down")


def test_student_and_educator_factories_make_distinct_roles():
    assert StudentFactory().is_student and EducatorFactory().is_educator


def _closed_port() -> int:
    """A local TCP port nothing listens on: connecting to it is refused at once."""
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_an_unreachable_smtp_server_does_not_break_a_booking(
    slot, student, settings, caplog, django_capture_on_commit_callbacks
):
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", _closed_port()
    settings.EMAIL_TIMEOUT = 2
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        booking = services.booking_request(student=student, slot=slot, message="Hi")
    assert len(callbacks) == 1  # the mail was tried, after the commit
    slot.refresh_from_db()
    assert (Booking.objects.get(pk=booking.pk).status, slot.seats_taken) == ("pending", 1)
    assert "Could not send" in caplog.text


def _mailed_after(change, django_capture_on_commit_callbacks) -> list[str]:
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        change()
    return sorted(address for message in mail.outbox for address in message.to)


def test_every_transition_emails_the_other_party(
    educator, student, staff, django_capture_on_commit_callbacks
):
    link = "https://meet.example.com/t"
    slots = [SlotFactory(educator=educator, meeting_link=link) for _ in range(6)]
    bookings = [
        services.booking_request(student=student, slot=slot) for slot in slots
    ]  # each request mailed the educator (covered above)
    teacher, learner = [educator.email], [student.email]
    sent = lambda change: _mailed_after(change, django_capture_on_commit_callbacks)  # noqa: E731

    assert sent(lambda: services.booking_approve(booking=bookings[0], by=educator)) == learner
    assert sent(lambda: services.booking_cancel(booking=bookings[0], by=student)) == teacher
    reject = lambda: services.booking_reject(booking=bookings[1], by=educator, reason="Away")  # noqa: E731
    assert sent(reject) == learner
    assert "Reason: Away" in mail.outbox[0].body
    assert sent(lambda: services.slot_withdraw(slot=slots[2], by=educator)) == learner
    # Staff act for the educator: both parties hear about it.
    assert sent(lambda: services.booking_approve(booking=bookings[3], by=staff)) == sorted(
        teacher + learner
    )
    services.booking_approve(booking=bookings[4], by=educator)
    move_to_past(slots[4])
    assert sent(lambda: services.booking_complete(booking=bookings[4], by=educator)) == learner
    move_to_past(slots[5], started_minutes_ago=5)
    assert sent(services.close_past_sessions) == learner
    assert errors.NOT_ANSWERED_IN_TIME in mail.outbox[0].body


@pytest.mark.parametrize(
    "link",
    [
        "https://meet.example.com/a\nb",
        "https://meet.example.com/a\tb",
        "https://meet.example.com/a\x00b",
        "http://[::1",
        "http://meet.example.com:port/",
        "https://" + "a" * 500 + ".example",
    ],
)
def test_meeting_links_with_control_characters_or_broken_hosts_are_refused(slot, educator, link):
    booking = BookingFactory(slot=slot)
    with refused(errors.INVALID, errors.MEETING_LINK_INVALID):
        services.booking_approve(booking=booking, by=educator, meeting_link=link)
    with refused(errors.INVALID, errors.MEETING_LINK_INVALID):
        services.slot_update(slot=slot, by=educator, meeting_link=link)


def test_nul_characters_in_user_text_are_dropped_not_fatal(slot, student, educator):
    """PostgreSQL cannot store NUL; a stray one must not turn a request into a server error."""
    booking = services.booking_request(student=student, slot=slot, message="Hi\x00 there")
    assert Booking.objects.get(pk=booking.pk).message == "Hi there"
    booking = services.booking_reject(booking=booking, by=educator, reason="Busy\x00")
    assert Booking.objects.get(pk=booking.pk).decision_note == "Busy"
    course = services.course_create(educator=educator, title="Dja\x00ngo", description="a\x00b")
    course.refresh_from_db()
    assert (course.title, course.description) == ("Django", "ab")


def test_slot_given_an_end_is_held_to_the_same_length_limits(educator):
    start = tomorrow()
    for end in (start + timedelta(minutes=1), start + timedelta(hours=24, minutes=1)):
        with refused(errors.INVALID, errors.DURATION_RANGE):
            services.slot_create(educator=educator, starts_at=start, ends_at=end)
    slot = SlotFactory(educator=educator, starts_at=tomorrow(8))
    with refused(errors.INVALID, errors.DURATION_RANGE):
        services.slot_update(slot=slot, by=educator, ends_at=slot.starts_at + timedelta(seconds=30))
    assert not Slot.objects.exclude(pk=slot.pk).exists()


@pytest.mark.parametrize(
    "starts_at",
    [
        datetime(9999, 12, 31, 23, 30),  # naive: read in the current timezone
        datetime(9999, 12, 31, 20, 0, tzinfo=ZoneInfo("America/Los_Angeles")),  # UTC: year 10000
        datetime(9999, 1, 1, tzinfo=UTC),
    ],
)
def test_slot_at_the_end_of_the_calendar_is_refused_not_a_crash(educator, starts_at):
    with refused(errors.INVALID, errors.TOO_FAR_AHEAD):
        services.slot_create(educator=educator, starts_at=starts_at)
    with refused(errors.INVALID, errors.TOO_FAR_AHEAD):  # the admin's form calls this directly
        services.check_slot(
            educator=educator,
            starts_at=starts_at,
            ends_at=starts_at,
            capacity=1,
            course=None,
            meeting_link="",
        )
    assert not Slot.objects.exists()


def test_withdraw_reports_how_many_bookings_it_cancelled(educator):
    slot = SlotFactory(educator=educator, capacity=3)
    BookingFactory(slot=slot)
    services.booking_reject(booking=BookingFactory(slot=slot), by=educator, reason="No")
    assert services.slot_withdraw(slot=slot, by=educator).cancelled_bookings == 1
    empty = SlotFactory(educator=educator, starts_at=tomorrow(15))
    assert services.slot_withdraw(slot=empty, by=educator).cancelled_bookings == 0


def test_a_past_start_for_a_started_slot_is_invalid_input_not_a_conflict(educator):
    """API.md: a start in the past is invalid input (400), also for a slot that has begun."""
    slot = SlotFactory(educator=educator)
    move_to_past(slot, started_minutes_ago=30)
    with refused(errors.INVALID, errors.START_IN_PAST):
        services.slot_update(slot=slot, by=educator, starts_at=timezone.now() - timedelta(hours=2))
