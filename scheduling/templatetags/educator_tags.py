"""Template helpers of the educator pages: the parts of a memo key that change with time."""

from __future__ import annotations

from datetime import datetime

from django import template

register = template.Library()


@register.filter
def slot_phase(slot, now: datetime) -> str:
    """Where `slot` stands at `now`: "ahead" (not started), "running" or "ended".

    A remembered row or card (`{% memo %}`) that compares the slot's times with `now` (Edit
    and Withdraw, Approve and Reject, Mark completed, In progress) lists this in its key,
    so the text changes when the slot starts and again when it ends."""
    if slot.starts_at > now:
        return "ahead"
    if slot.ends_at <= now:
        return "ended"
    return "running"
