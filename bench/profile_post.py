"""Profile the booking POST in-process (cProfile over the Django test client).

Each request is a different student booking a slot of their own, so each succeeds, as in
`bench/pages.py`'s `booking_post`. Uses the data a `bench/pages.py` run left in
bench/results/bench.sqlite3 (or DATABASE_URL); what it adds is deleted at the end.

    .venv/bin/python bench/profile_post.py [--repeat 200] [--time-only | --pyinstrument | --queries]
"""

from __future__ import annotations

import argparse
import secrets
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from bench.inprocess import add_profiler_options, profile, use_bench_data  # noqa: E402

use_bench_data()


def main() -> int:
    parser = argparse.ArgumentParser()
    add_profiler_options(parser)
    parser.add_argument("--queries", action="store_true", help="print one request's queries")
    args = parser.parse_args()
    import django

    django.setup()
    from django.conf import settings
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext
    from django.urls import reverse

    from accounts.models import User
    from bench import dataset
    from outbox.models import Message
    from scheduling.models import Booking, Course, Enrollment, Slot

    def cleanup() -> None:
        """Remove what this script adds (also what an interrupted run left)."""
        students = User.objects.filter(username__startswith="prof-post-")
        slots = Slot.objects.filter(starts_at__gte=far)
        Message.objects.filter(booking__slot__in=slots).delete()
        Booking.objects.filter(slot__in=slots).delete()
        slots.delete()
        Enrollment.objects.filter(student__in=students).delete()
        students.delete()

    far = datetime.now(UTC).replace(minute=0, second=0, microsecond=0) + timedelta(days=400)
    cleanup()
    educator = User.objects.get(username=dataset.BUSY_EDUCATOR)
    course = Course.objects.filter(educator=educator).order_by("pk").first()
    tag = secrets.token_hex(3)
    count = args.repeat * 3 + 10
    students = User.objects.bulk_create(
        User(username=f"prof-post-{tag}-{i:05d}", role=User.Role.STUDENT, password="!")
        for i in range(count)
    )
    Enrollment.objects.bulk_create(Enrollment(student=u, course=course) for u in students)
    slots = Slot.objects.bulk_create(
        Slot(
            educator=educator,
            course=course,
            starts_at=far + timedelta(hours=i),
            ends_at=far + timedelta(hours=i, minutes=30),
            capacity=1,
        )
        for i in range(count)
    )
    path = f"/course/{course.pk}/book-session"
    mine = reverse("scheduling:my-requests")
    # One client (a new one builds the middleware again), a session per student. As under
    # wrk: a urlencoded form with its CSRF token checked (the test client sends multipart
    # and skips the check by default).
    client = Client(enforce_csrf_checks=True)
    csrf = secrets.token_hex(16)
    sessions = []
    for user in students:
        client.cookies.clear()  # else logging in flushes the previous student's session
        client.force_login(user)
        sessions.append(client.cookies[settings.SESSION_COOKIE_NAME].value)
    pairs = iter(zip(sessions, slots, strict=True))

    def post() -> None:
        session, slot = next(pairs)
        client.cookies.clear()  # a fresh visitor each time, as under wrk (no messages cookie)
        client.cookies[settings.SESSION_COOKIE_NAME] = session
        client.cookies[settings.CSRF_COOKIE_NAME] = csrf
        body = urlencode({"csrfmiddlewaretoken": csrf, "slot": slot.pk, "message": "Bench"})
        response = client.post(path, body, content_type="application/x-www-form-urlencoded")
        assert response.status_code == 302, response.status_code
        assert response["Location"] == mine, response["Location"]

    try:
        for _ in range(5):
            post()
        if args.queries:
            with CaptureQueriesContext(connection) as queries:
                post()
            for number, query in enumerate(queries.captured_queries, 1):
                print(f"{number:2}. {query['sql'][:4000]}  [{query['time']}]")
            print(f"{len(queries)} queries ({settings.DATABASES['default']['ENGINE']})")
            return 0
        profile("booking_post", post, args)
        return 0
    finally:
        cleanup()


if __name__ == "__main__":
    sys.exit(main())
