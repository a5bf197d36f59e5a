"""Pages for planning ahead: booking policies and weekly hours (educators), reschedule
and waitlists (students). Each is form → service → redirect, like the other views."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from accounts.decorators import educator_required, student_required
from accounts.models import User

from .. import selectors, services
from ..errors import BookingError
from ..forms import PolicyForm, RescheduleForm, WeeklyPatternForm
from ..models import Booking, BookingPolicy, Course, Slot, WeeklyPattern

# ---------------------------------------------------------------- educators


@educator_required
def policies(request: HttpRequest) -> HttpResponse:
    policy = BookingPolicy.for_educator(request.user)
    form = PolicyForm(request.POST if request.method == "POST" else None, policy=policy)
    if form.is_valid():
        try:
            services.policy_update(educator=request.user, by=request.user, **form.cleaned_data)
        except BookingError as error:
            form.add_service_error(error)
        else:
            messages.success(request, "Your booking policies are saved.")
            return redirect("profile")
    return render(request, "scheduling/planning/policies.html", {"form": form})


def _pattern_kwargs(form: WeeklyPatternForm) -> dict:
    return {**form.cleaned_data, "weekdays": "".join(form.cleaned_data["weekdays"])}


def _published_message(request: HttpRequest, pattern: WeeklyPattern) -> None:
    created = getattr(pattern, "created_slots", 0)
    skipped = len(pattern.skipped)
    text = f"Weekly hours saved: {created} slot{'s' if created != 1 else ''} published."
    if skipped:
        text += f" {skipped} skipped (listed below)."
    messages.success(request, text)


@educator_required
def weekly_hours(request: HttpRequest) -> HttpResponse:
    """The educator's weekly hours, what each published and skipped, and a form to add."""
    form = WeeklyPatternForm(
        request.POST if request.method == "POST" else None, educator=request.user
    )
    if form.is_valid():
        try:
            pattern = services.pattern_create(educator=request.user, **_pattern_kwargs(form))
        except BookingError as error:
            form.add_service_error(error)
        else:
            _published_message(request, pattern)
            return redirect("scheduling:weekly-hours")
    patterns = selectors.educator_patterns(educator=request.user)
    return render(
        request, "scheduling/planning/weekly_hours.html", {"form": form, "patterns": patterns}
    )


@educator_required
def weekly_hours_edit(request: HttpRequest, pattern_id: int) -> HttpResponse:
    pattern = get_object_or_404(WeeklyPattern, pk=pattern_id, educator=request.user)
    initial = {name: getattr(pattern, name) for name in services.PATTERN_FIELDS}
    initial["weekdays"] = list(pattern.weekdays)
    form = WeeklyPatternForm(
        request.POST if request.method == "POST" else None, initial=initial, educator=request.user
    )
    if form.is_valid():
        try:
            pattern = services.pattern_update(
                pattern=pattern, by=request.user, **_pattern_kwargs(form)
            )
        except BookingError as error:
            form.add_service_error(error)
        else:
            _published_message(request, pattern)
            return redirect("scheduling:weekly-hours")
    return render(
        request, "scheduling/planning/weekly_hours_edit.html", {"form": form, "pattern": pattern}
    )


@educator_required
@require_POST
def weekly_hours_delete(request: HttpRequest, pattern_id: int) -> HttpResponse:
    pattern = get_object_or_404(WeeklyPattern, pk=pattern_id, educator=request.user)
    removed = services.pattern_delete(pattern=pattern, by=request.user)
    messages.success(request, f"Weekly hours deleted with {removed} open slots; booked slots stay.")
    return redirect("scheduling:weekly-hours")


# ---------------------------------------------------------------- students


@student_required
def reschedule(request: HttpRequest, booking_id: int) -> HttpResponse:
    """Pick another open time of the same educator (and course) for a request."""
    booking = get_object_or_404(Booking.objects.with_related(), pk=booking_id, student=request.user)
    targets = selectors.reschedule_targets(booking=booking)
    form = RescheduleForm(request.POST if request.method == "POST" else None, slots=targets)
    if form.is_valid():
        try:
            moved = services.booking_reschedule(
                booking=booking, to_slot=form.cleaned_data["slot"], by=request.user
            )
        except BookingError as error:
            form.add_service_error(error)
        else:
            state = "waits for approval" if moved.status == "pending" else "is confirmed"
            messages.success(request, f"Rescheduled: the new time {state}.")
            return redirect("scheduling:my-requests")
    return render(
        request,
        "scheduling/planning/reschedule.html",
        {"booking": booking, "form": form},
    )


@student_required
def waitlist(request: HttpRequest) -> HttpResponse:
    """The student's waitlists with their places, and the full sessions of a course
    (`?course=`) or a mentor (`?mentor=`) they can wait for."""
    course = mentor = None
    # isdecimal, not isdigit: "²" is a digit that int() refuses.
    if request.GET.get("course", "").isdecimal():
        course = Course.objects.filter(pk=request.GET["course"], is_published=True).first()
    elif request.GET.get("mentor", "").isdecimal():
        mentor = User.objects.filter(pk=request.GET["mentor"], role=User.Role.EDUCATOR).first()
    entries = selectors.student_waitlist(student=request.user)
    waiting = {entry.slot_id for entry in entries}
    full = []
    if course or mentor:
        full = [
            slot
            for slot in selectors.full_slots(course=course, educator=mentor)[:50]
            if slot.pk not in waiting
        ]
    return render(
        request,
        "scheduling/planning/waitlist.html",
        {"entries": entries, "full": full, "course": course, "mentor": mentor},
    )


@student_required
@require_POST
def waitlist_join(request: HttpRequest, slot_id: int) -> HttpResponse:
    slot = get_object_or_404(Slot, pk=slot_id)
    try:
        entry = services.waitlist_join(student=request.user, slot=slot)
    except BookingError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, f"You're on the waitlist, number {entry.position}.")
    return redirect("scheduling:waitlist")


@student_required
@require_POST
def waitlist_leave(request: HttpRequest, slot_id: int) -> HttpResponse:
    slot = get_object_or_404(Slot, pk=slot_id)
    try:
        services.waitlist_leave(student=request.user, slot=slot)
    except BookingError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, "You left the waitlist.")
    return redirect("scheduling:waitlist")
