"""What every viewer of an educator's open times sees is remembered (schedule_cache), and
never shown stale: after every kind of change, a booking page and a mentor's page are what
they would be with nothing remembered."""

from __future__ import annotations

import re
from datetime import time, timedelta

import pytest
from django.core.cache import cache
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from scheduling import schedule_cache, services
from scheduling.models import Slot
from scheduling.tests.factories import BookingFactory, SlotFactory, StudentFactory

pytestmark = pytest.mark.django_db

# Queries of the database cache (the default) on a page of open times:
REMEMBERED = 2  # the educator's schedule version, then what is remembered under it
REMEMBERING = REMEMBERED + 5  # on a miss, the same gets, then storing (count, savepoint,
# select, insert, release: one set of the database cache in a test's transaction)
NEW_VERSION = 5  # the first view after a change makes the educator's new version (an add)
STUDENT_REMEMBERED = 1  # a student's requests and enrolments with the educator
STUDENT_REMEMBERING = 1 + 2 + 5  # on a miss: the get, reading both, storing them

TOKEN = re.compile(r'(name="csrfmiddlewaretoken" value=|"X-CSRFToken": )"[^"]+"')


def html(client, path: str, **params) -> str:
    response = client.get(path, params)
    assert response.status_code == 200
    return TOKEN.sub(r"\1", response.content.decode())


def fresh(client, path: str, **params) -> str:
    """The page with nothing remembered."""
    cache.clear()
    return html(client, path, **params)


@pytest.fixture
def booking_page(client, student, course):
    services.enroll(student=student, course=course)
    client.force_login(student)
    return client, f"/course/{course.pk}/book-session"


def later(days: int, hour: int = 10):
    day = timezone.localdate() + timedelta(days=days)
    return timezone.make_aware(timezone.datetime.combine(day, time(hour)))


def enrolled_student(course):
    student = StudentFactory()
    if course is not None:
        services.enroll(student=student, course=course)
    return student


CHANGES = {
    "another student books the last seat": lambda slot, other: services.booking_request(
        student=enrolled_student(slot.course), slot=slot
    ),
    "a seat comes back": lambda slot, other: services.booking_cancel(
        booking=other.bookings.get(), by=other.bookings.get().student
    ),
    "the educator changes the time": lambda slot, other: services.slot_update(
        slot=slot, by=slot.educator, starts_at=slot.starts_at + timedelta(hours=2)
    ),
    "the educator adds a seat": lambda slot, other: services.slot_update(
        slot=slot, by=slot.educator, capacity=2
    ),
    "the educator withdraws it": lambda slot, other: services.slot_withdraw(
        slot=slot, by=slot.educator
    ),
    "a new slot": lambda slot, other: services.slot_create(
        educator=slot.educator, course=slot.course, starts_at=slot.starts_at + timedelta(days=1)
    ),
    "the notice grows past it": lambda slot, other: services.policy_update(
        educator=slot.educator, by=slot.educator, min_notice_hours=24 * 4
    ),
    "the course is renamed": lambda slot, other: services.course_update(
        course=slot.course, by=slot.educator, title="Renamed course"
    ),
    "weekly hours are published": lambda slot, other: services.pattern_create(
        educator=slot.educator,
        course=slot.course,
        weekdays=[later(3).weekday()],
        start_time=time(14),
        end_time=time(15),
    ),
    "the slot row is deleted": lambda slot, other: Slot.objects.get(pk=slot.pk).delete(),
}


@pytest.mark.parametrize("change", CHANGES)
def test_every_change_shows_at_once_on_the_booking_page(booking_page, course, change):
    client, path = booking_page
    slot = SlotFactory(educator=course.educator, course=course, starts_at=later(3))
    other = SlotFactory(educator=course.educator, course=course, starts_at=later(3, 16))
    BookingFactory(slot=other)  # full: a cancellation gives the seat back
    start = f"{timezone.localdate(slot.starts_at)}"
    before = html(client, path, start=start)
    assert html(client, path, start=start) == before  # remembered
    CHANGES[change](slot, other)
    after = html(client, path, start=start)
    assert after != before
    assert after == fresh(client, path, start=start)


@pytest.mark.parametrize("change", ["another student books the last seat", "a new slot"])
def test_every_change_shows_at_once_on_the_mentor_page(client, educator, change):
    slot = SlotFactory(educator=educator, starts_at=later(3))
    other = SlotFactory(educator=educator, starts_at=later(3, 16))
    path = f"/mentors/{educator.pk}/"
    before = html(client, path)
    CHANGES[change](slot, other)
    after = html(client, path)
    assert after != before and after == fresh(client, path)


def test_the_students_own_request_shows_though_the_week_is_remembered(
    booking_page, course, student
):
    client, path = booking_page
    slot = SlotFactory(educator=course.educator, course=course, starts_at=later(3), capacity=3)
    before = html(client, path)
    services.booking_request(student=student, slot=slot, message="Hi")
    after = html(client, path)
    assert after != before and after == fresh(client, path)
    assert "You requested this" in after and "You requested this" not in before


def test_a_time_whose_notice_ran_out_within_the_minute_is_not_offered(
    booking_page, course, monkeypatch
):
    client, path = booking_page
    services.policy_update(educator=course.educator, by=course.educator, min_notice_hours=2)
    soon = SlotFactory(
        educator=course.educator, course=course, starts_at=timezone.now() + timedelta(minutes=121)
    )
    monkeypatch.setattr(schedule_cache, "minute", lambda: "the same minute")
    start = f"{timezone.localdate(soon.starts_at)}"
    assert f'value="{soon.pk}"' in html(client, path, start=start)
    now = timezone.now() + timedelta(minutes=2)
    monkeypatch.setattr(timezone, "now", lambda: now)
    assert f'value="{soon.pk}"' not in html(client, path, start=start)


def test_another_cache_forgets_again_when_the_change_commits(
    settings, educator, django_capture_on_commit_callbacks
):
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    version = schedule_cache.schedule_version(educator.pk)
    with django_capture_on_commit_callbacks() as callbacks:
        SlotFactory(educator=educator)
        # What a reader makes of the old rows meanwhile lands under a version the commit
        # forgets.
        meanwhile = schedule_cache.schedule_version(educator.pk)
    assert meanwhile != version and callbacks
    for callback in callbacks:
        callback()
    assert schedule_cache.schedule_version(educator.pk) != meanwhile


def test_the_course_slots_api_shows_a_booking_at_once(client, student, course):
    slot = SlotFactory(educator=course.educator, course=course, starts_at=later(3))
    client.force_login(student)
    path = f"/api/availability/course/{course.pk}"
    assert [row["id"] for row in client.get(path).json()["data"]] == [slot.pk]
    assert [row["id"] for row in client.get(path).json()["data"]] == [slot.pk]  # remembered
    services.booking_request(student=enrolled_student(course), slot=slot)
    assert client.get(path).json()["data"] == []


def test_the_course_slots_api_lists_nothing_that_starts_within_the_minute(
    client, student, course, monkeypatch
):
    """Remembered for the minute and read as of its end: nothing that starts meanwhile."""
    now = (timezone.now() + timedelta(hours=1)).replace(second=10, microsecond=0)
    monkeypatch.setattr(timezone, "now", lambda: now)
    soon = SlotFactory(
        educator=course.educator, course=course, starts_at=now + timedelta(seconds=20)
    )
    later_on = SlotFactory(
        educator=course.educator, course=course, starts_at=now + timedelta(hours=2)
    )
    client.force_login(student)
    rows = client.get(f"/api/availability/course/{course.pk}").json()["data"]
    assert [row["id"] for row in rows] == [later_on.pk] and soon.pk


def test_an_enrolment_shows_at_once_on_the_mentor_page(client, student, course):
    SlotFactory(educator=course.educator, course=course, starts_at=later(3))
    client.force_login(student)
    path = f"/mentors/{course.educator.pk}/"
    before = html(client, path)
    services.enroll(student=student, course=course)
    after = html(client, path)
    assert after != before and after == fresh(client, path)


def test_enrolments_deleted_in_the_admin_show_at_once(client, student, staff, course):
    SlotFactory(educator=course.educator, course=course, starts_at=later(3))
    enrolment, _ = services.enroll(student=student, course=course)
    client.force_login(student)
    path = f"/mentors/{course.educator.pk}/"
    before = html(client, path)
    admin = Client()  # its own cookies: the admin's "deleted" message stays there
    admin.force_login(staff)
    answer = admin.post(
        reverse("admin:scheduling_enrollment_changelist"),
        {"action": "delete_selected", "_selected_action": [enrolment.pk], "post": "yes"},
    )
    assert answer.status_code == 302
    after = html(client, path)
    assert after != before and after == fresh(client, path)
