"""Reschedule: the new seat is taken before the old one is freed, in one transaction."""

from __future__ import annotations

import pytest

from notifications.models import Notification
from outbox.emails import build
from outbox.models import Message
from scheduling import errors, services
from scheduling.errors import BookingError
from scheduling.models import BookingEvent, Slot
from scheduling.tests.factories import BookingFactory, SlotFactory, StudentFactory

pytestmark = pytest.mark.django_db


def test_reschedule_moves_the_seat_records_the_move_and_tells_the_educator(educator, student):
    old = SlotFactory(
        educator=educator, requires_approval=False, meeting_link="https://m.example/a"
    )
    new = SlotFactory(
        educator=educator, requires_approval=False, meeting_link="https://m.example/b"
    )
    booking = BookingFactory(slot=old, student=student)
    moved = services.booking_reschedule(booking=booking, to_slot=new, by=student)
    assert moved.pk == booking.pk and moved.slot_id == new.pk
    assert moved.status == "approved" and moved.meeting_link == "https://m.example/b"
    assert moved.rescheduled_from == old.starts_at
    assert Slot.objects.get(pk=old.pk).seats_taken == 0
    assert Slot.objects.get(pk=new.pk).seats_taken == 1
    last = BookingEvent.objects.filter(booking=booking).last()
    assert last.note.startswith("Rescheduled from ") and last.actor == student
    told = Notification.objects.get(recipient=educator, kind="rescheduled")
    assert "moved their session from" in told.text
    assert Message.objects.filter(recipient=educator, kind="rescheduled").exists()
    # The student gets the new time too, with the new invite (the booking is confirmed).
    mine = Notification.objects.get(recipient=student, kind="rescheduled")
    assert mine.text.startswith("You moved your session from") and "(confirmed)" in mine.text
    mail = Message.objects.get(recipient=student, kind="rescheduled")
    assert mail.ics_method == "REQUEST"
    email = build(mail)
    assert "Your session is moved from" in email.body and email.attachments
    to_educator = build(Message.objects.get(recipient=educator, kind="rescheduled"))
    assert to_educator.subject.startswith(f"{student.display_name} moved their session to")


def test_a_target_needing_approval_makes_an_approved_booking_pending(educator, student):
    old = SlotFactory(
        educator=educator, requires_approval=False, meeting_link="https://m.example/a"
    )
    new = SlotFactory(educator=educator, requires_approval=True)
    booking = BookingFactory(slot=old, student=student)
    assert booking.status == "approved"
    moved = services.booking_reschedule(booking=booking, to_slot=new, by=student)
    assert moved.status == "pending" and moved.meeting_link == ""
    # Both calendars held the approved session: the move takes it out of them.
    for person in (student, educator):
        mail = Message.objects.get(recipient=person, kind="rescheduled")
        assert mail.ics_method == "CANCEL"
        email = build(mail)
        [(name, content, mimetype)] = email.attachments
        assert name == "cancel.ics" and "method=CANCEL" in mimetype
        assert "STATUS:CANCELLED" in str(content)


def test_a_full_target_is_refused_with_nothing_changed(educator, student):
    old = SlotFactory(educator=educator)
    full = SlotFactory(educator=educator)
    BookingFactory(slot=full)
    booking = BookingFactory(slot=old, student=student)
    with pytest.raises(BookingError) as caught:
        services.booking_reschedule(booking=booking, to_slot=full, by=student)
    assert caught.value.message == errors.SLOT_FULL
    booking.refresh_from_db()
    assert booking.slot_id == old.pk and booking.status == "pending"
    assert Slot.objects.get(pk=old.pk).seats_taken == 1
    assert Slot.objects.get(pk=full.pk).seats_taken == 1
    assert BookingEvent.objects.filter(booking=booking).count() == 1


def test_only_the_same_educator_and_course_and_only_the_student(educator, other_educator, student):
    booking = BookingFactory(slot=SlotFactory(educator=educator), student=student)
    elsewhere = SlotFactory(educator=other_educator)
    with pytest.raises(BookingError) as caught:
        services.booking_reschedule(booking=booking, to_slot=elsewhere, by=student)
    assert caught.value.message == errors.RESCHEDULE_OTHER_EDUCATOR
    with pytest.raises(BookingError) as caught:
        services.booking_reschedule(
            booking=booking, to_slot=SlotFactory(educator=educator), by=StudentFactory()
        )
    assert caught.value.http_status == 403


def test_the_freed_seat_goes_to_the_old_slots_waitlist(educator, student):
    old = SlotFactory(educator=educator)
    new = SlotFactory(educator=educator)
    booking = BookingFactory(slot=old, student=student)
    waiting = StudentFactory()
    services.waitlist_join(student=waiting, slot=old)
    services.booking_reschedule(booking=booking, to_slot=new, by=student)
    assert old.bookings.active().get().student == waiting


def test_student_reschedules_on_the_page_and_educator_sees_rescheduled_from(
    client, educator, student
):
    old = SlotFactory(educator=educator)
    new = SlotFactory(educator=educator)
    booking = BookingFactory(slot=old, student=student)
    client.force_login(student)
    assert "Reschedule" in client.get("/session-requests").content.decode()
    page = client.get(f"/session-requests/{booking.pk}/reschedule")
    assert f'value="{new.pk}"' in page.content.decode()
    response = client.post(f"/session-requests/{booking.pk}/reschedule", {"slot": new.pk})
    assert response.status_code == 302
    booking.refresh_from_db()
    assert booking.slot_id == new.pk
    client.force_login(educator)
    html = client.get("/educator/session-requests?status=pending").content.decode()
    assert "Rescheduled from" in html
