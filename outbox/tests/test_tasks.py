"""A change's mail reaches the task queue inside the change's transaction."""

from __future__ import annotations

import pytest
from django_tasks_db.models import DBTaskResult

from notifications.models import Notification
from outbox.models import Message
from scheduling import services
from scheduling.tests.factories import SlotFactory

pytestmark = pytest.mark.django_db


def test_a_booking_enqueues_its_mail_through_the_task_backend(settings, student, educator):
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    educator.email = "educator@example.com"
    educator.save()
    slot = SlotFactory(educator=educator)
    booking = services.booking_request(student=student, slot=slot, message="Hi")
    message = Message.objects.get(booking=booking)
    task = DBTaskResult.objects.get()
    assert task.args_kwargs == {"args": [message.pk], "kwargs": {}}
    assert task.task_path == "outbox.tasks.deliver_message"
    assert task.status == "READY"
    assert booking.history.get().to_status == booking.status
    assert Notification.objects.get(booking=booking).recipient == educator
