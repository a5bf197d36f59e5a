"""Booking policies: an educator's notice, horizon, buffer, daily maximum and cancellation
notice, stored and enforced."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.db import transaction
from django.utils import timezone

from accounts.models import User

from .. import errors
from ..errors import BookingError
from ..models import (
    POLICY_LIMITS,
    Booking,
    BookingPolicy,
    Slot,
)
from .checks import _lock_user


def _lock_policy(policy: BookingPolicy) -> None:
    """Lock the educator's row when a rule of `policy` counts their other sessions (buffer,
    daily maximum), so two requests cannot both take the last place of a day.

    Callers read the policy before their transaction: its row is never locked (on
    PostgreSQL a change may commit mid-request either way), and a request made before a
    change keeps the rules it was made under. Read inside, it held SQLite's write lock
    0.46 ms longer per booking (`bench/profile_post.py` data)."""
    if policy.buffer_minutes or policy.daily_max:
        _lock_user(User(pk=policy.educator_id))


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
