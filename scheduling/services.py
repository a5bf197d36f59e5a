"""Every write that has a rule. Pages, the JSON API and admin actions all call these.

Locking order, to keep concurrent writers from deadlocking: a user row (the student who
books, or the educator whose slots change) first, then the slot row, then booking rows.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from urllib.parse import urlsplit

from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from accounts.models import User

from . import errors, notifications
from .errors import BookingError
from .models import (
    ACTIVE_STATUSES,
    MAX_CAPACITY,
    MESSAGE_MAX_LENGTH,
    MIN_CAPACITY,
    Booking,
    BookingEvent,
    BookingStatus,
    Course,
    Enrollment,
    Slot,
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
    # Evaluated on purpose: a lazy queryset locks nothing.
    list(User.objects.select_for_update().filter(pk=user.pk).values_list("pk"))


def _lock_slot(slot_id: int) -> Slot:
    return Slot.objects.select_for_update().get(pk=slot_id)


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
        # Moving a started slot would rewrite what happened in it (completed sessions,
        # requests that timed out) and reopen it for booking.
        if slot is not None and slot.has_started:
            raise BookingError(errors.CONFLICT, errors.MOVE_STARTED, field="starts_at")
        _check_times(starts_at, ends_at, now=timezone.now())
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
    BookingEvent.objects.create(
        booking=booking, actor=actor, from_status=from_status, to_status=to, note=note
    )
    if from_status in ACTIVE_STATUSES and to not in ACTIVE_STATUSES:
        Slot.objects.filter(pk=booking.slot_id).update(seats_taken=F("seats_taken") - 1)
        booking.slot.seats_taken = max(booking.slot.seats_taken - 1, 0)
    notifications.booking_changed(booking, actor=actor, from_status=from_status)
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
    with transaction.atomic():
        # The student first (their overlap check), then the slot (its seat count): two
        # requests may otherwise read the same numbers and both write.
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
        # One query answers both "already booked" and "overlaps": a slot overlaps itself.
        clashes = set(
            Booking.objects.active()
            .for_student(student)
            .filter(slot__starts_at__lt=slot.ends_at, slot__ends_at__gt=slot.starts_at)
            .values_list("slot_id", flat=True)
        )
        if slot.pk in clashes:
            raise BookingError(errors.CONFLICT, errors.ALREADY_BOOKED)
        if slot.seats_taken >= slot.capacity:
            raise BookingError(errors.CONFLICT, errors.SLOT_FULL)
        if clashes:
            raise BookingError(errors.CONFLICT, errors.BOOKING_OVERLAP)

        now = timezone.now()
        auto = not slot.requires_approval
        status = BookingStatus.APPROVED if auto else BookingStatus.PENDING
        try:
            booking = Booking.objects.create(
                slot=slot,
                student=student,
                message=message,
                status=status,
                meeting_link=slot.meeting_link if auto else "",
                decided_at=now if auto else None,
            )
            Slot.objects.filter(pk=slot.pk).update(seats_taken=F("seats_taken") + 1)
        except IntegrityError as exc:
            # The constraints caught what the checks missed; raising rolls the whole
            # transaction back, so no savepoint is needed.
            if "seats" in str(exc):
                raise BookingError(errors.CONFLICT, errors.SLOT_FULL) from exc
            raise BookingError(errors.CONFLICT, errors.ALREADY_BOOKED) from exc
        slot.seats_taken += 1
        booking.slot = slot
        note = "Booked without approval" if auto else ""
        BookingEvent.objects.create(
            booking=booking, actor=student, from_status="", to_status=status, note=note
        )
        notifications.booking_changed(booking, actor=student, from_status="")
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
