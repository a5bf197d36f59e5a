"""A held session's feedback: its student rates it 1–5 with an optional comment, once per
booking (a database constraint), and may change it for FEEDBACK_EDIT_DAYS; its educator
may reply privately. Only the two of them read the comment and the reply; a mentor's page
shows the average alone, and only from PUBLIC_RATINGS_MIN ratings on."""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone

from accounts.models import User

from .. import errors
from ..errors import BookingError
from ..models import (
    FEEDBACK_COMMENT_MAX_LENGTH,
    Booking,
    BookingStatus,
    Outcome,
    SessionFeedback,
)
from .checks import _lock_booking


def can_rate(booking: Booking) -> bool:
    """A completed session, or one its educator marked attended; never a no-show."""
    if booking.outcome == Outcome.NO_SHOW:
        return False
    return booking.status == BookingStatus.COMPLETED or booking.outcome == Outcome.ATTENDED


def _comment(text: str) -> str:
    text = (text or "").strip()
    if len(text) > FEEDBACK_COMMENT_MAX_LENGTH:
        raise BookingError(errors.INVALID, errors.FEEDBACK_TOO_LONG, field="comment")
    return text


def feedback_give(*, booking: Booking, by: User, rating, comment: str = "") -> SessionFeedback:
    """Rate the session, or change the rating within the edit window. Concurrent calls for
    one booking queue on its lock, so there is only ever one rating."""
    if booking.student_id != by.pk:
        raise BookingError(errors.FORBIDDEN, errors.FEEDBACK_NOT_STUDENT)
    if not isinstance(rating, int) or isinstance(rating, bool) or not 1 <= rating <= 5:
        raise BookingError(errors.INVALID, errors.FEEDBACK_RATING, field="rating")
    comment = _comment(comment)
    with transaction.atomic():
        booking = _lock_booking(booking)
        if not can_rate(booking):
            raise BookingError(errors.CONFLICT, errors.FEEDBACK_NOT_HELD)
        now = timezone.now()
        feedback = SessionFeedback.objects.filter(booking=booking).first()
        if feedback is None:
            return SessionFeedback.objects.create(
                booking=booking, rating=rating, comment=comment, created_at=now, updated_at=now
            )
        if now > feedback.editable_until:
            raise BookingError(errors.CONFLICT, errors.FEEDBACK_CLOSED)
        feedback.rating, feedback.comment, feedback.updated_at = rating, comment, now
        feedback.save(update_fields=["rating", "comment", "updated_at"])
        return feedback


def feedback_reply(*, feedback: SessionFeedback, by: User, text: str) -> SessionFeedback:
    """The session's educator answers the student, privately; a new reply replaces it."""
    if feedback.booking.educator_id != by.pk:
        raise BookingError(errors.FORBIDDEN, errors.FEEDBACK_NOT_EDUCATOR)
    text = _comment(text)
    if not text:
        raise BookingError(errors.INVALID, errors.FEEDBACK_REPLY_EMPTY, field="reply")
    feedback.reply, feedback.replied_at = text, timezone.now()
    feedback.save(update_fields=["reply", "replied_at"])
    return feedback
