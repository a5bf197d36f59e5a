"""Periodic work without cron: a task that enqueues its own successor with `run_after`.

Several workers must never run two chains. The `Chain` row names the one task run allowed
to go on; a run first enqueues its successor and swaps the row to the successor's id in
one transaction (compare-and-swap on its own id). A run whose id is not in the row belongs
to an abandoned chain and stops. `ensure` (called when a worker starts) begins a chain
when none is alive, e.g. after every worker was stopped or one died mid-run.
"""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.module_loading import import_string

from .models import Chain

# How late a chain's next run may be before a starting worker considers the chain dead.
LATE_AFTER = timedelta(minutes=3)


def _interval() -> timedelta:
    return timedelta(seconds=settings.PERIODIC_SECONDS)


def proceed(context, task) -> bool:
    """Called first by a periodic task: schedule the next run; False if this run must stop."""
    now = timezone.now()
    next_run = now + _interval()
    with transaction.atomic():
        successor = task.using(run_after=next_run).enqueue()
        moved = Chain.objects.filter(name=task.module_path, task_id=context.task_result.id).update(
            task_id=successor.id, next_run_at=next_run, last_run_at=now
        )
        if not moved:  # another chain owns the schedule: drop the successor with this run
            transaction.set_rollback(True)
    return bool(moved)


def ensure(task) -> bool:
    """Start `task`'s chain unless a live one exists; True when this call started it."""
    if not task.get_backend().supports_defer:
        return False
    now = timezone.now()
    chain, _ = Chain.objects.get_or_create(name=task.module_path)
    if chain.task_id and chain.next_run_at and chain.next_run_at > now - LATE_AFTER:
        return False
    with transaction.atomic():
        first = task.enqueue()
        started = Chain.objects.filter(pk=chain.pk, task_id=chain.task_id).update(
            task_id=first.id, next_run_at=now
        )
        if not started:  # another worker started one meanwhile
            transaction.set_rollback(True)
    return bool(started)


def ensure_all() -> list[str]:
    """Start every chain named in settings.PERIODIC_TASKS that is not running."""
    return [path for path in settings.PERIODIC_TASKS if ensure(import_string(path))]
