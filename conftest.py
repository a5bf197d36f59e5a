"""Fixtures shared by every test: users of each role, a slot, fast settings."""

from __future__ import annotations

import os
import sys

import pytest
from django.db import connection

from scheduling.tests import factories


@pytest.fixture(autouse=True)
def _fast_settings(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    # Tasks run at once, in the test's transaction; outbox/tests run the real worker too.
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}


@pytest.fixture(scope="session")
def django_db_modify_db_settings(django_db_modify_db_settings_parallel_suffix, tmp_path_factory):
    """On SQLite the test database is a file of this run, not memory.

    Threads with their own connections then race on it for real, through the same locking
    (IMMEDIATE transactions, WAL, busy timeout) a deployed SQLite file uses.
    """
    from django.conf import settings

    database = settings.DATABASES["default"]
    if database["ENGINE"].endswith("sqlite3"):
        folder = tmp_path_factory.mktemp("sqlite")
        database.setdefault("TEST", {})["NAME"] = str(folder / "test.sqlite3")


@pytest.fixture(scope="session", autouse=True)
def _database_is_what_was_asked(django_db_setup, django_db_blocker):
    """A run asked to use PostgreSQL must not quietly fall back to SQLite."""
    if os.environ.get("DATABASE_URL", "").startswith(("postgres", "postgresql", "pgsql")):
        with django_db_blocker.unblock():
            assert connection.vendor == "postgresql", connection.vendor


@pytest.fixture
def student(db):
    return factories.StudentFactory()


@pytest.fixture
def other_student(db):
    return factories.StudentFactory()


@pytest.fixture
def educator(db):
    return factories.EducatorFactory()


@pytest.fixture
def other_educator(db):
    return factories.EducatorFactory()


@pytest.fixture
def staff(db):
    return factories.EducatorFactory(is_staff=True, is_superuser=True)


@pytest.fixture
def course(educator):
    return factories.CourseFactory(educator=educator)


@pytest.fixture
def slot(educator):
    """An open, one-seat slot tomorrow with no course."""
    return factories.SlotFactory(educator=educator)


RACE_MODULES = ("scheduling.tests.test_races", "tests.live.test_http_races")


def pytest_terminal_summary(terminalreporter):
    """Show what the race and fuzzing tests measured, so CI output proves they ran."""
    figures = [
        line
        for name in RACE_MODULES
        if (module := sys.modules.get(name)) is not None
        for line in module.FIGURES
    ]
    if figures:
        terminalreporter.section(f"race figures ({connection.display_name})")
        for line in figures:
            terminalreporter.write_line(line)
    matrix = sys.modules.get("tests.test_authorization")
    if matrix is not None and matrix.FIGURES:
        terminalreporter.section("authorization matrix")
        for line in matrix.FIGURES:
            terminalreporter.write_line(line)
    fuzz = sys.modules.get("scheduling.tests.test_invariants")
    if fuzz is not None and fuzz.FIGURES:
        terminalreporter.section(f"invariant fuzzing ({connection.vendor})")
        terminalreporter.write_line(fuzz.summary())
