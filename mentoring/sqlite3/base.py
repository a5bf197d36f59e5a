"""Django's SQLite backend, with writers handed the database in turn, without naps.

Every transaction begins IMMEDIATE (settings.py): it takes SQLite's one write lock at BEGIN.
A second writer that finds it taken is put to sleep by SQLite's busy handler for 1, 2, 5,
10, ... up to 100 ms a try, however soon the first one commits: under a steady stream of
bookings the waiting worker sleeps through most of its turns (p99 of a booking POST under
wrk: hundreds of ms). So writers first queue on an OS file lock beside the database, which
wakes the next one the moment the holder commits or rolls back (`flock_within`); SQLite's
own lock and busy timeout still guard everything (other programs, statements outside
transactions).

A writer that cannot get the file lock within the busy timeout goes on without it and
leaves the rest to SQLite, as before. Without `fcntl` (Windows) or for an in-memory
database there is no file lock.
"""

from __future__ import annotations

import os
import signal
import threading
import time

from django.db.backends.sqlite3 import base

try:
    import fcntl
except ImportError:  # pragma: no cover - Windows
    fcntl = None

POLL_SECONDS = 0.0002


class _TimedOut(Exception):
    pass


def _time_out(signum, frame):
    raise _TimedOut


def flock_within(fd: int, timeout: float) -> bool:
    """Take the exclusive file lock on `fd` within `timeout` seconds; whether it was taken.

    A blocked flock() wakes the moment the holder lets go, but has no timeout of its own:
    in the main thread (a gunicorn sync worker's requests) a one-shot SIGALRM interrupts
    it. In other threads (runserver's), or while something else counts down on the
    process's real-time timer, it polls every POLL_SECONDS instead (each wasted part of a
    poll is time the database stands idle: 0.5 ms polls cost the booking POST 14% of
    its throughput under wrk).
    """
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        return True
    except BlockingIOError:
        if timeout <= 0:  # no wait asked for (and a zero alarm would never ring)
            return False
    if threading.current_thread() is threading.main_thread() and signal.getitimer(
        signal.ITIMER_REAL
    ) == (0.0, 0.0):
        taken = False
        previous = signal.signal(signal.SIGALRM, _time_out)
        try:
            signal.setitimer(signal.ITIMER_REAL, timeout)
            fcntl.flock(fd, fcntl.LOCK_EX)
            taken = True
            signal.setitimer(signal.ITIMER_REAL, 0)
        except _TimedOut:  # also when the alarm lands just after flock() returned
            signal.setitimer(signal.ITIMER_REAL, 0)
        finally:
            # A SIGALRM still pending now finds no Python handler and is dropped.
            signal.signal(signal.SIGALRM, previous)
        return taken
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        time.sleep(POLL_SECONDS)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            return True
        except BlockingIOError:
            continue
    return False


class DatabaseWrapper(base.DatabaseWrapper):
    _writer_lock_fd: int | None = None

    def _writer_lock_path(self) -> str | None:
        name = str(self.settings_dict["NAME"])
        if fcntl is None or self.is_in_memory_db() or name.startswith("file:"):
            return None
        return f"{name}-writers.lock"

    def _take_writer_lock(self) -> None:
        path = self._writer_lock_path()
        if path is None or self._writer_lock_fd is not None:
            return
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
        if flock_within(fd, float(self.settings_dict["OPTIONS"].get("timeout", 5))):
            self._writer_lock_fd = fd
        else:
            os.close(fd)  # SQLite's busy timeout decides from here

    def _release_writer_lock(self) -> None:
        fd, self._writer_lock_fd = self._writer_lock_fd, None
        if fd is not None:
            os.close(fd)  # closing the descriptor releases its lock

    def _start_transaction_under_autocommit(self):
        self._take_writer_lock()
        try:
            super()._start_transaction_under_autocommit()
        except BaseException:
            self._release_writer_lock()
            raise

    def _commit(self):
        try:
            return super()._commit()
        finally:
            self._release_writer_lock()

    def _rollback(self):
        try:
            return super()._rollback()
        finally:
            self._release_writer_lock()

    def _close(self):
        try:
            return super()._close()
        finally:
            self._release_writer_lock()
