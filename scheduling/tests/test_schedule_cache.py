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
from scheduling.models import Booking, Course, Slot
from scheduling.tests.factories import (
    BookingFactory,
    CourseFactory,
    EducatorFactory,
    SlotFactory,
    StudentFactory,
)
from scheduling.tests.test_services import move_to_past

pytestmark = pytest.mark.django_db

# Queries of the database cache (the default) on a page of open times:
REMEMBERED = 2  # the educator's schedule version, then what is remembered under it
REMEMBERING = REMEMBERED + 5  # on a miss, the same gets, then storing (count, savepoint,
# select, insert, release: one set of the database cache in a test's transaction)
NEW_VERSION = 5  # the first view after a change makes the educator's new version (an add)
NEW_PROFILE = 5  # and after a change of the profile (or at first) its profile version too
STUDENT_REMEMBERED = 0  # a student's requests and enrolments: read with the week's entry
STUDENT_REMEMBERING = 2 + 5  # on a miss: reading both, storing them
ACROSS_REMEMBERED = 2  # My Requests: the student's version and entry, the educators' versions
ACROSS_REMEMBERING = 1 + 1 + 1 + 5  # on a miss: those gets, which educators, storing
OWN_REMEMBERED = 1  # the page's own entry: the course (its educator, the policy) or the mentor
OWN_REMEMBERING = 1 + 2 + 5  # on a miss: the get, the two reads, storing them (course: its
# educator's id, then the course; mentor page: the mentor with ratings, then the courses)

LINK = "https://meet.example.com/room"
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
    "the educator renames themself": lambda slot, other: rename(slot.educator),
}


def rename(user) -> None:
    user.first_name, user.last_name = "Renamed", "Educator"
    user.save()


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


@pytest.mark.parametrize(
    "change",
    [
        *("another student books the last seat", "a new slot", "the notice grows past it"),
        *("the course is renamed", "the educator renames themself"),
    ],
)
def test_every_change_shows_at_once_on_the_mentor_page(client, course, change):
    educator = course.educator
    slot = SlotFactory(educator=educator, course=course, starts_at=later(3))
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


def admin_deletes(staff, changelist: str, pk: int) -> None:
    """Staff tick the row and run "Delete selected" (the admin's bulk delete)."""
    admin = Client()  # its own cookies: the admin's "deleted" message stays there
    admin.force_login(staff)
    answer = admin.post(
        reverse(changelist), {"action": "delete_selected", "_selected_action": [pk], "post": "yes"}
    )
    assert answer.status_code == 302


def test_enrolments_deleted_in_the_admin_show_at_once(client, student, staff, course):
    SlotFactory(educator=course.educator, course=course, starts_at=later(3))
    enrolment, _ = services.enroll(student=student, course=course)
    client.force_login(student)
    path = f"/mentors/{course.educator.pk}/"
    before = html(client, path)
    admin_deletes(staff, "admin:scheduling_enrollment_changelist", enrolment.pk)
    after = html(client, path)
    assert after != before and after == fresh(client, path)


def test_a_course_given_to_another_educator_shows_them_at_once(booking_page, course):
    client, path = booking_page
    SlotFactory(educator=course.educator, course=course, starts_at=later(3))
    before = html(client, path)
    assert course.educator.display_name in before
    newcomer = EducatorFactory(first_name="Newly", last_name="Assigned")
    course.educator = newcomer
    course.save()
    after = html(client, path)
    assert "Newly Assigned" in after and after == fresh(client, path)


def test_a_course_deleted_in_the_admin_is_gone_at_once(client, student, staff):
    course = CourseFactory()
    services.enroll(student=student, course=course)
    enrolment_free = CourseFactory(educator=course.educator)
    client.force_login(student)
    path = f"/course/{enrolment_free.pk}/book-session"
    assert client.get(path).status_code == 200  # remembered
    admin_deletes(staff, "admin:scheduling_course_changelist", enrolment_free.pk)
    assert not Course.objects.filter(pk=enrolment_free.pk).exists()
    assert client.get(path).status_code == 404
    mentor_page = html(client, f"/mentors/{course.educator.pk}/")
    assert enrolment_free.title not in mentor_page and course.title in mentor_page


def test_an_educator_deleted_in_the_admin_has_no_page_at_once(client, staff):
    educator = EducatorFactory()
    path = f"/mentors/{educator.pk}/"
    assert client.get(path).status_code == 200  # remembered
    admin_deletes(staff, "admin:accounts_user_changelist", educator.pk)
    assert client.get(path).status_code == 404


def test_logging_in_keeps_what_is_remembered(client, educator, django_assert_num_queries):
    """Only what the pages show forgets: a login saves `last_login` alone."""
    SlotFactory(educator=educator, starts_at=later(3))
    path = f"/mentors/{educator.pk}/"
    html(client, path)
    Client().force_login(educator)
    with django_assert_num_queries(OWN_REMEMBERED + REMEMBERED):
        html(client, path)


# ---------------------------------------------------------------- Session Requests


def _decide(booking):
    return services.booking_approve(booking=booking, by=booking.educator, meeting_link=LINK)


REQUEST_CHANGES = {
    "a new request arrives": lambda booking: BookingFactory(
        slot=SlotFactory(educator=booking.educator), student=StudentFactory()
    ),
    "the student cancels": lambda booking: services.booking_cancel(
        booking=booking, by=booking.student
    ),
    "the educator approves it": _decide,
    "the student renames themself": lambda booking: rename(booking.student),
    "the course is renamed": lambda booking: services.course_update(
        course=booking.slot.course, by=booking.educator, title="Renamed course"
    ),
    "the slot gets a meeting link": lambda booking: services.slot_update(
        slot=booking.slot, by=booking.educator, meeting_link="https://meet.example.com/new"
    ),
    "the educator withdraws the slot": lambda booking: services.slot_withdraw(
        slot=booking.slot, by=booking.educator
    ),
}


@pytest.mark.parametrize("change", REQUEST_CHANGES)
def test_every_change_shows_at_once_on_session_requests(client, course, change):
    educator = course.educator
    slot = SlotFactory(educator=educator, course=course, starts_at=later(3), capacity=2)
    booking = BookingFactory(slot=slot, message="Please")
    client.force_login(educator)
    path = "/educator/session-requests"
    before = html(client, path)
    assert html(client, path) == before  # remembered
    REQUEST_CHANGES[change](booking)
    after = html(client, path)
    assert after != before and after == fresh(client, path)


def test_a_disputed_no_show_shows_at_once_on_session_requests(client, educator):
    booking = _decide(BookingFactory(slot=SlotFactory(educator=educator)))
    move_to_past(booking.slot)
    services.booking_mark_outcome(booking=booking, by=educator, outcome="no_show")
    client.force_login(educator)
    path, tab = "/educator/session-requests", {"status": "approved"}
    before = html(client, path, **tab)
    services.booking_dispute_no_show(booking=Booking.objects.get(pk=booking.pk), by=booking.student)
    after = html(client, path, **tab)
    assert "says they attended" in after and "says they attended" not in before
    assert after == fresh(client, path, **tab)


# ---------------------------------------------------------------- My Requests


def _item(booking):
    return services.action_item_add(
        booking=booking, by=booking.educator, text="Read chapter 3", owner=booking.student
    )


def _item_done(booking):
    item = _item(booking)
    return lambda: services.action_item_set_done(item=item, by=booking.student, done=True)


MY_REQUEST_CHANGES = {
    "the educator approves it": _decide,
    "the educator rejects it": lambda booking: services.booking_reject(
        booking=booking, by=booking.educator, reason="Away that week"
    ),
    "the educator renames themself": lambda booking: rename(booking.educator),
    "the course is renamed": lambda booking: services.course_update(
        course=booking.slot.course, by=booking.educator, title="Renamed course"
    ),
    "the educator withdraws the slot": lambda booking: services.slot_withdraw(
        slot=booking.slot, by=booking.educator
    ),
    "the student asks another educator": lambda booking: services.booking_request(
        student=booking.student, slot=SlotFactory(starts_at=later(5))
    ),
    "an action item for the student": _item,
}


def _my_requests_after(client, student, change) -> tuple[str, str]:
    """My Requests after `change`, and as it would be with nothing remembered (read as of
    the same last visit: the first view after a change moves it on)."""
    seen_at = type(student).objects.get(pk=student.pk).requests_seen_at
    change()
    after = html(client, "/session-requests")
    type(student).objects.filter(pk=student.pk).update(requests_seen_at=seen_at)
    return after, fresh(client, "/session-requests")


@pytest.mark.parametrize("change", MY_REQUEST_CHANGES)
def test_every_change_shows_at_once_on_my_requests(client, student, course, change):
    services.enroll(student=student, course=course)
    slot = SlotFactory(educator=course.educator, course=course, starts_at=later(3))
    booking = services.booking_request(student=student, slot=slot, message="Please")
    client.force_login(student)
    before = html(client, "/session-requests")
    assert html(client, "/session-requests") == before  # remembered
    after, unremembered = _my_requests_after(
        client, student, lambda: MY_REQUEST_CHANGES[change](booking)
    )
    assert after != before and after == unremembered


def test_an_item_ticked_done_and_a_no_show_show_at_once_on_my_requests(client, educator):
    booking = _decide(BookingFactory(slot=SlotFactory(educator=educator)))
    move_to_past(booking.slot)
    tick = _item_done(booking)
    client.force_login(booking.student)
    before = html(client, "/session-requests")
    after, unremembered = _my_requests_after(client, booking.student, tick)
    assert "Read chapter 3" in before and "Read chapter 3" not in after
    assert after == unremembered
    mark = lambda: services.booking_mark_outcome(  # noqa: E731
        booking=Booking.objects.get(pk=booking.pk), by=educator, outcome="no_show"
    )
    after, unremembered = _my_requests_after(client, booking.student, mark)
    assert "I was there" in after and after == unremembered
