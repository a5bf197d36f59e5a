"""Calendar files (RFC 5545) for approved sessions, built with the `icalendar` library.

Every booking is one calendar event whose UID never changes (`booking-<id>@<site host>`),
so a later file about the same booking updates or removes the event a calendar already
holds. SEQUENCE is the number of changes in the booking's history so far: it only grows,
so each new file wins over the one before it.
"""

from __future__ import annotations

from datetime import UTC, timedelta
from urllib.parse import urlsplit

from django.conf import settings
from django.db.models import Count, Q, QuerySet
from django.urls import reverse
from django.utils import timezone
from icalendar import Calendar, Event, vCalAddress, vText

from .models import Booking, BookingStatus

PRODID = "-//Mentoring//Sessions//EN"
METHODS = ("REQUEST", "CANCEL", "PUBLISH")
# A cancelled session stays in a subscribed calendar (marked cancelled) this long, so the
# subscriber sees it go instead of it silently vanishing.
CANCELLED_KEPT = timedelta(days=30)
# Past sessions stay in the feed this long; older ones leave it (and the calendar).
PAST_KEPT = timedelta(days=365)
DEFAULT_SITE_URL = "http://localhost:8000"


def site_url() -> str:
    """The site's absolute base URL (the SITE_URL setting), without a trailing slash."""
    return (getattr(settings, "SITE_URL", "") or DEFAULT_SITE_URL).rstrip("/")


def booking_uid(booking: Booking) -> str:
    host = urlsplit(site_url()).hostname or "mentoring.local"
    return f"booking-{booking.pk}@{host}"


def _sequence(booking: Booking) -> int:
    """Changes so far: `history_count` when a query annotated it, else counted here."""
    count = getattr(booking, "history_count", None)
    if count is None:
        count = booking.history.count()
    return max(count - 1, 0)


def _address(user, *, role: str) -> vCalAddress | None:
    if not user.email:
        return None
    address = vCalAddress(f"mailto:{user.email}")
    address.params["CN"] = vText(user.display_name)
    address.params["ROLE"] = vText(role)
    if role != "CHAIR":
        # The student asked for the session: nothing to answer, so no RSVP prompt.
        address.params["PARTSTAT"] = vText("ACCEPTED")
        address.params["RSVP"] = vText("FALSE")
    return address


def _event(booking: Booking, *, cancelled: bool) -> Event:
    slot = booking.slot
    title = slot.course.title if slot.course_id else "Mentoring session"
    student, educator = booking.student, slot.educator
    event = Event()
    event.add("uid", booking_uid(booking))
    event.add("sequence", _sequence(booking))
    event.add("dtstamp", (booking.updated_at or timezone.now()).astimezone(UTC))
    event.add("last-modified", (booking.updated_at or timezone.now()).astimezone(UTC))
    event.add("dtstart", slot.starts_at.astimezone(UTC))
    event.add("dtend", slot.ends_at.astimezone(UTC))
    event.add("summary", f"{title}: {student.display_name} with {educator.display_name}")
    lines = [f"Mentoring session with {educator.display_name} and {student.display_name}."]
    if slot.course_id:
        lines.append(f"Course: {slot.course.title}")
    link = booking.visible_meeting_link
    if link:
        lines.append(f"Join: {link}")
        event.add("location", link)
        event.add("url", link)
    if cancelled and booking.decision_note:
        lines.append(f"Cancelled: {booking.decision_note}")
    # The home page sends each party to their own requests page.
    lines.append(f"Details: {site_url()}{reverse('scheduling:home')}")
    event.add("description", "\n".join(lines))
    organizer = _address(educator, role="CHAIR")
    if organizer is not None:
        event.add("organizer", organizer)
    attendee = _address(student, role="REQ-PARTICIPANT")
    if attendee is not None:
        event.add("attendee", attendee)
    event.add("status", "CANCELLED" if cancelled else "CONFIRMED")
    event.add("transp", "TRANSPARENT" if cancelled else "OPAQUE")
    return event


def _calendar(method: str, name: str = "") -> Calendar:
    calendar = Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("method", method)
    if name:
        calendar.add("x-wr-calname", name)
    return calendar


def booking_ics(booking: Booking, *, method: str = "REQUEST") -> bytes:
    """One booking as a calendar file: METHOD:REQUEST (or PUBLISH, for a download) adds or
    updates the event; METHOD:CANCEL with STATUS:CANCELLED removes it."""
    if method not in METHODS:
        raise ValueError(f"method must be one of {', '.join(METHODS)}")
    cancelled = method == "CANCEL" or booking.status == BookingStatus.CANCELLED
    calendar = _calendar(method)
    calendar.add_component(_event(booking, cancelled=cancelled))
    return calendar.to_ical()


def feed_bookings(user, *, now=None) -> QuerySet[Booking]:
    """What a user's calendar feed lists: their approved and held sessions (a student's
    own; an educator's on their slots) from the last year on, and those cancelled after
    approval in the last 30 days, with their history count for SEQUENCE."""
    now = now or timezone.now()
    mine = Q(educator=user) if user.is_educator else Q(student=user)
    held = Q(status__in=(BookingStatus.APPROVED, BookingStatus.COMPLETED))
    # decided_at is set by an approval; a cancelled booking that has it had been approved.
    gone = Q(
        status=BookingStatus.CANCELLED,
        decided_at__isnull=False,
        cancelled_at__gte=now - CANCELLED_KEPT,
    )
    return (
        Booking.objects.filter(mine, held | gone, slot__ends_at__gte=now - PAST_KEPT)
        .with_related()
        .annotate(history_count=Count("history"))
        .order_by("slot__starts_at", "pk")
    )


def feed_ics(user, *, now=None) -> bytes:
    """A user's private calendar feed, for subscribing from Google, Apple or Outlook."""
    calendar = _calendar("PUBLISH", name="Mentoring")
    calendar.add("x-wr-caldesc", f"Mentoring sessions of {user.display_name}")
    calendar.add("x-published-ttl", timedelta(hours=1))
    calendar.add("refresh-interval", timedelta(hours=1), parameters={"VALUE": "DURATION"})
    for booking in feed_bookings(user, now=now):
        calendar.add_component(_event(booking, cancelled=booking.status == BookingStatus.CANCELLED))
    return calendar.to_ical()
