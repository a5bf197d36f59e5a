"""SQLite writers queue on a file lock beside the database (mentoring/sqlite3/base.py)."""

from __future__ import annotations

import fcntl
import os

import pytest
from django.db import connection, transaction

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
