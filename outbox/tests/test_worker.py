"""The real database worker (django-tasks-db's loop, in process) against committed data,
with real SMTP servers (aiosmtpd): one that is down and comes back, one that never
answers. The web request never waits on mail; the worker does, and nothing is sent twice."""

from __future__ import annotations

import asyncio
import socket
import statistics
import time
from datetime import timedelta

import pytest
from aiosmtpd.controller import Controller
from django.core import mail
from django.utils import timezone
from django_tasks_db.management.commands.db_worker import Worker
from django_tasks_db.models import DBTaskResult

from outbox import periodic
from outbox import services as outbox
from outbox.models import Chain, Message
from scheduling import services
from scheduling.models import Booking, Slot
from scheduling.tasks import every_minute
from scheduling.tests.factories import CourseFactory, SlotFactory

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def database_queue(settings):
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}


def run_worker(*, max_tasks: int | None = None, worker_id: str = "test-worker") -> float:
    """Run the worker until the queue has nothing ready (or `max_tasks`); its duration."""
    began = time.perf_counter()
    Worker(
        queue_names=["default"],
        interval=0,
        batch=True,
        backend_name="default",
        startup_delay=False,
        max_tasks=max_tasks,
        worker_id=worker_id,
        excluded_queue_names=[],
    ).run()
    return time.perf_counter() - began


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Inbox:
    """An aiosmtpd handler that keeps what it receives."""

    def __init__(self):
        self.received = []

    async def handle_DATA(self, server, session, envelope):
        self.received.append((envelope.rcpt_tos, envelope.content))
        return "250 OK"


class Silent:
    """An aiosmtpd handler that takes the connection and never answers EHLO."""

    def __init__(self):
        self.connections = 0

    async def handle_EHLO(self, server, session, envelope, hostname, responses):
        self.connections += 1
        await asyncio.Event().wait()


@pytest.fixture
def smtp(settings):
    """Point mail at a local port; `start(handler)` opens a real SMTP server there."""
    port = free_port()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", port
    settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
    settings.EMAIL_HOST_USER = settings.EMAIL_HOST_PASSWORD = ""
    controllers = []

    def start(handler):
        controller = Controller(handler, hostname="127.0.0.1", port=port)
        controller.start()
        controllers.append(controller)
        return handler

    yield start
    for controller in controllers:
        controller.stop()


def test_the_database_worker_delivers_what_a_committed_change_queued(student, educator):
    services.booking_request(student=student, slot=SlotFactory(educator=educator))
    assert mail.outbox == []  # the request only queued it
    assert DBTaskResult.objects.ready().count() == 1
    run_worker()
    assert [m.to for m in mail.outbox] == [[educator.email]]
    assert Message.objects.get().state == "sent"
    assert DBTaskResult.objects.successful().count() == 1


def test_a_mail_server_down_then_back_gets_the_message_exactly_once(
    settings, smtp, student, educator
):
    settings.OUTBOX_RETRY_DELAYS = [1, 1, 1, 1]
    services.booking_request(student=student, slot=SlotFactory(educator=educator))
    run_worker()  # nothing listens: refused, to be tried again in a second
    message = Message.objects.get()
    assert (message.state, message.attempts) == ("pending", 1)
    assert "Connection refused" in message.last_error or "ConnectionRefused" in message.last_error

    inbox = smtp(Inbox())  # the server comes back
    time.sleep(1.2)
    run_worker()
    outbox.sweep(now=timezone.now() + timedelta(hours=1))  # a late sweep finds nothing to do
    run_worker()
    message.refresh_from_db()
    assert (message.state, message.attempts) == ("sent", 2)
    assert [rcpt for rcpt, _ in inbox.received] == [[educator.email]]
    assert b"New session request" in inbox.received[0][1]


def test_a_mail_server_that_never_answers_delays_no_request(
    settings, smtp, client, student, educator
):
    settings.EMAIL_TIMEOUT = 3
    silent = smtp(Silent())
    course = CourseFactory(educator=educator)
    services.enroll(student=student, course=course)
    slot = SlotFactory(educator=educator, course=course)
    client.force_login(student)

    began = time.perf_counter()
    response = client.post(f"/course/{course.pk}/book-session", {"slot": slot.pk})
    took = time.perf_counter() - began
    assert response.status_code == 302 and Booking.objects.filter(slot=slot).exists()
    assert took < 1.5, f"the booking waited {took:.2f}s"

    worker_took = run_worker()  # the worker is the one that waits, up to EMAIL_TIMEOUT
    assert worker_took >= 3.0 and silent.connections == 1
    message = Message.objects.get()
    assert message.state == "pending" and "timed out" in message.last_error


def test_password_reset_answers_as_fast_for_an_existing_address_as_for_an_unknown_one(
    settings, smtp, client, student
):
    """Issue 8: 10.07 s against 0.1 s with a silent mail server revealed accounts."""
    settings.EMAIL_TIMEOUT = 2
    silent = smtp(Silent())
    timings = {student.email: [], "nobody@example.com": []}
    for round_ in range(4):
        for number, address in enumerate(timings):
            began = time.perf_counter()
            response = client.post(
                "/accounts/password_reset/",
                {"email": address},
                REMOTE_ADDR=f"10.0.{round_}.{number + 1}",
            )
            timings[address].append(time.perf_counter() - began)
            assert response.status_code == 302
    existing, unknown = (statistics.median(t[1:]) for t in timings.values())  # after warm-up
    assert existing < 0.5 and unknown < 0.5
    assert abs(existing - unknown) < 0.05, f"{existing:.3f}s against {unknown:.3f}s"
    assert mail.outbox == [] and silent.connections == 0  # no request touched mail

    run_worker()  # four reset tasks, each finds the account or not; one tries the server
    assert Message.objects.filter(kind="password_reset").count() == 4
    assert silent.connections >= 1


def test_several_workers_run_one_periodic_chain(settings):
    assert periodic.ensure(every_minute) is True
    assert periodic.ensure(every_minute) is False  # a second worker starting: chain alive
    assert DBTaskResult.objects.ready().filter(task_path__endswith="every_minute").count() == 1
    stray = every_minute.enqueue()  # e.g. left by an abandoned chain
    run_worker()
    ready = DBTaskResult.objects.filter(task_path__endswith="every_minute", status="READY")
    assert ready.count() == 1  # the live chain's next run, a minute from now
    chain = Chain.objects.get()
    assert chain.task_id == str(ready.get().id) and chain.next_run_at > timezone.now()
    assert DBTaskResult.objects.get(id=stray.id).return_value == {
        "stopped": "another chain runs the schedule"
    }


def test_a_dead_chain_is_started_again_by_the_next_worker(settings):
    periodic.ensure(every_minute)
    DBTaskResult.objects.all().delete()  # its worker died with it
    Chain.objects.update(next_run_at=timezone.now() - timedelta(minutes=10))
    assert periodic.ensure(every_minute) is True
    assert DBTaskResult.objects.ready().count() == 1


def test_reminders_are_sent_once_with_two_workers_running_the_schedule_repeatedly(
    settings, student, educator
):
    settings.PERIODIC_SECONDS = 0  # every run's successor is due at once
    start = timezone.now() + timedelta(hours=23, minutes=30)
    slot = SlotFactory(educator=educator, starts_at=start, meeting_link="https://m.example/x")
    booking = services.booking_request(student=student, slot=slot)
    services.booking_approve(booking=booking, by=educator)
    Booking.objects.filter(pk=booking.pk).update(decided_at=timezone.now() - timedelta(days=2))
    mail.outbox.clear()
    run_worker()  # the request and approval emails
    mail.outbox.clear()

    periodic.ensure(every_minute)
    run_worker(max_tasks=8, worker_id="first")
    run_worker(max_tasks=8, worker_id="second")
    runs = DBTaskResult.objects.successful().filter(task_path__endswith="every_minute")
    assert runs.count() >= 4
    reminders = [m for m in mail.outbox if m.subject.startswith("Reminder")]
    assert sorted(m.to[0] for m in reminders) == sorted([student.email, educator.email])


def test_the_periodic_task_closes_past_sessions_without_cron(student, educator):
    booking = services.booking_request(student=student, slot=SlotFactory(educator=educator))
    start = timezone.now() - timedelta(minutes=5)
    Slot.objects.filter(pk=booking.slot_id).update(
        starts_at=start, ends_at=start + timedelta(hours=1)
    )
    periodic.ensure(every_minute)
    run_worker()
    booking.refresh_from_db()
    assert booking.status == "rejected"
    assert Message.objects.filter(kind="rejected", recipient=student).exists()
