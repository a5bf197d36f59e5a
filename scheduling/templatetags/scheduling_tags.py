"""Template helpers shared by every page."""

from __future__ import annotations

from datetime import datetime

from django import template
from django.utils import timezone

from mentoring import formats

from .. import selectors, services

register = template.Library()


@register.filter
def when(value: datetime | None, fmt: str = formats.WHEN_FORMAT) -> str:
    """A datetime in the viewer's timezone (activated per request) with its abbreviation,
    e.g. "Mon 23 Nov 2026, 10:00 GMT"."""
    return "" if value is None else formats.when(value, fmt=fmt)


@register.filter
def time_range(slot) -> str:
    """ "10:00–11:00 CET" for a slot, in the viewer's timezone."""
    start, end = timezone.localtime(slot.starts_at), timezone.localtime(slot.ends_at)
    return f"{start:%H:%M}–{end:%H:%M} {end.tzname()}"


STATUS_BADGES = {
    "pending": "text-bg-warning",
    "approved": "text-bg-success",
    "rejected": "text-bg-danger",
    "cancelled": "text-bg-secondary",
    "completed": "text-bg-primary",
}


@register.filter
def status_badge(status: str) -> str:
    """The Bootstrap badge class for a booking status."""
    return STATUS_BADGES.get(status, "text-bg-light")


@register.filter
def local_day(value: datetime | None) -> str:
    """The date of a datetime in the viewer's timezone, e.g. "Monday 23 November"."""
    if value is None:
        return ""
    return formats.format_local(timezone.localtime(value), "l j F")


@register.simple_tag
def quarter_hours() -> list[str]:
    """ "00:00", "00:15", ... "23:45": suggestions for the 24-hour time inputs."""
    return [f"{minutes // 60:02d}:{minutes % 60:02d}" for minutes in range(0, 24 * 60, 15)]


@register.simple_tag
def booking_policy(educator):
    """The educator's booking policy (the defaults when they never saved one); no query
    when the page loaded it with select_related("booking_policy")."""
    return selectors.policy_of(educator)


@register.filter
def parse_iso(value: str):
    """An ISO 8601 string (as stored in JSON) as a datetime, for `when`."""
    try:
        return datetime.fromisoformat(value)
    except (TypeError, ValueError):
        return None


@register.simple_tag
def cancel_refusal(booking) -> str:
    """Why the educator's cancellation notice would refuse cancelling `booking` now, or ""."""
    return services.cancel_notice_refusal(booking)
