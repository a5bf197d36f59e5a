"""Educator pages: dashboard, Manage Availability, Session Requests (with htmx), courses."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from scheduling import errors, services
from scheduling.models import Booking, Course, Slot
from scheduling.tests.factories import (
    BookingFactory,
    CourseFactory,
    EducatorFactory,
    SlotFactory,
    StudentFactory,
)
from scheduling.tests.test_schedule_cache import NEW_VERSION, REMEMBERED, REMEMBERING

pytestmark = pytest.mark.django_db

HTMX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture
def as_educator(client, educator):
    client.force_login(educator)
    return client


def slot_post(when, **extra) -> dict:
    local = timezone.localtime(when)
    data = {
        "course": "",
        "date": local.strftime("%Y-%m-%d"),
        "start_time": local.strftime("%H:%M"),
        "duration": 60,
        "capacity": 1,
        "requires_approval": "on",
        "meeting_link": "",
        "note": "",
    }
    data.update(extra)
    return data


def tomorrow_at(hour: int):
    return (timezone.localtime() + timedelta(days=1)).replace(
        hour=hour, minute=0, second=0, microsecond=0
    )


@pytest.mark.parametrize(
    "path",
    [
        "/educator/",
        "/educator/availability",
        "/educator/availability/new",
        "/educator/calendar",
        "/educator/session-requests",
        "/educator/courses",
        "/educator/courses/new",
    ],
)
def test_educator_pages_need_an_educator(client, student, path):
    response = client.get(path)
    assert response.status_code == 302 and "/accounts/login/" in response.url
    client.force_login(student)
    assert client.get(path).status_code == 403


def test_dashboard(as_educator, educator):
    slot = SlotFactory(educator=educator, meeting_link="https://m.example.com")
    services.booking_approve(booking=BookingFactory(slot=slot), by=educator)
    BookingFactory(slot=SlotFactory(educator=educator))
    page = as_educator.get("/educator/").content.decode()
    assert "pending request" in page and "New slot" in page
    assert slot.bookings.get().student.display_name in page


def test_create_slot_in_the_educators_timezone(as_educator, educator, course):
    educator.timezone = "America/New_York"
    educator.save()
    response = as_educator.post(
        "/educator/availability/new",
        {
            "course": course.pk,
            "date": (timezone.now() + timedelta(days=3)).strftime("%Y-%m-%d"),
            "start_time": "09:30",
            "duration": 45,
            "capacity": 4,
            "meeting_link": "https://meet.example.com/r",
            "note": "Room A",
        },
    )
    assert response.status_code == 302
    slot = Slot.objects.get()
    local = slot.starts_at.astimezone(educator.zoneinfo)
    assert (local.hour, local.minute, slot.duration_minutes) == (9, 30, 45)
    assert (slot.capacity, slot.course, slot.requires_approval) == (4, course, False)


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        ({"capacity": 0}, "greater than or equal to 1"),
        ({"meeting_link": "javascript:alert(1)"}, errors.MEETING_LINK_INVALID),
        ({"date": "2020-01-01"}, errors.START_IN_PAST),
        ({"date": ""}, "This field is required"),
    ],
)
def test_slot_form_errors(as_educator, extra, message):
    response = as_educator.post("/educator/availability/new", slot_post(tomorrow_at(10), **extra))
    assert response.status_code == 200
    assert message in response.content.decode()
    assert not Slot.objects.exists()


def test_overlapping_slot_is_refused_on_the_form(as_educator, educator):
    SlotFactory(educator=educator, starts_at=tomorrow_at(10))
    response = as_educator.post(
        "/educator/availability/new", slot_post(tomorrow_at(10) + timedelta(minutes=30))
    )
    assert errors.SLOT_OVERLAP in response.content.decode()


def test_someone_elses_course_is_not_a_choice(as_educator):
    theirs = CourseFactory()
    response = as_educator.post(
        "/educator/availability/new", slot_post(tomorrow_at(10), course=theirs.pk)
    )
    assert "Select a valid choice" in response.content.decode()


def test_edit_slot(as_educator, educator):
    slot = SlotFactory(educator=educator, starts_at=tomorrow_at(10))
    page = as_educator.get(f"/educator/availability/{slot.pk}/edit").content.decode()
    assert "Save slot" in page
    response = as_educator.post(
        f"/educator/availability/{slot.pk}/edit", slot_post(tomorrow_at(15), capacity=3)
    )
    assert response.status_code == 302
    slot.refresh_from_db()
    assert timezone.localtime(slot.starts_at).hour == 15 and slot.capacity == 3


def test_edit_refuses_moving_a_booked_slot(as_educator, educator):
    slot = SlotFactory(educator=educator, starts_at=tomorrow_at(10))
    BookingFactory(slot=slot)
    response = as_educator.post(
        f"/educator/availability/{slot.pk}/edit", slot_post(tomorrow_at(16))
    )
    assert errors.TIME_LOCKED in response.content.decode()
    response = as_educator.post(
        f"/educator/availability/{slot.pk}/edit", slot_post(tomorrow_at(10), capacity=2)
    )
    assert response.status_code == 302  # capacity can still grow


def test_withdraw_confirms_how_many_students_it_affects(as_educator, educator):
    slot = SlotFactory(educator=educator, capacity=3)
    first, second = BookingFactory(slot=slot), BookingFactory(slot=slot)
    page = as_educator.get(f"/educator/availability/{slot.pk}/withdraw").content.decode()
    assert "This cancels 2 requests" in page and first.student.display_name in page
    response = as_educator.post(f"/educator/availability/{slot.pk}/withdraw", {"reason": "Ill"})
    assert response.status_code == 302
    assert set(Booking.objects.values_list("status", flat=True)) == {"cancelled"}
    second.refresh_from_db()
    assert second.decision_note == "Ill"


def test_another_educators_objects_are_404(as_educator):
    other = EducatorFactory()
    slot = SlotFactory(educator=other)
    booking = BookingFactory(slot=slot)
    course = CourseFactory(educator=other)
    assert as_educator.get(f"/educator/availability/{slot.pk}/edit").status_code == 404
    assert as_educator.post(f"/educator/availability/{slot.pk}/withdraw").status_code == 404
    assert as_educator.post(f"/educator/session-requests/{booking.pk}/approve").status_code == 404
    assert as_educator.get(f"/educator/courses/{course.pk}/edit").status_code == 404


@pytest.mark.parametrize("rows", [5, 50])
def test_availability_query_count_is_constant(
    as_educator, educator, rows, django_assert_num_queries
):
    for _ in range(rows):
        SlotFactory(educator=educator)
    with django_assert_num_queries(4):  # session, user, count, page
        assert as_educator.get("/educator/availability").status_code == 200


def test_availability_past_tab(as_educator, educator):
    slot = SlotFactory(educator=educator, note="Happened already")
    start = timezone.now() - timedelta(days=1)
    Slot.objects.filter(pk=slot.pk).update(starts_at=start, ends_at=start + timedelta(hours=1))
    assert "Happened already" not in as_educator.get("/educator/availability").content.decode()
    past = as_educator.get("/educator/availability", {"show": "past"}).content.decode()
    assert "Happened already" in past


# ---------------------------------------------------------------- session requests


def test_requests_page_lists_pending_first_with_counts(as_educator, educator):
    booking = BookingFactory(slot=SlotFactory(educator=educator), message="Help with forms")
    page = as_educator.get("/educator/session-requests").content.decode()
    assert "Help with forms" in page and booking.student.display_name in page
    assert "Approve" in page and "Reject" in page
    assert 'hx-trigger="every 30s"' in page


def test_approve_without_js_redirects_with_a_message(as_educator, educator):
    booking = BookingFactory(slot=SlotFactory(educator=educator))
    response = as_educator.post(
        f"/educator/session-requests/{booking.pk}/approve",
        {"meeting_link": "https://meet.example.com/ok"},
        follow=True,
    )
    assert "Request approved." in response.content.decode()
    booking.refresh_from_db()
    assert (booking.status, booking.meeting_link) == ("approved", "https://meet.example.com/ok")


def test_approve_with_htmx_returns_the_card(as_educator, educator):
    booking = BookingFactory(slot=SlotFactory(educator=educator))
    response = as_educator.post(
        f"/educator/session-requests/{booking.pk}/approve",
        {"meeting_link": "https://meet.example.com/ok"},
        **HTMX,
    )
    html = response.content.decode()
    assert response.status_code == 200 and "<html" not in html
    assert f'id="request-{booking.pk}"' in html and "Approved" in html


def test_approve_without_link_shows_the_refusal_in_the_card(as_educator, educator):
    booking = BookingFactory(slot=SlotFactory(educator=educator))
    response = as_educator.post(
        f"/educator/session-requests/{booking.pk}/approve", {"meeting_link": ""}, **HTMX
    )
    assert errors.MEETING_LINK_REQUIRED in response.content.decode()
    booking.refresh_from_db()
    assert booking.status == "pending"


def test_reject_needs_a_reason(as_educator, educator):
    booking = BookingFactory(slot=SlotFactory(educator=educator))
    response = as_educator.post(
        f"/educator/session-requests/{booking.pk}/reject", {"reason": ""}, follow=True
    )
    assert "Give a reason for rejecting the request." in response.content.decode()
    as_educator.post(f"/educator/session-requests/{booking.pk}/reject", {"reason": "Full week"})
    booking.refresh_from_db()
    assert (booking.status, booking.decision_note) == ("rejected", "Full week")


def test_complete_only_after_start(as_educator, educator):
    slot = SlotFactory(educator=educator, meeting_link="https://m.example.com")
    booking = services.booking_approve(booking=BookingFactory(slot=slot), by=educator)
    response = as_educator.post(f"/educator/session-requests/{booking.pk}/complete", follow=True)
    assert errors.COMPLETE_BEFORE_START in response.content.decode()
    start = timezone.now() - timedelta(minutes=30)
    Slot.objects.filter(pk=slot.pk).update(starts_at=start, ends_at=start + timedelta(hours=1))
    page = as_educator.get("/educator/session-requests", {"status": "approved"}).content.decode()
    assert "Mark completed" in page
    as_educator.post(f"/educator/session-requests/{booking.pk}/complete")
    booking.refresh_from_db()
    assert booking.status == "completed"


def test_actions_are_post_only(as_educator, educator):
    booking = BookingFactory(slot=SlotFactory(educator=educator))
    assert as_educator.get(f"/educator/session-requests/{booking.pk}/approve").status_code == 405


def test_the_list_refreshes_as_a_fragment(as_educator, educator):
    BookingFactory(slot=SlotFactory(educator=educator), message="Arrived later")
    response = as_educator.get("/educator/session-requests", {"status": "pending"}, **HTMX)
    html = response.content.decode()
    assert "<html" not in html and 'id="request-list"' in html and "Arrived later" in html


@pytest.mark.parametrize("rows", [5, 50])
def test_requests_query_count_is_constant(as_educator, educator, rows, django_assert_num_queries):
    for _ in range(rows):
        BookingFactory(slot=SlotFactory(educator=educator), student=StudentFactory())
    # session, user, counts (the total too), page; remembered (tests/test_schedule_cache.py)
    with django_assert_num_queries(4 + REMEMBERING + NEW_VERSION):
        assert as_educator.get("/educator/session-requests").status_code == 200
    with django_assert_num_queries(2 + REMEMBERED):
        assert as_educator.get("/educator/session-requests").status_code == 200


# ---------------------------------------------------------------- courses


def test_create_and_edit_course(as_educator, educator):
    response = as_educator.post(
        "/educator/courses/new",
        {"title": "Testing Django", "description": "pytest", "field": "Web", "is_published": "on"},
    )
    assert response.status_code == 302
    course = Course.objects.get(title="Testing Django")
    assert course.educator == educator and course.is_published
    as_educator.post(
        f"/educator/courses/{course.pk}/edit",
        {"title": "Testing Django well", "description": "", "field": "Web"},
    )
    course.refresh_from_db()
    assert (course.title, course.is_published) == ("Testing Django well", False)


def test_course_needs_a_title(as_educator):
    response = as_educator.post("/educator/courses/new", {"title": ""})
    assert response.status_code == 200 and "This field is required" in response.content.decode()


@pytest.mark.parametrize("rows", [5, 50])
def test_courses_query_count_is_constant(as_educator, educator, rows, django_assert_num_queries):
    for _ in range(rows):
        course = CourseFactory(educator=educator)
        services.enroll(student=StudentFactory(), course=course)
    with django_assert_num_queries(4):  # session, user, count, page
        page = as_educator.get("/educator/courses").content.decode()
    assert "1 student enrolled" in page


def test_courses_count_enrolments_and_open_slots_apart(as_educator, educator):
    """Each count on its own: enrolments do not multiply slots, nor the reverse."""
    course = CourseFactory(educator=educator)
    for _ in range(2):
        services.enroll(student=StudentFactory(), course=course)
    slots = [SlotFactory(educator=educator, course=course) for _ in range(4)]
    services.slot_withdraw(slot=slots[0], by=educator)
    start = timezone.now() - timedelta(days=3)
    Slot.objects.filter(pk=slots[1].pk).update(starts_at=start, ends_at=start + timedelta(hours=1))
    CourseFactory(educator=educator, title="Zz empty")
    page = as_educator.get("/educator/courses").content.decode()
    assert "2 students enrolled · 2 open slots" in page
    assert "0 students enrolled · 0 open slots" in page


@pytest.mark.parametrize("rows", [5, 50])
def test_dashboard_query_count_is_constant(as_educator, educator, rows, django_assert_num_queries):
    for _ in range(rows):
        slot = SlotFactory(educator=educator, meeting_link="https://m.example.com")
        services.booking_approve(booking=BookingFactory(slot=slot), by=educator)
    with django_assert_num_queries(7):  # session, user, today, upcoming, pending, open, items
        assert as_educator.get("/educator/").status_code == 200


def test_slot_end_time_instead_of_duration(as_educator, educator):
    start = tomorrow_at(9)
    data = slot_post(start, duration="", end_time="10:30")
    assert as_educator.post("/educator/availability/new", data).status_code == 302
    assert Slot.objects.get().duration_minutes == 90


def test_slot_end_before_start_is_shown_on_the_end_time(as_educator):
    response = as_educator.post(
        "/educator/availability/new", slot_post(tomorrow_at(9), end_time="08:00")
    )
    form = response.context["form"]
    assert form.errors["end_time"] == [errors.ENDS_BEFORE_START]
    assert not Slot.objects.exists()


def test_slot_needs_a_duration_or_an_end(as_educator):
    response = as_educator.post(
        "/educator/availability/new", slot_post(tomorrow_at(9), duration="")
    )
    assert "Give a duration or an end time." in response.content.decode()


def test_slot_created_message_has_the_timezone(as_educator, educator):
    response = as_educator.post(
        "/educator/availability/new", slot_post(tomorrow_at(9)), follow=True
    )
    abbreviation = timezone.localtime(Slot.objects.get().starts_at, educator.zoneinfo).tzname()
    assert f"09:00 {abbreviation}." in response.content.decode()


def test_withdraw_message_counts_the_students_told(as_educator, educator):
    slot = SlotFactory(educator=educator, capacity=2)
    BookingFactory(slot=slot)
    response = as_educator.post(f"/educator/availability/{slot.pk}/withdraw", follow=True)
    assert "Slot withdrawn; 1 student has been told." in response.content.decode()
    empty = SlotFactory(educator=educator)
    response = as_educator.post(f"/educator/availability/{empty.pk}/withdraw", follow=True)
    assert "Slot withdrawn." in response.content.decode()


def test_past_slots_show_who_attended(as_educator, educator):
    slot = SlotFactory(educator=educator, meeting_link="https://m.example.com")
    booking = services.booking_approve(booking=BookingFactory(slot=slot), by=educator)
    start = timezone.now() - timedelta(hours=3)
    Slot.objects.filter(pk=slot.pk).update(starts_at=start, ends_at=start + timedelta(hours=1))
    services.booking_complete(booking=booking, by=educator)
    page = as_educator.get("/educator/availability", {"show": "past"}).content.decode()
    assert "1 student attended" in page and "Ended" in page


def test_htmx_decision_refreshes_tab_counts_and_badge(as_educator, educator):
    booking = BookingFactory(slot=SlotFactory(educator=educator))
    response = as_educator.post(
        f"/educator/session-requests/{booking.pk}/reject",
        {"reason": "Away", "next": "/educator/session-requests?status=pending"},
        **HTMX,
    )
    html = response.content.decode()
    assert response["HX-Trigger"] == "requests-changed"
    assert 'id="request-tabs"' in html and 'hx-swap-oob="true"' in html
    assert 'Pending <span class="badge text-bg-light border">0</span>' in html
    assert 'Rejected <span class="badge text-bg-light border">1</span>' in html


def test_the_polled_list_carries_the_tab_counts(as_educator, educator):
    BookingFactory(slot=SlotFactory(educator=educator))
    html = as_educator.get("/educator/session-requests", **HTMX).content.decode()
    assert 'id="request-tabs"' in html and "hx-swap-oob" not in html


def test_slot_end_time_too_soon_after_the_start_is_refused(as_educator):
    response = as_educator.post(
        "/educator/availability/new", slot_post(tomorrow_at(9), duration="", end_time="09:01")
    )
    assert response.context["form"].errors["end_time"] == [errors.DURATION_RANGE]
    assert not Slot.objects.exists()


@pytest.mark.parametrize("end_time", ["", "23:59"])
def test_slot_on_the_last_day_of_the_calendar_is_a_form_error(as_educator, educator, end_time):
    educator.timezone = "America/Los_Angeles"  # 9999-12-31 evening is year 10000 in UTC
    educator.save()
    data = slot_post(tomorrow_at(9), end_time=end_time)
    data.update(date="9999-12-31", start_time="23:30")
    response = as_educator.post("/educator/availability/new", data)
    assert response.status_code == 200
    assert response.context["form"].errors["date"] == [errors.TOO_FAR_AHEAD]
    assert not Slot.objects.exists()


def test_a_slot_holding_seats_shows_time_and_course_read_only(as_educator, educator):
    """Issue 10.8: read-only inputs with the reason, not a refusal after Save."""
    slot = SlotFactory(educator=educator, starts_at=tomorrow_at(10))
    page = as_educator.get(f"/educator/availability/{slot.pk}/edit").content.decode()
    assert "disabled" not in page.split('name="start_time"')[1].split(">")[0]
    BookingFactory(slot=slot)
    page = as_educator.get(f"/educator/availability/{slot.pk}/edit").content.decode()
    for name in ("course", "date", "start_time", "duration", "end_time"):
        tag = page.split(f'name="{name}"')[1].split(">")[0]
        assert "disabled" in tag, name
    assert "Fixed while students hold seats" in page and errors.COURSE_LOCKED in page
    # What stays editable still saves, without sending the read-only inputs.
    data = {"capacity": 4, "requires_approval": "on", "meeting_link": "", "note": "Bring code"}
    assert as_educator.post(f"/educator/availability/{slot.pk}/edit", data).status_code == 302
    slot.refresh_from_db()
    assert slot.capacity == 4 and timezone.localtime(slot.starts_at).hour == 10


def test_slot_times_are_24_hour_text_and_a_calendar_click_prefills(as_educator):
    page = as_educator.get("/educator/availability/new?date=2031-05-06&start=14:30").content
    html = page.decode()
    assert 'type="time"' not in html and 'placeholder="HH:MM"' in html
    start_input = (
        html.split('name="start_time"')[0].rsplit("<input", 1)[1]
        + html.split('name="start_time"')[1].split(">")[0]
    )
    assert 'value="2031-05-06"' in html and 'value="14:30"' in start_input
    assert '<option value="23:45">' in html
    assert as_educator.get("/educator/availability/new?date=junk&start=99").status_code == 200


def test_withdrawn_slots_leave_upcoming_for_their_own_tab(as_educator, educator):
    """Issue 10.5: no "3 left · needs your approval" on a slot nobody can book."""
    slot = SlotFactory(educator=educator, capacity=3, note="Gone slot")
    services.slot_withdraw(slot=slot, by=educator, reason="Conference trip")
    upcoming = as_educator.get("/educator/availability").content.decode()
    assert "Gone slot" not in upcoming and "No upcoming slots" in upcoming
    tab = as_educator.get("/educator/availability", {"show": "withdrawn"}).content.decode()
    assert "Gone slot" in tab and "Conference trip" in tab and "slot-withdrawn" in tab
    assert "needs your approval" not in tab


def _berlin(educator):
    from zoneinfo import ZoneInfo

    educator.timezone = "Europe/Berlin"
    educator.save(update_fields=["timezone"])
    return ZoneInfo("Europe/Berlin")


def test_calendar_shows_the_week_in_the_educators_zone(as_educator, educator, student):
    """Issue 10.4: a time grid with seats and statuses; empty future hours create a slot."""
    zone = _berlin(educator)
    day = timezone.localdate(timezone=zone) + timedelta(days=7)
    monday = day - timedelta(days=day.weekday())
    starts = timezone.make_aware(
        timezone.datetime.combine(monday + timedelta(days=2), timezone.datetime.min.time()), zone
    ) + timedelta(hours=9, minutes=30)
    slot = SlotFactory(educator=educator, starts_at=starts, capacity=3, note="x")
    BookingFactory(slot=slot, student=student)
    gone = SlotFactory(educator=educator, starts_at=starts + timedelta(days=1))
    services.slot_withdraw(slot=gone, by=educator, reason="Trip")
    html = as_educator.get("/educator/calendar", {"start": f"{day}"}).content.decode()
    assert f"{monday:%a} <span" in html and "Times in Europe/Berlin" in html
    assert "09:30–10:30 CET" in html or "09:30–10:30 CEST" in html
    assert "1/3 seats taken" in html and "1 pending" in html
    assert f'href="/educator/availability/{slot.pk}/edit"' in html
    assert "calendar-slot-withdrawn" in html
    wednesday = monday + timedelta(days=2)
    assert f"?date={wednesday:%Y-%m-%d}&amp;start=14:00" in html  # an empty hour
    assert f"?date={wednesday:%Y-%m-%d}&amp;start=09:00" not in html  # the slot's hour
    assert f'href="?start={monday - timedelta(days=7):%Y-%m-%d}"' in html


def test_calendar_offers_no_creation_in_the_past_and_survives_bad_input(as_educator):
    html = as_educator.get("/educator/calendar", {"start": "2001-01-03"}).content.decode()
    assert "Mon <span" in html and "?date=" not in html  # a past week: nothing to create
    assert as_educator.get("/educator/calendar", {"start": "99999-1-1"}).status_code == 200
    assert as_educator.get("/educator/calendar", {"start": "9999-12-31"}).status_code == 200


def test_calendar_is_for_educators_only(client, student):
    client.force_login(student)
    assert client.get("/educator/calendar").status_code in (302, 403)


@pytest.mark.parametrize("rows", [4, 40])
def test_calendar_query_count_is_constant(as_educator, educator, rows, django_assert_num_queries):
    base = tomorrow_at(0)
    for n in range(rows):
        slot = SlotFactory(educator=educator, starts_at=base + timedelta(hours=3 * n), capacity=2)
        BookingFactory(slot=slot)
    with django_assert_num_queries(4):  # session, user, the week's slots with counts, month
        assert as_educator.get("/educator/calendar").status_code == 200


def test_a_started_or_withdrawn_slot_page_shows_its_requests_read_only(
    as_educator, educator, student
):
    slot = SlotFactory(educator=educator)
    BookingFactory(slot=slot, student=student, message="Can we talk SQL?")
    services.slot_withdraw(slot=slot, by=educator, reason="Ill")
    page = as_educator.get(f"/educator/availability/{slot.pk}/edit").content.decode()
    assert "Requests for this slot" in page and "Can we talk SQL?" in page
    assert "Withdrawn" in page and "Ill" in page and "Save slot" not in page
    response = as_educator.post(f"/educator/availability/{slot.pk}/edit", {"capacity": 5})
    assert response.status_code == 302
    slot.refresh_from_db()
    assert slot.capacity == 1
