"""Calendar files and private feeds, read back with the icalendar library."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from django.utils import timezone
from icalendar import Calendar

from notifications.models import CalendarFeed, Notification
from notifications.services import calendar_feed
from scheduling import calendars, services
from scheduling.models import Booking, Slot
from scheduling.tests.factories import (
    BookingFactory,
    EducatorFactory,
    SlotFactory,
    StudentFactory,
)

pytestmark = pytest.mark.django_db

LINK = "https://meet.example.com/room-7"


def parse(data: bytes) -> tuple[Calendar, list]:
    calendar = Calendar.from_ical(data)
    return calendar, list(calendar.walk("VEVENT"))


def only_event(data: bytes):
    calendar, events = parse(data)
    assert len(events) == 1
    return calendar, events[0]


@pytest.fixture
def approved(educator, student):
    slot = SlotFactory(educator=educator, meeting_link=LINK)
    booking = BookingFactory(slot=slot, student=student)
    return services.booking_approve(booking=booking, by=educator, meeting_link="")


def test_approved_booking_is_one_utc_event(approved, educator, student, settings):
    settings.SITE_URL = "https://mentoring.example.com"
    calendar, event = only_event(calendars.booking_ics(approved))
    assert calendar["METHOD"] == "REQUEST" and calendar["VERSION"] == "2.0"
    slot = approved.slot
    start, end = event.decoded("DTSTART"), event.decoded("DTEND")
    assert start == slot.starts_at and end == slot.ends_at
    assert start.utcoffset() == timedelta(0) and end.utcoffset() == timedelta(0)
    assert event.to_ical().decode().count("Z\r\n") >= 2  # written as UTC instants
    assert str(event["UID"]) == f"booking-{approved.pk}@mentoring.example.com"
    assert event["STATUS"] == "CONFIRMED"
    assert str(event["LOCATION"]) == LINK and str(event["URL"]) == LINK
    assert student.display_name in str(event["SUMMARY"])
    assert educator.display_name in str(event["SUMMARY"])
    assert LINK in str(event["DESCRIPTION"])
    assert str(event["ORGANIZER"]) == f"mailto:{educator.email}"
    assert event["ORGANIZER"].params["CN"] == educator.display_name
    assert str(event["ATTENDEE"]) == f"mailto:{student.email}"


def test_cancel_keeps_the_uid_and_raises_the_sequence(approved, student):
    _, first = only_event(calendars.booking_ics(approved))
    cancelled = services.booking_cancel(booking=approved, by=student, reason="Ill")
    calendar, second = only_event(calendars.booking_ics(cancelled, method="CANCEL"))
    assert calendar["METHOD"] == "CANCEL" and second["STATUS"] == "CANCELLED"
    assert second["UID"] == first["UID"]
    assert second["SEQUENCE"] > first["SEQUENCE"]
    assert second.decoded("DTSTART") == approved.slot.starts_at
    assert "LOCATION" not in second  # the link belongs to an approved session only


def test_sequence_grows_with_each_change(educator, student):
    slot = SlotFactory(educator=educator, meeting_link=LINK)
    booking = BookingFactory(slot=slot, student=student)
    sequences = [only_event(calendars.booking_ics(booking))[1]["SEQUENCE"]]
    booking = services.booking_approve(booking=booking, by=educator, meeting_link="")
    sequences.append(only_event(calendars.booking_ics(booking))[1]["SEQUENCE"])
    booking = services.booking_cancel(booking=booking, by=student)
    sequences.append(only_event(calendars.booking_ics(booking, method="CANCEL"))[1]["SEQUENCE"])
    assert sequences == sorted(set(sequences)) and len(sequences) == 3


def test_unknown_method_is_refused(approved):
    with pytest.raises(ValueError):
        calendars.booking_ics(approved, method="DELETE")


# ---------------------------------------------------------------- download


def test_add_to_calendar_downloads_for_both_parties(client, approved, educator, student):
    for user in (student, educator):
        client.force_login(user)
        response = client.get(f"/session-requests/{approved.pk}/calendar.ics")
        assert response.status_code == 200
        assert response["Content-Type"] == "text/calendar; charset=utf-8"
        assert "attachment" in response["Content-Disposition"]
        calendar, event = only_event(response.content)
        assert calendar["METHOD"] == "PUBLISH"
        assert str(event["UID"]).startswith(f"booking-{approved.pk}@")


def test_add_to_calendar_is_only_for_the_parties(client, approved):
    path = f"/session-requests/{approved.pk}/calendar.ics"
    response = client.get(path)
    assert response.status_code == 302 and "/accounts/login/" in response.url
    for stranger in (StudentFactory(), EducatorFactory()):
        client.force_login(stranger)
        assert client.get(path).status_code == 404
    assert client.get("/session-requests/999999/calendar.ics").status_code == 404


def test_add_to_calendar_only_for_approved_sessions(client, educator, student):
    pending = BookingFactory(slot=SlotFactory(educator=educator), student=student)
    client.force_login(student)
    assert client.get(f"/session-requests/{pending.pk}/calendar.ics").status_code == 404
    page = client.get("/session-requests").content.decode()
    assert "Add to calendar" not in page


def test_button_on_my_requests_and_session_requests(client, approved, educator, student):
    href = f'href="/session-requests/{approved.pk}/calendar.ics"'
    client.force_login(student)
    assert href in client.get("/session-requests").content.decode()
    client.force_login(educator)
    assert href in client.get("/educator/session-requests?status=approved").content.decode()


# ---------------------------------------------------------------- feed


def feed_path(user) -> str:
    return f"/calendar/{calendar_feed(user).token}.ics"


def test_feed_needs_its_token(client, approved, student):
    assert client.get("/calendar/not-the-token.ics").status_code == 404
    assert client.get("/calendar/.ics").status_code == 404
    assert client.head(feed_path(student)).status_code == 200  # some clients ask first
    assert client.post(feed_path(student)).status_code == 405
    response = client.get(feed_path(student))  # no login needed
    assert response.status_code == 200
    assert response["Content-Type"] == "text/calendar; charset=utf-8"
    calendar, events = parse(response.content)
    assert calendar["METHOD"] == "PUBLISH" and [str(e["UID"]) for e in events] == [
        calendars.booking_uid(approved)
    ]


def test_feed_lists_approved_sessions_and_recent_cancellations(client, educator, student):
    link = {"meeting_link": LINK}
    approved = BookingFactory(slot=SlotFactory(educator=educator, **link), student=student)
    services.booking_approve(booking=approved, by=educator, meeting_link="")
    BookingFactory(slot=SlotFactory(educator=educator), student=student)  # pending
    never_approved = BookingFactory(slot=SlotFactory(educator=educator), student=student)
    services.booking_cancel(booking=never_approved, by=student)
    recent = BookingFactory(slot=SlotFactory(educator=educator, **link), student=student)
    services.booking_approve(booking=recent, by=educator, meeting_link="")
    services.booking_cancel(booking=recent, by=student)
    old = BookingFactory(slot=SlotFactory(educator=educator, **link), student=student)
    services.booking_approve(booking=old, by=educator, meeting_link="")
    services.booking_cancel(booking=old, by=student)
    Booking.objects.filter(pk=old.pk).update(cancelled_at=timezone.now() - timedelta(days=31))
    someone_else = BookingFactory(slot=SlotFactory(educator=educator, **link))
    services.booking_approve(booking=someone_else, by=educator, meeting_link="")

    _, events = parse(client.get(feed_path(student)).content)
    statuses = {str(e["UID"]): str(e["STATUS"]) for e in events}
    assert statuses == {
        calendars.booking_uid(approved): "CONFIRMED",
        calendars.booking_uid(recent): "CANCELLED",
    }
    # The educator's feed: every approved booking on their slots.
    _, events = parse(client.get(feed_path(educator)).content)
    assert {str(e["UID"]) for e in events} == {
        calendars.booking_uid(approved),
        calendars.booking_uid(recent),
        calendars.booking_uid(someone_else),
    }


def test_regenerating_retires_the_old_address(client, student):
    old = feed_path(student)
    client.force_login(student)
    profile = client.get("/accounts/profile/").content.decode()
    assert f"http://testserver{old}" in profile and f"webcal://testserver{old}" in profile
    response = client.post("/calendar/regenerate")
    assert response.status_code == 302 and response.url == "/accounts/profile/"
    new = feed_path(student)
    assert new != old
    assert client.get(old).status_code == 404 and client.get(new).status_code == 200
    assert client.get("/calendar/regenerate").status_code == 405
    assert CalendarFeed.objects.count() == 1


def test_regenerate_needs_a_login(client):
    response = client.post("/calendar/regenerate")
    assert response.status_code == 302 and "/accounts/login/" in response.url


def test_inactive_users_feed_is_gone(client, student):
    path = feed_path(student)
    student.is_active = False
    student.save()
    assert client.get(path).status_code == 404


@pytest.mark.parametrize("rows", [2, 20])
def test_feed_query_count_is_constant(client, educator, rows, django_assert_num_queries):
    for _ in range(rows):
        booking = BookingFactory(slot=SlotFactory(educator=educator, meeting_link=LINK))
        services.booking_approve(booking=booking, by=educator, meeting_link="")
    path = feed_path(educator)
    with django_assert_num_queries(2):  # the token with its user, the bookings
        response = client.get(path)
    assert len(parse(response.content)[1]) == rows


# ---------------------------------------------------------------- time zones across DST


@pytest.mark.parametrize(
    ("day", "utc_hour", "new_york", "berlin"),
    [
        # Berlin moved to CEST at 02:00 that morning; New York is already on EDT.
        ("2027-03-28", 7, "Sun 28 Mar 2027, 03:00 EDT", "Sun 28 Mar 2027, 09:00 CEST"),
        # Berlin moved back to CET at 03:00 that morning; New York is still on EDT.
        ("2027-10-31", 8, "Sun 31 Oct 2027, 04:00 EDT", "Sun 31 Oct 2027, 09:00 CET"),
    ],
)
def test_dst_day_slot_agrees_everywhere(client, day, utc_hour, new_york, berlin):
    educator = EducatorFactory(timezone="Europe/Berlin")
    student = StudentFactory(timezone="America/New_York")
    client.force_login(educator)
    response = client.post(
        "/educator/availability/new",
        {
            "date": day,
            "start_time": "09:00",
            "duration": 60,
            "capacity": 1,
            "requires_approval": "on",
            "meeting_link": LINK,
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    slot = Slot.objects.get(educator=educator)
    expected = datetime.fromisoformat(day).replace(hour=utc_hour, tzinfo=UTC)
    assert slot.starts_at == expected  # the stored instant
    assert slot.ends_at == expected + timedelta(hours=1)

    booking = services.booking_request(student=student, slot=slot)
    services.booking_approve(booking=booking, by=educator, meeting_link="")
    client.force_login(student)
    page = client.get("/session-requests").content.decode()
    assert new_york in page  # the New York student's page
    client.force_login(educator)
    assert berlin in client.get("/educator/session-requests?status=approved").content.decode()
    client.force_login(student)

    note = Notification.objects.get(recipient=student, kind="approved")
    assert new_york in note.text  # the in-app notification, in the student's zone
    educator_note = Notification.objects.get(recipient=educator, kind="requested")
    assert berlin in educator_note.text  # and in the educator's

    response = client.get(f"/session-requests/{booking.pk}/calendar.ics")
    _, event = only_event(response.content)
    assert event.decoded("DTSTART") == expected  # the .ics
    assert event.to_ical().decode().count(f"DTSTART:{day.replace('-', '')}T0{utc_hour}0000Z") == 1
    _, events = parse(client.get(feed_path(student)).content)
    assert events[0].decoded("DTSTART") == expected  # and the feed


def test_an_hour_the_clocks_skip_is_refused_not_shifted(client):
    educator = EducatorFactory(timezone="Europe/Berlin")
    client.force_login(educator)
    form = {"date": "2027-03-28", "duration": 60, "capacity": 1, "requires_approval": "on"}
    response = client.post("/educator/availability/new", {**form, "start_time": "02:30"})
    assert response.status_code == 200
    assert (
        "02:30 does not exist on 28 Mar 2027 in Europe/Berlin: the clocks skip that hour."
        in response.content.decode()
    )
    assert not Slot.objects.exists()
    # The hour that happens twice in autumn is read as its first (summer time) occurrence.
    response = client.post(
        "/educator/availability/new", {**form, "date": "2027-10-31", "start_time": "02:30"}
    )
    assert response.status_code == 302
    assert Slot.objects.get().starts_at == datetime(2027, 10, 31, 0, 30, tzinfo=UTC)
