"""Booking races over HTTP against several gunicorn processes on the run's database.

Each client is a logged-in student with a real session cookie and CSRF token; all requests
are released together, so they overlap across processes inside the database. Whatever the
database (a SQLite file or PostgreSQL), the only answers are 201 and 409, and the database
agrees with the answers.
"""

from __future__ import annotations

import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor

from scheduling import errors
from tests.live.deployment import at_once

FIGURES: list[str] = []  # printed at the end of the run by the root conftest


def book_all_at_once(server, seeded: dict, requests_per_student: int = 1):
    clients = [server.client(session) for session in seeded["sessions"]]
    with ThreadPoolExecutor(8) as pool:
        list(pool.map(lambda client: client.csrf(), clients))
    body = {"slotId": seeded["slot"], "message": "Race"}
    calls = [
        (lambda c=client: c.api("POST", "/api/session/request", body))
        for client in clients
        for _ in range(requests_per_student)
    ]
    started = time.monotonic()
    results = at_once(calls)
    elapsed = time.monotonic() - started
    return results, elapsed


def status_of(result) -> int | str:
    return result[0] if isinstance(result, tuple) else f"no answer: {result!r}"


def record(title: str, results, elapsed: float, held: dict) -> Counter:
    """Note the answers and what the database holds, for the end-of-run figures."""
    statuses = Counter(status_of(r) for r in results)
    answers = ", ".join(
        f"{count} x {status}" for status, count in sorted(statuses.items(), key=str)
    )
    FIGURES.append(
        f"HTTP, {title}: {answers} in {elapsed:.1f} s; database: "
        f"{len(held['active'])} active bookings, {held['seats_taken']} seats taken, "
        f"{len(held['history'])} history rows"
    )
    return statuses


def assert_database_agrees(held: dict, results, *, seats: int) -> None:
    granted = sorted(body["data"]["id"] for status, body in results if status == 201)
    assert held["seats_taken"] == seats
    assert held["active"] == granted
    assert held["bookings"] == seats  # a refused request leaves no row behind
    # One history row per booking: its creation as a pending request, nothing else.
    assert held["history"] == [[booking, "", "pending"] for booking in granted]


def assert_clean_log(server) -> None:
    log = server.log
    assert "Traceback" not in log, log
    assert "database is locked" not in log, log


def test_200_students_race_for_5_seats_over_4_gunicorn_workers(deployment):
    seeded = deployment.seed("race", students=200, capacity=5)
    with deployment.gunicorn(workers=4) as server:
        results, elapsed = book_all_at_once(server, seeded)
    held = deployment.seed("inspect", slot=seeded["slot"])
    statuses = record(
        "4 gunicorn workers, 200 students at once for 5 seats", results, elapsed, held
    )

    assert statuses == {201: 5, 409: 195}
    refusals = Counter(body["message"] for status, body in results if status == 409)
    assert refusals == {errors.SLOT_FULL: 195}
    assert_database_agrees(held, results, seats=5)
    assert_clean_log(server)


def test_the_reported_race_3_students_30_requests_3_seats_3_workers_2_threads(deployment):
    """The report: 3 × 201, 22 × 409 and 5 × 500 'database is locked' on SQLite."""
    seeded = deployment.seed("race", students=3, capacity=3)
    with deployment.gunicorn(workers=3, threads=2) as server:
        results, elapsed = book_all_at_once(server, seeded, requests_per_student=10)
    held = deployment.seed("inspect", slot=seeded["slot"])
    title = "3 gunicorn workers x 2 threads, 3 students x 10 requests at once for 3 seats"
    statuses = record(title, results, elapsed, held)

    assert statuses == {201: 3, 409: 27}
    refusals = Counter(body["message"] for status, body in results if status == 409)
    assert refusals == {errors.ALREADY_BOOKED: 27}
    assert_database_agrees(held, results, seats=3)
    assert_clean_log(server)
