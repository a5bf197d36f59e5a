"""Management commands: demo data and the scheduled close of past sessions."""

from __future__ import annotations

from collections import Counter

import pytest
from django.core.management import call_command

from accounts.models import User
from scheduling.models import Booking, BookingEvent, Course, Enrollment, Slot

pytestmark = pytest.mark.django_db


def counts() -> dict:
    return {
        model.__name__: model.objects.count()
        for model in (User, Course, Enrollment, Slot, Booking, BookingEvent)
    }


def test_seed_demo_is_idempotent():
    call_command("seed_demo", stdout=open("/dev/null", "w"))  # noqa: SIM115
    first = counts()
    call_command("seed_demo", stdout=open("/dev/null", "w"))  # noqa: SIM115
    assert counts() == first


def test_seed_demo_has_what_design_promises():
    call_command("seed_demo", stdout=open("/dev/null", "w"))  # noqa: SIM115
    users = {u.username: u for u in User.objects.all()}
    assert {"admin", "mentor1", "mentor2", "student1", "student2", "student3"} <= set(users)
    assert users["admin"].is_staff and users["admin"].check_password("mentoring-demo")
    assert all(u.check_password("mentoring-demo") for u in users.values())
    assert users["mentor1"].field == "Web Development"
    assert users["mentor2"].field == "Data Science"
    assert Course.objects.filter(educator=users["mentor1"], title="Django for Beginners").exists()
    assert Course.objects.filter(
        educator=users["mentor2"], title="Intro to Machine Learning"
    ).exists()
    enrolled = set(Enrollment.objects.values_list("student__username", flat=True))
    assert enrolled == {"student1", "student2"}
    for mentor in ("mentor1", "mentor2"):
        upcoming = Slot.objects.open().for_educator(users[mentor])
        assert upcoming.filter(course__isnull=True).exists()
        assert upcoming.filter(course__isnull=False).exists()
    statuses = Counter(Booking.objects.values_list("status", flat=True))
    assert set(statuses) == {"pending", "approved", "rejected", "cancelled", "completed"}
    for slot in Slot.objects.all():
        assert slot.seats_taken == Booking.objects.active().filter(slot=slot).count()


def test_close_past_sessions_command_is_idempotent():
    call_command("seed_demo", stdout=open("/dev/null", "w"))  # noqa: SIM115
    call_command("close_past_sessions", stdout=open("/dev/null", "w"))  # noqa: SIM115
    first = counts(), Counter(Booking.objects.values_list("status", flat=True))
    call_command("close_past_sessions", stdout=open("/dev/null", "w"))  # noqa: SIM115
    assert (counts(), Counter(Booking.objects.values_list("status", flat=True))) == first


def test_close_past_sessions_keeps_sqlites_planner_statistics(db):
    from django.db import connection

    from scheduling.tests.factories import BookingFactory

    BookingFactory()
    call_command("close_past_sessions", stdout=open("/dev/null", "w"))  # noqa: SIM115
    if connection.vendor != "sqlite":
        pytest.skip("PostgreSQL's autovacuum keeps its statistics itself")
    with connection.cursor() as cursor:
        cursor.execute("SELECT DISTINCT tbl FROM sqlite_stat1")
        analysed = {row[0] for row in cursor.fetchall()}
    assert {"scheduling_booking", "scheduling_slot"} <= analysed
