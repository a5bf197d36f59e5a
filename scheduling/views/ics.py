"""A booking's calendar file, for its student and the slot's educator only."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.db.models import Count, Q
from django.http import Http404, HttpRequest, HttpResponse
from django.views.decorators.http import require_safe

from .. import calendars
from ..models import Booking, BookingStatus

# Sessions that belong in a calendar: approved, or held (completed) since.
IN_CALENDAR = (BookingStatus.APPROVED, BookingStatus.COMPLETED)


@login_required
@require_safe
def booking_ics(request: HttpRequest, booking_id: int) -> HttpResponse:
    """ "Add to calendar": METHOD:PUBLISH, so a calendar adds it without an invitation
    dialogue; the UID is the one the emails use, so a later cancellation removes it."""
    user = request.user
    booking = (
        Booking.objects.filter(Q(student=user) | Q(educator=user), pk=booking_id)
        .with_related()
        .annotate(history_count=Count("history"))
        .first()
    )
    # Someone else's booking is "not found", as if it did not exist: ids leak nothing.
    if booking is None or booking.status not in IN_CALENDAR:
        raise Http404("No calendar entry for this session.")
    response = HttpResponse(
        calendars.booking_ics(booking, method="PUBLISH"),
        content_type="text/calendar; charset=utf-8",
    )
    response["Content-Disposition"] = f'attachment; filename="mentoring-session-{booking.pk}.ics"'
    return response
