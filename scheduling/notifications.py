"""Tell the other party of every status change, and both parties before a session.

`booking_changed` is the one entry point the services call, inside their transaction: it
records the emails in the outbox, whose tasks send them after the commit, so a slow or
dead mail server never delays or undoes the change (see outbox/).
"""

from __future__ import annotations

from datetime import timedelta

from django.db import transaction
from django.db.models import CharField, Exists, F, OuterRef, Value
from django.db.models.functions import Cast, Concat
from django.utils import timezone

from notifications import services as inbox
from outbox import services as outbox
from outbox.models import IcsMethod, Kind, Message

from .models import Booking, BookingStatus

# Each reminder's lead time, longest first; one is due from its moment until the next's.
REMINDERS = ((Kind.REMINDER_24H, timedelta(hours=24)), (Kind.REMINDER_1H, timedelta(hours=1)))


def booking_changed(booking: Booking, *, actor, from_status: str, event: str = "") -> None:
    """Tell the other party in the app and by email, in the change's own transaction.

    The in-app notification is written now; the emails are queued and leave only if the
    transaction commits. `event` is "rescheduled" (moved to another slot) or
    "waitlist_offer" (the system booked a freed seat for a waiting student; both are told).
    """
    inbox.booking_changed(booking, actor=actor, from_status=from_status, event=event)
    outbox.queue(_emails(booking, actor=actor, from_status=from_status, event=event))


def _recipients(booking: Booking, actor, event: str = "") -> list:
    student, educator = booking.student, booking.slot.educator
    if event in ("waitlist_offer", "rescheduled"):  # both: each needs the new time
        return [student, educator]
    if actor is None:  # the system: tell the student what time decided
        return [student]
    return [user for user in (student, educator) if user.pk != actor.pk]


def _kind(booking: Booking, from_status: str, event: str = "", recipient=None) -> str:
    if event == "rescheduled":
        return Kind.RESCHEDULED
    if event == "waitlist_offer" and recipient is not None and recipient.pk == booking.student_id:
        return Kind.WAITLIST_OFFER
    status = booking.status
    if status == BookingStatus.PENDING:
        return Kind.REQUEST_CREATED
    if status == BookingStatus.APPROVED:
        return Kind.APPROVED if from_status else Kind.BOOKED  # booked straight to approved
    if status == BookingStatus.CANCELLED:
        return Kind.WITHDRAWN if booking.slot.is_withdrawn else Kind.CANCELLED
    return {BookingStatus.REJECTED: Kind.REJECTED, BookingStatus.COMPLETED: Kind.COMPLETED}[status]


def _emails(booking: Booking, *, actor, from_status: str, event: str = "") -> list[dict]:
    ics = ""
    if booking.status == BookingStatus.APPROVED:
        ics = IcsMethod.REQUEST
    elif booking.status == BookingStatus.CANCELLED and from_status == BookingStatus.APPROVED:
        ics = IcsMethod.CANCEL
    # The change's own moment: a booking approved twice is told twice, one change once.
    change = f"{from_status or 'new'}>{booking.status}@{booking.updated_at:%Y%m%dT%H%M%S.%f}"
    if event == "rescheduled":  # a move to the new time: the invite carries the new time
        change += f"@slot{booking.slot_id}"
        ics = IcsMethod.REQUEST if booking.status == BookingStatus.APPROVED else ""
        if not ics and from_status == BookingStatus.APPROVED:
            ics = IcsMethod.CANCEL  # pending again: the approved time leaves the calendars
    return [
        {
            "kind": _kind(booking, from_status, event, user),
            "booking": booking,
            "recipient": user,
            "discriminator": change,
            "ics_method": ics,
        }
        for user in _recipients(booking, actor, event)
        if user.email
    ]


def _reminder_key(booking: Booking) -> str:
    """A reminder is for one session time: a booking moved to another slot is due again."""
    return f"slot{booking.slot_id}"


def queue_due_reminders(*, now=None) -> int:
    """Queue the reminders whose moment has come, once per booking, kind and person.

    A reminder is due from its moment until the next reminder's moment (or the start),
    and only for a session approved before its moment: approved 3 hours ahead gets only
    the 1-hour reminder, 30 minutes ahead none. Safe to run again and again, on several
    workers at once: the outbox's unique constraint keeps each reminder single.
    """
    now = now or timezone.now()
    queued = 0
    for index, (kind, lead) in enumerate(REMINDERS):
        until = REMINDERS[index + 1][1] if index + 1 < len(REMINDERS) else timedelta(0)
        # Per slot: a session moved to another time is reminded again at its new time.
        sent = Message.objects.filter(
            booking=OuterRef("pk"),
            kind=kind,
            discriminator=Concat(Value("slot"), Cast(OuterRef("slot_id"), CharField())),
        )
        due = (
            Booking.objects.filter(
                status=BookingStatus.APPROVED,
                slot__starts_at__lte=now + lead,
                slot__starts_at__gt=now + until,
                decided_at__lte=F("slot__starts_at") - lead,
            )
            .exclude(Exists(sent))
            .with_related()
        )
        for booking in due:
            with transaction.atomic():  # both parties' rows, or neither
                for user in (booking.student, booking.slot.educator):
                    if user.email:
                        spec = {
                            "kind": kind,
                            "booking": booking,
                            "recipient": user,
                            "discriminator": _reminder_key(booking),
                        }
                        queued += outbox.queue_once(spec) is not None
    return queued
