"""After a session, in JSON: its educator marks it attended or a no-show, its student
disputes a no-show; the two parties' notes, action items and feedback. The rules and
messages are the services' (outcomes.py, notes.py, feedback.py)."""

from __future__ import annotations

from django.http import HttpRequest
from ninja import Router, Status

from scheduling import errors, follow_up, insights, services
from scheduling.errors import BookingError
from scheduling.models import ActionItem, Booking, SessionFeedback, SessionNote

from .availability_api import _booking, request_data
from .core import envelope, require_role, session_auth, utc_iso
from .schemas import (
    ERRORS,
    FeedbackEnvelope,
    FeedbackIn,
    InsightsEnvelope,
    ItemDoneIn,
    ItemEnvelope,
    ItemIn,
    NoteEnvelope,
    NoteIn,
    OutcomeEnvelope,
    OutcomeIn,
    ReplyIn,
    SessionDetailEnvelope,
)

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


# ---------------------------------------------------------------- a session's own page


def _party_booking(request: HttpRequest, request_id: int) -> Booking:
    """The booking for its student or educator; anyone else: "No such session." (404)."""
    booking = follow_up.session_booking(request_id)
    if booking is None:
        raise BookingError(errors.NOT_FOUND, errors.SESSION_NOT_FOUND)
    services.require_party(booking, request.user)
    return booking


def note_data(note: SessionNote) -> dict:
    return {
        "id": note.pk,
        "authorId": note.author_id,
        "authorName": note.author.display_name,
        "text": note.text,
        "createdAt": utc_iso(note.created_at),
        "editedAt": utc_iso(note.edited_at),
    }


def item_data(item: ActionItem) -> dict:
    return {
        "id": item.pk,
        "text": item.text,
        "ownerId": item.owner_id,
        "ownerName": item.owner.display_name,
        "done": item.is_done,
        "doneAt": utc_iso(item.done_at),
        "createdAt": utc_iso(item.created_at),
    }


def feedback_data(feedback: SessionFeedback | None) -> dict | None:
    if feedback is None:
        return None
    return {
        "rating": feedback.rating,
        "comment": feedback.comment,
        "reply": feedback.reply,
        "createdAt": utc_iso(feedback.created_at),
        "updatedAt": utc_iso(feedback.updated_at),
        "repliedAt": utc_iso(feedback.replied_at),
    }


@router.get(
    "/api/sessions/{int:requestId}",
    response={200: SessionDetailEnvelope, **ERRORS},
    summary="A session's request, notes, action items and feedback (its two parties only)",
)
def session_detail(request: HttpRequest, requestId: int):
    booking = _party_booking(request, requestId)
    data = {
        "request": outcome_data(booking),
        "notes": [note_data(note) for note in follow_up.session_notes(booking)],
        "actionItems": [item_data(item) for item in follow_up.session_items(booking)],
        "feedback": feedback_data(getattr(booking, "feedback", None)),
    }
    return Status(200, envelope("Session", data))


@router.post(
    "/api/sessions/{int:requestId}/notes",
    response={201: NoteEnvelope, **ERRORS},
    summary="Add a note (plain text, up to 5000 characters)",
)
def add_note(request: HttpRequest, requestId: int, payload: NoteIn):
    note = services.note_add(
        booking=_party_booking(request, requestId), by=request.user, text=payload.text
    )
    return Status(201, envelope("Note added", note_data(note)))


@router.put(
    "/api/sessions/{int:requestId}/notes/{int:noteId}",
    response={200: NoteEnvelope, **ERRORS},
    summary="Edit one's own note (its earlier text is kept)",
)
def edit_note(request: HttpRequest, requestId: int, noteId: int, payload: NoteIn):
    note = services.note_of(_party_booking(request, requestId), noteId)
    note = services.note_edit(note=note, by=request.user, text=payload.text)
    return Status(200, envelope("Note saved", note_data(note)))


@router.post(
    "/api/sessions/{int:requestId}/items",
    response={201: ItemEnvelope, **ERRORS},
    summary="Add an action item for the student or the educator",
)
def add_item(request: HttpRequest, requestId: int, payload: ItemIn):
    booking = _party_booking(request, requestId)
    owner = services.party(booking, payload.owner)
    item = services.action_item_add(
        booking=booking, by=request.user, text=payload.text, owner=owner
    )
    return Status(201, envelope("Action item added", item_data(item)))


@router.put(
    "/api/sessions/{int:requestId}/items/{int:itemId}",
    response={200: ItemEnvelope, **ERRORS},
    summary="Tick an action item done, or open it again",
)
def set_item_done(request: HttpRequest, requestId: int, itemId: int, payload: ItemDoneIn):
    item = services.item_of(_party_booking(request, requestId), itemId)
    item = services.action_item_set_done(item=item, by=request.user, done=payload.done)
    return Status(200, envelope("Action item saved", item_data(item)))


@router.put(
    "/api/sessions/{int:requestId}/feedback",
    response={200: FeedbackEnvelope, **ERRORS},
    summary="Rate a held session 1-5 with an optional comment (its student; changeable 14 days)",
)
def give_feedback(request: HttpRequest, requestId: int, payload: FeedbackIn):
    feedback = services.feedback_give(
        booking=_party_booking(request, requestId),
        by=request.user,
        rating=payload.rating,
        comment=payload.comment or "",
    )
    return Status(200, envelope("Feedback saved", feedback_data(feedback)))


@router.put(
    "/api/sessions/{int:requestId}/feedback/reply",
    response={200: FeedbackEnvelope, **ERRORS},
    summary="Reply privately to a session's feedback (its educator)",
)
def reply_feedback(request: HttpRequest, requestId: int, payload: ReplyIn):
    feedback = getattr(_party_booking(request, requestId), "feedback", None)
    if feedback is None:
        raise BookingError(errors.NOT_FOUND, errors.FEEDBACK_NONE)
    feedback = services.feedback_reply(feedback=feedback, by=request.user, text=payload.reply)
    return Status(200, envelope("Reply saved", feedback_data(feedback)))


# ---------------------------------------------------------------- insights


@router.get(
    "/api/educator/insights",
    response={200: InsightsEnvelope, **ERRORS},
    summary="The educator's insights: summary figures and each chart's rows",
)
def educator_insights(request: HttpRequest):
    require_role(request, "educator")
    data = insights.remembered_insights(request.user)
    body = {
        "held": data.held,
        "attended": data.attended,
        "noShows": data.no_shows,
        "unmarked": data.unmarked,
        "noShowRate": data.no_show_rate,
        "ratingAverage": data.rating_avg,
        "ratingCount": data.rating_count,
        "medianAnswerHours": data.answer_hours,
        "figures": [
            {
                "key": figure.key,
                "title": figure.title,
                "unit": figure.unit,
                "rows": [{"label": label, "value": value} for label, value in figure.rows],
            }
            for figure in data.figures
        ],
    }
    return Status(200, envelope("Insights", body))
