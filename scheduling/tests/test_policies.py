"""Booking policies: each refused with its own message, each allowed exactly at its limit,
on the service and on the pages."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone
from django.utils.html import escape

from scheduling import errors, services
from scheduling.errors import BookingError
from scheduling.models import BookingPolicy
from scheduling.tests.factories import BookingFactory, SlotFactory, StudentFactory

pytestmark = pytest.mark.django_db


def at(delta: timedelta):
    """A start `delta` from now, to the second the service will see (a minute of slack)."""
    return timezone.now() + delta


def refused(message: str, call) -> None:
    with pytest.raises(BookingError) as caught:
        call()
    assert caught.value.message == message
    assert caught.value.http_status == 409


def test_defaults_are_permissive_and_stated_in_one_line(educator):
    policy = BookingPolicy.for_educator(educator)
    assert (policy.min_notice_hours, policy.horizon_days, policy.buffer_minutes) == (0, 0, 0)
    assert (policy.daily_max, policy.cancel_notice_hours) == (0, 0)
    assert policy.summary() == "Book up to the start · cancel any time before the start."


def test_without_a_horizon_any_future_slot_is_bookable(educator, student):
    """The default has no horizon: API.md lets a slot be created any time ahead, and what
    can be created and listed as open must be bookable (the legacy clients rely on it)."""
    far = SlotFactory(educator=educator, starts_at=timezone.now() + timedelta(days=400))
    assert services.booking_request(student=student, slot=far).status == "pending"


def test_minimum_notice_refuses_inside_and_allows_at_the_boundary(educator, student, monkeypatch):
    services.policy_update(educator=educator, by=educator, min_notice_hours=24)
    now = timezone.now()
    soon = SlotFactory(educator=educator, starts_at=now + timedelta(hours=23, minutes=59))
    edge = SlotFactory(educator=educator, starts_at=now + timedelta(hours=25))
    monkeypatch.setattr(timezone, "now", lambda: now + timedelta(hours=1))  # edge: exactly 24 h
    refused(
        errors.POLICY_MIN_NOTICE.format(hours=24),
        lambda: services.booking_request(student=student, slot=soon),
    )
    assert services.booking_request(student=student, slot=edge).status == "pending"


def test_horizon_refuses_beyond_and_allows_at_the_boundary(educator, student, monkeypatch):
    services.policy_update(educator=educator, by=educator, horizon_days=14)
    now = timezone.now()
    slot = SlotFactory(educator=educator, starts_at=now + timedelta(days=14))
    monkeypatch.setattr(timezone, "now", lambda: now - timedelta(seconds=1))
    refused(
        errors.POLICY_HORIZON.format(days=14),
        lambda: services.booking_request(student=student, slot=slot),
    )
    monkeypatch.setattr(timezone, "now", lambda: now)  # exactly 14 days ahead
    assert services.booking_request(student=student, slot=slot).status == "pending"


def test_buffer_counts_close_sessions_as_overlapping_for_student_and_educator(educator):
    services.policy_update(educator=educator, by=educator, buffer_minutes=30)
    start = timezone.now().replace(microsecond=0) + timedelta(days=2)
    first = SlotFactory(educator=educator, starts_at=start, duration=60)
    close = SlotFactory(educator=educator, starts_at=start + timedelta(minutes=89))
    BookingFactory(slot=first)
    # Another student: the educator's session ends 29 minutes before this one starts.
    refused(
        errors.POLICY_BUFFER.format(minutes=30),
        lambda: services.booking_request(student=StudentFactory(), slot=close),
    )
    # Exactly 30 minutes after a session ends is allowed.
    later = start + timedelta(days=1)
    BookingFactory(slot=SlotFactory(educator=educator, starts_at=later, duration=60))
    exact = SlotFactory(educator=educator, starts_at=later + timedelta(minutes=90))
    assert services.booking_request(student=StudentFactory(), slot=exact).is_active


def test_buffer_applies_to_the_students_sessions_with_other_educators(
    educator, other_educator, student
):
    services.policy_update(educator=educator, by=educator, buffer_minutes=15)
    start = timezone.now().replace(microsecond=0) + timedelta(days=2)
    elsewhere = SlotFactory(educator=other_educator, starts_at=start)
    BookingFactory(slot=elsewhere, student=student)
    near = SlotFactory(educator=educator, starts_at=start + timedelta(minutes=70), duration=5)
    refused(
        errors.POLICY_BUFFER.format(minutes=15),
        lambda: services.booking_request(student=student, slot=near),
    )
    at_edge = SlotFactory(educator=educator, starts_at=start + timedelta(minutes=75))
    assert services.booking_request(student=student, slot=at_edge).is_active


def test_daily_maximum_counts_sessions_of_the_educators_day(educator):
    services.policy_update(educator=educator, by=educator, daily_max=2)
    day = (timezone.now() + timedelta(days=3)).replace(hour=8, minute=0, second=0, microsecond=0)
    slots = [
        SlotFactory(educator=educator, starts_at=day + timedelta(hours=2 * n)) for n in range(3)
    ]
    BookingFactory(slot=slots[0])
    BookingFactory(slot=slots[1])  # the second session: exactly at the maximum, allowed
    refused(
        errors.POLICY_DAILY_MAX.format(count=2),
        lambda: services.booking_request(student=StudentFactory(), slot=slots[2]),
    )
    # A seat in a session that already counts is no new session.
    group = SlotFactory(educator=educator, starts_at=day + timedelta(days=1), capacity=3)
    services.policy_update(educator=educator, by=educator, daily_max=1)
    BookingFactory(slot=group)
    assert BookingFactory(slot=group).is_active


def test_cancellation_notice_refuses_late_cancel_and_says_how_to_reach(educator, student):
    services.policy_update(educator=educator, by=educator, cancel_notice_hours=12)
    late = BookingFactory(
        slot=SlotFactory(educator=educator, starts_at=at(timedelta(hours=11))), student=student
    )
    message = errors.POLICY_CANCEL_NOTICE.format(
        hours=12, educator=educator.display_name, email=educator.email
    )
    refused(message, lambda: services.booking_cancel(booking=late, by=student))
    assert educator.email in message
    fine = BookingFactory(
        slot=SlotFactory(educator=educator, starts_at=at(timedelta(hours=12, minutes=1))),
        student=student,
    )
    assert services.booking_cancel(booking=fine, by=student).status == "cancelled"


def test_policy_values_out_of_range_are_refused_by_field(educator, student):
    with pytest.raises(BookingError) as caught:
        services.policy_update(educator=educator, by=educator, horizon_days=731)
    assert caught.value.field == "horizon_days" and caught.value.http_status == 400
    with pytest.raises(BookingError) as caught:
        services.policy_update(educator=educator, by=student, buffer_minutes=5)
    assert caught.value.http_status == 403


def test_booking_page_offers_only_allowed_slots_and_states_the_policies(
    client, educator, student, course
):
    services.policy_update(educator=educator, by=educator, min_notice_hours=48, daily_max=3)
    services.enroll(student=student, course=course)
    too_soon = SlotFactory(educator=educator, course=course, starts_at=at(timedelta(hours=30)))
    fine = SlotFactory(educator=educator, course=course, starts_at=at(timedelta(hours=50)))
    client.force_login(student)
    page = client.get(f"/course/{course.pk}/book-session?start={timezone.localdate().isoformat()}")
    html = page.content.decode()
    assert "Book at least 48 h ahead · at most 3 sessions a day" in html
    assert f'value="{fine.pk}"' in html
    assert f'value="{too_soon.pk}"' not in html
    # A crafted POST for the refused slot gets the policy's own message.
    response = client.post(f"/course/{course.pk}/book-session", {"slot": too_soon.pk})
    assert escape(errors.POLICY_MIN_NOTICE.format(hours=48)) in response.content.decode()


def test_profile_page_shows_the_policies_and_the_policy_page_saves_them(client, educator):
    client.force_login(educator)
    assert "Booking policies" in client.get("/accounts/profile/").content.decode()
    response = client.post(
        "/educator/policies",
        {
            "min_notice_hours": "6",
            "horizon_days": "30",
            "buffer_minutes": "10",
            "daily_max": "4",
            "cancel_notice_hours": "24",
        },
    )
    assert response.status_code == 302
    policy = BookingPolicy.objects.get(educator=educator)
    assert (policy.min_notice_hours, policy.horizon_days, policy.cancel_notice_hours) == (6, 30, 24)
    bad = client.post(
        "/educator/policies",
        {
            "min_notice_hours": "0",
            "horizon_days": "731",
            "buffer_minutes": "0",
            "daily_max": "0",
            "cancel_notice_hours": "0",
        },
    )
    assert bad.status_code == 200
    message = "Booking horizon (days) must be a whole number from 0 to 730."
    assert message in bad.content.decode()


def test_cancel_page_says_why_and_how_to_reach_the_educator(client, educator, student):
    services.policy_update(educator=educator, by=educator, cancel_notice_hours=12)
    booking = BookingFactory(
        slot=SlotFactory(educator=educator, starts_at=at(timedelta(hours=2))), student=student
    )
    client.force_login(student)
    page = client.get(f"/session-requests/{booking.pk}/cancel").content.decode()
    assert "can no longer be cancelled or moved here" in page and educator.email in page
    response = client.post(f"/session-requests/{booking.pk}/cancel", {"reason": ""}, follow=True)
    assert educator.email in response.content.decode()
    booking.refresh_from_db()
    assert booking.status == "pending"


def test_booking_page_hides_slots_the_buffer_refuses(client, educator, student, course):
    services.policy_update(educator=educator, by=educator, buffer_minutes=30)
    services.enroll(student=student, course=course)
    start = timezone.now().replace(microsecond=0) + timedelta(days=2)
    booked = SlotFactory(educator=educator, course=course, starts_at=start, capacity=2)
    BookingFactory(slot=booked)
    close = SlotFactory(educator=educator, course=course, starts_at=start + timedelta(minutes=80))
    clear = SlotFactory(educator=educator, course=course, starts_at=start + timedelta(minutes=150))
    client.force_login(student)
    html = client.get(
        f"/course/{course.pk}/book-session?start={timezone.localdate(start).isoformat()}"
    ).content.decode()
    assert f'value="{booked.pk}"' in html  # a seat left in the booked session itself
    assert f'value="{clear.pk}"' in html
    assert f'value="{close.pk}"' not in html


def test_booking_page_hides_new_sessions_on_a_day_at_its_maximum(client, educator, student):
    services.policy_update(educator=educator, by=educator, daily_max=1)
    day = (timezone.now() + timedelta(days=3)).replace(hour=9, minute=0, second=0, microsecond=0)
    booked = SlotFactory(educator=educator, starts_at=day, capacity=2)
    BookingFactory(slot=booked)
    same_day = SlotFactory(educator=educator, starts_at=day + timedelta(hours=3))
    next_day = SlotFactory(educator=educator, starts_at=day + timedelta(days=1))
    client.force_login(student)
    html = client.get(
        f"/mentors/{educator.pk}/?start={timezone.localdate(day).isoformat()}"
    ).content.decode()
    assert f'value="{booked.pk}"' in html  # its second seat is no new session
    assert f'value="{next_day.pk}"' in html
    assert f'value="{same_day.pk}"' not in html
