"""The Session API: mentor sessions with a quota (a Slot with no course)."""

from __future__ import annotations

from django.http import HttpRequest
from django.shortcuts import get_object_or_404
from django.utils import timezone
from ninja import Router, Status

from accounts.models import User
from scheduling import services
from scheduling.models import Booking, Slot

from .core import (
    INVALID_INPUT,
    ApiError,
    envelope,
    optional_body,
    page_response,
    parse_datetime,
    require_role,
    session_auth,
    utc_plain,
)
from .schemas import (
    ERRORS,
    BookSessionIn,
    EmptyEnvelope,
    Page,
    SessionBookingEnvelope,
    SessionEnvelope,
    SessionIn,
    SessionListEnvelope,
    SessionUpdateIn,
)

router = Router(tags=["Session API"], auth=session_auth)

ADDED = "Successfully add new schedule"
UPDATED = "successfully update mentor session"
LISTED = "Successfully get all session data"
DELETED = "successfully delete mentor session"
BOOKED = "successfully book mentoring session"


# The columns `session_data` reads, for the list.
SESSION_DATA_FIELDS = ("id", "educator_id", "starts_at", "ends_at", "capacity", "seats_taken")


def session_data(slot: Slot) -> dict:
    return {
        "id": slot.pk,
        "mentor_id": slot.educator_id,
        "scheduledAt": utc_plain(slot.starts_at),
        "quota": slot.capacity,
        "remaining": slot.seats_left,
        "duration": slot.duration_minutes,
    }


def booking_data(booking: Booking) -> dict:
    slot = booking.slot
    return {
        "id": booking.pk,
        "status": booking.status,
        "scheduledAt": utc_plain(slot.starts_at),
        "mentor_name": slot.educator.display_name,
        "student_name": booking.student.display_name,
        "field": slot.educator.field,
        "bookedAt": utc_plain(booking.created_at),
    }


def _own_session(request: HttpRequest, session_id: int) -> Slot:
    """A course-less slot; another educator's is a 403 (the contract's "owner")."""
    slot = get_object_or_404(Slot.objects.select_related("educator"), pk=session_id)
    if slot.course_id is not None:
        raise ApiError(404, "No mentor session with this id.")
    if slot.educator_id != request.user.pk:
        from scheduling import errors

        raise ApiError(403, errors.NOT_SLOT_OWNER)
    return slot


@router.post(
    "/session/api/addSession",
    response={201: SessionEnvelope, **ERRORS},
    summary="Add a mentor session",
)
def add_session(request: HttpRequest, payload: SessionIn):
    require_role(request, "educator")
    slot = services.slot_create(
        educator=request.user,
        starts_at=parse_datetime(payload.scheduledAt, "scheduledAt"),
        duration=payload.duration,
        capacity=payload.quota,
    )
    return Status(201, envelope(ADDED, session_data(slot)))


@router.put(
    "/session/api/updateSession/{int:sessionId}",
    response={200: SessionEnvelope, **ERRORS},
    summary="Update a mentor session",
)
def update_session(request: HttpRequest, sessionId: int, payload: SessionUpdateIn | None = None):
    """Only the fields sent change; an empty body changes nothing, like `{}`."""
    slot = _own_session(request, sessionId)
    payload = optional_body(request, payload, SessionUpdateIn)
    changes: dict = {}
    if payload.scheduledAt is not None:
        changes["starts_at"] = parse_datetime(payload.scheduledAt, "scheduledAt")
    if payload.duration is not None:
        changes["duration"] = payload.duration
    if payload.quota is not None:
        changes["capacity"] = payload.quota
    slot = services.slot_update(slot=slot, by=request.user, **changes)
    return Status(200, envelope(UPDATED, session_data(slot)))


@router.get(
    "/session/getSession/{int:mentorId}",
    auth=None,  # public
    response={200: SessionListEnvelope, **ERRORS},
    summary="A mentor's upcoming sessions, soonest first",
)
def get_sessions(request: HttpRequest, mentorId: int, page: Page = 1):
    mentor = get_object_or_404(User.objects.only("id"), pk=mentorId, role=User.Role.EDUCATOR)
    sessions = (
        Slot.objects.for_educator(mentor)
        .filter(course__isnull=True, withdrawn_at__isnull=True, starts_at__gt=timezone.now())
        .order_by("starts_at", "id")
        .only(*SESSION_DATA_FIELDS)
    )
    return page_response(request, LISTED, sessions, session_data, page)


@router.delete(
    "/session/api/deleteSession/{int:sessionId}",
    response={200: EmptyEnvelope, **ERRORS},
    summary="Delete (withdraw) a mentor session; its bookings are cancelled",
)
def delete_session(request: HttpRequest, sessionId: int):
    slot = _own_session(request, sessionId)
    services.slot_withdraw(slot=slot, by=request.user)
    return Status(200, envelope(DELETED, {}))


@router.post(
    "/session/api/student/bookSession/{int:mentorId}",
    response={201: SessionBookingEnvelope, **ERRORS},
    summary="Book a seat in a mentor's session",
)
def book_session(request: HttpRequest, mentorId: int, payload: BookSessionIn):
    mentor = get_object_or_404(User, pk=mentorId, role=User.Role.EDUCATOR)
    require_role(request, "student")
    slot = Slot.objects.select_related("educator").filter(pk=payload.session_id).first()
    if slot is None:
        raise ApiError(400, INVALID_INPUT, {"session_id": ["No session with this id."]})
    if slot.educator_id != mentor.pk or slot.course_id is not None:
        raise ApiError(404, "This mentor has no session with this id.")
    booking = services.booking_request(student=request.user, slot=slot)
    return Status(201, envelope(BOOKED, booking_data(booking)))
