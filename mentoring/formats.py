"""Dates as people read them, each text formatted once.

Pages show the same days and times over and over (a week of slots, a list of requests),
and every booking's notification names its time: Django's formatter was the slow part of
a row, and of the notification written inside the booking's write lock.
"""

from __future__ import annotations

from datetime import datetime, tzinfo

from django.utils import timezone, translation
from django.utils.dateformat import format as date_format

WHEN_FORMAT = "D j M Y, H:i"

# Formatted dates by everything their text depends on: the wall-clock time, its offset and
# zone name, the format and the language.
_FORMATTED: dict[tuple, str] = {}
_FORMATTED_MAX = 20_000


def format_local(local: datetime, fmt: str) -> str:
    """`date_format(local, fmt)`, remembered."""
    key = (
        local.replace(tzinfo=None),
        local.utcoffset(),
        local.tzname(),
        fmt,
        translation.get_language(),
    )
    text = _FORMATTED.get(key)
    if text is None:
        if len(_FORMATTED) >= _FORMATTED_MAX:
            _FORMATTED.clear()
        text = _FORMATTED[key] = date_format(local, fmt)
    return text


def when(value: datetime, zone: tzinfo | None = None, fmt: str = WHEN_FORMAT) -> str:
    """A moment in `zone` (the active timezone when None) with the zone's abbreviation,
    e.g. "Mon 23 Nov 2026, 10:00 GMT"."""
    local = timezone.localtime(value, zone)
    return f"{format_local(local, fmt)} {local.tzname()}"
