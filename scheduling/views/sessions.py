"""A booking's own page, `/sessions/<id>/`, for its student and its educator only: the
time, status and link, its history as a timeline, the notes both write and the action
items either may tick. Everyone else gets a 404 (staff use the admin)."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone

from .. import errors, follow_up, services
from ..errors import BookingError
from ..forms import ActionItemForm, FeedbackForm, ItemDoneForm, ReplyForm, SessionNoteForm


def _party_booking(request: HttpRequest, booking_id: int):
    booking = follow_up.session_booking(booking_id)
    if booking is None or request.user.pk not in (booking.student_id, booking.educator_id):
        raise Http404("No such session.")
    return booking


def _note(request, booking, data) -> str:
    if data["note"]:
        note = services.note_of(booking, data["note"])
        services.note_edit(note=note, by=request.user, text=data["text"])
        return "Note saved; its earlier text is kept."
    services.note_add(booking=booking, by=request.user, text=data["text"])
    return "Note added."


def _item(request, booking, data) -> str:
    owner = services.party(booking, data["owner"])
    services.action_item_add(booking=booking, by=request.user, text=data["text"], owner=owner)
    return "Action item added."


def _item_done(request, booking, data) -> str:
    item = services.item_of(booking, data["item"])
    item = services.action_item_set_done(item=item, by=request.user, done=data["done"])
    return f"“{item.text}” is done." if item.is_done else f"“{item.text}” is open again."


def _feedback(request, booking, data) -> str:
    services.feedback_give(
        booking=booking, by=request.user, rating=data["rating"], comment=data["comment"]
    )
    return "Thank you: your feedback is saved."


def _reply(request, booking, data) -> str:
    feedback = getattr(booking, "feedback", None)
    if feedback is None:
        raise BookingError(errors.NOT_FOUND, errors.FEEDBACK_NONE)
    services.feedback_reply(feedback=feedback, by=request.user, text=data["reply"])
    return "Reply sent."


WRITES = {
    "note": (SessionNoteForm, _note),
    "item": (ActionItemForm, _item),
    "item-done": (ItemDoneForm, _item_done),
    "feedback": (FeedbackForm, _feedback),
    "reply": (ReplyForm, _reply),
}


def _here(booking) -> str:
    return reverse("scheduling:session-detail", args=[booking.pk])


@login_required
def session_detail(request: HttpRequest, booking_id: int) -> HttpResponse:
    """GET shows the session; POST writes a note (or an edit), an item or a tick through
    the services and comes back, or shows the page again with the form's error."""
    booking = _party_booking(request, booking_id)
    feedback = getattr(booking, "feedback", None)
    forms = {
        "note": SessionNoteForm(),
        "item": ActionItemForm(),
        "feedback": FeedbackForm(
            initial={"rating": feedback.rating, "comment": feedback.comment} if feedback else None
        ),
        "reply": ReplyForm(initial={"reply": feedback.reply} if feedback else None),
    }
    if request.method == "POST":
        action = request.POST.get("action", "")
        form_class, write = WRITES.get(action, WRITES["item-done"])
        form = form_class(request.POST)
        if form.is_valid():
            try:
                done = write(request, booking, form.cleaned_data)
            except BookingError as refusal:
                form.add_service_error(refusal)
            else:
                messages.success(request, done)
                return redirect(f"{_here(booking)}#notes")
        if action not in forms:  # a tick: nothing typed to show again
            messages.error(request, " ".join(form.non_field_errors()) or errors.ITEM_NOT_FOUND)
            return redirect(f"{_here(booking)}#items")
        forms[action] = form
    return render(
        request,
        "scheduling/sessions/detail.html",
        {
            "booking": booking,
            "is_student": request.user.pk == booking.student_id,
            "history": follow_up.session_history(booking),
            "notes": follow_up.session_notes(booking),
            "items": follow_up.session_items(booking),
            "note_form": forms["note"],
            "item_form": forms["item"],
            "feedback": feedback,
            "feedback_form": forms["feedback"],
            "reply_form": forms["reply"],
            "can_rate": services.can_rate(booking)
            and (feedback is None or timezone.now() <= feedback.editable_until),
        },
    )
