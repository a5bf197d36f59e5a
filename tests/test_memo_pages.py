"""My Requests remembers each card (`{% memo %}` under `Booking.card_key`) and builds its
queries from SQL of its own: each input a card shows, changed, shows on the next load
exactly as a render without the memo shows it; the queries give what the plain ORM gives.

The page's rows are read fresh on every load (the shared cache cleared first): these
tests change rows behind the services' back, which only the cards' keys must follow.
That the services forget the remembered rows is tested in
scheduling/tests/test_schedule_cache.py."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.core.cache import cache
from django.db.models import (
    Count,
    Q,
)
from django.utils import timezone

from accounts.models import User
from scheduling import selectors, services
from scheduling.models import ACTIVE_STATUSES, Booking, BookingEvent, BookingStatus, Slot
from scheduling.tests.factories import BookingFactory, CourseFactory, SlotFactory

pytestmark = pytest.mark.django_db

CSRF = re.compile(r'(name="csrfmiddlewaretoken" value=|"X-CSRFToken": )"[^"]*"')


@pytest.fixture
def as_student(client, student):
    client.force_login(student)
    return client


def _move(slot: Slot, starts_at) -> None:
    Slot.objects.filter(pk=slot.pk).update(
        starts_at=starts_at, ends_at=starts_at + timedelta(hours=1)
    )


def _page(client, student, path="/session-requests") -> str:
    """The page, with the student's last visit put back after it (a load moves it on, and
    the memo and plain renders must see the same "New" marks)."""
    seen_at = User.objects.get(pk=student.pk).requests_seen_at
    cache.clear()
    text = client.get(path).content.decode()
    User.objects.filter(pk=student.pk).update(requests_seen_at=seen_at)
    return CSRF.sub(r"\1token", text)


def _check(client, student, settings, path="/session-requests") -> str:
    """The page as served (memo on, filled by earlier loads) equals it rendered without
    the memo; then the memo is on and filled again for the next change."""
    served = _page(client, student, path)
    settings.FRAGMENT_MEMO = False
    plain = _page(client, student, path)
    settings.FRAGMENT_MEMO = True
    assert served == plain
    _page(client, student, path)  # fill the memo for the next change
    return served


@pytest.fixture
def requests(student, educator):
    """A student's requests of every kind: pending, approved with a link, rejected with a
    note, cancelled by themselves, by the educator (withdrawn), by staff (no actor)."""
    course = CourseFactory(educator=educator, title="Django basics")
    services.enroll(student=student, course=course)
    pending = BookingFactory(slot=SlotFactory(educator=educator, course=course), student=student)
    approved = BookingFactory(slot=SlotFactory(educator=educator), student=student)
    services.booking_approve(
        booking=approved, by=educator, meeting_link="https://meet.example.com/first"
    )
    rejected = BookingFactory(slot=SlotFactory(educator=educator), student=student)
    services.booking_reject(booking=rejected, by=educator, reason="Fully booked")
    mine = BookingFactory(slot=SlotFactory(educator=educator), student=student)
    services.booking_cancel(booking=mine, by=student, reason="I'm ill")
    withdrawn = BookingFactory(slot=SlotFactory(educator=educator, course=course), student=student)
    services.slot_withdraw(slot=withdrawn.slot, by=educator, reason="Conference")
    by_staff = BookingFactory(slot=SlotFactory(educator=educator), student=student)
    Booking.objects.filter(pk=by_staff.pk).update(status=BookingStatus.CANCELLED)
    BookingEvent.objects.create(
        booking=by_staff, actor=None, from_status="pending", to_status="cancelled"
    )
    past = BookingFactory(slot=SlotFactory(educator=educator), student=student)
    services.booking_approve(booking=past, by=educator, meeting_link="https://meet.example.com/p")
    _move(past.slot, timezone.now() - timedelta(days=3))
    return {
        "course": course,
        "pending": pending,
        "approved": approved,
        "rejected": rejected,
        "mine": mine,
        "withdrawn": withdrawn,
        "by_staff": by_staff,
        "past": past,
    }


def test_a_changed_status_shows(as_student, student, educator, requests, settings):
    page = _check(as_student, student, settings)
    assert page.count("Waiting for") == 1
    services.booking_approve(
        booking=requests["pending"], by=educator, meeting_link="https://meet.example.com/new"
    )
    page = _check(as_student, student, settings)
    assert "Waiting for" not in page and "https://meet.example.com/new" in page
    Booking.objects.filter(pk=requests["past"].pk).update(status=BookingStatus.COMPLETED)
    page = _check(as_student, student, settings)  # nothing but the status changed
    assert ">Completed</span>" in page


def test_a_changed_decision_note_shows(as_student, student, requests, settings):
    assert "Fully booked" in _check(as_student, student, settings)
    Booking.objects.filter(pk=requests["rejected"].pk).update(decision_note="Away that week")
    page = _check(as_student, student, settings)
    assert "Away that week" in page and "Fully booked" not in page


def test_a_changed_message_shows(as_student, student, requests, settings):
    _check(as_student, student, settings)
    Booking.objects.filter(pk=requests["pending"].pk).update(message="Forms, please")
    assert "Forms, please" in _check(as_student, student, settings)


def test_a_moved_slot_shows(as_student, student, requests, settings):
    slot = requests["approved"].slot
    _check(as_student, student, settings)
    moved = slot.starts_at + timedelta(days=3, minutes=30)
    _move(slot, moved)
    page = _check(as_student, student, settings)
    assert timezone.localtime(moved).strftime("%H:%M") in page
    Slot.objects.filter(pk=slot.pk).update(starts_at=moved - timedelta(minutes=45))
    page = _check(as_student, student, settings)  # the start alone: earlier and longer
    assert timezone.localtime(moved - timedelta(minutes=45)).strftime("%H:%M") in page
    assert "· 105 min" in page


def test_a_longer_slot_shows(as_student, student, requests, settings):
    slot = requests["approved"].slot
    _check(as_student, student, settings)
    Slot.objects.filter(pk=slot.pk).update(ends_at=slot.starts_at + timedelta(minutes=90))
    assert "· 90 min" in _check(as_student, student, settings)


def test_a_renamed_course_shows(as_student, student, requests, settings):
    assert "Django basics" in _check(as_student, student, settings)
    type(requests["course"]).objects.filter(pk=requests["course"].pk).update(title="ORM deep dive")
    page = _check(as_student, student, settings)
    assert "ORM deep dive" in page and "Django basics" not in page


def test_a_renamed_educator_shows(as_student, student, educator, requests, settings):
    _check(as_student, student, settings)
    User.objects.filter(pk=educator.pk).update(first_name="Grace", last_name="Hopper")
    page = _check(as_student, student, settings)
    assert "Grace Hopper withdrew this time" in page and "Waiting for Grace Hopper" in page


def test_a_changed_meeting_link_shows(as_student, student, requests, settings):
    assert "https://meet.example.com/first" in _check(as_student, student, settings)
    Booking.objects.filter(pk=requests["approved"].pk).update(
        meeting_link="https://meet.example.com/second"
    )
    page = _check(as_student, student, settings)
    assert "meet.example.com/second" in page and "meet.example.com/first" not in page


def test_who_cancelled_shows(as_student, student, educator, requests, settings):
    _check(as_student, student, settings)
    services.slot_withdraw(slot=requests["approved"].slot, by=educator, reason="Sick")
    page = _check(as_student, student, settings)
    assert page.count("withdrew this time</strong>") == 2 and "</strong>: Sick" in page
    Slot.objects.filter(pk=requests["withdrawn"].slot.pk).update(withdrawn_at=None)
    page = _check(as_student, student, settings)  # the slot alone: cancelled, not withdrawn
    assert page.count("withdrew this time</strong>") == 1
    assert "cancelled this session</strong>: Conference" in page
    assert "The Mentoring team cancelled this session" in page
    BookingEvent.objects.create(
        booking=requests["by_staff"], actor=educator, from_status="cancelled", to_status="cancelled"
    )
    page = _check(as_student, student, settings)  # who cancelled alone (the latest event)
    assert "The Mentoring team cancelled this session" not in page


def test_time_passing_closes_the_session(as_student, student, requests, settings, monkeypatch):
    # Soon (the login must outlive the clock's moves): however many slots the run made.
    _move(requests["approved"].slot, timezone.now() + timedelta(hours=2))
    slot = Slot.objects.get(pk=requests["approved"].slot.pk)
    page = _check(as_student, student, settings)
    cancel = f'/session-requests/{requests["approved"].pk}/cancel"'
    assert cancel in page
    now = timezone.now()
    monkeypatch.setattr(timezone, "now", lambda: slot.starts_at + timedelta(minutes=5))
    page = _check(as_student, student, settings)  # started: still upcoming, no changing it
    assert cancel not in page and "Join" in page
    monkeypatch.setattr(timezone, "now", lambda: slot.ends_at + timedelta(minutes=5))
    page = _check(as_student, student, settings)  # over: past & closed
    assert page.index("Past &amp; closed") < page.index(f'id="booking-{requests["approved"].pk}"')
    monkeypatch.setattr(timezone, "now", lambda: now)
    assert cancel in _check(as_student, student, settings)


def test_new_marks_and_the_timezone_show(as_student, student, educator, requests, settings):
    assert _check(as_student, student, settings).count(">New<") == 5  # all but their own
    as_student.get("/session-requests")  # seen
    assert ">New<" not in _check(as_student, student, settings)
    services.booking_reject(booking=requests["pending"], by=educator, reason="Sorry")
    assert _check(as_student, student, settings).count(">New<") == 1
    User.objects.filter(pk=student.pk).update(timezone="Asia/Tokyo")
    assert "JST" in _check(as_student, student, settings)


def test_every_tab_renders_as_without_the_memo(as_student, student, requests, settings):
    for status in ["", *BookingStatus.values]:
        _check(as_student, student, settings, f"/session-requests?status={status}")


# ------------------------------------------------------------ the queries against the ORM


def test_the_page_and_counts_queries_give_what_the_page_shows(
    student, other_student, requests, django_assert_num_queries
):
    """Upcoming first (soonest first), then past & closed (latest first); the tab numbers
    and the badge's "new" as counted from the bookings and their history."""
    BookingFactory(slot=SlotFactory(educator=requests["course"].educator), student=other_student)
    for moment in [None, timezone.now() - timedelta(days=1), timezone.now()]:
        for status in [None, *BookingStatus.values]:
            mine = selectors.student_requests_page(student=student, status=status, seen_at=moment)
            with django_assert_num_queries(2):  # nothing the card reads is left to load
                page, part = list(mine[0:100]), list(mine[2:5])
                [booking.card_key for booking in page + part]
            assert part == page[2:5]
            mine_all = Booking.objects.for_student(student).with_status(status)
            assert {b.pk for b in page} == set(mine_all.values_list("pk", flat=True))
            now = timezone.now()
            ahead = [b for b in page if b.status in ACTIVE_STATUSES and b.slot.ends_at > now]
            assert [b.is_upcoming for b in page] == [b in ahead for b in page]
            assert page[: len(ahead)] == ahead  # upcoming first
            assert [b.slot.starts_at for b in ahead] == sorted(b.slot.starts_at for b in ahead)
            rest = [b.slot.starts_at for b in page[len(ahead) :]]
            assert rest == sorted(rest, reverse=True)
            changes = BookingEvent.objects.filter(booking__student=student).exclude(actor=student)
            if moment is not None:
                changes = changes.filter(created_at__gt=moment)
            changed = set(changes.values_list("booking", flat=True))
            assert {b.pk for b in page if b.is_new} == changed & {b.pk for b in page}
            expected = Booking.objects.for_student(student).aggregate(
                all=Count("pk"),
                upcoming=Count(
                    "pk",
                    filter=Q(status__in=ACTIVE_STATUSES, slot__ends_at__gt=now)
                    & (Q(status=status) if status else Q()),
                ),
                **{s: Count("pk", filter=Q(status=s)) for s in BookingStatus.values},
            )
            expected["new"] = len(changed)  # the nav badge
            counts = selectors.student_request_counts(
                student=student, status=status or "", seen_at=moment
            )
            assert counts == expected


def test_seen_at_moves_only_when_there_is_something_to_see(as_student, student, educator):
    booking = BookingFactory(slot=SlotFactory(educator=educator), student=student)
    as_student.get("/session-requests")
    assert User.objects.get(pk=student.pk).requests_seen_at is None  # their own change only
    services.booking_reject(booking=booking, by=educator, reason="No")
    assert as_student.get("/nav/badge").content == b"1"
    as_student.get("/session-requests")
    seen_at = User.objects.get(pk=student.pk).requests_seen_at
    assert seen_at is not None and as_student.get("/nav/badge").content == b""
    as_student.get("/session-requests")
    assert User.objects.get(pk=student.pk).requests_seen_at == seen_at
