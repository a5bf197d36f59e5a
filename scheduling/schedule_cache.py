"""What every viewer of an educator's open times sees, remembered until those times change.

A booking page and a mentor's page read the same week of slots, the same month of day
counts and the same "next open time" for every student who opens them: building those
querysets is most of such a page's cost. They are kept in the shared cache under the
educator's *schedule version*, a token that every write touching what those pages show
forgets (`schedule_changed`): a slot saved, deleted or its seats moved, a booking saved,
the booking policy, a course. The model methods call it (`Slot.save`, `Booking.save`,
`BookingPolicy.save`, `Course.save`, and their `delete`); the few queryset updates of those
tables call it themselves. After a change the next reader makes a new token, so nothing
remembered before it is ever read again: no seat count is stale.

The token is forgotten at once, inside the writer's transaction: with the database cache
(the default) that is part of the transaction, so readers see the change and the new
token together. With another cache it is forgotten again when the transaction commits: a
reader may have remembered the old data under a new token before the commit made the
change visible.

What also changes with time (a slot passing its notice) is keyed by the minute; the
caller drops what the exact time no longer allows (`RememberedWeek` in views/month.py).
"""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Callable, Hashable
from datetime import datetime, timedelta
from functools import partial

from django.core.cache import cache, caches
from django.core.cache.backends.db import DatabaseCache
from django.db import DEFAULT_DB_ALIAS, models, router, transaction
from django.utils import timezone

VERSION_KEY = "schedule-version:{}"
REMEMBER_FOR = 120  # seconds; every key also names its minute, so this only bounds the size


def _forget(educator_id: int) -> None:
    cache.delete(VERSION_KEY.format(educator_id))


def schedule_changed(educator_id: int | None) -> None:
    """What the educator's open times look like changed: forget everything remembered."""
    if educator_id is None:
        return
    _forget(educator_id)
    if transaction.get_connection().in_atomic_block and not _in_the_database():
        transaction.on_commit(partial(_forget, educator_id))


def _in_the_database() -> bool:
    """The cache is a table of the default database: forgetting is part of the writer's
    transaction already, so nothing is left to do at the commit."""
    backend = caches["default"]
    return isinstance(backend, DatabaseCache) and (
        router.db_for_write(backend.cache_model_class) == DEFAULT_DB_ALIAS
    )


def schedule_version(educator_id: int) -> str:
    key = VERSION_KEY.format(educator_id)
    token = cache.get(key)
    if token is None:
        token = uuid.uuid4().hex
        if not cache.add(key, token, None):
            token = cache.get(key) or token
    return token


def minute() -> str:
    """The current minute, for keys of what changes with time alone."""
    return timezone.now().strftime("%Y%m%d%H%M")


def next_minute() -> datetime:
    """The start of the next minute: a list remembered for this minute and read as of
    then offers nothing that starts before the minute is over."""
    return timezone.now().replace(second=0, microsecond=0) + timedelta(minutes=1)


class Remembered:
    """Answers about an educator's open times, read with one cache get and kept under the
    educator's current schedule version: `answer(name, compute)` gives the remembered
    answer, or computes it; `save()` stores what was computed (one set, on a miss only).

    `parts` must name everything the answers depend on besides the educator's schedule
    (the page, the viewer's timezone, the minute, what the viewer asked for). `version`:
    the educator's schedule version, when the caller read it already."""

    def __init__(self, educator_id: int, parts: tuple[Hashable, ...], *, version: str = ""):
        self.version = version or schedule_version(educator_id)
        digest = hashlib.md5(repr(parts).encode(), usedforsecurity=False).hexdigest()
        self.key = f"schedule:{educator_id}:{self.version}:{digest}"
        self.answers = cache.get(self.key) or {}
        self.computed = False

    def answer(self, name: Hashable, compute: Callable):
        if name not in self.answers:
            self.answers[name] = compute()
            self.computed = True
        return self.answers[name]

    def save(self) -> None:
        if self.computed:
            cache.set(self.key, self.answers, REMEMBER_FOR)
            self.computed = False


class ChangesSchedule(models.Model):
    """A model whose rows change what an educator's open times look like (it has
    `educator_id`): saving or deleting one forgets what was remembered of them."""

    class Meta:
        abstract = True

    def save(self, *args, **kwargs):
        super().save(*args, **kwargs)
        schedule_changed(self.educator_id)

    def delete(self, *args, **kwargs):
        educator_id = self.educator_id
        deleted = super().delete(*args, **kwargs)
        schedule_changed(educator_id)
        return deleted
