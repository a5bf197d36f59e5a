"""The bell's refresh interval, one place for the template and the tests."""

from django import template
from django.conf import settings

register = template.Library()

DEFAULT_POLL_SECONDS = 30  # as the navigation badges


@register.simple_tag
def bell_poll_seconds() -> int:
    """`NOTIFICATIONS_POLL_SECONDS` (optional setting; the browser test shortens it)."""
    return int(getattr(settings, "NOTIFICATIONS_POLL_SECONDS", DEFAULT_POLL_SECONDS))
