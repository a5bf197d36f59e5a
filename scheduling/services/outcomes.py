"""After a session: did it take place? Its educator marks it attended or a no-show, once,
after it started; staff may correct the mark; its student may answer a no-show with "I was
there", once. Each change is a line of the booking's history (who, when).

The marks are conditional UPDATEs under the booking's lock: two concurrent marks of one
session end with exactly one, on both databases.
"""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone

from accounts.models import User

from .. import errors
from ..errors import BookingError
from ..models import OUTCOME_STATUSES, Booking, Outcome
from ..schedule_cache import schedule_changed
from .checks import _lock_booking, _record_event

OUTCOME_NOTES = {
    Outcome.ATTENDED: "Marked attended",
    Outcome.NO_SHOW: "Marked as a no-show",
}
DISPUTE_NOTE = "The student says they attended"


def booking_mark_outcome(*, booking: Booking, by: User, outcome: str) -> Booking:
    """The session's educator says whether it took place (once); staff may correct it.

    Marking a disputed no-show attended settles the dispute; the history keeps both."""
    if outcome not in Outcome.values:
        raise BookingError(errors.INVALID, errors.OUTCOME_INVALID, field="outcome")
    correcting = by.is_staff and booking.educator_id != by.pk  # staff correct others' marks
    if not correcting and booking.educator_id != by.pk:
        raise BookingError(errors.FORBIDDEN, errors.OUTCOME_NOT_EDUCATOR)
    with transaction.atomic():
        booking = _lock_booking(booking)
        if booking.status not in OUTCOME_STATUSES:
            raise BookingError(errors.CONFLICT, errors.OUTCOME_STATUS.format(status=booking.status))
        if not booking.slot.has_started:
            raise BookingError(errors.CONFLICT, errors.OUTCOME_BEFORE_START)
        if booking.outcome == outcome:
            raise BookingError(errors.CONFLICT, errors.OUTCOME_SAME.format(outcome=_label(outcome)))
        rows = Booking.objects.filter(pk=booking.pk)
        if not correcting:
            rows = rows.filter(outcome="")
        now = timezone.now()
        fields = {"outcome": outcome, "outcome_by": by, "outcome_at": now, "updated_at": now}
        if outcome == Outcome.ATTENDED:
            fields["disputed_at"] = None
        if not rows.update(**fields):
            raise BookingError(
                errors.CONFLICT, errors.OUTCOME_ALREADY.format(outcome=_label(booking.outcome))
            )
        for name, value in fields.items():
            setattr(booking, name, value)
        schedule_changed(booking.educator_id)  # an update, not a save: the insights count it
        _record_event(booking, actor=by, from_status=booking.status, note=OUTCOME_NOTES[outcome])
    return booking


def booking_dispute_no_show(*, booking: Booking, by: User) -> Booking:
    """The session's student answers a no-show mark with "I was there", once."""
    if booking.student_id != by.pk:
        raise BookingError(errors.FORBIDDEN, errors.DISPUTE_NOT_STUDENT)
    with transaction.atomic():
        booking = _lock_booking(booking)
        if booking.outcome != Outcome.NO_SHOW:
            raise BookingError(errors.CONFLICT, errors.DISPUTE_NOT_NO_SHOW)
        now = timezone.now()
        rows = Booking.objects.filter(
            pk=booking.pk, outcome=Outcome.NO_SHOW, disputed_at__isnull=True
        )
        if not rows.update(disputed_at=now, updated_at=now):
            raise BookingError(errors.CONFLICT, errors.DISPUTE_ALREADY)
        booking.disputed_at = booking.updated_at = now
        schedule_changed(booking.educator_id)  # an update: the educator's cards show it
        _record_event(booking, actor=by, from_status=booking.status, note=DISPUTE_NOTE)
    return booking


def _label(outcome: str) -> str:
    return Outcome(outcome).label.lower() if outcome else ""
