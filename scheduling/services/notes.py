"""What a booking's student and educator keep together: notes (edited, never deleted; each
earlier text kept) and action items with an owner (one of the two) and a done box.

Only the two parties may read or write them; everyone else is told there is no such
session (404), as the pages and the API answer for another user's booking.
"""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone

from accounts.models import User

from .. import errors
from ..errors import BookingError
from ..models import (
    ITEM_MAX_LENGTH,
    NOTE_MAX_LENGTH,
    ActionItem,
    Booking,
    SessionNote,
    SessionNoteRevision,
)
from ..schedule_cache import student_changed


def require_party(booking: Booking, user: User) -> None:
    """The booking's student or educator, else "no such session" (404)."""
    if user.pk not in (booking.student_id, booking.educator_id):
        raise BookingError(errors.NOT_FOUND, errors.SESSION_NOT_FOUND)


def party(booking: Booking, role: str) -> User | None:
    """The booking's "student" or "educator" (an action item's owner), else None."""
    return {"student": booking.student, "educator": booking.slot.educator}.get(role)


def note_of(booking: Booking, note_id) -> SessionNote:
    """One of the booking's notes, else "That note is not part of this session." (404)."""
    note = SessionNote.objects.select_related("booking").filter(booking=booking, pk=note_id)
    if (found := note.first()) is None:
        raise BookingError(errors.NOT_FOUND, errors.NOTE_NOT_FOUND)
    return found


def item_of(booking: Booking, item_id) -> ActionItem:
    """One of the booking's action items, else a 404 refusal."""
    item = ActionItem.objects.select_related("booking").filter(booking=booking, pk=item_id)
    if (found := item.first()) is None:
        raise BookingError(errors.NOT_FOUND, errors.ITEM_NOT_FOUND)
    return found


def _clean(text: str, *, limit: int, field: str, empty: str, too_long: str) -> str:
    text = (text or "").strip()
    if not text:
        raise BookingError(errors.INVALID, empty, field=field)
    if len(text) > limit:
        raise BookingError(errors.INVALID, too_long, field=field)
    return text


def _note_text(text: str) -> str:
    return _clean(
        text, limit=NOTE_MAX_LENGTH, field="text", empty=errors.NOTE_EMPTY,
        too_long=errors.NOTE_TOO_LONG,
    )  # fmt: skip


def note_add(*, booking: Booking, by: User, text: str) -> SessionNote:
    require_party(booking, by)
    return SessionNote.objects.create(booking=booking, author=by, text=_note_text(text))


def note_edit(*, note: SessionNote, by: User, text: str) -> SessionNote:
    """Only its author edits a note; the text it had is kept as a revision."""
    require_party(note.booking, by)
    if note.author_id != by.pk:
        raise BookingError(errors.FORBIDDEN, errors.NOTE_NOT_AUTHOR)
    text = _note_text(text)
    with transaction.atomic():
        note = SessionNote.objects.select_for_update().get(pk=note.pk)
        if text == note.text:
            return note
        SessionNoteRevision.objects.create(note=note, text=note.text)
        note.text, note.edited_at = text, timezone.now()
        note.save(update_fields=["text", "edited_at"])
    return note


def action_item_add(*, booking: Booking, by: User, text: str, owner: User) -> ActionItem:
    """An item for the student or the educator of the booking to do."""
    require_party(booking, by)
    if owner is None or owner.pk not in (booking.student_id, booking.educator_id):
        raise BookingError(errors.INVALID, errors.ITEM_OWNER, field="owner")
    text = _clean(
        text, limit=ITEM_MAX_LENGTH, field="text", empty=errors.ITEM_EMPTY,
        too_long=errors.ITEM_TOO_LONG,
    )  # fmt: skip
    return ActionItem.objects.create(booking=booking, text=text, owner=owner, created_by=by)


def action_item_set_done(*, item: ActionItem, by: User, done: bool) -> ActionItem:
    """Either party ticks an item done, or open again; an unchanged box changes nothing."""
    require_party(item.booking, by)
    now = timezone.now()
    if done:
        ActionItem.objects.filter(pk=item.pk, done_at__isnull=True).update(done_at=now)
    else:
        ActionItem.objects.filter(pk=item.pk).update(done_at=None)
    student_changed(item.owner_id)  # an update: the owner's My Requests lists open items
    item.refresh_from_db(fields=["done_at"])
    return item
