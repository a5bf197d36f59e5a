"""Email the other party of every status change, after the transaction commits.

A mail server that is down must never undo or break the change itself, so sending
happens in `on_commit` and failures are logged, not raised.
"""

from __future__ import annotations

import logging

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.utils import timezone

from notifications import services as inbox

logger = logging.getLogger(__name__)

SUBJECTS = {
    "pending": "New session request from {student}",
    "approved": "Your session with {educator} is confirmed",
    "rejected": "Your session request with {educator} was declined",
    "cancelled": "Session on {when} cancelled",
    "completed": "Session with {educator} completed",
}


def _recipients(booking, actor) -> list:
    student, educator = booking.student, booking.slot.educator
    if actor is None:  # the system: tell the student what time decided
        return [student]
    return [user for user in (student, educator) if user.pk != actor.pk]


def _body(booking, recipient) -> str:
    slot = booking.slot
    when = timezone.localtime(slot.starts_at, recipient.zoneinfo)
    lines = [
        f"Hello {recipient.display_name},",
        "",
        f"Session: {when:%A %d %B %Y, %H:%M} ({recipient.timezone})"
        + (f" — {slot.course.title}" if slot.course_id else ""),
        f"Student: {booking.student.display_name}",
        f"Educator: {slot.educator.display_name}",
        f"Status: {booking.get_status_display()}",
    ]
    if booking.visible_meeting_link:
        lines.append(f"Meeting link: {booking.visible_meeting_link}")
    if booking.decision_note:
        lines.append(f"Reason: {booking.decision_note}")
    if booking.message and booking.status == "pending":
        lines += ["", "Message:", booking.message]
    return "\n".join(lines) + "\n"


def booking_changed(booking, *, actor, from_status: str) -> None:
    """Queue one email per other party; sent only if the transaction commits."""
    inbox.booking_changed(booking, actor=actor, from_status=from_status)  # in-app, same transaction
    messages = []
    for recipient in _recipients(booking, actor):
        if not recipient.email:
            continue
        when = timezone.localtime(booking.slot.starts_at, recipient.zoneinfo)
        template = SUBJECTS.get(booking.status, "Session update")
        if recipient.pk == booking.slot.educator_id and booking.status == "approved":
            template = "New booking from {student}"  # booked straight to approved
        subject = template.format(
            student=booking.student.display_name,
            educator=booking.slot.educator.display_name,
            when=f"{when:%d %b %H:%M}",
        )
        messages.append((subject, _body(booking, recipient), recipient.email))

    def send() -> None:
        for subject, body, address in messages:
            try:
                send_mail(subject, body, settings.DEFAULT_FROM_EMAIL, [address])
            except Exception:
                logger.exception("Could not send %r to %s", subject, address)

    if messages:
        transaction.on_commit(send)
