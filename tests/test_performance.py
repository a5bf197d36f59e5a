"""Performance guards: query budgets of every benchmarked endpoint, the CSP header built
once, and a short run of the page benchmark so the script cannot rot.

Timings are not pass/fail here (the machine is shared); `make bench` measures them.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from csp.constants import HEADER, HEADER_REPORT_ONLY, NONE, SELF
from csp.utils import build_policy

from bench import dataset
from bench.pages import count_queries, prepare

ROOT = Path(__file__).resolve().parent.parent

# Queries per request on a data set bigger than a page: a query per row would blow these.
BUDGETS = {
    "floor": 1,
    # session, user, the course with its educator and policy (remembered), the educator's
    # profile and schedule versions (one get), what every viewer sees remembered under it
    # (first open slot, the week, its month) with the student's requests and enrolments
    # with the educator (one get)
    "booking_page": 5,
    # session, user, counts (the total too), page, open action items; seen-at only after a
    # change
    "my_requests": 5,
    "session_requests": 4,
    "availability": 4,
    # session, user, the mentor's profile and schedule versions (one get), the mentor with
    # ratings and courses, what every viewer sees with the student's requests and
    # enrolments with the mentor (one get; all three remembered)
    "mentor_page": 5,
    # session, user, the educator's schedule version, the seven grouped figures remembered
    # under it (scheduling/insights.py)
    "insights": 4,
    "api_course_slots": 5,
    "get_session": 2,
    # session, user, the course (remembered) and the educator's versions, the form's slot;
    # in the transaction: policy, the slot locked (with educator, course, enrolment),
    # clashes, booking, seat, history, notification, email, its task, forgetting the
    # educator's remembered open times (one delete from the cache table, with the booking's
    # row); 17 on SQLite, where BEGIN IMMEDIATE is the lock and the student's row lock is
    # left out
    "booking_post": 18,
}


@pytest.fixture
def load_data(db, settings, tmp_path):
    settings.ROOT_URLCONF = "bench.urls"  # the floor view exists only there
    dataset.build(1, tiny=True)
    return prepare(1, tmp_path)


def test_every_benchmarked_endpoint_stays_within_its_query_budget(load_data):
    counts = count_queries(load_data)  # also checks each answers 200 (the POST: 302)
    over = {name: n for name, n in counts.items() if n > BUDGETS[name]}
    assert not over, f"over budget: {over} (budgets {BUDGETS})"
    assert set(counts) == set(BUDGETS)


def test_the_load_data_set_has_the_people_the_benchmark_looks_at(db):
    from accounts.models import User
    from scheduling.models import Booking, Slot

    counts = dataset.build(1, tiny=True)
    student = User.objects.get(username=dataset.BUSY_STUDENT)
    educator = User.objects.get(username=dataset.BUSY_EDUCATOR)
    assert Booking.objects.filter(student=student).count() == 30
    assert Booking.objects.filter(slot__educator=educator).count() > 10
    assert counts["requests"] == Booking.objects.count()
    # Seat counts agree with the requests that hold a seat.
    for slot in Slot.objects.filter(seats_taken__gt=0)[:50]:
        assert slot.seats_taken == slot.bookings.active().count()


def _directives(header: str) -> set[str]:
    return {part.strip() for part in header.split(";") if part.strip()}


def test_the_csp_header_is_django_csps_policy(client, db):
    response = client.get("/")
    assert _directives(response.headers[HEADER]) == _directives(build_policy())
    assert "script-src 'self'" in response.headers[HEADER]
    assert HEADER_REPORT_ONLY not in response.headers


def test_a_json_response_may_load_and_frame_nothing(client, db):
    """The API's answers (and the pages') are strict: JSON gets `default-src 'none'`."""
    for path in ("/api/courses", "/api/no-such-thing"):
        response = client.get(path)
        assert response["Content-Type"].startswith("application/json"), path
        assert _directives(response.headers[HEADER]) == {
            "default-src 'none'",
            "frame-ancestors 'none'",
        }, path
    page = client.get("/")
    assert "script-src 'self'" in page.headers[HEADER]


def test_the_csp_header_follows_a_change_of_settings(client, db, settings):
    settings.CONTENT_SECURITY_POLICY = {"DIRECTIVES": {"default-src": [NONE]}}
    settings.CONTENT_SECURITY_POLICY_REPORT_ONLY = {"DIRECTIVES": {"img-src": [SELF]}}
    response = client.get("/")
    assert _directives(response.headers[HEADER]) == {"default-src 'none'"}
    report_only = _directives(response.headers[HEADER_REPORT_ONLY])
    assert "img-src 'self'" in report_only
    assert report_only == _directives(build_policy(report_only=True))


def test_a_view_with_its_own_policy_still_gets_it(rf, db):
    from csp.decorators import csp_update
    from django.http import HttpResponse

    from mentoring.middleware import CSPMiddleware

    @csp_update({"img-src": ["https://images.example.com"]})
    def view(request):
        return HttpResponse("ok")

    middleware = CSPMiddleware(view)
    response = middleware(rf.get("/"))
    assert "https://images.example.com" in response.headers[HEADER]


def test_the_page_benchmark_runs(tmp_path):
    """A few seconds of load on a tiny data set, through the real driver, gunicorn and wrk:
    the floor, a booking POST and the bare floor under load; every endpoint answered and
    counted once through the test client."""
    if not shutil.which("wrk"):
        if os.environ.get("MENTORING_REQUIRE_WRK"):
            pytest.fail("wrk is required (MENTORING_REQUIRE_WRK) but not installed")
        pytest.skip("wrk is not installed (apt-get install wrk; `make bench` installs it)")
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "TESTING")}
    output = tmp_path / "result.json"
    command = [sys.executable, str(ROOT / "bench" / "pages.py"), "--tiny", "--port", "0"]
    command += ["--duration", "1", "--warmup", "0", "--results", str(tmp_path)]
    command += ["--only", "booking_post", "--output", str(output)]
    run = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-3000:]
    (result,) = json.loads(output.read_text())["runs"]
    rows = {row["name"]: row for row in result["endpoints"]}
    assert set(rows) == {"floor", "booking_post"}
    assert all(row["rps"] > 0 and row["socket_errors"] == 0 for row in rows.values())
    assert rows["booking_post"]["all_booked"], rows["booking_post"]
    assert result["bare_floor"]["rps"] > 0
    # Every endpoint was checked and counted, also those the short run did not load.
    assert {n: q for n, q in result["queries"].items() if q > BUDGETS[n]} == {}
    assert "bare Django floor" in run.stdout
