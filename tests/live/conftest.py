"""Fixtures for tests against a real deployment (gunicorn processes on their own database)."""

from __future__ import annotations

import pytest

from tests.live.deployment import Deployment, new_database


@pytest.fixture(scope="session")
def deployment(tmp_path_factory):
    """One database prepared by `migrate` alone (no createcachetable), shared by the module."""
    folder = tmp_path_factory.mktemp("live")
    database = new_database(folder, "live")
    try:
        prepared = Deployment(database=database, folder=folder)
        prepared.manage("migrate", "--noinput")
        yield prepared
    finally:
        database.drop()


@pytest.fixture
def blank_deployment(tmp_path_factory):
    """A database nobody has migrated yet."""
    folder = tmp_path_factory.mktemp("blank")
    database = new_database(folder, "blank")
    try:
        yield Deployment(database=database, folder=folder)
    finally:
        database.drop()
