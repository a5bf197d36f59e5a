"""In-app notifications: one per status change for the other party, the bell, the page."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from notifications import services as inbox
from notifications.models import Notification
from scheduling import services
from scheduling.models import Slot
from scheduling.tests.factories import BookingFactory, EducatorFactory, SlotFactory, StudentFactory

pytestmark = pytest.mark.django_db


def only(user) -> Notification:
    notifications = list(Notification.objects.filter(recipient=user))
    assert len(notifications) == 1, [n.text for n in notifications]
    return notifications[0]


def start_now(slot: Slot) -> None:
    start = timezone.now() - timedelta(minutes=5)
    Slot.objects.filter(pk=slot.pk).update(starts_at=start, ends_at=start + timedelta(hours=1))


@pytest.fixture
def berlin_educator(educator):
    educator.first_name, educator.last_name, educator.timezone = "Maya", "Berg", "Europe/Berlin"
    educator.save()
    return educator


@pytest.fixture
def tokyo_student(student):
    student.first_name, student.last_name, student.timezone = "Sam", "Lee", "Asia/Tokyo"
    student.save()
    return student


@pytest.fixture
def booking(berlin_educator, tokyo_student):
    slot = SlotFactory(
        educator=berlin_educator,
        starts_at=timezone.now().replace(microsecond=0) + timedelta(days=3),
        meeting_link="https://meet.example.com/room",
    )
    return BookingFactory(slot=slot, student=tokyo_student, message="Help with forms")


def local(booking, user) -> str:
    """The session's start as the recipient's text shows it."""
    return timezone.localtime(booking.slot.starts_at, user.zoneinfo).strftime("%H:%M")


def test_request_tells_the_educator_in_their_zone(booking, berlin_educator, tokyo_student):
    note = only(berlin_educator)
    assert note.kind == "requested" and note.booking == booking
    assert note.text.startswith("Sam Lee requested the session on ")
    assert local(booking, berlin_educator) in note.text and (
        "CET" in note.text or "CEST" in note.text
    )
    assert note.url == f"/educator/session-requests?status=pending#request-{booking.pk}"
    assert not Notification.objects.filter(recipient=tokyo_student).exists()  # the actor


def test_booking_without_approval_tells_the_educator(berlin_educator, tokyo_student):
    slot = SlotFactory(
        educator=berlin_educator, requires_approval=False, meeting_link="https://m.example.com"
    )
    booking = BookingFactory(slot=slot, student=tokyo_student)
    note = only(berlin_educator)
    assert note.kind == "booked" and note.text.startswith("Sam Lee booked the session on ")
    assert note.url == f"/educator/session-requests?status=approved#request-{booking.pk}"


def test_approval_tells_the_student_in_their_zone(booking, berlin_educator, tokyo_student):
    services.booking_approve(booking=booking, by=berlin_educator, meeting_link="")
    note = only(tokyo_student)
    assert note.kind == "approved"
    assert note.text.startswith("Maya Berg approved your request for the session on ")
    assert local(booking, tokyo_student) in note.text and "JST" in note.text
    assert note.url == f"/session-requests#booking-{booking.pk}"


def test_rejection_tells_the_student_why(booking, berlin_educator, tokyo_student):
    services.booking_reject(booking=booking, by=berlin_educator, reason="Fully booked that week")
    note = only(tokyo_student)
    assert note.kind == "rejected" and note.text.endswith(": Fully booked that week")
    assert "Maya Berg declined your request" in note.text
    assert note.url == f"/session-requests#booking-{booking.pk}"


def test_withdrawn_slot_tells_the_student(booking, berlin_educator, tokyo_student):
    services.slot_withdraw(slot=booking.slot, by=berlin_educator, reason="I am ill")
    note = only(tokyo_student)
    assert note.kind == "cancelled" and note.text.startswith("Maya Berg cancelled the session on ")
    # Issue 20: the notice leads to the nearest other times, each booked in one click.
    assert note.text.endswith(": I am ill. See the nearest other times and book one in one click.")
    assert note.url == f"/session-requests/{booking.pk}/rebook"


def test_cancellation_by_the_student_tells_the_educator(booking, berlin_educator, tokyo_student):
    services.booking_cancel(booking=booking, by=tokyo_student, reason="Exam moved")
    notes = Notification.objects.filter(recipient=berlin_educator, kind="cancelled")
    assert [n.text[:33] for n in notes] == ["Sam Lee cancelled the session on "]
    assert notes[0].url == f"/educator/session-requests?status=cancelled#request-{booking.pk}"
    assert not Notification.objects.filter(recipient=tokyo_student).exists()


def test_completion_by_the_educator_tells_the_student(booking, berlin_educator, tokyo_student):
    services.booking_approve(booking=booking, by=berlin_educator, meeting_link="")
    start_now(booking.slot)
    services.booking_complete(booking=booking, by=berlin_educator)
    note = Notification.objects.get(recipient=tokyo_student, kind="completed")
    assert note.text.startswith("The session on ") and " is completed. " in note.text
    # Issue 20: completion asks for feedback, on the session's own page.
    assert note.text.endswith("How did it go? Rate it from 1 to 5 on the session's page.")
    assert note.url == f"/sessions/{booking.pk}/#feedback"


def test_time_settles_and_tells_the_student(booking, berlin_educator, tokyo_student):
    later = booking.slot.ends_at + timedelta(minutes=1)
    services.close_past_sessions(now=later)  # still pending when it started
    note = only(tokyo_student)
    assert note.kind == "rejected" and "was not answered in time" in note.text
    other = BookingFactory(slot=SlotFactory(educator=berlin_educator), student=tokyo_student)
    services.booking_approve(
        booking=other, by=berlin_educator, meeting_link="https://m.example.com"
    )
    services.close_past_sessions(now=other.slot.ends_at + timedelta(minutes=1))
    done = Notification.objects.get(recipient=tokyo_student, kind="completed", booking=other)
    assert done.url == f"/sessions/{other.pk}/#feedback"
    assert Notification.objects.filter(recipient=berlin_educator, kind="completed").count() == 0


def test_staff_change_tells_both_parties(booking, staff, berlin_educator, tokyo_student):
    services.booking_cancel(booking=booking, by=staff, reason="Duplicate")
    assert Notification.objects.filter(kind="cancelled").count() == 2
    assert only(tokyo_student).text.startswith(f"{staff.display_name} cancelled the session")


def test_refused_change_leaves_no_notification(booking, berlin_educator, other_student):
    before = Notification.objects.count()
    with pytest.raises(services.BookingError):
        services.booking_cancel(booking=booking, by=other_student)
    services.booking_reject(booking=booking, by=berlin_educator, reason="No")
    with pytest.raises(services.BookingError):
        services.booking_approve(booking=booking, by=berlin_educator, meeting_link="")
    assert Notification.objects.count() == before + 1


def test_long_reason_is_shortened_to_fit(booking, berlin_educator, tokyo_student):
    services.booking_reject(booking=booking, by=berlin_educator, reason="x" * 1000)
    note = only(tokyo_student)
    assert len(note.text) == 500 and note.text.endswith("…")


def test_mark_read_only_touches_the_users_own(student, other_student):
    mine = inbox.notify(recipient=student, kind="approved", text="One", url="/a")
    inbox.notify(recipient=student, kind="approved", text="Two")
    theirs = inbox.notify(recipient=other_student, kind="approved", text="Three")
    assert inbox.mark_read(user=student, ids=[mine.pk, theirs.pk]) == 1
    assert inbox.unread_count(student) == 1 and inbox.unread_count(other_student) == 1
    assert inbox.mark_read(user=student) == 1
    assert inbox.mark_read(user=student) == 0


# ---------------------------------------------------------------- pages


@pytest.fixture
def as_student(client, student):
    client.force_login(student)
    return client


def test_pages_need_a_login(client):
    for path in ("/notifications", "/notifications/1/read", "/notifications/read-all"):
        response = client.get(path) if path == "/notifications" else client.post(path)
        assert response.status_code == 302 and "/accounts/login/" in response.url
    assert client.get("/notifications/unread-count").content == b""


def test_bell_counts_unread_and_links_to_the_page(as_student, student):
    assert as_student.get("/notifications/unread-count").content == b""
    for text in ("a", "b", "c"):
        inbox.notify(recipient=student, kind="approved", text=text)
    assert as_student.get("/notifications/unread-count").content == b"3"
    page = as_student.get("/courses/").content.decode()
    assert 'href="/notifications"' in page and 'hx-get="/notifications/unread-count"' in page
    assert "notifications-changed from:body" in page


def test_list_is_newest_first_with_links(as_student, student, other_student):
    now = timezone.now()
    old = inbox.notify(recipient=student, kind="approved", text="Older news", url="/x#1")
    Notification.objects.filter(pk=old.pk).update(created_at=now - timedelta(hours=2))
    inbox.notify(recipient=student, kind="rejected", text="Newer <b>news</b>", url="/y#2")
    inbox.notify(recipient=other_student, kind="approved", text="Not yours")
    page = as_student.get("/notifications").content.decode()
    assert page.index("Newer &lt;b&gt;news&lt;/b&gt;") < page.index("Older news")
    assert 'href="/y#2"' in page and "Not yours" not in page
    assert "Mark all read (2)" in page


def test_mark_one_and_all_read_without_javascript(as_student, student, other_student):
    first = inbox.notify(recipient=student, kind="approved", text="First")
    inbox.notify(recipient=student, kind="approved", text="Second")
    theirs = inbox.notify(recipient=other_student, kind="approved", text="Theirs")
    response = as_student.post(f"/notifications/{first.pk}/read", {"next": "/notifications?page=1"})
    assert response.status_code == 302 and response.url == "/notifications?page=1"
    first.refresh_from_db()
    assert first.read_at is not None and inbox.unread_count(student) == 1
    assert as_student.post(f"/notifications/{theirs.pk}/read").status_code == 404
    response = as_student.post("/notifications/read-all", {"next": "https://evil.example/"})
    assert response.status_code == 302 and response.url == "/notifications"
    assert inbox.unread_count(student) == 0 and inbox.unread_count(other_student) == 1
    assert as_student.get("/notifications/read-all").status_code == 405


def test_mark_read_with_htmx_swaps_the_item_and_updates_the_bell(as_student, student):
    note = inbox.notify(recipient=student, kind="approved", text="Swap me")
    response = as_student.post(f"/notifications/{note.pk}/read", HTTP_HX_REQUEST="true")
    body = response.content.decode()
    assert response.status_code == 200 and response["HX-Trigger"] == "notifications-changed"
    assert f'id="notification-{note.pk}"' in body and "Mark read" not in body
    assert "<html" not in body


@pytest.mark.parametrize("rows", [3, 45])
def test_list_query_count_is_constant(as_student, student, rows, django_assert_num_queries):
    educator = EducatorFactory()
    for _ in range(rows):
        booking = BookingFactory(slot=SlotFactory(educator=educator), student=student)
        services.booking_approve(booking=booking, by=educator, meeting_link="https://m.example.com")
    with django_assert_num_queries(5):  # session, user, count, page, unread count
        page = as_student.get("/notifications").content.decode()
    assert page.count("approved your request") == min(rows, 20)


def test_list_is_paginated(as_student, student):
    for n in range(25):
        inbox.notify(recipient=student, kind="approved", text=f"Note {n}")
    assert "Page 1 of 2" in as_student.get("/notifications").content.decode()
    assert "Note 0" in as_student.get("/notifications?page=2").content.decode()


def test_other_party_notification_reaches_the_bell(client, booking, berlin_educator, tokyo_student):
    client.force_login(tokyo_student)
    assert client.get("/notifications/unread-count").content == b""
    services.booking_approve(booking=booking, by=berlin_educator, meeting_link="")
    assert client.get("/notifications/unread-count").content == b"1"
    other = StudentFactory()
    client.force_login(other)
    assert client.get("/notifications/unread-count").content == b""


def test_admin_lists_notifications(client, staff, booking):
    client.force_login(staff)
    page = client.get("/admin/notifications/notification/").content.decode()
    assert "requested the session" in page
    note = Notification.objects.get()
    response = client.post(
        "/admin/notifications/notification/",
        {"action": "mark_read", "_selected_action": [note.pk]},
    )
    assert response.status_code == 302
    note.refresh_from_db()
    assert note.read_at is not None


def test_the_time_reads_as_djangos_date_format_reads_it(booking, berlin_educator):
    """The text names the time exactly as the pages' `when` filter does (both remembered
    by mentoring/formats.py), including the day name and the zone's abbreviation."""
    from django.utils.dateformat import format as date_format

    moment = timezone.localtime(booking.slot.starts_at, berlin_educator.zoneinfo)
    expected = f"{date_format(moment, 'D j M Y, H:i')} {moment.tzname()}"
    assert f"the session on {expected}" in only(berlin_educator).text


def test_a_notifications_link_keeps_the_sites_script_prefix(berlin_educator, tokyo_student):
    """The page paths are reversed once per prefix: a site served under /mentoring/ links
    there, and one at the root at the root."""
    from django.urls import clear_script_prefix, set_script_prefix

    set_script_prefix("/mentoring/")
    try:
        under = BookingFactory(slot=SlotFactory(educator=berlin_educator), student=tokyo_student)
    finally:
        clear_script_prefix()
    at_root = BookingFactory(slot=SlotFactory(educator=berlin_educator), student=tokyo_student)
    urls = dict(Notification.objects.values_list("booking_id", "url"))
    assert urls[under.pk].startswith("/mentoring/educator/session-requests?")
    assert urls[at_root.pk].startswith("/educator/session-requests?")
