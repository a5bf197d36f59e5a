"""An outbox row becomes an email when it is sent: templates, the recipient's zone, links.

Built at send time so the .ics attachment, the reset token and the recipient's current
time zone are fresh; the subject carries user text only through `header_text`, so a name
like "Eve\\r\\nBcc: x" can neither add a header nor stop the mail.
"""

from __future__ import annotations

import unicodedata
from datetime import timedelta
from urllib.parse import urlsplit

from django.conf import settings
from django.contrib.auth.tokens import default_token_generator
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode
from django.utils.module_loading import import_string

from .models import Kind, Message

SUBJECTS = {
    Kind.REQUEST_CREATED: "New session request from {student} for {when}",
    Kind.BOOKED: "New booking from {student} for {when}",
    Kind.APPROVED: "Your session with {other} on {when} is confirmed",
    Kind.REJECTED: "Your session request with {other} for {when} was declined",
    Kind.CANCELLED: "{student} cancelled the session on {when}",
    Kind.WITHDRAWN: "{educator} cancelled the session on {when}",
    Kind.COMPLETED: "Session with {other} completed",
    Kind.REMINDER_24H: "Reminder: session with {other} on {when}",
    Kind.REMINDER_1H: "In 1 hour: session with {other} at {time}",
    Kind.PASSWORD_RESET: "Reset your Mentoring password",
    Kind.RESCHEDULED: "{student} moved their session to {when}",
    Kind.WAITLIST_OFFER: "A seat opened for you: {other} on {when}",
}
TEMPLATES = {Kind.REMINDER_24H: "reminder", Kind.REMINDER_1H: "reminder"}
REMINDER_LEADS = {Kind.REMINDER_24H: timedelta(hours=24), Kind.REMINDER_1H: timedelta(hours=1)}
# Characters that end or bend a header line: controls (CR, LF, NUL…), invisible format
# characters and Unicode line/paragraph separators.
_UNSAFE_CATEGORIES = {"Cc", "Cf", "Zl", "Zp"}


def header_text(value: str, *, limit: int = 80) -> str:
    """User text fit for a one-line header: unsafe characters become spaces, runs of
    whitespace one space, and the result at most `limit` characters."""
    text = "".join(
        " " if unicodedata.category(char) in _UNSAFE_CATEGORIES else char for char in str(value)
    )
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def absolute(path: str) -> str:
    return settings.SITE_URL + path


def _when(moment, zone) -> str:
    local = timezone.localtime(moment, zone)
    return f"{local:%a %d %b %Y, %H:%M} {local.tzname()}"


def is_still_relevant(message: Message, *, now=None) -> bool:
    """A reminder goes only to an approved session, and never after the next reminder's
    moment or the start: nothing is sent late. Every other message always goes."""
    if message.kind not in REMINDER_LEADS:
        return True
    booking, now = message.booking, now or timezone.now()
    later = [lead for lead in REMINDER_LEADS.values() if lead < REMINDER_LEADS[message.kind]]
    deadline = booking.slot.starts_at - max(later, default=timedelta(0))
    return booking.status == booking.Status.APPROVED and now < deadline


def _booking_context(message: Message) -> dict:
    booking, recipient = message.booking, message.recipient
    slot, zone = booking.slot, recipient.zoneinfo
    for_student = recipient.pk == booking.student_id
    starts, ends = timezone.localtime(slot.starts_at, zone), timezone.localtime(slot.ends_at, zone)
    page = "scheduling:my-requests" if for_student else "scheduling:educator-requests"
    return {
        "kind": message.kind,
        "recipient": recipient,
        "for_student": for_student,
        "booking": booking,
        "slot": slot,
        "student": booking.student,
        "educator": slot.educator,
        "other": slot.educator if for_student else booking.student,
        "starts": starts,
        "ends": ends,
        "when": _when(slot.starts_at, zone),
        "moved_from": _when(booking.rescheduled_from, zone) if booking.rescheduled_from else "",
        "time": f"{starts:%H:%M} {starts.tzname()}",
        "timezone_name": recipient.timezone,
        "link": absolute(reverse(page)),
        "session_link": absolute(reverse("scheduling:session-detail", args=[booking.pk])),
        "rebook_link": absolute(reverse("scheduling:rebook", args=[booking.pk])),
        "hours_before": int(REMINDER_LEADS.get(message.kind, timedelta(0)).total_seconds() // 3600),
    }


def _reset_context(message: Message) -> dict:
    user = message.recipient
    path = reverse(
        "password_reset_confirm",
        kwargs={
            "uidb64": urlsafe_base64_encode(force_bytes(user.pk)),
            "token": default_token_generator.make_token(user),
        },
    )
    return {"kind": message.kind, "recipient": user, "link": absolute(path)}


def _subject(message: Message, context: dict) -> str:
    names = {
        key: header_text(getattr(context.get(key), "display_name", ""))
        for key in ("student", "educator", "other")
    }
    fields = {"when": context.get("when", ""), "time": context.get("time", ""), **names}
    return header_text(SUBJECTS[message.kind].format(**fields), limit=200)


def _attach_calendar(email: EmailMultiAlternatives, message: Message) -> None:
    """The approval's invite or the cancellation's CANCEL, made by the calendar builder
    (setting OUTBOX_ICS_BUILDER: a callable `(booking, *, method) -> bytes`)."""
    builder = getattr(settings, "OUTBOX_ICS_BUILDER", "")
    if not (message.ics_method and builder):
        return
    content = import_string(builder)(message.booking, method=message.ics_method)
    if isinstance(content, bytes):
        content = content.decode()
    name = "cancel.ics" if message.ics_method == "CANCEL" else "invite.ics"
    email.attach(name, content, f"text/calendar; method={message.ics_method}")


def build(message: Message) -> EmailMultiAlternatives:
    """The email for `message`, to the recipient's current address."""
    if message.kind == Kind.PASSWORD_RESET:
        context = _reset_context(message)
    else:
        context = _booking_context(message)
    template = f"outbox/email/{TEMPLATES.get(message.kind, message.kind)}"
    with timezone.override(message.recipient.zoneinfo):  # template filters use the active zone
        text = render_to_string(f"{template}.txt", context)
        html = render_to_string(f"{template}.html", context)
    email = EmailMultiAlternatives(
        subject=_subject(message, context),
        body=text,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[message.recipient.email],
        # The same id on every attempt, so a mail system that saw it once can drop a copy.
        headers={"Message-ID": f"<outbox.{message.pk}@{urlsplit(settings.SITE_URL).hostname}>"},
    )
    email.attach_alternative(html, "text/html")
    _attach_calendar(email, message)
    return email
