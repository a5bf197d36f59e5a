"""Rows written by `RowWriter` (mentoring/rows.py) are the rows `bulk_create` writes: the
booking's own, its history, its notification, its mail and the mail's task."""

from __future__ import annotations

from datetime import datetime

import pytest
from django.db import IntegrityError, connection, transaction
from django.db.models import signals
from django_tasks_db import DatabaseBackend as LibraryBackend
from django_tasks_db.models import DBTaskResult, get_date_max

from mentoring.rows import RowWriter
from notifications.models import Notification
from outbox import tasks
from outbox.backends import DatabaseBackend
from outbox.models import Message
from scheduling.models import Booking, BookingEvent
from scheduling.tests.factories import SlotFactory

pytestmark = pytest.mark.django_db


def _stored(model, pk) -> dict:
    return model.objects.values().get(pk=pk)


def _same_rows(fast: dict, orm: dict, *, skip=("id",)) -> None:
    """Equal column by column; moments stamped at insert only need to be close."""
    assert fast.keys() == orm.keys()
    for name, value in orm.items():
        if name in skip:
            continue
        if isinstance(value, datetime):
            assert abs((fast[name] - value).total_seconds()) < 5, name
        else:
            assert fast[name] == value, name
            assert type(fast[name]) is type(value), name


def _examples(student, educator):
    slot = SlotFactory(educator=educator, capacity=3)
    booking = Booking.objects.create(
        slot=slot, student=student, educator_id=educator.pk, message="Hi", status="pending"
    )
    other = SlotFactory(educator=educator)
    return [
        lambda: Booking(  # not active: one student may hold several such rows in a slot
            slot=other,
            student=student,
            educator_id=educator.pk,
            message="Graphs, please.\n«Trees» too.",
            status="rejected",
            meeting_link="https://meet.example.com/x",
            decided_at=booking.created_at,
        ),
        lambda: BookingEvent(
            booking=booking, actor=None, from_status="pending", to_status="approved", note="Ok"
        ),
        lambda: Notification(
            recipient=educator, kind="requested", text="A request", url="/x", booking=booking
        ),
        lambda: Message(
            kind="request_created", booking=booking, recipient=educator, discriminator="d"
        ),
    ]


def test_each_row_is_the_row_bulk_create_writes(student, educator):
    for make in _examples(student, educator):
        fast, orm = make(), make()
        if isinstance(fast, Message):
            orm.discriminator = "other"  # one message per discriminator
        RowWriter(type(fast)).insert([fast])
        type(orm).objects.bulk_create([orm])
        assert fast.pk is not None and fast.pk != orm.pk
        assert fast._state.adding is False and fast._state.db == "default"
        skip = ("id", "discriminator") if isinstance(fast, Message) else ("id",)
        _same_rows(_stored(type(fast), fast.pk), _stored(type(orm), orm.pk), skip=skip)


def test_auto_now_fields_are_stamped(student, educator):
    booking = Booking(slot=SlotFactory(educator=educator), student=student, educator_id=educator.pk)
    booking.updated_at = None
    RowWriter(Booking).insert([booking])
    assert booking.updated_at is not None
    assert _stored(Booking, booking.pk)["updated_at"] == booking.updated_at


def test_many_rows_come_back_with_their_own_ids_in_order(educator):
    """More parameters than SQLite takes in one statement: written in batches."""
    rows = [Notification(recipient=educator, kind="requested", text=f"n{i}") for i in range(400)]
    with transaction.atomic():
        RowWriter(Notification).insert(rows)
    assert len({row.pk for row in rows}) == 400
    stored = dict(Notification.objects.filter(recipient=educator).values_list("pk", "text"))
    assert all(stored[row.pk] == row.text for row in rows)


def test_a_related_object_saved_after_it_was_assigned_is_taken_by_its_id(student, educator):
    booking = Booking(slot=SlotFactory(educator=educator), student=student, educator_id=0)
    booking.educator_id = educator.pk
    event = BookingEvent(booking=booking, to_status="pending")  # the booking has no id yet
    with pytest.raises(ValueError, match="unsaved related object"):
        RowWriter(BookingEvent).insert([event])
    RowWriter(Booking).insert([booking])
    RowWriter(BookingEvent).insert([event])
    assert _stored(BookingEvent, event.pk)["booking_id"] == booking.pk


def test_nothing_to_write_writes_nothing(django_assert_num_queries):
    with django_assert_num_queries(0):
        assert RowWriter(Notification).insert([]) == []


def test_a_refused_row_dooms_the_transaction_as_bulk_create_does(student, educator):
    slot = SlotFactory(educator=educator)
    Booking.objects.create(slot=slot, student=student, educator_id=educator.pk)
    with transaction.atomic():  # a savepoint: leaving it doomed rolls back to it
        with pytest.raises(IntegrityError):  # one active booking per student and slot
            RowWriter(Booking).insert(
                [Booking(slot=slot, student=student, educator_id=educator.pk)]
            )
        assert connection.needs_rollback
    assert Booking.objects.filter(slot=slot).count() == 1


def test_signals_are_sent_only_when_asked(educator):
    sent = []

    def record(sender, instance, **kwargs):
        sent.append((kwargs["signal"], instance.pk is not None, kwargs.get("created")))

    for signal in (signals.pre_save, signals.post_save):
        signal.connect(record, sender=Notification)
    try:
        RowWriter(Notification).insert([Notification(recipient=educator, kind="requested")])
        assert sent == []
        RowWriter(Notification, signals=True).insert(
            [Notification(recipient=educator, kind="requested")]
        )
    finally:
        for signal in (signals.pre_save, signals.post_save):
            signal.disconnect(record, sender=Notification)
    assert sent == [(signals.pre_save, False, None), (signals.post_save, True, True)]


def test_the_task_row_is_the_librarys(settings, educator, django_assert_num_queries):
    """Our backend writes the row django-tasks-db's own enqueue writes, in one query."""
    settings.TASKS = {"default": {"BACKEND": "outbox.backends.DatabaseBackend"}}
    backend = tasks.deliver_message.get_backend()
    assert type(backend) is DatabaseBackend
    with django_assert_num_queries(1):
        result = tasks.deliver_message.enqueue(42)
    library = LibraryBackend._task_to_db_task(backend, tasks.deliver_message, [42], {})
    fast = DBTaskResult.objects.get(pk=result.id)
    _same_rows(_stored(DBTaskResult, fast.pk), _stored(DBTaskResult, library.pk))
    assert fast.run_after == get_date_max()  # the library's pre_save receiver ran
    assert result.args == [42] and result.status == "READY"
    assert backend.get_result(result.id).id == result.id


def test_a_booking_enqueues_its_mail_through_our_backend(settings, student, educator):
    from scheduling import services

    settings.TASKS = {"default": {"BACKEND": "outbox.backends.DatabaseBackend"}}
    educator.email = "educator@example.com"
    educator.save()
    slot = SlotFactory(educator=educator)
    booking = services.booking_request(student=student, slot=slot, message="Hi")
    message = Message.objects.get(booking=booking)
    task = DBTaskResult.objects.get()
    assert task.args_kwargs == {"args": [message.pk], "kwargs": {}}
    assert task.task_path == "outbox.tasks.deliver_message"
    assert booking.history.get().to_status == booking.status
    assert Notification.objects.get(booking=booking).recipient == educator
