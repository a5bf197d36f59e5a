"""Scheduling's background work: what time decides, run every minute without cron."""

from __future__ import annotations

import logging

try:  # Django 6 ships the tasks API as django.tasks; django-tasks backports it to 5.2
    from django.tasks import task
except ImportError:
    from django_tasks import task

from outbox import periodic
from outbox import services as outbox

from . import notifications, services

logger = logging.getLogger(__name__)


# Housekeeping yields to user-facing work (mail) when both are due.
@task(takes_context=True, priority=-10)
def every_minute(context) -> dict:
    """Close past sessions, queue due reminders, re-deliver stranded mail; then again.

    The next run is scheduled first, so a failure (or a killed worker) here does not end
    the chain; each step runs even if another fails.
    """
    if not periodic.proceed(context, every_minute):
        return {"stopped": "another chain runs the schedule"}
    steps = {
        "closed": services.close_past_sessions,
        "weekly_hours": services.patterns_roll,
        "waitlists": services.waitlist_fill_all,
        "reminders": notifications.queue_due_reminders,
        "outbox": outbox.sweep,
    }
    done = {}
    for name, step in steps.items():
        try:
            done[name] = step()
        except Exception:
            logger.exception("Periodic step %s failed; it runs again next time", name)
    return done
