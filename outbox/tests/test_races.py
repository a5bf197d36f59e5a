"""Several workers at once (threads with their own connections, on PostgreSQL): each
reminder is queued once and each message sent once."""

from __future__ import annotations

import os
from datetime import timedelta

import pytest
from django.core import mail
from django.db import connection
from django.utils import timezone

from outbox import services as outbox
from outbox.models import Message
from scheduling import services
from scheduling.models import Booking
from scheduling.notifications import queue_due_reminders
from scheduling.tests.factories import SlotFactory
from scheduling.tests.test_races import FIGURES, race

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.postgres]

WORKERS = 8


@pytest.fixture(autouse=True)
def _needs_postgres():
    if connection.vendor != "postgresql":
        reason = "race tests need PostgreSQL; SQLite serialises writers (set DATABASE_URL)"
        if os.environ.get("MENTORING_REQUIRE_POSTGRES") == "1":
            pytest.fail(reason)
        pytest.skip(reason)


def test_workers_racing_on_the_reminder_step_queue_and_send_each_reminder_once(student, educator):
    start = timezone.now() + timedelta(minutes=50)
    slot = SlotFactory(educator=educator, starts_at=start, meeting_link="https://m.example/r")
    booking = services.booking_approve(
        booking=services.booking_request(student=student, slot=slot), by=educator
    )
    Booking.objects.filter(pk=booking.pk).update(decided_at=timezone.now() - timedelta(days=1))
    mail.outbox.clear()
    results = race([queue_due_reminders] * WORKERS)
    assert sum(results) == 2, results
    reminders = [m.to[0] for m in mail.outbox if "In 1 hour" in m.subject]
    assert sorted(reminders) == sorted([student.email, educator.email])
    FIGURES.append(
        f"reminder step × {WORKERS} workers at once: {sum(results)} queued, "
        f"{len(reminders)} sent (2 expected)"
    )


def test_workers_racing_to_deliver_one_message_send_it_once(student, educator):
    services.booking_request(student=student, slot=SlotFactory(educator=educator))
    message = Message.objects.get()
    Message.objects.filter(pk=message.pk).update(state="pending", sent_at=None)
    mail.outbox.clear()
    results = race([lambda: outbox.deliver(message.pk)] * WORKERS)
    assert sorted(results) == ["not claimed"] * (WORKERS - 1) + ["sent"]
    assert len(mail.outbox) == 1
    FIGURES.append(f"deliver × {WORKERS} workers on one message: {results.count('sent')} sent")
