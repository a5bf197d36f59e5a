"""Is the database ready to serve? Asked once when a server process starts.

A process that serves on a half-prepared database answers 500 to its first user (say, a
login when the cache table is missing), so gunicorn (gunicorn.conf.py), the WSGI entry
point and `runserver` refuse to start instead, with one line that says what is missing and
what to run.
"""

from __future__ import annotations

import sys

import django
from django.conf import settings
from django.core.cache import caches
from django.core.cache.backends.db import BaseDatabaseCache
from django.core.exceptions import ImproperlyConfigured
from django.db import DEFAULT_DB_ALIAS, DatabaseError, connections
from django.db.migrations.executor import MigrationExecutor

FIX = "run `python manage.py migrate`"


class NotReady(Exception):
    """The database cannot serve the app yet; the message is one line for the operator."""


def cache_tables() -> list[str]:
    """The tables the configured database caches keep their entries in."""
    return [
        caches[alias]._table
        for alias in settings.CACHES
        if isinstance(caches[alias], BaseDatabaseCache)
    ]


def missing(using: str = DEFAULT_DB_ALIAS) -> list[str]:
    """What the database still lacks, in words; empty when it is ready."""
    connection = connections[using]
    executor = MigrationExecutor(connection)
    plan = executor.migration_plan(executor.loader.graph.leaf_nodes())
    lacking = []
    if plan:
        names = ", ".join(f"{m.app_label}.{m.name}" for m, _ in plan[:3])
        more = f" and {len(plan) - 3} more" if len(plan) > 3 else ""
        lacking.append(f"{len(plan)} unapplied migration(s) ({names}{more})")
    tables = set(connection.introspection.table_names())
    lacking += [f"no cache table {table!r}" for table in cache_tables() if table not in tables]
    return lacking


def ensure_ready(using: str = DEFAULT_DB_ALIAS) -> None:
    """Raise NotReady with one clear line if the database cannot serve the app yet."""
    try:
        lacking = missing(using)
    except DatabaseError as problem:
        first_line = str(problem).strip().splitlines()[0] if str(problem).strip() else ""
        reason = first_line or type(problem).__name__
        raise NotReady(f"cannot use the database: {reason}; is it running and reachable?") from None
    finally:
        connections[using].close()  # a server process opens its own connections later
    if lacking:
        raise NotReady(f"the database is not ready: {'; '.join(lacking)}; {FIX}.")


def exit_unless_ready(*, setup: bool = False) -> None:
    """Print one line and exit with status 4 unless the app can serve.

    4 is what gunicorn reads as "the application failed to load": it stops, instead of
    restarting workers that would fail the same way. `setup` first loads the settings and
    apps (for a process that has not, like gunicorn's master), so a settings mistake is one
    line too.
    """
    try:
        if setup:
            django.setup()
        ensure_ready()
    except (NotReady, ImproperlyConfigured) as problem:
        print(f"mentoring: refusing to start: {problem}", file=sys.stderr, flush=True)
        sys.exit(4)
