"""Student pages: enrol, book a session, My Requests, cancel, a no-show's dispute and
rebooking a withdrawn session."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from accounts.decorators import student_required
from accounts.models import User

from .. import errors, follow_up, schedule_cache, selectors, services
from ..errors import BookingError
from ..forms import BookingRequestForm, ReasonForm
from ..models import Booking, BookingStatus
from ..schedule_cache import RememberedAcross
from ..templatetags.scheduling_tags import when
from .booking import handle_booking_form, visible_course
from .month import find_time_context
from .utils import remembered_page


@student_required
@require_POST
def enroll(request: HttpRequest, course_id: int) -> HttpResponse:
    course = visible_course(request, course_id)
    try:
        _, created = services.enroll(student=request.user, course=course)
    except BookingError as error:
        messages.error(request, error.message)
    else:
        if created:
            messages.success(request, f"You're enrolled in {course.title}.")
        else:
            messages.info(request, f"You're already enrolled in {course.title}.")
    return redirect("scheduling:course-detail", course_id=course.pk)


@student_required
def book_session(request: HttpRequest, course_id: int) -> HttpResponse:
    """Open slots grouped by day; pick one, add a message, send."""
    course = visible_course(request, course_id)
    form = BookingRequestForm(
        request.POST if request.method == "POST" else None, within={"course_id": course.pk}
    )
    if request.method == "POST":
        response = handle_booking_form(request, form)
        if response is not None:
            return response
    # Re-read availability after a refusal: the page shows what is bookable now.
    policy, version = selectors.policy_of(course.educator), course.schedule_version
    if request.method == "POST" or not version:  # after a refusal: now
        version = schedule_cache.schedule_version(course.educator_id)
    waitlist = f"{reverse('scheduling:waitlist')}?course={course.pk}"
    week = find_time_context(
        request, lambda: selectors.offered_slots(course=course, policy=policy),
        educator=course.educator, policy=policy, course=course, student=request.user,
        version=version, waitlist_url=waitlist,
    )  # fmt: skip
    enrolled = course.pk in week["student_standing"][1]
    return render(
        request,
        "scheduling/student/book_session.html",
        {
            **week,
            "course": course,
            "enrolled": enrolled,
            "not_enrolled": not enrolled,
            # Not enrolled: the enrol box above the form already says why, with its button.
            "enrol_refused": not enrolled and errors.NOT_ENROLLED in form.non_field_errors(),
            "form": form,
            "policy_summary": policy.summary(),  # the head's memo key
        },
    )


@student_required
def my_requests(request: HttpRequest) -> HttpResponse:
    status = request.GET.get("status", "")
    if status not in BookingStatus.values:
        status = ""
    student, seen_at = request.user, request.user.requests_seen_at
    # Remembered for the minute while neither the student's own bookings and items nor
    # the schedules of their educators changed ("new" is measured against the last visit,
    # read before this visit moves it on).
    remembered = RememberedAcross(
        schedule_cache.STUDENT_KEY.format(student.pk),
        ("my-requests", schedule_cache.minute(), seen_at),
        educators_of=student.educators_asked,
    )
    counts = remembered.answer(
        ("counts", status),
        lambda: selectors.student_request_counts(student=student, status=status, seen_at=seen_at),
    )

    def cards(start: int, stop: int) -> list[Booking]:
        # Upcoming first, then past & closed, in one paginated list.
        bookings = selectors.student_requests_page(
            student=student, status=status or None, seen_at=seen_at
        )
        return list(bookings[start:stop])

    page, query_string = remembered_page(
        request, remembered, status, count=counts[status or "all"], read=cards
    )
    open_items = remembered.answer("items", lambda: follow_up.open_action_items(owner=student))
    remembered.save()
    # Opening this page is "seeing" every change: the navigation badge starts again from now.
    # With nothing changed since the last visit there is nothing to see: moving the time on
    # would change no badge and no "New" mark, so the page does not write (on SQLite a write
    # takes the database's one write lock).
    if counts["new"]:
        User.objects.filter(pk=student.pk).update(requests_seen_at=timezone.now())
    tabs = [("", "All", counts["all"])] + [
        (value, label, counts[value]) for value, label in BookingStatus.choices
    ]
    return render(
        request,
        "scheduling/student/my_requests.html",
        {
            "page_obj": page,
            "query_string": query_string,
            "status": status,
            "tabs": tabs,
            "upcoming_count": counts["upcoming"],
            "open_items": open_items,
        },
    )


@student_required
def cancel_request(request: HttpRequest, booking_id: int) -> HttpResponse:
    """GET asks for confirmation; POST cancels through the service."""
    booking = get_object_or_404(Booking.objects.with_related(), pk=booking_id, student=request.user)
    form = ReasonForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            services.booking_cancel(
                booking=booking, by=request.user, reason=form.cleaned_data["reason"]
            )
        except BookingError as error:
            messages.error(request, error.message)
        else:
            messages.success(request, "Your request is cancelled.")
        return redirect("scheduling:my-requests")
    return render(
        request, "scheduling/student/cancel_confirm.html", {"booking": booking, "form": form}
    )


@student_required
@require_POST
def dispute_no_show(request: HttpRequest, booking_id: int) -> HttpResponse:
    """ "I was there", against a no-show mark: once, through the service."""
    booking = get_object_or_404(Booking, pk=booking_id, student=request.user)
    try:
        services.booking_dispute_no_show(booking=booking, by=request.user)
    except BookingError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, "Noted: you said you attended. Your educator sees it.")
    return redirect("scheduling:my-requests")


@student_required
def rebook(request: HttpRequest, booking_id: int) -> HttpResponse:
    """A withdrawn session's nearest other times, each booked with one click through the
    booking service; a time that filled meanwhile says so and the next ones show."""
    booking = get_object_or_404(Booking.objects.with_related(), pk=booking_id, student=request.user)
    if not follow_up.was_withdrawn(booking):
        messages.info(request, "Only a session its educator withdrew offers other times here.")
        return redirect("scheduling:my-requests")
    problem = ""
    if request.method == "POST":
        raw = request.POST.get("slot", "")
        slot = None
        if raw.isdecimal():  # isdecimal, not isdigit: int() refuses "²"
            slot = selectors.slot_to_book(int(raw), educator_id=booking.slot.educator_id)
        try:
            if slot is None or slot.course_id != booking.slot.course_id:
                raise BookingError(errors.NOT_FOUND, errors.REBOOK_NOT_OFFERED)
            new = services.booking_request(student=request.user, slot=slot, message=booking.message)
        except BookingError as error:
            problem = error.message
        else:
            text = "You're booked" if new.status == BookingStatus.APPROVED else "Request sent"
            messages.success(request, f"{text}: {when(new.slot.starts_at)}.")
            return redirect("scheduling:my-requests")
    return render(
        request,
        "scheduling/student/rebook.html",
        {"booking": booking, "offers": follow_up.rebooking_offers(booking), "problem": problem},
    )
