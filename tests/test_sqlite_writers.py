"""SQLite writers queue on a file lock beside the database (mentoring/sqlite3/base.py)."""

from __future__ import annotations

import fcntl
import os
import signal
import threading
import time
from types import SimpleNamespace

import pytest
from django.db import connection, transaction

from mentoring.sqlite3.base import flock_within

pytestmark = pytest.mark.skipif(
    connection.vendor != "sqlite", reason="the writers' file lock is SQLite's backend only"
)


def held(path: str) -> bool:
    """Whether another descriptor holds the lock (ours would then be refused)."""
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return True
    finally:
        os.close(fd)
    return False


@pytest.fixture
def lock_path(transactional_db):
    path = connection._writer_lock_path()
    assert path and path.endswith("-writers.lock")
    return path


def test_a_transaction_holds_the_writers_lock_until_it_commits(lock_path):
    assert not held(lock_path)
    with transaction.atomic():
        assert held(lock_path)
        with transaction.atomic():  # a savepoint: still the same writer
            assert held(lock_path)
        assert held(lock_path)
    assert not held(lock_path)


def test_a_rolled_back_transaction_lets_go_too(lock_path):
    with pytest.raises(ZeroDivisionError), transaction.atomic():
        assert held(lock_path)
        1 / 0  # noqa: B018
    assert not held(lock_path)


def test_a_writer_that_never_gets_the_lock_goes_on_under_sqlites_own(lock_path, monkeypatch):
    """Another program holding the file lock forever must not stop the app: after the busy
    timeout it proceeds, and SQLite's own lock (free here) decides."""
    monkeypatch.setitem(connection.settings_dict["OPTIONS"], "timeout", 0.05)
    fd = os.open(lock_path, os.O_RDWR | os.O_CREAT, 0o600)
    fcntl.flock(fd, fcntl.LOCK_EX)
    try:
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            assert cursor.fetchone() == (1,)
    finally:
        os.close(fd)
    assert not held(lock_path)


def _hold_for(path: str, seconds: float) -> threading.Thread:
    """Another writer: holds the lock from now for `seconds`, from its own thread."""
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    fcntl.flock(fd, fcntl.LOCK_EX)

    def let_go():
        time.sleep(seconds)
        os.close(fd)

    thread = threading.Thread(target=let_go)
    thread.start()
    return thread


def test_a_waiting_writer_gets_the_lock_when_the_holder_lets_go(tmp_path, monkeypatch):
    """In the main thread the wait blocks (no naps): it ends when the holder lets go, and
    leaves the process's alarm as it found it."""
    from mentoring.sqlite3 import base

    def no_naps(seconds):
        raise AssertionError("the main thread polled instead of waiting blocked")

    # Only the lock's module loses its naps (the holder's thread still sleeps).
    monkeypatch.setattr(base, "time", SimpleNamespace(monotonic=time.monotonic, sleep=no_naps))
    path = str(tmp_path / "db-writers.lock")
    handler = signal.getsignal(signal.SIGALRM)
    holder = _hold_for(path, 0.1)
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        started = time.monotonic()
        assert flock_within(fd, 5)
        assert 0.05 < time.monotonic() - started < 4
        assert held(path)
    finally:
        os.close(fd)
        holder.join()
    assert signal.getsignal(signal.SIGALRM) is handler
    assert signal.getitimer(signal.ITIMER_REAL) == (0.0, 0.0)


def test_a_writer_gives_up_after_the_timeout_in_the_main_thread(tmp_path):
    path = str(tmp_path / "db-writers.lock")
    holder = _hold_for(path, 1)
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        started = time.monotonic()
        assert not flock_within(fd, 0.1)
        assert time.monotonic() - started < 0.9
    finally:
        os.close(fd)
        holder.join()
    assert signal.getitimer(signal.ITIMER_REAL) == (0.0, 0.0)


def test_a_writer_polls_when_the_alarm_is_taken(tmp_path):
    """Someone else's countdown on the real-time timer is left alone."""
    path = str(tmp_path / "db-writers.lock")
    previous = signal.signal(signal.SIGALRM, lambda *args: None)
    signal.setitimer(signal.ITIMER_REAL, 30)
    holder = _hold_for(path, 0.1)
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        assert flock_within(fd, 5)
        assert 25 < signal.getitimer(signal.ITIMER_REAL)[0] <= 30
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
        os.close(fd)
        holder.join()


def test_a_writer_with_no_time_to_wait_gives_up_at_once(tmp_path):
    """A busy timeout of 0 asks for no wait: a zero alarm would never ring."""
    path = str(tmp_path / "db-writers.lock")
    holder = _hold_for(path, 0.3)
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        started = time.monotonic()
        assert not flock_within(fd, 0)
        assert time.monotonic() - started < 0.2
    finally:
        os.close(fd)
        holder.join()


@pytest.mark.parametrize("hold", [0.1, 1])
def test_a_writer_in_another_thread_polls(tmp_path, hold):
    """Threads other than the main one (runserver's) cannot take signals: they poll, and
    give up after the timeout as well."""
    path = str(tmp_path / "db-writers.lock")
    holder = _hold_for(path, hold)
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    outcome = []
    waiter = threading.Thread(target=lambda: outcome.append(flock_within(fd, 0.5)))
    try:
        waiter.start()
        waiter.join()
    finally:
        os.close(fd)
        holder.join()
    assert outcome == [hold < 0.5]
