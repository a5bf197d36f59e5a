"""A withdrawn session's student is offered the three nearest open times of the same
educator and course that the policy and their other bookings allow, each booked in one
click through the booking service; a time that filled meanwhile says so and shows the next."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone
from django.utils.html import escape

from notifications.models import Notification
from scheduling import errors, follow_up, services
from scheduling.models import Booking, BookingPolicy
from scheduling.tests.factories import BookingFactory, CourseFactory, SlotFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def withdrawn(educator, student):
    course = CourseFactory(educator=educator)
    services.enroll(student=student, course=course)
    slot = SlotFactory(educator=educator, course=course)
    booking = BookingFactory(slot=slot, student=student, message="Graphs, please")
    services.slot_withdraw(slot=slot, by=educator, reason="Ill")
    return Booking.objects.with_related().get(pk=booking.pk)


def test_the_offers_are_the_nearest_times_the_rules_and_the_students_sessions_allow(
    withdrawn, educator, student
):
    course, start = withdrawn.slot.course, withdrawn.slot.starts_at
    times = [
        SlotFactory(educator=educator, course=course, starts_at=start + timedelta(days=n))
        for n in range(1, 6)
    ]
    SlotFactory(educator=educator, starts_at=start + timedelta(hours=5))  # no course: not it
    full = SlotFactory(educator=educator, course=course, starts_at=start + timedelta(hours=3))
    BookingFactory(slot=full)
    # The student's own session at the first time: that one is not offered.
    other = SlotFactory(educator=SlotFactory().educator, starts_at=times[0].starts_at)
    BookingFactory(slot=other, student=student)
    offers = follow_up.rebooking_offers(withdrawn)
    assert [o.pk for o in offers] == [t.pk for t in times[1:4]]
    policy = BookingPolicy.for_educator(educator)
    ahead = times[1].starts_at - timezone.now()  # the horizon lets times[1] in, not times[2]
    policy.horizon_days = ahead.days + 1
    policy.save()
    fresh = Booking.objects.with_related().get(pk=withdrawn.pk)
    assert [o.pk for o in follow_up.rebooking_offers(fresh)] == [times[1].pk]


def test_the_notice_links_to_the_offers_and_one_click_books(client, withdrawn, educator, student):
    notice = Notification.objects.get(recipient=student, booking=withdrawn, kind="cancelled")
    assert notice.url == f"/session-requests/{withdrawn.pk}/rebook"
    assert "See the nearest other times" in notice.text
    later = SlotFactory(
        educator=educator, course=withdrawn.slot.course,
        starts_at=withdrawn.slot.starts_at + timedelta(days=1),
    )  # fmt: skip
    client.force_login(student)
    assert "See other times" in client.get("/session-requests").content.decode()
    page = client.get(notice.url).content.decode()
    assert "Other times with" in page and f'value="{later.pk}"' in page
    response = client.post(notice.url, {"slot": later.pk})
    assert response.status_code == 302
    new = Booking.objects.get(student=student, slot=later)
    assert new.message == "Graphs, please" and new.status == "pending"


def test_a_time_that_filled_meanwhile_says_so_and_shows_the_next(
    client, withdrawn, educator, student
):
    course, start = withdrawn.slot.course, withdrawn.slot.starts_at
    taken = SlotFactory(educator=educator, course=course, starts_at=start + timedelta(days=1))
    spare = SlotFactory(educator=educator, course=course, starts_at=start + timedelta(days=2))
    BookingFactory(slot=taken)  # someone else was quicker
    client.force_login(student)
    page = client.post(f"/session-requests/{withdrawn.pk}/rebook", {"slot": taken.pk})
    html = page.content.decode()
    assert errors.SLOT_FULL in html and f'value="{spare.pk}"' in html
    elsewhere = SlotFactory()  # another educator's time is not an offer
    html = client.post(
        f"/session-requests/{withdrawn.pk}/rebook", {"slot": elsewhere.pk}
    ).content.decode()
    assert escape(errors.REBOOK_NOT_OFFERED) in html
    assert client.post(f"/session-requests/{withdrawn.pk}/rebook", {"slot": "x"}).status_code == 200
    assert not Booking.objects.filter(student=student, status="pending").exists()


def test_only_a_withdrawn_session_has_offers(client, student, educator):
    booking = BookingFactory(slot=SlotFactory(educator=educator), student=student)
    client.force_login(student)
    response = client.get(f"/session-requests/{booking.pk}/rebook")
    assert response.status_code == 302 and response.url == "/session-requests"
