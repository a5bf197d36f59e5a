"""Writing notifications: one function per thing that happens, all through `notify`.

The booking services call `booking_changed` (through scheduling/notifications.py) inside
their transaction, so a notification exists exactly when the change it tells of commits.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable
from datetime import datetime

from django.core.signals import setting_changed
from django.db import transaction
from django.dispatch import receiver
from django.urls import get_script_prefix, reverse
from django.utils import timezone

from mentoring import formats

from .models import TEXT_MAX_LENGTH, CalendarFeed, Notification, NotificationKind


def _fit(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= TEXT_MAX_LENGTH else text[: TEXT_MAX_LENGTH - 1] + "…"


def notify(*, recipient, kind: str, text: str, url: str = "", booking=None) -> Notification:
    """Tell `recipient` about something; `url` is where the notification leads."""
    return Notification.objects.create(
        recipient=recipient, kind=kind, text=_fit(text), url=url, booking=booking
    )


def notify_many(notifications: Iterable[Notification]) -> list[Notification]:
    """Several unsaved notifications in one insert."""
    notifications = list(notifications)
    for notification in notifications:
        notification.text = _fit(notification.text)
    return Notification.objects.bulk_create(notifications)


def mark_read(*, user, ids: Iterable[int] | None = None, now: datetime | None = None) -> int:
    """Mark the user's unread notifications read (only those in `ids` when given); returns
    how many changed. Other users' ids are simply not theirs to mark: the caller checks."""
    unread = Notification.objects.for_user(user).unread()
    if ids is not None:
        unread = unread.filter(pk__in=list(ids))
    return unread.update(read_at=now or timezone.now())


def unread_count(user) -> int:
    return Notification.objects.for_user(user).unread().count()


# ---------------------------------------------------------------- bookings


def _when(value: datetime, user) -> str:
    """A time in the recipient's own zone, with the zone's abbreviation."""
    return formats.when(value, user.zoneinfo)


@functools.cache
def _page(name: str, prefix: str) -> str:
    """The path of a page, reversed once per script prefix (a reverse took ~40 µs, inside
    the booking's write lock)."""
    return reverse(name)


@receiver(setting_changed)
def _forget_pages(*, setting, **kwargs) -> None:
    if setting == "ROOT_URLCONF":
        _page.cache_clear()


def _booking_url(booking, recipient) -> str:
    prefix = get_script_prefix()
    if recipient.pk == booking.student_id:
        if booking.status == "completed":  # the feedback asked for is on the session's page
            return f"{reverse('scheduling:session-detail', args=[booking.pk])}#feedback"
        if booking.status == "cancelled" and booking.slot.withdrawn_at:  # times instead
            return reverse("scheduling:rebook", args=[booking.pk])
        return f"{_page('scheduling:my-requests', prefix)}#booking-{booking.pk}"
    page = _page("scheduling:educator-requests", prefix)
    return f"{page}?status={booking.status}#request-{booking.pk}"


def _booking_text(booking, *, recipient, actor, from_status: str) -> tuple[str, str]:
    """(kind, text) of one change as `recipient` reads it."""
    slot = booking.slot
    student, educator = booking.student.display_name, slot.educator.display_name
    who = actor.display_name if actor is not None else "Mentoring"
    session = f"the session on {_when(slot.starts_at, recipient)}"
    if slot.course_id:
        session += f" ({slot.course.title})"
    reason = f": {booking.decision_note}" if booking.decision_note else "."
    to_educator = recipient.pk == slot.educator_id
    status = booking.status
    if status == "pending":
        return NotificationKind.REQUESTED, f"{student} requested {session}."
    if status == "approved" and not from_status:
        if to_educator:
            return NotificationKind.BOOKED, f"{student} booked {session}."
        return NotificationKind.BOOKED, f"You are booked for {session} with {educator}."
    if status == "approved":
        return NotificationKind.APPROVED, f"{who} approved your request for {session}."
    if status == "rejected":
        if actor is None:
            return (
                NotificationKind.REJECTED,
                f"Your request for {session} was not answered in time.",
            )
        return NotificationKind.REJECTED, f"{who} declined your request for {session}{reason}"
    if status == "cancelled":
        if to_educator and actor is not None and actor.pk == booking.student_id:
            return NotificationKind.CANCELLED, f"{student} cancelled {session}{reason}"
        text = f"{who} cancelled {session}{reason}"
        if not to_educator and slot.withdrawn_at:
            text = f"{text.rstrip('.')}. See the nearest other times and book one in one click."
        return NotificationKind.CANCELLED, text
    done = f"{session[0].upper()}{session[1:]} is completed."
    if recipient.pk == booking.student_id and booking.outcome != "no_show":
        done += " How did it go? Rate it from 1 to 5 on the session's page."
    return NotificationKind.COMPLETED, done


def _booking_recipients(booking, actor, event: str = "") -> list:
    """The other party of a change; for a change time made (no actor), the student; a seat
    from the waitlist concerns both."""
    student, educator = booking.student, booking.slot.educator
    if event in ("waitlist_offer", "rescheduled"):  # both: each needs the new time
        return [student, educator]
    if actor is None:
        return [student]
    return [user for user in (student, educator) if user.pk != actor.pk]


def _event_text(booking, *, recipient, actor, event: str) -> tuple[str, str] | None:
    """(kind, text) of a reschedule or a waitlist offer, or None for a plain change."""
    if event not in ("rescheduled", "waitlist_offer"):
        return None
    slot = booking.slot
    session = f"{_when(slot.starts_at, recipient)}"
    if slot.course_id:
        session += f" ({slot.course.title})"
    if event == "rescheduled":
        moved = _when(booking.rescheduled_from, recipient) if booking.rescheduled_from else ""
        state = "pending your approval" if booking.status == "pending" else "confirmed"
        if recipient.pk == slot.educator_id:
            text = f"{booking.student.display_name} moved their session from {moved} to {session}"
            return NotificationKind.RESCHEDULED, f"{text} ({state})."
        who = "You" if actor is not None and actor.pk == recipient.pk else "Mentoring"
        text = f"{who} moved your session from {moved} to {session}"
        return NotificationKind.RESCHEDULED, f"{text} ({state})."
    if event == "waitlist_offer" and recipient.pk == booking.student_id:
        if booking.status == "approved":
            text = f"A seat opened: you are booked for {session} with {slot.educator.display_name}."
        else:
            text = f"A seat opened for {session}: your request was sent to the educator."
        return NotificationKind.WAITLIST_OFFER, text
    return None


def booking_changed(booking, *, actor, from_status: str, event: str = "") -> list[Notification]:
    """Notify the other party of a booking's new status (inside the change's transaction).

    `event` names a change that is more than a status: "rescheduled" (the booking moved to
    another slot) or "waitlist_offer" (the system booked a freed seat for a waiting student).
    """
    rows = []
    for recipient in _booking_recipients(booking, actor, event):
        kind, text = _event_text(
            booking, recipient=recipient, actor=actor, event=event
        ) or _booking_text(booking, recipient=recipient, actor=actor, from_status=from_status)
        rows.append(
            Notification(
                recipient=recipient,
                kind=kind,
                text=text,
                url=_booking_url(booking, recipient),
                booking=booking,
            )
        )
    return notify_many(rows)


# ---------------------------------------------------------------- calendar feeds


def calendar_feed(user) -> CalendarFeed:
    """The user's feed, created the first time they ask for it."""
    feed, _ = CalendarFeed.objects.get_or_create(user=user)
    return feed


def calendar_feed_regenerate(user) -> CalendarFeed:
    """A new secret: the old feed URL answers 404 from now on."""
    with transaction.atomic():
        feed = calendar_feed(user)
        feed.token = CalendarFeed._meta.get_field("token").default()
        feed.created_at = timezone.now()
        feed.save(update_fields=["token", "created_at"])
    return feed
