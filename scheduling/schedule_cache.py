"""What every viewer of an educator's open times sees, remembered until those times change.

A booking page and a mentor's page read the same week of slots, the same month of day
counts and the same "next open time" for every student who opens them: building those
querysets is most of such a page's cost. They are kept in the shared cache under the
educator's *schedule version*, a token that every write touching what those pages show
forgets (`schedule_changed`): a slot saved, deleted or its seats moved, a booking saved,
an enrolment, the booking policy, a course, a weekly pattern, a waitlist entry, a rating.
The models that inherit `ChangesSchedule` call it from `save` and `delete`; the few
queryset updates of those tables call it themselves. After a change the next reader
makes a new token, so nothing remembered before it is ever read again: no seat count is
stale.

The token is forgotten at once, inside the writer's transaction: with the database cache
(the default) that is part of the transaction, so readers see the change and the new
token together. With another cache it is forgotten again when the transaction commits: a
reader may have remembered the old data under a new token before the commit made the
change visible.

What also changes with time (a slot passing its notice) is keyed by the minute; the
caller drops what the exact time no longer allows (`RememberedWeek` in views/month.py).

A student's My Requests shows several educators' sessions: it is remembered under the
student's own *student version* (their bookings and action items forget it) together with
the schedule versions of every educator they asked, and read while all are unchanged
(`RememberedAcross`).

What changes far less often (the educator's name and profile, a course, the policy, the
ratings) also sits under a second token, the *profile version* (`profile_changed`
forgets both): a course's page row and a mentor's profile are remembered under it, so
a booking, which changes seats only, leaves them remembered.
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
PROFILE_KEY = "profile-version:{}"
STUDENT_KEY = "student-version:{}"
COURSE_PAGE_KEY = "course-page:{}"  # selectors.course_page_course, by course id
REMEMBER_FOR = 120  # seconds; every key also names its minute, so this only bounds the size


def forget(*keys: str) -> None:
    """Delete remembered entries (versions) now and, with a cache outside the database,
    again when the writer's transaction commits (see the module's docstring)."""
    cache.delete_many(keys)
    if transaction.get_connection().in_atomic_block and not _in_the_database():
        transaction.on_commit(partial(cache.delete_many, keys))


def schedule_changed(educator_id: int | None) -> None:
    """What the educator's open times look like changed: forget what was remembered of
    them (`Remembered` under the schedule version)."""
    if educator_id is not None:
        forget(VERSION_KEY.format(educator_id))


def profile_changed(educator_id: int | None) -> None:
    """The educator's profile, a course, the policy or the ratings changed: forget all
    that was remembered of the educator, under both versions."""
    if educator_id is not None:
        forget(PROFILE_KEY.format(educator_id), VERSION_KEY.format(educator_id))


def student_changed(student_id: int | None) -> None:
    """Something of the student's own (a booking, an action item) changed: forget their
    remembered My Requests."""
    if student_id is not None:
        forget(STUDENT_KEY.format(student_id))


def _in_the_database() -> bool:
    """The cache is a table of the default database: forgetting is part of the writer's
    transaction already, so nothing is left to do at the commit."""
    backend = caches["default"]
    return isinstance(backend, DatabaseCache) and (
        router.db_for_write(backend.cache_model_class) == DEFAULT_DB_ALIAS
    )


def _token(key: str, found: dict) -> str:
    """The version `found` holds under `key`, or a new one (another reader may have made
    it first: then theirs)."""
    token = found.get(key)
    if token is None:
        token = uuid.uuid4().hex
        if not cache.add(key, token, None):
            token = cache.get(key) or token
    return token


def schedule_version(educator_id: int) -> str:
    key = VERSION_KEY.format(educator_id)
    return _token(key, cache.get_many([key]))


def versions(educator_id: int) -> tuple[str, str]:
    """The educator's profile and schedule versions, read with one cache get."""
    keys = PROFILE_KEY.format(educator_id), VERSION_KEY.format(educator_id)
    found = cache.get_many(keys)
    return _token(keys[0], found), _token(keys[1], found)


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

    def __init__(
        self, educator_id: int, parts: tuple[Hashable, ...], *, version: str = "", read=True
    ):
        self.version = version or schedule_version(educator_id)
        digest = hashlib.md5(repr(parts).encode(), usedforsecurity=False).hexdigest()
        self.key = f"schedule:{educator_id}:{self.version}:{digest}"
        self.answers = (cache.get(self.key) or {}) if read else {}
        self.computed = False

    @classmethod
    def together(cls, educator_id: int, version: str, *parts: tuple) -> list[Remembered]:
        """A `Remembered` for each of `parts`, all read with one cache get."""
        bundles = [cls(educator_id, each, version=version, read=False) for each in parts]
        found = cache.get_many([bundle.key for bundle in bundles])
        for bundle in bundles:
            bundle.answers = found.get(bundle.key) or {}
        return bundles

    def answer(self, name: Hashable, compute: Callable):
        if name not in self.answers:
            self.answers[name] = compute()
            self.computed = True
        return self.answers[name]

    def save(self) -> None:
        if self.computed:
            cache.set(self.key, self.answers, REMEMBER_FOR)
            self.computed = False


class RememberedAcross(Remembered):
    """Answers for one viewer that show several educators' schedules (a student's My
    Requests): kept with the viewer's own version (`own_key`) and the schedule version of
    each educator `educators_of()` names, and read while none of them changed. Two cache
    gets when remembered. `answer` and `save` as in `Remembered`.

    On a miss the versions are read before anything is computed (see `remembered_by_key`);
    a change of which educators there are is a change of the viewer's own version."""

    def __init__(self, own_key: str, parts: tuple[Hashable, ...], *, educators_of: Callable):
        digest = hashlib.md5(repr(parts).encode(), usedforsecurity=False).hexdigest()
        self.key, self.computed = f"across:{own_key}:{digest}", False
        found = cache.get_many([own_key, self.key])
        entry = found.get(self.key)
        if entry is not None and entry[0] == found.get(own_key):
            self.own, self.versions, self.answers = entry
            if self._unchanged(self.versions):
                return
        self.own, self.answers = _token(own_key, found), {}
        keys = {educator_id: VERSION_KEY.format(educator_id) for educator_id in educators_of()}
        found = cache.get_many(keys.values()) if keys else {}
        self.versions = {educator_id: _token(key, found) for educator_id, key in keys.items()}

    @staticmethod
    def _unchanged(versions: dict[int, str]) -> bool:
        if not versions:
            return True
        found = cache.get_many([VERSION_KEY.format(educator_id) for educator_id in versions])
        return all(
            found.get(VERSION_KEY.format(educator_id)) == token
            for educator_id, token in versions.items()
        )

    def save(self) -> None:
        if self.computed:
            cache.set(self.key, (self.own, self.versions, self.answers), REMEMBER_FOR)
            self.computed = False


def remembered_by_key(key: str, *, educator_of: Callable, compute: Callable):
    """An answer found by its own key (a course's page row, by the course) that shows one
    educator's profile: remembered with their profile version and valid while it is the
    same. Returns (answer, schedule version), the schedule version "" when none is kept
    (it is made by whoever reads the schedule next); (None, "") when `educator_of()` finds
    no educator (nothing is remembered then). One cache get, then one more for both
    versions, when the answer is remembered.

    On a miss the versions are read before the answer is computed: a change committed in
    between forgets them, so what was computed is never read under a newer one. Whoever
    changes the entry's link to its educator forgets `key` itself."""
    entry = cache.get(key)
    if entry is not None:
        educator_id, profile, answer = entry
        keys = PROFILE_KEY.format(educator_id), VERSION_KEY.format(educator_id)
        found = cache.get_many(keys)
        if found.get(keys[0]) == profile:
            return answer, found.get(keys[1], "")
    educator_id = educator_of()
    if educator_id is None:
        return None, ""
    profile, schedule = versions(educator_id)
    answer = compute()
    cache.set(key, (educator_id, profile, answer), REMEMBER_FOR)
    return answer, schedule


class ChangesSchedule(models.Model):
    """A model whose rows change what an educator's open times look like (it has
    `educator_id`): saving or deleting one forgets what was remembered of them
    (`changes_profile`: of the educator's profile too)."""

    changes_profile = False

    class Meta:
        abstract = True

    def save(self, *args, **kwargs):
        super().save(*args, **kwargs)
        forget(*self.forgets())

    def delete(self, *args, **kwargs):
        keys = self.forgets()
        deleted = super().delete(*args, **kwargs)
        forget(*keys)
        return deleted

    def forgets(self) -> list[str]:
        """The versions (and entries) a change of this row forgets."""
        keys = [VERSION_KEY.format(self.educator_id)]
        if self.changes_profile:
            keys.append(PROFILE_KEY.format(self.educator_id))
        return keys
