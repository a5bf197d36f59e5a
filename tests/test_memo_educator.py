"""Session Requests and Manage Availability remember each card and row (`{% memo %}`).

Every test renders a page once (so its fragments are remembered), changes one thing a
card or row shows, and renders it again: the page must show the change, and must equal
the same page rendered without remembered fragments. A key that forgot an input would
serve the old text here.

The pages' rows are read fresh on every load (the shared cache cleared first): these
tests change rows behind the services' back, which only the fragments' keys must follow.
That the services forget the remembered rows is tested in
scheduling/tests/test_schedule_cache.py.
"""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.core.cache import cache
from django.utils import timezone

from accounts.models import User
from scheduling import services
from scheduling.models import Booking, Course, Slot
from scheduling.templatetags import memo
from scheduling.templatetags.scheduling_tags import when
from scheduling.tests.factories import BookingFactory, CourseFactory, SlotFactory, StudentFactory

pytestmark = pytest.mark.django_db

HTMX = {"HTTP_HX_REQUEST": "true"}
TOKEN = re.compile(r"[A-Za-z0-9]{64}")  # CSRF tokens differ per response
REQUESTS = "/educator/session-requests"
AVAILABILITY = "/educator/availability"


@pytest.fixture
def as_educator(client, educator):
    client.force_login(educator)
    return client


@pytest.fixture
def page(as_educator):
    """GET a page with the fragments remembered so far; assert it remembered the fragment
    named and equals the same page rendered with nothing remembered. Returns its text."""

    def get(path: str, fragment: str, **extra) -> str:
        cache.clear()
        response = as_educator.get(path, **extra)
        assert response.status_code == 200
        remembered = TOKEN.sub("TOKEN", response.content.decode())
        assert any(key[0] == fragment for key in memo._FRAGMENTS), fragment
        kept, memo._FRAGMENTS = memo._FRAGMENTS, {}
        try:
            fresh = TOKEN.sub("TOKEN", as_educator.get(path, **extra).content.decode())
        finally:
            memo._FRAGMENTS = kept
        assert remembered == fresh
        return remembered

    return get


def requests_page(page, path=REQUESTS, **extra) -> str:
    return page(path, "request-card", **extra)


def availability_page(page, path=AVAILABILITY) -> str:
    return page(path, "availability-row")


def at(moment, monkeypatch) -> None:
    monkeypatch.setattr(timezone, "now", lambda: moment)


def soon(educator, hours: int, **extra) -> Slot:
    """A one-hour slot starting in `hours` hours: a test can move the clock past it
    without the login expiring (factory slots may start weeks ahead)."""
    start = timezone.now().replace(second=0, microsecond=0) + timedelta(hours=hours)
    return SlotFactory(educator=educator, starts_at=start, **extra)


# ---------------------------------------------------------------- Session Requests


@pytest.fixture
def booking(educator):
    slot = soon(educator, 2, meeting_link="https://meet.example.com/slot")
    return BookingFactory(slot=slot, message="Help with forms")


def test_a_card_follows_its_status(page, educator, booking):
    html = requests_page(page)
    assert "Help with forms" in html and "Approve" in html
    services.booking_approve(booking=booking, by=educator, meeting_link="https://m.example.com/a")
    html = requests_page(page, f"{REQUESTS}?status=approved")
    assert "https://m.example.com/a" in html and "Add to calendar" in html
    assert 'name="meeting_link"' not in html
    Booking.objects.filter(pk=booking.pk).update(status="completed")
    html = requests_page(page, f"{REQUESTS}?status=completed")
    assert "Completed" in html and "Add to calendar" not in html


def test_a_card_follows_the_slot_time(page, booking):
    slot = booking.slot
    assert "60 min" in requests_page(page)
    start = slot.starts_at - timedelta(minutes=30)  # the start alone moves
    Slot.objects.filter(pk=slot.pk).update(starts_at=start)
    html = requests_page(page)
    assert "90 min" in html and when(start) in html
    Slot.objects.filter(pk=slot.pk).update(ends_at=start + timedelta(minutes=45))  # the end
    assert "45 min" in requests_page(page)


def test_a_card_follows_the_request_itself(page, booking):
    assert "Pending" in requests_page(page)
    created = timezone.now() - timedelta(days=3)
    Booking.objects.filter(pk=booking.pk).update(created_at=created)
    assert f"Requested {when(created)}" in requests_page(page)
    Booking.objects.filter(pk=booking.pk).update(status="cancelled")  # the status alone
    html = requests_page(page, f"{REQUESTS}?status=cancelled")
    assert "Cancelled" in html and 'name="meeting_link"' not in html


def test_twin_requests_keep_their_own_cards(client, educator, other_educator):
    """Two educators' requests alike in all they show but their ids."""
    start = timezone.now().replace(microsecond=0) + timedelta(days=2)
    pages = {}
    for owner in (educator, other_educator):
        student = StudentFactory(first_name="Ada", last_name="Lovelace")
        booking = BookingFactory(slot=SlotFactory(educator=owner, starts_at=start), student=student)
        Booking.objects.filter(pk=booking.pk).update(created_at=start - timedelta(days=1))
        client.force_login(owner)
        pages[booking.pk] = client.get(REQUESTS).content.decode()
    for pk, html in pages.items():
        assert f'id="request-{pk}"' in html


def test_a_card_follows_the_student_name_course_title_and_message(page, educator):
    course = CourseFactory(educator=educator, title="Django basics")
    booking = BookingFactory(slot=SlotFactory(educator=educator, course=course), message="Hi")
    assert "Django basics" in requests_page(page)
    User.objects.filter(pk=booking.student_id).update(first_name="Ada", last_name="Lovelace")
    assert "Ada Lovelace" in requests_page(page)
    Course.objects.filter(pk=course.pk).update(title="Django in depth")
    html = requests_page(page)
    assert "Django in depth" in html and "Django basics" not in html
    Booking.objects.filter(pk=booking.pk).update(message="Could we look at my models?")
    assert "Could we look at my models?" in requests_page(page)
    Booking.objects.filter(pk=booking.pk).update(message="")
    assert "No message." in requests_page(page)


def test_a_card_follows_the_meeting_links(page, educator, booking):
    assert 'value="https://meet.example.com/slot"' in requests_page(page)
    Slot.objects.filter(pk=booking.slot_id).update(meeting_link="https://meet.example.com/new")
    assert 'value="https://meet.example.com/new"' in requests_page(page)
    services.booking_approve(booking=booking, by=educator, meeting_link="https://m.example.com/1")
    approved = f"{REQUESTS}?status=approved"
    assert "https://m.example.com/1" in requests_page(page, approved)
    Booking.objects.filter(pk=booking.pk).update(meeting_link="https://m.example.com/2")
    html = requests_page(page, approved)
    assert "https://m.example.com/2" in html and "https://m.example.com/1" not in html


def test_a_card_follows_the_reason_and_a_move(page, educator, booking):
    services.booking_reject(booking=booking, by=educator, reason="Full week")
    rejected = f"{REQUESTS}?status=rejected"
    assert "Full week" in requests_page(page, rejected)
    Booking.objects.filter(pk=booking.pk).update(decision_note="Away that day")
    assert "Away that day" in requests_page(page, rejected)
    moved_from = timezone.now() + timedelta(days=9)
    Booking.objects.filter(pk=booking.pk).update(rescheduled_from=moved_from)
    assert "Rescheduled from" in requests_page(page, rejected)


def test_a_card_follows_time_passing(page, educator, booking, monkeypatch):
    other = BookingFactory(slot=soon(educator, 4, meeting_link="https://m.example.com"))
    services.booking_approve(booking=other, by=educator)
    html = requests_page(page)
    assert f'action="/educator/session-requests/{booking.pk}/approve"' in html
    assert "Mark completed" not in requests_page(page, f"{REQUESTS}?status=approved")
    slot_start = max(booking.slot.starts_at, other.slot.starts_at)
    at(slot_start + timedelta(minutes=1), monkeypatch)  # both sessions under way
    html = requests_page(page)
    assert f'action="/educator/session-requests/{booking.pk}/approve"' not in html
    assert "Mark completed" in requests_page(page, f"{REQUESTS}?status=approved")


def test_a_card_sends_its_forms_back_to_the_page_it_is_on(page, booking):
    assert f'value="{REQUESTS}"' in requests_page(page)
    html = requests_page(page, f"{REQUESTS}?status=pending")
    assert f'value="{REQUESTS}?status=pending"' in html
    assert f'value="{REQUESTS}"' not in html


def test_a_refused_answer_shows_in_its_card_and_only_there(as_educator, educator, page):
    slot = SlotFactory(educator=educator)  # no meeting link of its own
    booking = BookingFactory(slot=slot)
    requests_page(page)
    refused = as_educator.post(
        f"{REQUESTS}/{booking.pk}/approve", {"meeting_link": "", "next": REQUESTS}, **HTMX
    ).content.decode()
    assert "alert-danger" in refused and "meeting link" in refused.lower()
    refused_again = as_educator.post(
        f"{REQUESTS}/{booking.pk}/reject", {"reason": "", "next": REQUESTS}, **HTMX
    ).content.decode()
    assert "Give a reason for rejecting the request." in refused_again
    assert "alert-danger" not in requests_page(page)
    answered = as_educator.post(
        f"{REQUESTS}/{booking.pk}/reject", {"reason": "Away", "next": REQUESTS}, **HTMX
    ).content.decode()
    assert "alert-danger" not in answered and "Away" in answered and "Rejected" in answered


def test_the_tabs_follow_the_counts(page, educator, booking):
    assert re.search(r"Pending <span[^>]*>1</span>", requests_page(page))
    BookingFactory(slot=SlotFactory(educator=educator))
    assert re.search(r"Pending <span[^>]*>2</span>", requests_page(page))
    services.booking_reject(booking=booking, by=educator, reason="No")
    html = requests_page(page)
    assert re.search(r"Pending <span[^>]*>1</span>", html)
    assert re.search(r"Rejected <span[^>]*>1</span>", html)


# ---------------------------------------------------------------- Manage Availability


def test_a_row_follows_its_slot(page, educator, slot):
    html = availability_page(page)
    assert "0 of 1 seat taken · 1 left" in html and "needs your approval" in html
    BookingFactory(slot=slot)
    assert "1 of 1 seat taken · 0 left" in availability_page(page)
    Slot.objects.filter(pk=slot.pk).update(capacity=3)
    assert "1 of 3 seats taken · 2 left" in availability_page(page)
    Slot.objects.filter(pk=slot.pk).update(requires_approval=False)
    assert "books instantly" in availability_page(page)
    Slot.objects.filter(pk=slot.pk).update(note="Bring code")
    assert "Bring code" in availability_page(page)
    start = slot.starts_at - timedelta(minutes=30)  # the start alone moves
    Slot.objects.filter(pk=slot.pk).update(starts_at=start)
    html = availability_page(page)
    assert "90 min" in html and when(start) in html
    Slot.objects.filter(pk=slot.pk).update(ends_at=start + timedelta(minutes=45))  # the end
    assert "45 min" in availability_page(page)


def test_twin_slots_keep_their_own_rows(client, educator, other_educator):
    """Two educators' slots alike in all they show but their ids."""
    start = timezone.now().replace(microsecond=0) + timedelta(days=2)
    pages = {}
    for owner in (educator, other_educator):
        slot = SlotFactory(educator=owner, starts_at=start)
        client.force_login(owner)
        pages[slot.pk] = client.get(AVAILABILITY).content.decode()
    for pk, html in pages.items():
        assert f"/educator/availability/{pk}/edit" in html


def test_a_row_follows_its_course_title(page, educator):
    course = CourseFactory(educator=educator, title="Testing")
    slot = SlotFactory(educator=educator, course=course)
    assert "Testing" in availability_page(page)
    Course.objects.filter(pk=course.pk).update(title="Testing well")
    assert "Testing well" in availability_page(page)
    Slot.objects.filter(pk=slot.pk).update(course=None)
    assert "No course: any student" in availability_page(page)


def test_a_row_follows_a_withdrawal(page, educator, slot):
    availability_page(page)
    services.slot_withdraw(slot=slot, by=educator, reason="Ill")
    html = availability_page(page, f"{AVAILABILITY}?show=withdrawn")
    assert "Withdrawn" in html and ": Ill" in html
    Slot.objects.filter(pk=slot.pk).update(withdraw_reason="Travelling")
    assert ": Travelling" in availability_page(page, f"{AVAILABILITY}?show=withdrawn")
    withdrawn_at = timezone.now() - timedelta(days=2)
    Slot.objects.filter(pk=slot.pk).update(withdrawn_at=withdrawn_at)
    html = availability_page(page, f"{AVAILABILITY}?show=withdrawn")
    assert f"Withdrawn {when(withdrawn_at)}" in html


def test_a_row_follows_time_passing(page, educator, monkeypatch):
    slot = soon(educator, 2)
    html = availability_page(page)
    assert f"/educator/availability/{slot.pk}/edit" in html and "In progress" not in html
    at(slot.starts_at + timedelta(minutes=1), monkeypatch)
    html = availability_page(page)
    assert "In progress" in html and f"/educator/availability/{slot.pk}/edit" not in html
    at(slot.ends_at + timedelta(minutes=1), monkeypatch)
    html = availability_page(page, f"{AVAILABILITY}?show=past")
    assert "Ended" in html and "0 students attended" in html


def test_a_past_row_follows_attendance(page, educator, monkeypatch):
    slot = soon(educator, 2)
    booking = BookingFactory(slot=slot, student=StudentFactory())
    services.booking_approve(booking=booking, by=educator, meeting_link="https://m.example.com")
    at(slot.ends_at + timedelta(minutes=1), monkeypatch)
    past = f"{AVAILABILITY}?show=past"
    assert "1 approved, not yet marked completed" in availability_page(page, past)
    services.booking_complete(booking=booking, by=educator)
    html = availability_page(page, past)
    assert "1 student attended" in html and "not yet marked completed" not in html
    # Only the attendance changes (a history fixed by hand): the row still follows.
    other = BookingFactory(slot=SlotFactory(educator=educator), student=StudentFactory())
    Booking.objects.filter(pk=other.pk).update(slot=slot, status="completed")
    assert "2 students attended" in availability_page(page, past)


def test_a_card_answered_in_place_shows_its_new_status(as_educator, educator, page, monkeypatch):
    """The card htmx swaps in after Mark completed differs from the listed one only in
    its status."""
    slot = soon(educator, 2, meeting_link="https://m.example.com")
    booking = services.booking_approve(booking=BookingFactory(slot=slot), by=educator)
    at(slot.starts_at + timedelta(minutes=5), monkeypatch)
    approved = f"{REQUESTS}?status=approved"
    assert "Mark completed" in requests_page(page, approved)
    card = as_educator.post(
        f"{REQUESTS}/{booking.pk}/complete", {"next": approved}, **HTMX
    ).content.decode()
    assert "Completed" in card and "Mark completed" not in card
