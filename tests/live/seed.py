"""Data for a live deployment, written and read inside that deployment's own environment.

Run by the live tests as `python -m tests.live.seed COMMAND '{json arguments}'` with the
deployment's DATABASE_URL; the answer is one JSON line after MARK on stdout.
"""

from __future__ import annotations

import json
import os
import secrets
import sys
from datetime import timedelta

MARK = "SEED-RESULT "


def race(*, students: int, capacity: int) -> dict:
    """A course slot with `capacity` seats and `students` enrolled students, each logged in.

    The students have no usable password (hashing 200 would take a minute); each gets a real
    session, made by Django's own login, whose cookie the HTTP clients send.
    """
    from django.conf import settings
    from django.db import transaction
    from django.test import Client
    from django.utils import timezone

    from scheduling import services
    from scheduling.tests.factories import CourseFactory, EducatorFactory, StudentFactory

    tag = secrets.token_hex(3)  # factory sequences restart in every process
    with transaction.atomic():
        # make_password(None): an unusable password, without the slow hashing.
        educator = EducatorFactory(username=f"race-{tag}-educator", password=None)
        course = CourseFactory(educator=educator)
        # Each race has its own educator and students, so nothing else can overlap it.
        start = timezone.now().replace(minute=0, second=0, microsecond=0) + timedelta(days=2)
        slot = services.slot_create(
            educator=educator, starts_at=start, capacity=capacity, course=course
        )
        learners = [
            StudentFactory(username=f"race-{tag}-student{n}", password=None)
            for n in range(students)
        ]
        for learner in learners:
            services.enroll(student=learner, course=course)
    sessions = []
    for learner in learners:
        client = Client()
        client.force_login(learner)
        sessions.append(client.cookies[settings.SESSION_COOKIE_NAME].value)
    return {"slot": slot.pk, "sessions": sessions}


def user(*, username: str, password: str) -> dict:
    from scheduling.tests.factories import StudentFactory

    learner = StudentFactory(username=username, password=password)
    return {"id": learner.pk}


def inspect(*, slot: int) -> dict:
    """What the database holds for a slot: seats, bookings and their history."""
    from scheduling.models import Booking, BookingEvent, Slot

    bookings = Booking.objects.filter(slot_id=slot)
    events = BookingEvent.objects.filter(booking__slot_id=slot)
    return {
        "seats_taken": Slot.objects.get(pk=slot).seats_taken,
        "active": sorted(bookings.active().values_list("pk", flat=True)),
        "bookings": bookings.count(),
        "history": sorted(events.values_list("booking_id", "from_status", "to_status")),
    }


def drop_cache_tables() -> dict:
    from django.db import connection

    from mentoring.readiness import cache_tables

    with connection.schema_editor() as editor:
        for table in cache_tables():
            editor.execute(f"DROP TABLE {editor.quote_name(table)}")
    return {"dropped": cache_tables()}


COMMANDS = {
    "race": race,
    "user": user,
    "inspect": inspect,
    "drop-cache-tables": drop_cache_tables,
}


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "mentoring.settings")
    import django

    django.setup()
    command, arguments = sys.argv[1], json.loads(sys.argv[2] if len(sys.argv) > 2 else "{}")
    print(MARK + json.dumps(COMMANDS[command](**arguments)), flush=True)


if __name__ == "__main__":
    main()
