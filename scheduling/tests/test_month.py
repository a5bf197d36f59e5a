"""The month overview and "Go to date" on Book a Session, a mentor's page and the educator's
calendar: the days marked with their open times, full days, the next open time, dates that
cannot be read or lie outside the horizon, and a query count that does not grow with it."""

from __future__ import annotations

from datetime import datetime, time, timedelta

import pytest
from django.utils import timezone
from django.utils.dateformat import format as date_format

from scheduling import selectors, services
from scheduling.models import BookingPolicy
from scheduling.tests.factories import BookingFactory, SlotFactory
from scheduling.tests.test_schedule_cache import (
    NEW_PROFILE,
    NEW_VERSION,
    OWN_REMEMBERED,
    OWN_REMEMBERING,
    REMEMBERED,
    REMEMBERING,
    STUDENT_REMEMBERED,
    STUDENT_REMEMBERING,
)

pytestmark = pytest.mark.django_db


def at(days: int, hour: int, zone=None) -> datetime:
    day = timezone.localdate() + timedelta(days=days)
    return timezone.make_aware(datetime.combine(day, time(hour)), zone)


def name(moment_or_day) -> str:
    day = moment_or_day
    if isinstance(moment_or_day, datetime):
        day = timezone.localdate(moment_or_day)
    return date_format(day, "D j M Y")


@pytest.fixture
def enrolled(client, student, course):
    services.enroll(student=student, course=course)
    client.force_login(student)
    return client


def page(client, path, **params) -> str:
    response = client.get(path, params)
    assert response.status_code == 200
    return response.content.decode()


def test_day_counts_per_local_day_and_the_next_open_time_after_the_month(educator):
    """One grouped query: days of the month with open and full times, in the viewer's
    timezone; then the first open time after the month however far it is."""
    zone = timezone.get_current_timezone()
    month = timezone.localdate().replace(day=1) + timedelta(days=40)
    month = month.replace(day=1)  # next month but one: every day is in the future
    begin = timezone.make_aware(datetime.combine(month, time.min), zone)
    end_day = (month + timedelta(days=32)).replace(day=1)
    end = timezone.make_aware(datetime.combine(end_day, time.min), zone)
    SlotFactory(educator=educator, starts_at=begin + timedelta(hours=9))
    SlotFactory(educator=educator, starts_at=begin + timedelta(hours=11))
    full = SlotFactory(educator=educator, starts_at=begin + timedelta(days=2, hours=9))
    BookingFactory(slot=full)
    later = SlotFactory(educator=educator, starts_at=end + timedelta(days=200, hours=10))
    SlotFactory(educator=educator, starts_at=end + timedelta(days=400, hours=10))
    slots = selectors.offered_slots(educator=educator)
    assert selectors.day_counts(slots, begin, end) == {
        month: (2, 0),
        month + timedelta(days=2): (0, 1),
    }
    assert selectors.next_open_start(slots, end) == later.starts_at


def test_the_month_marks_days_with_open_times_and_full_days_link_to_the_waitlist(enrolled, course):
    open_slot = SlotFactory(educator=course.educator, course=course, starts_at=at(2, 10))
    SlotFactory(educator=course.educator, course=course, starts_at=at(2, 14))
    full = SlotFactory(educator=course.educator, course=course, starts_at=at(3, 10))
    BookingFactory(slot=full)
    html = page(enrolled, f"/course/{course.pk}/book-session")
    day = timezone.localdate(open_slot.starts_at)
    assert f"{name(day)}: 2 open times" in html
    assert f'href="?start={day:%Y-%m-%d}"' in html
    assert f"{name(full.starts_at)}: full, waitlist open" in html
    assert f'href="/waitlist?course={course.pk}"' in html
    assert date_format(day.replace(day=1), "F Y") in html and 'id="month"' in html


def test_the_next_open_time_after_the_month_and_after_an_empty_week(enrolled, course):
    SlotFactory(educator=course.educator, course=course, starts_at=at(2, 10))
    far = SlotFactory(educator=course.educator, course=course, starts_at=at(245, 10))
    html = page(enrolled, f"/course/{course.pk}/book-session")
    assert "Next open time after" in html and name(far.starts_at) in html
    empty_week = timezone.localdate(far.starts_at) - timedelta(days=60)
    html = page(enrolled, f"/course/{course.pk}/book-session", start=f"{empty_week}")
    assert "No open times in this week" in html
    assert "The next open time is on" in html
    assert f'href="?start={timezone.localdate(far.starts_at):%Y-%m-%d}"' in html


@pytest.mark.parametrize("path", ["/course/{course}/book-session", "/mentors/{educator}/"])
def test_a_date_that_cannot_be_read_falls_back_to_today_with_a_message(enrolled, course, path):
    SlotFactory(educator=course.educator, course=course, starts_at=at(5, 10))
    url = path.format(course=course.pk, educator=course.educator_id)
    for junk in ("junk", "2026-02-30", "99999-01-01", "2026-1-1'--"):
        html = page(enrolled, url, start=junk)
        assert "That date could not be read, so the times start on" in html
        assert f"{date_format(timezone.localdate(), 'D j M')} –" in html  # the week's title


def test_past_and_far_dates_are_clamped_to_today_and_the_booking_horizon(enrolled, course):
    policy = BookingPolicy.for_educator(course.educator)
    policy.horizon_days = 30
    policy.save()
    SlotFactory(educator=course.educator, course=course, starts_at=at(5, 10))
    html = page(enrolled, f"/course/{course.pk}/book-session", start="2001-01-01")
    assert "is too early, so the times start on" in html and 'rel="prev"' not in html
    html = page(enrolled, f"/course/{course.pk}/book-session", start="2090-01-01")
    last = timezone.localdate(timezone.now() + timedelta(days=30))
    assert f"is too far ahead, so the times start on {name(last)}" in html
    assert f'max="{last:%Y-%m-%d}"' in html  # the date picker stops there too
    assert 'rel="next"' not in html  # no week past the horizon
    assert f"?start={(last.replace(day=1) + timedelta(days=32)).replace(day=1)}" not in html


def test_the_later_months_strip_links_a_year_ahead_within_the_horizon(enrolled, course):
    SlotFactory(educator=course.educator, course=course, starts_at=at(5, 10))
    html = page(enrolled, f"/course/{course.pk}/book-session")
    month = timezone.localdate(timezone.now() + timedelta(days=5)).replace(day=1)
    ahead = [month]
    for _ in range(13):
        ahead.append((ahead[-1] + timedelta(days=32)).replace(day=1))
    assert "Later months" in html
    for later in ahead[1:13]:
        assert f'href="?start={later:%Y-%m-%d}"' in html
        assert f'<span class="visually-hidden">{date_format(later, "F Y")}</span>' in html
    assert f'href="?start={ahead[13]:%Y-%m-%d}"' not in html  # a year, not more
    policy = BookingPolicy.for_educator(course.educator)
    policy.horizon_days = 40
    policy.save()
    html = page(enrolled, f"/course/{course.pk}/book-session")
    last = timezone.localdate(timezone.now() + timedelta(days=40))
    shown = [later for later in ahead[1:] if f'href="?start={later:%Y-%m-%d}"' in html]
    assert shown == [later for later in ahead[1:] if later <= last]


@pytest.mark.parametrize("spread", [1, 200])
def test_the_booking_page_with_its_month_has_constant_queries(
    enrolled, course, spread, django_assert_num_queries
):
    """Slots every few days for years ahead cost no more queries than one."""
    for n in range(spread):
        SlotFactory(educator=course.educator, course=course, starts_at=at(2 + 4 * n, 10))
    # The first view after a change: session, user, first open, week, month (2), remembering
    # the course, what every viewer sees and the student's requests and enrolments.
    with django_assert_num_queries(
        6 + OWN_REMEMBERING + REMEMBERING + NEW_VERSION + NEW_PROFILE + STUDENT_REMEMBERING
    ):
        page(enrolled, f"/course/{course.pk}/book-session")
    with django_assert_num_queries(2 + OWN_REMEMBERED + REMEMBERED + STUDENT_REMEMBERED):
        page(enrolled, f"/course/{course.pk}/book-session")  # a later view
    # Another day: the week, month (2), remembered for that day.
    with django_assert_num_queries(5 + OWN_REMEMBERED + REMEMBERING + STUDENT_REMEMBERED):
        page(enrolled, f"/course/{course.pk}/book-session", start=f"{timezone.localdate()}")


@pytest.mark.parametrize("spread", [1, 200])
def test_the_mentor_page_and_the_calendar_month_have_constant_queries(
    client, educator, spread, django_assert_num_queries
):
    for n in range(spread):
        SlotFactory(educator=educator, starts_at=at(2 + 4 * n, 10))
    # First open, week, month (2), remembering the mentor and courses and what all see.
    with django_assert_num_queries(4 + OWN_REMEMBERING + REMEMBERING + NEW_VERSION + NEW_PROFILE):
        page(client, f"/mentors/{educator.pk}/")
    with django_assert_num_queries(OWN_REMEMBERED + REMEMBERED):
        page(client, f"/mentors/{educator.pk}/")
    client.force_login(educator)
    with django_assert_num_queries(4):  # session, user, the week's slots, the month
        page(client, "/educator/calendar")


def test_the_educator_calendar_month_marks_slots_and_opens_a_days_week(client, educator):
    slot = SlotFactory(educator=educator, starts_at=at(100, 9))
    full = SlotFactory(educator=educator, starts_at=at(101, 9))
    BookingFactory(slot=full)
    client.force_login(educator)
    day = timezone.localdate(slot.starts_at)
    html = page(client, "/educator/calendar", start=f"{day}")
    assert f"{name(day)}: 1 slot<" in html and f"{name(full.starts_at)}: 1 slot, all booked" in html
    assert f'href="?start={day:%Y-%m-%d}#week"' in html
    monday = day - timedelta(days=day.weekday())
    assert f"{date_format(monday, 'D j M')} – " in html  # the week of the day
    assert 'class="calendar-chosen"' in html or day == timezone.localdate()
    html = page(client, "/educator/calendar", start="not-a-date")
    assert "That date could not be read, so the calendar shows" in html


def test_no_month_when_nothing_is_open(enrolled, course):
    html = page(enrolled, f"/course/{course.pk}/book-session")
    assert "No open slots right now" in html and 'id="month"' not in html


@pytest.mark.parametrize("zone", ["Pacific/Kiritimati", "America/Adak"])
def test_a_day_is_the_viewers_day(client, student, course, zone):
    """A slot late in the viewer's evening is marked on that evening's day, not UTC's."""
    student.timezone = zone
    student.save()
    services.enroll(student=student, course=course)
    client.force_login(student)
    with timezone.override(zone):
        slot = SlotFactory(educator=course.educator, course=course, starts_at=at(3, 23, None))
        day = timezone.localdate(slot.starts_at)
    html = page(client, f"/course/{course.pk}/book-session")
    assert f"{name(day)}: 1 open time" in html
