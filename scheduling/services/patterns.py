"""Weekly availability: patterns of hours an educator publishes as slots."""

from __future__ import annotations

import zoneinfo
from datetime import UTC, date, datetime, time, timedelta

from django.db import transaction
from django.utils import timezone

from accounts.models import User

from .. import errors
from ..errors import BookingError
from ..models import (
    MAX_HORIZON_WEEKS,
    MAX_SESSION_MINUTES,
    MIN_SESSION_MINUTES,
    Course,
    Slot,
    WeeklyPattern,
)
from ..schedule_cache import schedule_changed
from .checks import _lock_user, _text, validate_meeting_link
from .slots import _check_capacity, _check_course, check_slot

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
    schedule_changed(pattern.educator_id)
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
