"""Queue, deliver, retry and recover outgoing mail. Tasks (tasks.py) only call these;
these hand messages to the task queue through enqueue.py.

Delivery is at most one live attempt per message: a row is claimed (pending → sending)
by one atomic UPDATE before its send, so two workers never send it twice. A failed send
waits `OUTBOX_RETRY_DELAYS` between tries and is then marked failed; the periodic sweep
revives rows a dead worker left in `sending` and delivers pending rows no task carries.
"""

from __future__ import annotations

import logging
from datetime import timedelta

from django.conf import settings
from django.contrib.auth.forms import PasswordResetForm
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from . import emails, enqueue
from .models import Kind, Message, State

logger = logging.getLogger(__name__)

SWEEP_BATCH = 500
NO_ADDRESS = "The recipient has no email address."
NO_LONGER_RELEVANT = "Not sent: the session is no longer approved or the moment has passed."
WORKER_DIED = "The worker stopped while sending; sending again."


def queue(specs: list[dict]) -> list[Message]:
    """Record messages inside the caller's transaction, to be delivered if it commits:
    a change that rolls back sends nothing, and a commit never waits on mail."""
    messages = Message.objects.bulk_create([Message(**spec) for spec in specs])
    if messages:
        enqueue.deliver_if_committed([m.pk for m in messages])
    return messages


def queue_once(spec: dict) -> Message | None:
    """Like `queue` for one message that must exist at most once (reminders): None when
    it was already queued, by this run or another worker's."""
    try:
        with transaction.atomic():
            return queue([spec])[0]
    except IntegrityError:
        return None


def queue_password_reset(*, email: str, request_id: str) -> int:
    """One reset message per active account with this address (Django's own rules).

    Runs in a task, outside any transaction: each row is stored, then delivered."""
    queued = []
    for user in PasswordResetForm(data={"email": email}).get_users(email):
        spec = {"kind": Kind.PASSWORD_RESET, "recipient": user, "discriminator": request_id}
        try:
            with transaction.atomic():
                queued.append(Message.objects.create(**spec).pk)
        except IntegrityError:  # this request's task ran before
            continue
    enqueue.deliver_soon(queued)
    return len(queued)


def deliver(message_id: int) -> str:
    """Send one message if it is due and nobody else holds it; returns its new state."""
    now = timezone.now()
    claimed = Message.objects.filter(
        pk=message_id, state=State.PENDING, next_attempt_at__lte=now
    ).update(state=State.SENDING, claimed_at=now, attempts=F("attempts") + 1)
    if not claimed:
        return "not claimed"
    message = Message.objects.select_related(
        "recipient",
        "booking__student",
        "booking__slot__educator",
        "booking__slot__course",
    ).get(pk=message_id)
    if not message.recipient.email:
        return _finish(message, State.SKIPPED, last_error=NO_ADDRESS)
    if message.booking_id and not emails.is_still_relevant(message, now=now):
        return _finish(message, State.SKIPPED, last_error=NO_LONGER_RELEVANT)
    try:
        email = emails.build(message)
        email.send()
    except Exception as exc:  # any failure of the mail server or the message: retry
        return _failed(message, exc)
    return _finish(
        message,
        State.SENT,
        sent_at=timezone.now(),
        subject=email.subject[:255],
        to_address=email.to[0],
        last_error="",
    )


def _finish(message: Message, state: str, **fields) -> str:
    Message.objects.filter(pk=message.pk, state=State.SENDING).update(state=state, **fields)
    return state


def _failed(message: Message, exc: Exception) -> str:
    delays = settings.OUTBOX_RETRY_DELAYS
    error = f"{type(exc).__name__}: {exc}"[:1000]
    tries = len(delays) + 1
    logger.warning(
        "Could not send message %s (%s) to %s, attempt %d of %d: %s",
        message.pk,
        message.kind,
        message.recipient.email,
        message.attempts,
        tries,
        error,
    )
    if message.attempts >= tries:
        logger.error("Gave up on message %s after %d attempts", message.pk, message.attempts)
        return _finish(message, State.FAILED, last_error=error)
    retry_at = timezone.now() + timedelta(seconds=delays[message.attempts - 1])
    _finish(message, State.PENDING, last_error=error, next_attempt_at=retry_at)
    enqueue.deliver_later(message.pk, retry_at)
    return State.PENDING


def sweep(*, now=None) -> dict[str, int]:
    """Recover what no task will deliver: rows a dead worker left in `sending`, and
    pending rows whose task was lost (an enqueue that failed, a killed worker)."""
    now = now or timezone.now()
    stuck_before = now - timedelta(seconds=settings.OUTBOX_STUCK_AFTER)
    stuck = list(
        Message.objects.filter(state=State.SENDING, claimed_at__lt=stuck_before).values_list(
            "pk", flat=True
        )[:SWEEP_BATCH]
    )
    revived = Message.objects.filter(pk__in=stuck, state=State.SENDING).update(
        state=State.PENDING, next_attempt_at=now, last_error=WORKER_DIED
    )
    # A fresh row has its own task; give it one sweep period before it counts as lost.
    overdue_before = now - timedelta(seconds=settings.PERIODIC_SECONDS)
    overdue = list(
        Message.objects.filter(state=State.PENDING, next_attempt_at__lte=overdue_before)
        .exclude(pk__in=stuck)
        .values_list("pk", flat=True)[:SWEEP_BATCH]
    )
    enqueue.deliver_soon(stuck + overdue)
    return {"revived": revived, "redelivered": len(overdue)}


def resend(message_ids: list[int]) -> int:
    """Staff send failed messages again, with a fresh count of attempts."""
    ids = list(
        Message.objects.filter(pk__in=message_ids, state=State.FAILED).values_list("pk", flat=True)
    )
    Message.objects.filter(pk__in=ids, state=State.FAILED).update(
        state=State.PENDING, attempts=0, next_attempt_at=timezone.now()
    )
    enqueue.deliver_if_committed(ids)
    return len(ids)
