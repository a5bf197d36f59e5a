"""Delivery: retried with backoff, then failed for staff to see and send again; claimed
before sending so nothing goes twice; recovered after a dead worker or a lost task."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core import mail
from django.utils import timezone

from outbox import services
from outbox.models import Message
from scheduling import services as scheduling
from scheduling.tests.factories import SlotFactory

pytestmark = pytest.mark.django_db


class BrokenBackend:
    def __init__(self, *args, **kwargs):
        pass

    def send_messages(self, messages):
        raise ConnectionRefusedError("SMTP down")


@pytest.fixture
def message(student, educator, django_capture_on_commit_callbacks):
    """A new request's email to the educator, recorded but not yet delivered."""
    with django_capture_on_commit_callbacks(execute=False):
        scheduling.booking_request(student=student, slot=SlotFactory(educator=educator))
    return Message.objects.get()


def make_due(message: Message) -> None:
    Message.objects.filter(pk=message.pk).update(next_attempt_at=timezone.now())


def test_a_failed_send_is_retried_with_growing_waits_then_marked_failed(message, settings, caplog):
    settings.EMAIL_BACKEND = "outbox.tests.test_delivery.BrokenBackend"
    waits = []
    for attempt in range(1, 6):
        before = timezone.now()
        state = services.deliver(message.pk)
        message.refresh_from_db()
        assert message.attempts == attempt
        assert "ConnectionRefusedError: SMTP down" in message.last_error
        if attempt < 5:
            assert state == message.state == "pending"
            waits.append(round((message.next_attempt_at - before).total_seconds() / 60))
            assert services.deliver(message.pk) == "not claimed"  # not before its time
            make_due(message)
    assert waits == [1, 5, 15, 60]  # 5 tries over about 80 minutes
    assert message.state == "failed"
    assert "Could not send" in caplog.text and "Gave up" in caplog.text
    assert mail.outbox == []


def test_staff_see_failed_mail_in_the_admin_and_send_it_again(message, settings, client, staff):
    Message.objects.filter(pk=message.pk).update(state="failed", attempts=5, last_error="down")
    client.force_login(staff)
    listing = client.get("/admin/outbox/message/?state__exact=failed").content.decode()
    assert message.recipient.email in listing or str(message.recipient) in listing
    response = client.post(
        "/admin/outbox/message/",
        {"action": "send_again", "_selected_action": [message.pk]},
        follow=True,
    )
    assert "Queued again: 1." in response.content.decode()
    message.refresh_from_db()
    # The action enqueued on commit; here the test's transaction never commits, so deliver.
    assert (message.state, message.attempts) == ("pending", 0)
    assert services.deliver(message.pk) == "sent"
    assert [m.to for m in mail.outbox] == [[message.recipient.email]]


def test_a_claimed_message_is_sent_once_however_often_delivery_runs(message):
    assert services.deliver(message.pk) == "sent"
    assert services.deliver(message.pk) == "not claimed"
    services.sweep(now=timezone.now() + timedelta(hours=1))
    assert len(mail.outbox) == 1


def test_a_worker_killed_while_sending_loses_no_message(message):
    killed = timezone.now() - timedelta(minutes=10)
    Message.objects.filter(pk=message.pk).update(state="sending", claimed_at=killed, attempts=1)
    fresh = Message.objects.create(kind="approved", recipient=message.recipient, state="sending")
    Message.objects.filter(pk=fresh.pk).update(claimed_at=timezone.now())  # still working

    assert services.sweep() == {"revived": 1, "redelivered": 0}
    message.refresh_from_db()
    assert (message.state, message.attempts) == ("sent", 2)
    assert len(mail.outbox) == 1
    assert Message.objects.get(pk=fresh.pk).state == "sending"  # a live worker's, left alone


def test_a_message_whose_task_was_lost_is_delivered_by_the_sweep(message):
    Message.objects.filter(pk=message.pk).update(
        next_attempt_at=timezone.now() - timedelta(minutes=5)
    )
    assert services.sweep() == {"revived": 0, "redelivered": 1}
    assert len(mail.outbox) == 1 and services.sweep()["redelivered"] == 0


def test_a_recipient_without_an_address_is_skipped_not_retried(message):
    message.recipient.email = ""
    message.recipient.save()
    assert services.deliver(message.pk) == "skipped"
    assert Message.objects.get(pk=message.pk).last_error == services.NO_ADDRESS


def test_a_password_reset_task_run_twice_sends_one_mail_whose_link_works(student, client, settings):
    settings.SITE_URL = "http://testserver"
    assert services.queue_password_reset(email=student.email, request_id="r1") == 1
    assert services.queue_password_reset(email=student.email, request_id="r1") == 0
    assert services.queue_password_reset(email=student.email, request_id="r2") == 1
    assert [m.to for m in mail.outbox] == [[student.email], [student.email]]
    link = next(w for w in mail.outbox[0].body.split() if "/accounts/reset/" in w)
    response = client.get(link.removeprefix("http://testserver"), follow=True)
    assert "new password" in response.content.decode().lower()
