"""Staff run everything from the admin, under the same rules as everyone else."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from scheduling import errors, services
from scheduling.models import Booking, BookingEvent, Course, Enrollment, Slot
from scheduling.tests.factories import BookingFactory, SlotFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(client, staff):
    client.force_login(staff)
    return client


@pytest.fixture
def every_model(educator, course, student):
    slot = SlotFactory(educator=educator, course=course, meeting_link="https://m.example.com")
    booking = BookingFactory(slot=slot, student=student)
    return {
        "user": student,
        "course": course,
        "enrollment": Enrollment.objects.get(student=student, course=course),
        "slot": slot,
        "booking": booking,
        "bookingevent": booking.history.first(),
    }


@pytest.mark.parametrize(
    ("app", "model"),
    [
        ("accounts", "user"),
        ("scheduling", "course"),
        ("scheduling", "enrollment"),
        ("scheduling", "slot"),
        ("scheduling", "booking"),
        ("scheduling", "bookingevent"),
    ],
)
def test_changelist_and_change_pages_answer(admin_client, every_model, app, model):
    listing = admin_client.get(reverse(f"admin:{app}_{model}_changelist"))
    assert listing.status_code == 200
    obj = every_model[model]
    page = admin_client.get(reverse(f"admin:{app}_{model}_change", args=[obj.pk]))
    assert page.status_code == 200
    searched = admin_client.get(reverse(f"admin:{app}_{model}_changelist"), {"q": "x"})
    assert searched.status_code == 200


def test_add_pages_answer_where_adding_is_allowed(admin_client):
    for model in ("course", "enrollment", "slot"):
        assert admin_client.get(reverse(f"admin:scheduling_{model}_add")).status_code == 200
    assert admin_client.get(reverse("admin:scheduling_booking_add")).status_code == 403


def test_slot_shows_its_bookings_inline(admin_client, every_model):
    slot = every_model["slot"]
    page = admin_client.get(reverse("admin:scheduling_slot_change", args=[slot.pk]))
    assert every_model["booking"].student.display_name in page.content.decode()


def _action(admin_client, model, action, objects, **extra):
    return admin_client.post(
        reverse(f"admin:scheduling_{model}_changelist"),
        {"action": action, "_selected_action": [o.pk for o in objects], **extra},
        follow=True,
    )


def test_approve_action_goes_through_the_service(admin_client, every_model, staff):
    booking = every_model["booking"]
    response = _action(admin_client, "booking", "approve", [booking])
    assert response.status_code == 200
    booking.refresh_from_db()
    assert booking.status == "approved"
    assert booking.history.last().actor == staff


def test_action_that_breaks_a_rule_shows_the_refusal_and_changes_nothing(
    admin_client, educator, student
):
    slot = SlotFactory(educator=educator)  # no default meeting link
    booking = BookingFactory(slot=slot, student=student)
    response = _action(admin_client, "booking", "approve", [booking])
    assert errors.MEETING_LINK_REQUIRED in response.content.decode()
    booking.refresh_from_db()
    assert booking.status == "pending" and booking.history.count() == 1


def test_complete_action_refused_before_the_start(admin_client, every_model):
    booking = every_model["booking"]
    services.booking_approve(booking=booking, by=booking.slot.educator)
    response = _action(admin_client, "booking", "complete", [booking])
    assert errors.COMPLETE_BEFORE_START in response.content.decode()
    booking.refresh_from_db()
    assert booking.status == "approved"


def test_reject_action_asks_for_a_reason_first(admin_client, every_model):
    booking = every_model["booking"]
    page = _action(admin_client, "booking", "reject", [booking])
    assert "reason" in page.content.decode().lower()
    booking.refresh_from_db()
    assert booking.status == "pending"
    _action(admin_client, "booking", "reject", [booking], apply="1", reason="Double booked")
    booking.refresh_from_db()
    assert (booking.status, booking.decision_note) == ("rejected", "Double booked")


def test_reject_without_reason_changes_nothing(admin_client, every_model):
    booking = every_model["booking"]
    _action(admin_client, "booking", "reject", [booking], apply="1", reason="")
    booking.refresh_from_db()
    assert booking.status == "pending"


def test_cancel_action(admin_client, every_model):
    booking = every_model["booking"]
    _action(admin_client, "booking", "cancel", [booking], apply="1", reason="Staff call")
    booking.refresh_from_db()
    assert (booking.status, booking.decision_note) == ("cancelled", "Staff call")


def test_withdraw_action_cancels_bookings(admin_client, every_model):
    slot = every_model["slot"]
    _action(admin_client, "slot", "withdraw", [slot], apply="1", reason="Closed")
    slot.refresh_from_db()
    assert slot.withdrawn_at is not None
    assert Booking.objects.get(pk=every_model["booking"].pk).status == "cancelled"


def test_admin_add_slot_runs_the_slot_rules(admin_client, educator):
    start = timezone.localtime(timezone.now() - timedelta(days=1))
    response = admin_client.post(
        reverse("admin:scheduling_slot_add"),
        {
            "educator": educator.pk,
            "starts_at_0": start.strftime("%Y-%m-%d"),
            "starts_at_1": start.strftime("%H:%M:%S"),
            "ends_at_0": (start + timedelta(hours=1)).strftime("%Y-%m-%d"),
            "ends_at_1": (start + timedelta(hours=1)).strftime("%H:%M:%S"),
            "capacity": 1,
            "requires_approval": "on",
            "bookings-TOTAL_FORMS": 0,
            "bookings-INITIAL_FORMS": 0,
        },
    )
    assert response.status_code == 200
    assert errors.START_IN_PAST in response.content.decode()
    assert not Slot.objects.exists()


def test_admin_add_slot_creates_through_the_service(admin_client, educator):
    start = timezone.localtime(timezone.now() + timedelta(days=2))
    response = admin_client.post(
        reverse("admin:scheduling_slot_add"),
        {
            "educator": educator.pk,
            "starts_at_0": start.strftime("%Y-%m-%d"),
            "starts_at_1": start.strftime("%H:%M:%S"),
            # The end's own date: after 23:00 the hour ends tomorrow.
            "ends_at_0": (start + timedelta(hours=1)).strftime("%Y-%m-%d"),
            "ends_at_1": (start + timedelta(hours=1)).strftime("%H:%M:%S"),
            "capacity": 2,
            "requires_approval": "on",
            "bookings-TOTAL_FORMS": 0,
            "bookings-INITIAL_FORMS": 0,
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    assert Slot.objects.get().capacity == 2


def test_admin_cannot_lower_capacity_below_seats(admin_client, educator):
    slot = SlotFactory(educator=educator, capacity=2)
    BookingFactory(slot=slot)
    BookingFactory(slot=slot)
    start, end = timezone.localtime(slot.starts_at), timezone.localtime(slot.ends_at)
    response = admin_client.post(
        reverse("admin:scheduling_slot_change", args=[slot.pk]),
        {
            "starts_at_0": start.strftime("%Y-%m-%d"),
            "starts_at_1": start.strftime("%H:%M:%S"),
            "ends_at_0": end.strftime("%Y-%m-%d"),
            "ends_at_1": end.strftime("%H:%M:%S"),
            "capacity": 1,
            "requires_approval": "on",
            "bookings-TOTAL_FORMS": 2,
            "bookings-INITIAL_FORMS": 2,
            "bookings-0-id": slot.bookings.all()[0].pk,
            "bookings-0-slot": slot.pk,
            "bookings-1-id": slot.bookings.all()[1].pk,
            "bookings-1-slot": slot.pk,
        },
    )
    assert errors.CAPACITY_BELOW_SEATS.format(seats=2) in response.content.decode()
    slot.refresh_from_db()
    assert slot.capacity == 2


def test_history_is_read_only(admin_client, every_model):
    event = every_model["bookingevent"]
    response = admin_client.post(
        reverse("admin:scheduling_bookingevent_change", args=[event.pk]), {"note": "edited"}
    )
    assert response.status_code == 403
    assert BookingEvent.objects.get(pk=event.pk).note == ""


def test_nothing_is_hard_deleted_from_the_admin(admin_client, every_model):
    for model in ("slot", "booking", "bookingevent"):
        obj = every_model[model]
        url = reverse(f"admin:scheduling_{model}_delete", args=[obj.pk])
        assert admin_client.post(url, {"post": "yes"}).status_code == 403
    assert Course.objects.exists() and Slot.objects.exists() and Booking.objects.exists()


def test_non_staff_cannot_enter(client, educator):
    client.force_login(educator)
    response = client.get(reverse("admin:scheduling_booking_changelist"))
    assert response.status_code == 302


def test_user_text_is_escaped_in_the_admin(admin_client, educator, student):
    slot = SlotFactory(educator=educator, note="<script>alert('note')</script>")
    booking = BookingFactory(slot=slot, student=student, message="<img src=x onerror=alert(1)>")
    pages = [
        reverse("admin:scheduling_booking_change", args=[booking.pk]),
        reverse("admin:scheduling_booking_changelist") + "?q=img",
        reverse("admin:scheduling_slot_change", args=[slot.pk]),
    ]
    for url in pages:
        html = admin_client.get(url).content.decode()
        assert "<img src=x" not in html and "<script>alert('note')" not in html
    booking_page = admin_client.get(pages[0]).content.decode()
    assert "&lt;img src=x onerror=alert(1)&gt;" in booking_page


def test_withdraw_action_on_a_started_slot_shows_the_refusal(admin_client, every_model):
    slot = every_model["slot"]
    start = timezone.now() - timedelta(minutes=10)
    Slot.objects.filter(pk=slot.pk).update(starts_at=start, ends_at=start + timedelta(hours=1))
    response = _action(admin_client, "slot", "withdraw", [slot], apply="1", reason="Late")
    assert errors.WITHDRAW_STARTED in response.content.decode()
    slot.refresh_from_db()
    assert slot.withdrawn_at is None
    assert Booking.objects.get(pk=every_model["booking"].pk).status == "pending"


def test_cancel_action_on_a_finished_request_shows_the_refusal(admin_client, every_model):
    booking = every_model["booking"]
    services.booking_reject(booking=booking, by=booking.slot.educator, reason="No")
    response = _action(admin_client, "booking", "cancel", [booking], apply="1", reason="x")
    message = errors.ILLEGAL_TRANSITION.format(status="rejected", action="cancelled")
    assert message in response.content.decode()
    booking.refresh_from_db()
    assert booking.status == "rejected" and booking.history.count() == 2


def test_bookings_list_says_the_zone_and_a_booking_offers_no_save(admin_client, every_model, staff):
    staff.timezone = "Asia/Tokyo"
    staff.save()
    booking = every_model["booking"]
    listing = admin_client.get(reverse("admin:scheduling_booking_changelist")).content.decode()
    start = timezone.localtime(booking.slot.starts_at, staff.zoneinfo)
    assert f"{start:%H:%M} JST" in listing
    page = admin_client.get(reverse("admin:scheduling_booking_change", args=[booking.pk]))
    html = page.content.decode()
    assert page.status_code == 200
    assert 'name="_save"' not in html and 'name="_continue"' not in html
