"""Reads for what follows a session: its own page (history, notes, action items), the
open items on the dashboards, educators' ratings, and a withdrawn session's other times.
selectors.py holds the reads of booking and planning; these build on its querysets."""

from __future__ import annotations

from django.db.models import Avg, Count, Exists, OuterRef, QuerySet, Subquery
from django.db.models.functions import Coalesce

from accounts.models import User

from .models import (
    ACTIVE_STATUSES,
    ActionItem,
    Booking,
    BookingEvent,
    BookingStatus,
    SessionFeedback,
    SessionNote,
    Slot,
)
from .selectors import bookable, offered_slots, policy_of

# ---------------------------------------------------------------- a session's own page


def session_booking(booking_id: int) -> Booking | None:
    """The booking of a session page with what its head shows (slot, educator, course,
    student) and its feedback; None when there is none."""
    return Booking.objects.with_related().select_related("feedback").filter(pk=booking_id).first()


def session_history(booking: Booking) -> QuerySet[BookingEvent]:
    return BookingEvent.objects.filter(booking=booking).select_related("actor")


def session_notes(booking: Booking) -> QuerySet[SessionNote]:
    """The notes in order, each with its author and how many earlier texts it kept."""
    return (
        SessionNote.objects.filter(booking=booking)
        .select_related("author")
        .annotate(revision_count=Count("revisions"))
    )


def session_items(booking: Booking) -> QuerySet[ActionItem]:
    return ActionItem.objects.filter(booking=booking).select_related("owner")


# What a dashboard's list of open items shows (includes/_open_items.html).
_OPEN_ITEM_FIELDS = ("text", "booking__slot__starts_at", "booking__slot__course__title")


def open_action_items(*, owner: User, limit: int = 10) -> list[ActionItem]:
    """The user's open action items, oldest first, with their session (for a dashboard)."""
    return list(
        ActionItem.objects.filter(owner=owner, done_at__isnull=True)
        .select_related("booking__slot__course")
        .only(*_OPEN_ITEM_FIELDS)  # a narrow select: ordering hashes every selected column
        .order_by("created_at", "id")[:limit]
    )


def with_ratings(educators: QuerySet[User]) -> QuerySet[User]:
    """Each educator with `rating_count` and `rating_avg` of their sessions' feedback: two
    subqueries in the educator's own query (a mentor's page shows them from
    PUBLIC_RATINGS_MIN ratings on)."""
    ratings = SessionFeedback.objects.filter(booking__educator=OuterRef("pk")).order_by()
    per_educator = ratings.values("booking__educator")
    return educators.annotate(
        rating_count=Coalesce(Subquery(per_educator.annotate(n=Count("pk")).values("n")[:1]), 0),
        rating_avg=Subquery(per_educator.annotate(a=Avg("rating")).values("a")[:1]),
    )


# ---------------------------------------------------------------- rebooking a withdrawn session

REBOOKING_OFFERS = 3


def was_withdrawn(booking: Booking) -> bool:
    """Cancelled because its educator withdrew the slot: the student may rebook."""
    return booking.status == BookingStatus.CANCELLED and booking.slot.withdrawn_at is not None


def rebooking_offers(booking: Booking, limit: int = REBOOKING_OFFERS) -> list[Slot]:
    """The soonest open times of the same educator and course that the educator's policy
    and the student's other active bookings allow: what a withdrawn session's student is
    offered instead, each bookable in one click. One query (two with a daily maximum)."""
    slot, student = booking.slot, booking.student
    educator = slot.educator
    offered = offered_slots(educator=educator, policy=policy_of(educator)).filter(
        course_id=slot.course_id
    )
    clash = Booking.objects.filter(
        student=student,
        status__in=ACTIVE_STATUSES,
        slot__starts_at__lt=OuterRef("ends_at"),
        slot__ends_at__gt=OuterRef("starts_at"),
    )
    return list(bookable(offered).exclude(Exists(clash)).exclude(pk=slot.pk)[:limit])
