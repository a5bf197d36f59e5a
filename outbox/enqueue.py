"""Handing messages to the task queue: the tasks of outbox/tasks.py, enqueued.

The tasks call outbox.services, and the services enqueue the tasks; the task is looked up
by its path here (as settings name periodic tasks), so neither module imports the other
in a circle. Enqueueing after a commit never raises into the caller; a message whose task
could not be enqueued is delivered by the periodic sweep instead.
"""

from __future__ import annotations

import logging
from datetime import datetime
from functools import partial

from django.db import transaction
from django.utils.module_loading import import_string
from django_tasks_db import DatabaseBackend

logger = logging.getLogger(__name__)

DELIVER_TASK = "outbox.tasks.deliver_message"


def _deliver_task():
    return import_string(DELIVER_TASK)


def deliver_if_committed(message_ids: list[int]) -> None:
    """Deliver these messages once the caller's transaction commits, and never otherwise.

    A queue kept in the same database takes the tasks inside that transaction: change,
    messages and tasks commit together (one commit, and no moment where the change is
    committed but its mail not queued). Any other backend gets them after the commit.
    """
    task = _deliver_task()
    if isinstance(task.get_backend(), DatabaseBackend):
        for message_id in message_ids:
            task.enqueue(message_id)
    else:
        transaction.on_commit(partial(deliver_soon, message_ids))


def deliver_soon(message_ids: list[int]) -> None:
    task = _deliver_task()
    for message_id in message_ids:
        try:
            task.enqueue(message_id)
        except Exception:
            logger.exception("Could not enqueue message %s; the sweep will send it", message_id)


def deliver_later(message_id: int, when: datetime) -> None:
    """A retry at `when`; backends without delays (the immediate one) leave it to the sweep."""
    task = _deliver_task()
    if not task.get_backend().supports_defer:
        return
    try:
        task.using(run_after=when).enqueue(message_id)
    except Exception:
        logger.exception("Could not schedule message %s; the sweep will send it", message_id)
