"""Read queries for pages and the API, with their joins spelled out once."""

from __future__ import annotations

from django.db.models import Exists, OuterRef, QuerySet

from accounts.models import User

from .models import Booking, Course, Slot


def open_slots(
    *, course: Course | None = None, educator: User | None = None, student: User | None = None
) -> QuerySet[Slot]:
    """Bookable slots (not withdrawn, in the future, a seat left), soonest first.

    Given a `student`, each slot carries `requested`: they already hold an active request
    for it, so a booking page shows it as theirs instead of offering a choice the rules
    would refuse.
    """
    slots = Slot.objects.open().with_seats_left().select_related("educator", "course")
    if course is not None:
        slots = slots.for_course(course)
    if educator is not None:
        slots = slots.for_educator(educator)
    if student is not None:
        mine = Booking.objects.active().filter(slot=OuterRef("pk"), student=student)
        slots = slots.annotate(requested=Exists(mine))
    return slots.order_by("starts_at", "id")


def educator_slots(*, educator: User, upcoming: bool | None = None) -> QuerySet[Slot]:
    slots = Slot.objects.for_educator(educator).select_related("educator", "course")
    if upcoming is True:
        return slots.upcoming().order_by("starts_at", "id")
    if upcoming is False:
        return slots.past().order_by("-starts_at", "-id")
    return slots.order_by("starts_at", "id")


def student_bookings(*, student: User, status: str | None = None) -> QuerySet[Booking]:
    """A student's requests, newest first."""
    return (
        Booking.objects.for_student(student)
        .with_status(status)
        .with_related()
        .order_by("-created_at", "-id")
    )


def educator_bookings(*, educator: User, status: str | None = None) -> QuerySet[Booking]:
    """Requests on an educator's slots, soonest session first."""
    return (
        Booking.objects.for_educator(educator)
        .with_status(status)
        .with_related()
        .order_by("slot__starts_at", "created_at", "id")
    )


def published_courses() -> QuerySet[Course]:
    return Course.objects.filter(is_published=True).select_related("educator")
