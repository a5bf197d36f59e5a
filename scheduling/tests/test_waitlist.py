"""Waitlist: join a full slot, leave in one click, a freed seat goes to the first waiting."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from notifications.models import Notification
from outbox.emails import build
from outbox.models import Message
from scheduling import errors, services
from scheduling.errors import BookingError
from scheduling.models import WaitlistEntry
from scheduling.tests.factories import BookingFactory, SlotFactory, StudentFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def full_slot(educator):
    slot = SlotFactory(educator=educator, capacity=1)
    slot.holder = BookingFactory(slot=slot)
    return slot


def test_join_shows_the_position_and_refuses_a_slot_with_seats(full_slot, educator):
    first, second = StudentFactory(), StudentFactory()
    assert services.waitlist_join(student=first, slot=full_slot).position == 1
    assert services.waitlist_join(student=second, slot=full_slot).position == 2
    with pytest.raises(BookingError) as caught:
        services.waitlist_join(student=first, slot=full_slot)
    assert caught.value.message == errors.WAITLIST_ALREADY
    with pytest.raises(BookingError) as caught:
        services.waitlist_join(student=first, slot=SlotFactory(educator=educator))
    assert caught.value.message == errors.WAITLIST_NOT_FULL


@pytest.mark.parametrize("how", ["cancel", "reject", "withdrawn", "capacity"])
def test_a_freed_seat_goes_to_the_first_waiting_student_once(full_slot, educator, how):
    first, second = StudentFactory(), StudentFactory()
    services.waitlist_join(student=first, slot=full_slot)
    services.waitlist_join(student=second, slot=full_slot)
    holder = full_slot.holder
    if how == "cancel":
        services.booking_cancel(booking=holder, by=holder.student)
    elif how == "reject":
        services.booking_reject(booking=holder, by=educator, reason="No")
    elif how == "withdrawn":
        # a withdrawn booking: the student's request is cancelled by staff
        services.booking_cancel(
            booking=holder, by=educator.__class__.objects.create(username="staffer", is_staff=True)
        )
    else:
        services.slot_update(slot=full_slot, by=educator, capacity=2)
    active = full_slot.bookings.active()
    assert [b.student for b in active.exclude(student=holder.student)] == [first]
    offered = WaitlistEntry.objects.get(student=first)
    assert offered.status == "offered" and offered.booking.status == "pending"
    assert WaitlistEntry.objects.get(student=second).status == "waiting"
    assert Notification.objects.filter(recipient=first, kind="waitlist_offer").count() == 1
    assert Notification.objects.filter(recipient=educator, kind="requested").exists()
    email = build(Message.objects.get(recipient=first, kind="waitlist_offer"))
    assert email.subject.startswith("A seat opened for you")
    assert "Your request was sent" in email.body


def test_a_student_with_an_overlapping_session_is_skipped(full_slot, educator, other_educator):
    busy, free = StudentFactory(), StudentFactory()
    services.waitlist_join(student=busy, slot=full_slot)
    services.waitlist_join(student=free, slot=full_slot)
    clash = SlotFactory(educator=other_educator, starts_at=full_slot.starts_at)
    BookingFactory(slot=clash, student=busy)
    services.booking_cancel(booking=full_slot.holder, by=full_slot.holder.student)
    assert WaitlistEntry.objects.get(student=busy).status == "skipped"
    assert full_slot.bookings.active().get().student == free


def test_leave_in_one_click(client, full_slot):
    student = StudentFactory()
    services.waitlist_join(student=student, slot=full_slot)
    client.force_login(student)
    page = client.get("/waitlist").content.decode()
    assert "Number 1 in line" in page
    client.post(f"/slot/{full_slot.pk}/waitlist/leave")
    assert WaitlistEntry.objects.get(student=student).status == "left"
    services.booking_cancel(booking=full_slot.holder, by=full_slot.holder.student)
    assert not full_slot.bookings.active().exists()


def test_join_from_the_page_of_full_sessions(client, full_slot, educator):
    student = StudentFactory()
    client.force_login(student)
    page = client.get(f"/waitlist?mentor={educator.pk}").content.decode()
    assert f"/slot/{full_slot.pk}/waitlist/join" in page
    response = client.post(f"/slot/{full_slot.pk}/waitlist/join", follow=True)
    assert "number 1" in response.content.decode()


@pytest.mark.parametrize("query", ["course=%C2%B2", "mentor=%C2%B2", "course=abc", "mentor="])
def test_waitlist_page_ignores_ids_that_are_not_numbers(client, student, query):
    """ "²" is a digit to str.isdigit() but not a number to int(): no 500 for it."""
    client.force_login(student)
    assert client.get(f"/waitlist?{query}").status_code == 200


def test_a_freed_seat_is_not_offered_to_a_student_the_policies_now_refuse(educator):
    slot = SlotFactory(
        educator=educator, capacity=1, starts_at=timezone.now() + timedelta(hours=30)
    )
    holder = BookingFactory(slot=slot)
    refused = StudentFactory()
    services.waitlist_join(student=refused, slot=slot)
    services.policy_update(educator=educator, by=educator, min_notice_hours=48)
    services.booking_cancel(
        booking=holder, by=educator.__class__.objects.create(username="staffer", is_staff=True)
    )
    assert not slot.bookings.active().filter(student=refused).exists()
    assert WaitlistEntry.objects.get(student=refused).status == "skipped"
    assert not Notification.objects.filter(recipient=refused, kind="waitlist_offer").exists()
    slot.refresh_from_db()
    assert slot.seats_taken == 0
