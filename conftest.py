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


def pytest_terminal_summary(terminalreporter):
    """Show what the race and fuzzing tests measured, so CI output proves they ran."""
    races = sys.modules.get("scheduling.tests.test_races")
    if races is not None and races.FIGURES:
        terminalreporter.section("race figures (PostgreSQL)")
        for line in races.FIGURES:
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
