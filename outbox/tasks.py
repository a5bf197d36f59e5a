"""Background tasks for mail, on Django's tasks API (django-tasks; django.tasks in 6.0).

Tasks hold no rule: they call outbox.services. Enqueueing after a commit never raises
into the caller; a message whose task could not be enqueued is delivered by the periodic
sweep instead.
"""

from __future__ import annotations

import logging
from datetime import datetime
from functools import partial

from django.db import transaction
from django_tasks_db import DatabaseBackend

try:  # Django 6 ships the tasks API as django.tasks; django-tasks backports it to 5.2
    from django.tasks import task
except ImportError:
    from django_tasks import task

from . import services

logger = logging.getLogger(__name__)


@task()
def deliver_message(message_id: int) -> str:
    return services.deliver(message_id)


@task()
def send_password_reset(email: str, request_id: str) -> int:
    return services.queue_password_reset(email=email, request_id=request_id)


def deliver_if_committed(message_ids: list[int]) -> None:
    """Deliver these messages once the caller's transaction commits, and never otherwise.

    A queue kept in the same database takes the tasks inside that transaction: change,
    messages and tasks commit together (one commit, and no moment where the change is
    committed but its mail not queued). Any other backend gets them after the commit.
    """
    if isinstance(deliver_message.get_backend(), DatabaseBackend):
        for message_id in message_ids:
            deliver_message.enqueue(message_id)
    else:
        transaction.on_commit(partial(deliver_soon, message_ids))


def deliver_soon(message_ids: list[int]) -> None:
    for message_id in message_ids:
        try:
            deliver_message.enqueue(message_id)
        except Exception:
            logger.exception("Could not enqueue message %s; the sweep will send it", message_id)


def deliver_later(message_id: int, when: datetime) -> None:
    """A retry at `when`; backends without delays (the immediate one) leave it to the sweep."""
    if not deliver_message.get_backend().supports_defer:
        return
    try:
        deliver_message.using(run_after=when).enqueue(message_id)
    except Exception:
        logger.exception("Could not schedule message %s; the sweep will send it", message_id)
