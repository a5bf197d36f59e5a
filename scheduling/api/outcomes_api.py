"""After a session, in JSON: its educator marks it attended or a no-show; its student
disputes a no-show. The rules and messages are services/outcomes.py's."""

from __future__ import annotations

from django.http import HttpRequest
from ninja import Router, Status

from scheduling import services
from scheduling.models import Booking

from .availability_api import _booking, request_data
from .core import envelope, session_auth, utc_iso
from .schemas import ERRORS, OutcomeEnvelope, OutcomeIn

router = Router(tags=["Session outcomes"], auth=session_auth)


def outcome_data(booking: Booking) -> dict:
    return {
        **request_data(booking),
        "outcome": booking.outcome or None,
        "outcomeMarkedAt": utc_iso(booking.outcome_at) if booking.outcome_at else None,
        "disputedAt": utc_iso(booking.disputed_at) if booking.disputed_at else None,
    }


@router.put(
    "/api/session/outcome/{int:requestId}",
    response={200: OutcomeEnvelope, **ERRORS},
    summary="Mark a session that started attended or a no-show (its educator, once; staff correct)",
)
def mark_outcome(request: HttpRequest, requestId: int, payload: OutcomeIn | None = None):
    booking = services.booking_mark_outcome(
        booking=_booking(requestId),
        by=request.user,
        outcome=(payload.outcome if payload else None) or "",
    )
    return Status(200, envelope("Session outcome recorded", outcome_data(_booking(booking.pk))))


@router.put(
    "/api/session/dispute/{int:requestId}",
    response={200: OutcomeEnvelope, **ERRORS},
    summary="Answer a no-show mark with 'I was there' (the session's student, once)",
)
def dispute_no_show(request: HttpRequest, requestId: int):
    booking = services.booking_dispute_no_show(booking=_booking(requestId), by=request.user)
    return Status(200, envelope("No-show disputed", outcome_data(_booking(booking.pk))))
