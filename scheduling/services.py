"""Every write that has a rule. Pages, the JSON API and admin actions all call these.

Locking order, to keep concurrent writers from deadlocking: a user row (the student who
books, or the educator whose slots change) first, then the slot row, then booking rows.
"""

from __future__ import annotations

import zoneinfo
from datetime import UTC, date, datetime, time, timedelta
from urllib.parse import urlsplit

from django.db import IntegrityError, connection, transaction
from django.db.models import Exists, F, OuterRef, Q
from django.utils import timezone

from accounts.models import User

from . import errors, notifications
from .errors import BookingError
from .models import (
    ACTIVE_STATUSES,
    MAX_CAPACITY,
    MAX_HORIZON_WEEKS,
    MAX_SESSION_MINUTES,
    MESSAGE_MAX_LENGTH,
    MIN_CAPACITY,
    MIN_SESSION_MINUTES,
    POLICY_LIMITS,
    Booking,
    BookingEvent,
    BookingPolicy,
    BookingStatus,
    Course,
    Enrollment,
    Slot,
    WaitlistEntry,
    WaitlistStatus,
    WeeklyPattern,
)

DEFAULT_DURATION = timedelta(minutes=60)
MIN_DURATION = timedelta(minutes=5)
MAX_DURATION = timedelta(hours=24)
# An input bound, not a booking rule: far enough from datetime.max that adding a day or
# showing the time in any timezone cannot overflow.
LATEST = datetime(9999, 1, 1, tzinfo=UTC)

_UNSET = object()


# ---------------------------------------------------------------- shared checks


def _require_educator(user: User) -> None:
    if not (user.is_educator or user.is_staff):
        raise BookingError(errors.FORBIDDEN, errors.NOT_AN_EDUCATOR)


def _require_slot_owner(user: User | None, slot: Slot) -> None:
    if user is None:  # the system itself (scheduled jobs)
        return
    if not (user.is_staff or slot.educator_id == user.pk):
        raise BookingError(errors.FORBIDDEN, errors.NOT_SLOT_OWNER)


def validate_meeting_link(link: str, *, field: str = "meeting_link") -> str:
    """Only http(s) URLs with a host: a link is shown as a button, never as a script."""
    link = (link or "").strip()
    if not link:
        return ""
    # Whitespace or control characters inside a link are never legitimate (and PostgreSQL
    # refuses NUL outright); urlsplit would silently drop some of them.
    if any(char.isspace() or ord(char) < 32 or ord(char) == 127 for char in link):
        raise BookingError(errors.INVALID, errors.MEETING_LINK_INVALID, field=field)
    try:
        parts = urlsplit(link)
        parts.port  # noqa: B018 - raises ValueError for a port that is not a number
    except ValueError:  # e.g. "http://[::1" or "http://host:port"
        raise BookingError(errors.INVALID, errors.MEETING_LINK_INVALID, field=field) from None
    if parts.scheme.lower() not in ("http", "https") or not parts.netloc:
        raise BookingError(errors.INVALID, errors.MEETING_LINK_INVALID, field=field)
    if len(link) > 500:
        raise BookingError(errors.INVALID, errors.MEETING_LINK_INVALID, field=field)
    return link


def _text(value: str | None) -> str:
    """User text as stored: stripped, and without NUL, which PostgreSQL cannot store."""
    return (value or "").replace("\x00", "").strip()


def _lock_user(user: User) -> None:
    if not connection.features.has_select_for_update:
        # SQLite: no row locks; the transaction's BEGIN IMMEDIATE already holds the
        # database's one write lock, so the SELECT would lock nothing and only cost a query.
        return
    # Evaluated on purpose: a lazy queryset locks nothing.
    list(User.objects.select_for_update().filter(pk=user.pk).values_list("pk"))


def _lock_slot(slot_id: int) -> Slot:
    """The slot, its row locked (a booking request locks and reads more at once:
    `_lock_slot_to_book`)."""
    return Slot.objects.select_for_update(of=("self",)).get(pk=slot_id)


def _lock_slot_to_book(slot_id: int, *, student: User) -> Slot:
    """The slot, its row locked, with `educator` and `course` loaded and `enrolled`: whether
    `student` is enrolled in its course. Raises Slot.DoesNotExist."""
    enrolled = Enrollment.objects.filter(student=student, course=OuterRef("course"))
    return (
        Slot.objects.select_for_update(of=("self",))
        .select_related("educator", "course")
        .annotate(enrolled=Exists(enrolled))
        .get(pk=slot_id)
    )


def _clashing_slot_ids(student: User, starts_at: datetime, ends_at: datetime) -> set[int]:
    """Slots of the student's active bookings that share some time with [starts_at, ends_at)."""
    return set(
        Booking.objects.active()
        .for_student(student)
        .filter(slot__starts_at__lt=ends_at, slot__ends_at__gt=starts_at)
        .values_list("slot_id", flat=True)
    )


def _move_seats(slot_id: int, by: int) -> None:
    """Take (+1) or give back (-1) a seat of a locked slot; the table's constraints refuse
    a count outside 0..capacity (IntegrityError)."""
    Slot.objects.filter(pk=slot_id).update(seats_taken=F("seats_taken") + by)


def _lock_booking(booking: Booking) -> Booking:
    """Lock the slot, then the booking, and return the booking as it is now."""
    _lock_slot(booking.slot_id)
    return (
        Booking.objects.select_for_update(of=("self",))
        .select_related("slot", "slot__educator", "slot__course", "student")
        .get(pk=booking.pk)
    )


# ---------------------------------------------------------------- slots


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


# ---------------------------------------------------------------- courses


def course_create(
    *, educator: User, title: str, description: str = "", field: str = "", is_published=True
) -> Course:
    """An educator opens a course; its field defaults to the educator's own."""
    if not educator.is_educator:
        raise BookingError(errors.FORBIDDEN, errors.NOT_AN_EDUCATOR)
    title = _text(title)
    if not title:
        raise BookingError(errors.INVALID, errors.TITLE_REQUIRED, field="title")
    return Course.objects.create(
        educator=educator,
        title=title,
        description=(description or "").replace("\x00", ""),
        field=_text(field or educator.field),
        is_published=is_published,
    )


def course_update(*, course: Course, by: User, **changes) -> Course:
    """Edit title, description, field or the published flag of one's own course."""
    if not (by.is_staff or course.educator_id == by.pk):
        raise BookingError(errors.FORBIDDEN, errors.NOT_COURSE_OWNER)
    allowed = {"title", "description", "field", "is_published"}
    for name, value in changes.items():
        if name not in allowed:
            raise TypeError(f"course_update() got an unexpected field {name!r}")
        if isinstance(value, str):
            value = value.replace("\x00", "")
        if name == "title":
            value = _text(value)
            if not value:
                raise BookingError(errors.INVALID, errors.TITLE_REQUIRED, field="title")
        setattr(course, name, value)
    course.save()
    return course


def enroll(*, student: User, course: Course) -> tuple[Enrollment, bool]:
    """Enrol a student in a published course; enrolling twice changes nothing."""
    if not student.is_student:
        raise BookingError(errors.FORBIDDEN, errors.NOT_A_STUDENT_ENROL)
    if not course.is_published:
        raise BookingError(errors.CONFLICT, errors.COURSE_NOT_PUBLISHED)
    try:
        with transaction.atomic():
            return Enrollment.objects.get_or_create(student=student, course=course)
    except IntegrityError:  # a concurrent enrolment won the race: same outcome
        return Enrollment.objects.get(student=student, course=course), False


# ---------------------------------------------------------------- bookings


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
        _move_seats(booking.slot_id, -1)
        booking.slot.seats_taken = max(booking.slot.seats_taken - 1, 0)
    notifications.booking_changed(booking, actor=actor, from_status=from_status)
    if freed and not booking.slot.is_withdrawn:
        waitlist_offer_seats(slot_id=booking.slot_id)
    return booking


def _record_event(booking: Booking, *, actor: User | None, from_status: str, note: str = ""):
    """One line of the booking's history: its change from `from_status` to its status now."""
    return BookingEvent.objects.create(
        booking=booking, actor=actor, from_status=from_status, to_status=booking.status, note=note
    )


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
    with transaction.atomic():
        # The student first (their overlap check), then the slot (its seat count): two
        # requests may otherwise read the same numbers and both write.
        _lock_user(student)
        policy = _lock_policy(slot.educator_id)
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


def _create_booking(*, student: User, slot: Slot, message: str, actor: User | None) -> Booking:
    """Insert a booking into a locked, checked slot and take its seat."""
    now = timezone.now()
    auto = not slot.requires_approval
    status = BookingStatus.APPROVED if auto else BookingStatus.PENDING
    try:
        booking = Booking.objects.create(
            slot=slot,
            student=student,
            educator_id=slot.educator_id,
            message=message,
            status=status,
            meeting_link=slot.meeting_link if auto else "",
            decided_at=now if auto else None,
        )
        _move_seats(slot.pk, +1)
    except IntegrityError as exc:
        # The constraints caught what the checks missed; raising rolls the whole
        # transaction back, so no savepoint is needed.
        if "seats" in str(exc):
            raise BookingError(errors.CONFLICT, errors.SLOT_FULL) from exc
        raise BookingError(errors.CONFLICT, errors.ALREADY_BOOKED) from exc
    slot.seats_taken += 1
    booking.slot = slot
    note = "Booked without approval" if auto else ""
    if actor is None:
        note = "Offered from the waitlist" + (" and booked" if auto else "")
    _record_event(booking, actor=actor, from_status="", note=note)
    notifications.booking_changed(
        booking, actor=actor, from_status="", event="" if actor else "waitlist_offer"
    )
    return booking


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


# ---------------------------------------------------------------- booking policies


def _lock_policy(educator_id: int) -> BookingPolicy:
    """The educator's policy; their row is locked when a rule counts their other sessions
    (buffer, daily maximum), so two requests cannot both take the last place of a day."""
    policy = BookingPolicy.for_educator(educator_id)
    if policy.buffer_minutes or policy.daily_max:
        _lock_user(User(pk=educator_id))
    return policy


def policy_update(*, educator: User, by: User, **changes) -> BookingPolicy:
    """Save an educator's booking policies; only the values given change.

    Each value is a whole number within POLICY_LIMITS; the policies apply to requests made
    from now on (existing bookings stay).
    """
    if not (by.is_staff or by.pk == educator.pk) or not educator.is_educator:
        raise BookingError(errors.FORBIDDEN, errors.NOT_AN_EDUCATOR)
    check_policy_values(**changes)
    with transaction.atomic():
        policy, _ = BookingPolicy.objects.select_for_update().get_or_create(educator=educator)
        for name, value in changes.items():
            setattr(policy, name, value)
        policy.save()
    return policy


def check_policy_values(**changes) -> None:
    """Each policy value a whole number within its POLICY_LIMITS; raises BookingError."""
    for name, value in changes.items():
        if name not in POLICY_LIMITS:
            raise TypeError(f"policy_update() got an unexpected field {name!r}")
        low, high = POLICY_LIMITS[name]
        if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
            label = BookingPolicy._meta.get_field(name).verbose_name.capitalize()
            raise BookingError(
                errors.INVALID,
                errors.POLICY_RANGE.format(label=label, low=low, high=high),
                field=name,
            )


def check_policies(
    *, student: User, slot: Slot, policy: BookingPolicy, moving: Booking | None = None
) -> None:
    """Refuse a request for `slot` that the educator's policies do not allow.

    Each limit is allowed exactly at its boundary: a session exactly N hours ahead meets an
    N-hour notice, and one ending exactly N minutes before another meets an N-minute
    buffer. `moving` is a booking being rescheduled: its own seat does not count.
    """
    now = timezone.now()
    ahead = slot.starts_at - now
    if ahead < timedelta(hours=policy.min_notice_hours):
        raise BookingError(
            errors.CONFLICT, errors.POLICY_MIN_NOTICE.format(hours=policy.min_notice_hours)
        )
    if policy.horizon_days and ahead > timedelta(days=policy.horizon_days):
        raise BookingError(errors.CONFLICT, errors.POLICY_HORIZON.format(days=policy.horizon_days))
    # A slot the moving booking leaves empty is no longer "a session" of the educator.
    leaving = [moving.slot_id] if moving is not None and moving.slot.seats_taken <= 1 else []
    if policy.buffer_minutes:
        gap = timedelta(minutes=policy.buffer_minutes)
        near = dict(slot__starts_at__lt=slot.ends_at + gap, slot__ends_at__gt=slot.starts_at - gap)
        mine = Booking.objects.active().for_student(student).filter(**near).exclude(slot=slot)
        if moving is not None:
            mine = mine.exclude(pk=moving.pk)
        theirs = (
            Slot.objects.for_educator(slot.educator_id)
            .filter(withdrawn_at__isnull=True, seats_taken__gt=0)
            .filter(starts_at__lt=slot.ends_at + gap, ends_at__gt=slot.starts_at - gap)
            .exclude(pk__in=[slot.pk, *leaving])
        )
        if mine.exists() or theirs.exists():
            raise BookingError(
                errors.CONFLICT, errors.POLICY_BUFFER.format(minutes=policy.buffer_minutes)
            )
    if policy.daily_max and not slot.seats_taken:
        zone = User.objects.get(pk=slot.educator_id).zoneinfo
        day = timezone.localtime(slot.starts_at, zone).date()
        start = datetime.combine(day, datetime.min.time(), tzinfo=zone)
        end = datetime.combine(day + timedelta(days=1), datetime.min.time(), tzinfo=zone)
        sessions = (
            Slot.objects.for_educator(slot.educator_id)
            .filter(withdrawn_at__isnull=True, seats_taken__gt=0)
            .filter(starts_at__gte=start, starts_at__lt=end)
            .exclude(pk__in=[slot.pk, *leaving])
        )
        if sessions.count() >= policy.daily_max:
            raise BookingError(
                errors.CONFLICT, errors.POLICY_DAILY_MAX.format(count=policy.daily_max)
            )


def cancel_notice_refusal(booking: Booking) -> str:
    """The message a student's cancellation of `booking` would be refused with now because
    of the educator's cancellation notice, or "" (for pages to say so before the click)."""
    try:
        _check_cancel_notice(booking)
    except BookingError as error:
        return error.message
    return ""


def _check_cancel_notice(booking: Booking) -> None:
    policy = BookingPolicy.for_educator(booking.slot.educator)
    if booking.slot.starts_at - timezone.now() < timedelta(hours=policy.cancel_notice_hours):
        educator = booking.slot.educator
        raise BookingError(
            errors.CONFLICT,
            errors.POLICY_CANCEL_NOTICE.format(
                hours=policy.cancel_notice_hours,
                educator=educator.display_name,
                email=educator.email or "their email address",
            ),
        )


# ---------------------------------------------------------------- reschedule


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
    with transaction.atomic():
        _lock_user(booking.student)
        policy = _lock_policy(to_slot.educator_id)
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
            _move_seats(new.pk, +1)
        except IntegrityError as exc:
            raise BookingError(errors.CONFLICT, errors.SLOT_FULL) from exc
        _move_seats(old.pk, -1)
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


# ---------------------------------------------------------------- waitlist


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


# ---------------------------------------------------------------- weekly availability

PATTERN_FIELDS = (
    "weekdays",
    "start_time",
    "end_time",
    "session_minutes",
    "capacity",
    "course",
    "requires_approval",
    "meeting_link",
    "note",
    "horizon_weeks",
)


def check_pattern(educator: User, values: dict) -> dict:
    """Validate a pattern's fields; returns them normalised (weekdays as sorted digits)."""
    days = values["weekdays"]
    if isinstance(days, str):
        days = list(days)
    try:
        digits = sorted({int(day) for day in days})
    except (TypeError, ValueError):
        raise BookingError(errors.INVALID, errors.PATTERN_NO_DAYS, field="weekdays") from None
    if not digits or not all(1 <= day <= 7 for day in digits):
        raise BookingError(errors.INVALID, errors.PATTERN_NO_DAYS, field="weekdays")
    minutes = values["session_minutes"]
    if (
        isinstance(minutes, bool)
        or not isinstance(minutes, int)
        or not MIN_SESSION_MINUTES <= minutes <= MAX_SESSION_MINUTES
    ):
        raise BookingError(errors.INVALID, errors.SESSION_LENGTH_RANGE, field="session_minutes")
    start, end = values["start_time"], values["end_time"]
    if not (isinstance(start, time) and isinstance(end, time)):
        raise BookingError(errors.INVALID, errors.PATTERN_TIMES, field="end_time")
    span = datetime.combine(date.min, end) - datetime.combine(date.min, start)
    if span < timedelta(minutes=minutes):
        raise BookingError(errors.INVALID, errors.PATTERN_TIMES, field="end_time")
    weeks = values["horizon_weeks"]
    if isinstance(weeks, bool) or not isinstance(weeks, int) or not 1 <= weeks <= MAX_HORIZON_WEEKS:
        raise BookingError(errors.INVALID, errors.HORIZON_WEEKS_RANGE, field="horizon_weeks")
    _check_capacity(values["capacity"])
    _check_course(values["course"], educator)
    return {
        **values,
        "weekdays": "".join(str(day) for day in digits),
        "start_time": start.replace(second=0, microsecond=0, tzinfo=None),
        "end_time": end.replace(second=0, microsecond=0, tzinfo=None),
        "meeting_link": validate_meeting_link(values["meeting_link"]),
        "note": _text(values["note"]),
        "requires_approval": bool(values["requires_approval"]),
    }


def pattern_create(
    *,
    educator: User,
    weekdays,
    start_time: time,
    end_time: time,
    session_minutes: int = 60,
    capacity: int = 1,
    course: Course | None = None,
    requires_approval: bool = True,
    meeting_link: str = "",
    note: str = "",
    horizon_weeks: int = 4,
) -> WeeklyPattern:
    """Weekly hours in the educator's own zone, published at once for `horizon_weeks`.

    The hours are cut into sessions of `session_minutes`; each occurrence becomes a slot
    by slot_create's rules. An occurrence that overlaps another slot, or whose local time
    the clocks skip, is not published and is listed in the returned pattern's `skipped`.
    """
    if not educator.is_educator:
        raise BookingError(errors.FORBIDDEN, errors.NOT_AN_EDUCATOR)
    values = check_pattern(
        educator,
        dict(
            weekdays=weekdays,
            start_time=start_time,
            end_time=end_time,
            session_minutes=session_minutes,
            capacity=capacity,
            course=course,
            requires_approval=requires_approval,
            meeting_link=meeting_link,
            note=note,
            horizon_weeks=horizon_weeks,
        ),
    )
    with transaction.atomic():
        _lock_user(educator)
        pattern = WeeklyPattern.objects.create(
            educator=educator, timezone=educator.timezone, **values
        )
        pattern_publish(pattern=pattern)
        return pattern


def _require_pattern_owner(user: User, pattern: WeeklyPattern) -> None:
    if not (user.is_staff or pattern.educator_id == user.pk):
        raise BookingError(errors.FORBIDDEN, errors.NOT_PATTERN_OWNER)


def _clear_future_seatless(pattern: WeeklyPattern) -> int:
    """Take a pattern's future slots that hold no seat off the calendar; booked ones stay.

    A slot that never had a request is deleted; one with past (cancelled) requests is
    withdrawn, keeping their history, and no longer counts as the pattern's occurrence
    (publishing the new hours may put a slot at its time again)."""
    future = Slot.objects.filter(
        pattern=pattern, withdrawn_at__isnull=True, starts_at__gt=timezone.now(), seats_taken=0
    )
    with_history = future.filter(bookings__isnull=False).distinct()
    withdrawn = with_history.update(
        withdrawn_at=timezone.now(), withdraw_reason="The weekly hours changed.", pattern=None
    )
    deleted, _ = future.filter(bookings__isnull=True).delete()
    return withdrawn + deleted


def pattern_update(*, pattern: WeeklyPattern, by: User, **changes) -> WeeklyPattern:
    """Change weekly hours: future slots without seats are replaced by the new hours;
    slots students booked are never touched (they stay as they are, and a new occurrence
    that overlaps one is skipped and reported)."""
    _require_pattern_owner(by, pattern)
    for name in changes:
        if name not in PATTERN_FIELDS:
            raise TypeError(f"pattern_update() got an unexpected field {name!r}")
    values = {name: getattr(pattern, name) for name in PATTERN_FIELDS}
    values.update(changes)
    values = check_pattern(pattern.educator, values)
    with transaction.atomic():
        _lock_user(pattern.educator)
        pattern = WeeklyPattern.objects.select_for_update().get(pk=pattern.pk)
        for name, value in values.items():
            setattr(pattern, name, value)
        pattern.skipped = []
        pattern.save()
        _clear_future_seatless(pattern)
        pattern_publish(pattern=pattern)
        return pattern


def pattern_delete(*, pattern: WeeklyPattern, by: User) -> int:
    """Delete weekly hours and their future slots without seats; returns how many slots
    went. Booked slots stay, as single slots."""
    _require_pattern_owner(by, pattern)
    with transaction.atomic():
        _lock_user(pattern.educator)
        removed = _clear_future_seatless(pattern)
        pattern.delete()  # the booked slots' link becomes empty (SET_NULL)
        return removed


def _occurrences(pattern: WeeklyPattern, *, first: date, last: date):
    """(local start, reason) of each session from `first` to `last` inclusive; reason is
    "clock change" for a local time that does not exist that day, else ""."""
    zone = zoneinfo.ZoneInfo(pattern.timezone)
    length = timedelta(minutes=pattern.session_minutes)
    day = first
    while day <= last:
        if str(day.isoweekday()) in pattern.weekdays:
            wall = datetime.combine(day, pattern.start_time)
            end_wall = datetime.combine(day, pattern.end_time)
            while wall + length <= end_wall:
                local = wall.replace(tzinfo=zone)
                exists = local.astimezone(UTC).astimezone(zone).replace(tzinfo=None) == wall
                yield local, ("" if exists else "clock change")
                wall += length
        day += timedelta(days=1)


def pattern_publish(*, pattern: WeeklyPattern, now: datetime | None = None) -> dict:
    """Publish the pattern's slots up to its horizon; safe to run again (the daily roll).

    Each occurrence is published once (an existing slot of the pattern at that time is
    kept); one that would overlap another of the educator's slots, or whose local time the
    clocks skip, is skipped and recorded in `pattern.skipped` for the page to show.
    DST-correct: each day's wall time is read in the pattern's zone on that day.
    """
    now = now or timezone.now()
    zone = zoneinfo.ZoneInfo(pattern.timezone)
    first = timezone.localtime(now, zone).date()
    last = first + timedelta(weeks=pattern.horizon_weeks) - timedelta(days=1)
    created, skipped = 0, []
    with transaction.atomic():
        _lock_user(pattern.educator)
        educator = User.objects.get(pk=pattern.educator_id)
        # Withdrawn occurrences count too: one the educator took off stays off.
        mine = set(Slot.objects.filter(pattern=pattern).values_list("starts_at", flat=True))
        for local, reason in _occurrences(pattern, first=first, last=last):
            starts_at = local.astimezone(UTC)
            if starts_at <= now or starts_at in mine:
                continue
            ends_at = starts_at + timedelta(minutes=pattern.session_minutes)
            if not reason:
                try:
                    check_slot(
                        educator=educator,
                        starts_at=starts_at,
                        ends_at=ends_at,
                        capacity=pattern.capacity,
                        course=pattern.course,
                        meeting_link=pattern.meeting_link,
                    )
                except BookingError as error:
                    reason = "overlap" if error.message == errors.SLOT_OVERLAP else error.message
            if reason:
                skipped.append({"start": starts_at.isoformat(), "reason": reason})
                continue
            Slot.objects.create(
                educator=educator,
                pattern=pattern,
                starts_at=starts_at,
                ends_at=ends_at,
                capacity=pattern.capacity,
                course=pattern.course,
                requires_approval=pattern.requires_approval,
                meeting_link=pattern.meeting_link,
                note=pattern.note,
            )
            created += 1
        # Keep the report of skips still ahead, with today's; oldest first.
        kept = {item["start"]: item for item in pattern.skipped if item["start"] > now.isoformat()}
        kept.update({item["start"]: item for item in skipped})
        pattern.skipped = [kept[key] for key in sorted(kept)]
        pattern.published_until = datetime.combine(last + timedelta(days=1), time.min, tzinfo=zone)
        WeeklyPattern.objects.filter(pk=pattern.pk).update(
            skipped=pattern.skipped, published_until=pattern.published_until
        )
    pattern.created_slots = created
    return {"created": created, "skipped": skipped}


def patterns_roll(*, now: datetime | None = None) -> int:
    """Keep every pattern's horizon rolling (run by the periodic task); returns how many
    slots it published. Only patterns whose horizon has moved on are published again."""
    now = now or timezone.now()
    created = 0
    for pattern in WeeklyPattern.objects.select_related("course"):
        zone = zoneinfo.ZoneInfo(pattern.timezone)
        first = timezone.localtime(now, zone).date()
        due = datetime.combine(
            first + timedelta(weeks=pattern.horizon_weeks), time.min, tzinfo=zone
        )
        if pattern.published_until is None or pattern.published_until < due:
            created += pattern_publish(pattern=pattern, now=now)["created"]
    return created
