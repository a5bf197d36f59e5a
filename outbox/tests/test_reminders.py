"""Reminders 24 hours and 1 hour before an approved session, to both parties, once each;
none for a cancelled session, none whose moment had passed when the session was approved."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core import mail
from django.utils import timezone

from outbox import services as outbox
from outbox.models import Message
from scheduling import services
from scheduling.models import Booking
from scheduling.notifications import queue_due_reminders
from scheduling.tests.factories import SlotFactory

pytestmark = pytest.mark.django_db

LINK = "https://meet.example.com/r"


def approved_session(educator, student, *, starts_in: timedelta, approved_ago=timedelta(0)):
    start = timezone.now().replace(microsecond=0) + starts_in
    slot = SlotFactory(educator=educator, starts_at=start, meeting_link=LINK)
    booking = services.booking_request(student=student, slot=slot)
    booking = services.booking_approve(booking=booking, by=educator)
    Booking.objects.filter(pk=booking.pk).update(decided_at=timezone.now() - approved_ago)
    return booking


def reminders_over_time(booking, *, step=timedelta(minutes=5)) -> list[str]:
    """Run the periodic reminder step every `step` from now to the start."""
    now, kinds = timezone.now(), []
    while now < booking.slot.starts_at + step:
        queue_due_reminders(now=now)
        now += step
    kinds = Message.objects.filter(kind__startswith="reminder").values_list("kind", flat=True)
    return sorted(set(kinds))


def test_reminders_go_to_both_parties_once_however_often_the_step_runs(
    educator, student, settings, django_capture_on_commit_callbacks
):
    student.timezone, educator.timezone = "Asia/Kolkata", "America/Los_Angeles"
    student.save(), educator.save()
    booking = approved_session(
        educator, student, starts_in=timedelta(hours=23, minutes=30), approved_ago=timedelta(days=2)
    )
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        assert queue_due_reminders() == 2
        assert queue_due_reminders() == 0
    assert sorted(m.to[0] for m in mail.outbox) == sorted([student.email, educator.email])
    assert all(m.subject.startswith("Reminder: session with") for m in mail.outbox)
    pages = {student.email: "/session-requests", educator.email: "/educator/session-requests"}
    for message, person in (
        (m, student if m.to[0] == student.email else educator) for m in mail.outbox
    ):
        local = timezone.localtime(booking.slot.starts_at, person.zoneinfo)
        html = message.alternatives[0][0]
        assert "starts in 24 hours" in message.body and f"{local:%H:%M}" in message.body
        assert settings.SITE_URL + pages[person.email] in message.body
        assert f"{local:%H:%M}" in html and person.timezone in html
    rows = Message.objects.filter(booking=booking, kind="reminder_24h")
    assert [row.state for row in rows] == ["sent", "sent"]


def test_no_reminder_for_a_cancelled_session(educator, student):
    booking = approved_session(
        educator, student, starts_in=timedelta(hours=23), approved_ago=timedelta(days=2)
    )
    services.booking_cancel(booking=booking, by=student)
    assert reminders_over_time(booking) == []


def test_a_reminder_queued_before_a_cancellation_is_not_sent(
    educator, student, django_capture_on_commit_callbacks
):
    booking = approved_session(
        educator, student, starts_in=timedelta(minutes=50), approved_ago=timedelta(days=2)
    )
    with django_capture_on_commit_callbacks(execute=False):
        assert queue_due_reminders() == 2
    services.booking_cancel(booking=booking, by=student)
    mail.outbox.clear()

    assert {outbox.deliver(m.pk) for m in Message.objects.filter(kind="reminder_1h")} == {"skipped"}
    assert mail.outbox == []


def test_approved_three_hours_ahead_gets_only_the_one_hour_reminder(educator, student):
    booking = approved_session(educator, student, starts_in=timedelta(hours=3))
    assert reminders_over_time(booking) == ["reminder_1h"]
    assert Message.objects.filter(kind="reminder_1h").count() == 2  # student and educator


def test_approved_thirty_minutes_ahead_gets_no_reminder(educator, student):
    booking = approved_session(educator, student, starts_in=timedelta(minutes=30))
    assert reminders_over_time(booking) == []


def test_approved_two_days_ahead_gets_both_reminders(educator, student):
    booking = approved_session(educator, student, starts_in=timedelta(days=2))
    assert reminders_over_time(booking, step=timedelta(minutes=30)) == [
        "reminder_1h",
        "reminder_24h",
    ]


def test_a_moved_session_is_reminded_again_at_its_new_time(educator, student):
    booking = approved_session(
        educator, student, starts_in=timedelta(hours=23, minutes=30), approved_ago=timedelta(days=2)
    )
    assert queue_due_reminders() == 2
    later = SlotFactory(
        educator=educator,
        starts_at=booking.slot.starts_at + timedelta(days=3),
        meeting_link=LINK,
        requires_approval=False,
    )
    moved = services.booking_reschedule(booking=booking, to_slot=later, by=student)
    assert moved.status == "approved"
    assert queue_due_reminders(now=later.starts_at - timedelta(hours=23)) == 2
    rows = Message.objects.filter(booking=booking, kind="reminder_24h")
    assert rows.count() == 4
    assert queue_due_reminders(now=later.starts_at - timedelta(hours=22)) == 0
