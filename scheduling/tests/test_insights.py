"""Insights: the figures of a known data set, the CSV, and a query count that does not grow
with the data."""

from __future__ import annotations

import csv
import io
from datetime import date, datetime, time, timedelta

import pytest
from django.utils import timezone

from scheduling import insights, services
from scheduling.models import Booking, SessionFeedback, Slot
from scheduling.tests.factories import (
    BookingFactory,
    EducatorFactory,
    SlotFactory,
    StudentFactory,
)
from scheduling.tests.test_outcomes import held
from scheduling.tests.test_schedule_cache import NEW_VERSION, REMEMBERED, REMEMBERING, fresh
from scheduling.tests.test_schedule_cache import html as page_html

pytestmark = pytest.mark.django_db


def _answered_after(booking, hours: int) -> None:
    Booking.objects.filter(pk=booking.pk).update(
        decided_at=booking.created_at + timedelta(hours=hours)
    )


def known_data(educator):
    """Four held sessions (one a no-show, one attended and rated 5, one rated 3), one
    pending request, one request of another educator."""
    sessions = [held(educator) for _ in range(4)]
    services.booking_mark_outcome(booking=sessions[0], by=educator, outcome="no_show")
    services.booking_mark_outcome(booking=sessions[1], by=educator, outcome="attended")
    services.feedback_give(booking=sessions[1], by=sessions[1].student, rating=5)
    services.booking_complete(booking=sessions[2], by=educator)
    services.feedback_give(booking=sessions[2], by=sessions[2].student, rating=3)
    for booking, hours in zip(sessions, (1, 2, 3, 10), strict=True):
        _answered_after(booking, hours)
    BookingFactory(slot=SlotFactory(educator=educator))
    BookingFactory(slot=SlotFactory(educator=EducatorFactory()))
    return sessions


def test_the_figures_of_a_known_data_set(educator):
    sessions = known_data(educator)
    data = insights.educator_insights(educator)
    assert (data.held, data.attended, data.no_shows, data.unmarked) == (3, 1, 1, 2)
    assert data.no_show_rate == 50
    assert (data.rating_avg, data.rating_count) == (4.0, 2)
    assert data.answer_hours == 2.5  # the median of 1, 2, 3 and 10 hours
    figures = {figure.key: figure for figure in data.figures}
    assert sum(value for _, value in figures["held"].rows) == 3
    assert len(figures["held"].rows) == insights.WEEKS
    assert dict(figures["attendance"].rows) == {"Attended": 1, "No-show": 1, "Not marked": 2}
    weekday = timezone.localtime(sessions[0].slot.starts_at).weekday()
    by_weekday = dict(figures["weekdays"].rows)
    assert sum(by_weekday.values()) == 5  # the four held and the pending one
    assert by_weekday[insights.WEEKDAY_NAMES[weekday]] >= 1


def test_the_csv_has_every_figure(client, educator):
    known_data(educator)
    client.force_login(educator)
    response = client.get("/educator/insights.csv")
    assert response["Content-Type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(response.content.decode())))
    assert rows[0] == ["figure", "label", "value"]
    assert ["Summary", "No-show rate (%)", "50"] in rows
    assert ["Attendance", "No-show", "1"] in rows


@pytest.mark.parametrize("size", [1, 6])
def test_the_page_has_constant_queries(client, educator, size, django_assert_num_queries):
    for _ in range(size):
        known_data(educator)
    assert Slot.objects.filter(educator=educator).count() >= 5 * size
    client.force_login(educator)
    # session, user, held per day, marks, ratings per month, overall, answers, busy, waitlist,
    # and remembering the figures
    with django_assert_num_queries(9 + REMEMBERING + NEW_VERSION):
        page = client.get("/educator/insights")
    html = page.content.decode()
    assert "Sessions held per week" in html and "<svg" in html and "<table" in html
    with django_assert_num_queries(2 + REMEMBERED):  # then: session, user, the figures
        assert client.get("/educator/insights").status_code == 200


def _full_slot(educator):
    slot = SlotFactory(educator=educator, capacity=1)
    BookingFactory(slot=slot)
    return slot


CHANGES = {
    "a session is marked attended": lambda educator, sessions, full: services.booking_mark_outcome(
        booking=sessions[3], by=educator, outcome="attended"
    ),
    "a held session is rated": lambda educator, sessions, full: services.feedback_give(
        booking=services.booking_complete(booking=sessions[3], by=educator),
        by=sessions[3].student,
        rating=1,
    ),
    "a student joins a waitlist": lambda educator, sessions, full: services.waitlist_join(
        student=StudentFactory(), slot=full
    ),
    "a new request": lambda educator, sessions, full: BookingFactory(
        slot=SlotFactory(educator=educator)
    ),
}


@pytest.mark.parametrize("change", CHANGES)
def test_every_change_shows_at_once_on_the_insights_page(client, educator, change):
    sessions, full = known_data(educator), _full_slot(educator)
    client.force_login(educator)
    before = page_html(client, "/educator/insights")
    assert page_html(client, "/educator/insights") == before  # remembered
    CHANGES[change](educator, sessions, full)
    after = page_html(client, "/educator/insights")
    assert after != before and after == fresh(client, "/educator/insights")


def test_staff_read_every_educators_insights_in_the_admin(client, educator, staff):
    known_data(educator)
    known_data(EducatorFactory())
    assert insights.educator_insights(None).no_shows == 2
    client.force_login(staff)
    page = client.get("/admin/scheduling/insightsreport/").content.decode()
    assert "Insights, all educators" in page and "Sessions held per week" in page
    assert "<svg" in page and ">50%<" in page
    client.force_login(educator)
    assert client.get("/admin/scheduling/insightsreport/").status_code == 302  # to its login


def test_the_api_gives_the_same_figures(client, educator, student):
    known_data(educator)
    client.force_login(educator)
    body = client.get("/api/educator/insights").json()
    assert body["success"] is True and body["data"]["noShowRate"] == 50
    attendance = next(f for f in body["data"]["figures"] if f["key"] == "attendance")
    assert {"label": "No-show", "value": 1} in attendance["rows"]
    client.force_login(student)
    assert client.get("/api/educator/insights").status_code == 403


def test_the_rating_trend_spans_six_months_and_the_waitlist_only_live_entries(educator):
    from scheduling.models import WaitlistEntry, WaitlistStatus

    now = timezone.now()
    start = insights.educator_insights(educator, now=now)
    assert start.figures[2].rows == []
    slot = SlotFactory(educator=educator)
    BookingFactory(slot=slot)  # full: one seat
    for status in (WaitlistStatus.WAITING, WaitlistStatus.LEFT, WaitlistStatus.SKIPPED):
        WaitlistEntry.objects.create(slot=slot, student=BookingFactory().student, status=status)
    demand = {f.key: f for f in insights.educator_insights(educator).figures}["waitlist"]
    assert demand.rows == [("Single slots", 1)]
    # The trend: this month and the five before it; a rating in the month before is out.
    today = timezone.localdate()
    months = today.year * 12 + today.month - insights.RATING_MONTHS
    first = date(months // 12, months % 12 + 1, 1)
    inside, outside = (held(educator) for _ in range(2))
    for booking, day in ((inside, first), (outside, first - timedelta(days=1))):
        services.booking_complete(booking=booking, by=educator)
        feedback = services.feedback_give(booking=booking, by=booking.student, rating=4)
        noon = timezone.make_aware(datetime.combine(day, time(12)))
        SessionFeedback.objects.filter(pk=feedback.pk).update(created_at=noon)
    trend = {f.key: f for f in insights.educator_insights(educator).figures}["rating"]
    assert [label for label, _ in trend.rows] == [f"{first:%b %Y}"]
