"""60 wrong passwords at once: no more than the limit of them are ever checked.

Each thread has its own database connection and test client; a barrier releases them
together, so the attempts overlap inside the database.
"""

from __future__ import annotations

import json
import threading
from collections import Counter

import pytest
from axes.models import AccessAttempt
from django.contrib.auth.backends import ModelBackend
from django.db import connection, connections
from django.test import Client

from scheduling.tests.factories import StudentFactory

pytestmark = pytest.mark.django_db(transaction=True)

ATTEMPTS = 60
LIMIT = 10


@pytest.fixture(autouse=True)
def _needs_a_database_that_waits():
    # SQLite's in-memory test database is shared between threads through its shared cache,
    # whose table locks fail at once instead of waiting; a database file (what `make run`
    # and every deploy use) waits, and these tests pass on one.
    if connection.vendor == "sqlite" and connection.is_in_memory_db():
        pytest.skip("threads need PostgreSQL or an SQLite file, not the in-memory test DB")


@pytest.fixture
def evaluations(monkeypatch):
    """How many times a password was actually checked."""
    seen = Counter()
    lock = threading.Lock()
    original = ModelBackend.authenticate

    def counting(self, request, username=None, password=None, **kwargs):
        with lock:
            seen["checked"] += 1
        return original(self, request, username=username, password=password, **kwargs)

    monkeypatch.setattr(ModelBackend, "authenticate", counting)
    return seen


def attempt_all(send) -> Counter:
    barrier = threading.Barrier(ATTEMPTS)
    statuses: list = [None] * ATTEMPTS

    def run(index):
        try:
            client = Client()
            barrier.wait()
            statuses[index] = send(client, index)
        except Exception as exc:  # the outcome is what we inspect
            statuses[index] = repr(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(ATTEMPTS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return Counter(statuses)


def api(client, index, who):
    body = json.dumps({**who, "password": f"wrong-{index}"})
    return client.post("/api/auth/login", body, "application/json").status_code


def page(client, index, who):
    data = {"username": who["username"], "password": f"wrong-{index}"}
    return client.post("/accounts/login/", data).status_code


@pytest.mark.parametrize("way", ["api", "page", "mixed"])
def test_parallel_wrong_passwords_evaluate_at_most_the_limit(evaluations, way):
    student = StudentFactory()

    def send(client, index):
        # "mixed": the page and the API, by username and by email, all one identity.
        if way == "page" or (way == "mixed" and index % 3 == 0):
            return page(client, index, {"username": student.username})
        if way == "mixed" and index % 3 == 1:
            return api(client, index, {"email": student.email})
        return api(client, index, {"username": student.username})

    outcome = attempt_all(send)
    wrong = 200 if way == "page" else None
    assert evaluations["checked"] == LIMIT, outcome
    assert outcome[429] == ATTEMPTS - LIMIT, outcome
    if wrong:
        assert outcome[wrong] == LIMIT, outcome
    else:
        assert outcome[401] + outcome[200] == LIMIT, outcome
    assert AccessAttempt.objects.get(username=student.username).failures_since_start == LIMIT
