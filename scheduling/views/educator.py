"""Educator pages: dashboard, Manage Availability, Session Requests, courses."""

from __future__ import annotations

from contextlib import suppress
from datetime import datetime, time, timedelta
from urllib.parse import urlsplit

from django.contrib import messages
from django.db.models import Count, OuterRef, Q, Subquery
from django.db.models.functions import Coalesce
from django.http import HttpRequest, HttpResponse, QueryDict
from django.shortcuts import get_object_or_404, redirect, render
from django.template.defaultfilters import pluralize
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from accounts.decorators import educator_required

from .. import follow_up, schedule_cache, selectors, services
from ..errors import BookingError
from ..forms import ApproveForm, CourseForm, ReasonForm, RejectForm, SlotForm
from ..models import ACTIVE_STATUSES, Booking, BookingStatus, Course, Enrollment, Slot
from ..schedule_cache import Remembered
from ..templatetags.scheduling_tags import when
from .month import calendar_month_context
from .utils import day_start, monday_of, paginate, remembered_page


@educator_required
def dashboard(request: HttpRequest) -> HttpResponse:
    """Today's and upcoming confirmed sessions, what waits for an answer, shortcuts."""
    now = timezone.now()
    midnight = timezone.make_aware(
        datetime.combine(timezone.localdate(), time.min), timezone.get_current_timezone()
    )
    confirmed = selectors.educator_bookings(educator=request.user, status="approved").filter(
        slot__ends_at__gt=now
    )
    today = list(confirmed.filter(slot__starts_at__lt=midnight + timedelta(days=1)))
    upcoming = list(confirmed.filter(slot__starts_at__gte=midnight + timedelta(days=1))[:10])
    mine = Booking.objects.for_educator(request.user)
    return render(
        request,
        "scheduling/educator/dashboard.html",
        {
            "today": today,
            "upcoming": upcoming,
            "pending_count": mine.filter(status="pending").count(),
            "open_slots": Slot.objects.for_educator(request.user).open().count(),
            "open_items": follow_up.open_action_items(owner=request.user),
        },
    )


# ---------------------------------------------------------------- availability


@educator_required
def availability(request: HttpRequest) -> HttpResponse:
    show = request.GET.get("show", "upcoming")
    if show not in ("upcoming", "past", "withdrawn"):
        show = "upcoming"
    slots, count = selectors.educator_slot_tab(educator=request.user, show=show)
    page, query_string = paginate(request, slots, count=count)
    return render(
        request,
        "scheduling/educator/availability.html",
        {
            "page_obj": page,
            "query_string": query_string,
            "past": show == "past",
            "show": show,
            "now": timezone.now(),
        },
    )


@educator_required
def slot_new(request: HttpRequest) -> HttpResponse:
    form = SlotForm(
        request.POST if request.method == "POST" else None,
        educator=request.user,
        initial=_slot_initial_from_query(request),
    )
    if form.is_valid():
        try:
            slot = services.slot_create(educator=request.user, **form.service_kwargs())
        except BookingError as error:
            form.add_service_error(error)
        else:
            messages.success(request, f"Slot created for {when(slot.starts_at)}.")
            return redirect("scheduling:availability")
    return render(request, "scheduling/educator/slot_form.html", {"form": form, "slot": None})


def _slot_initial_from_query(request: HttpRequest) -> dict:
    """`?date=2026-11-30&start=10:00` (a click on an empty time in the calendar) fills
    the form's date and start; anything unreadable is ignored."""
    initial: dict = {}
    with suppress(ValueError):
        initial["date"] = datetime.strptime(request.GET.get("date", ""), "%Y-%m-%d").date()
    with suppress(ValueError):
        initial["start_time"] = datetime.strptime(request.GET.get("start", ""), "%H:%M").time()
    return initial


def _own_slot(request: HttpRequest, slot_id: int) -> Slot:
    return get_object_or_404(
        Slot.objects.select_related("course"), pk=slot_id, educator=request.user
    )


@educator_required
def slot_edit(request: HttpRequest, slot_id: int) -> HttpResponse:
    """A slot's own page: the form while it can change, its requests always (the calendar
    links every slot here)."""
    slot = _own_slot(request, slot_id)
    requests = list(slot.bookings.select_related("student").order_by("created_at", "id"))
    if slot.is_withdrawn or slot.has_started:
        if request.method == "POST":
            messages.error(request, "A withdrawn or started slot can no longer be edited.")
            return redirect("scheduling:slot-edit", slot_id=slot.pk)
        context = {"form": None, "slot": slot, "requests": requests}
        return render(request, "scheduling/educator/slot_form.html", context)
    form = SlotForm(
        request.POST if request.method == "POST" else None, educator=request.user, slot=slot
    )
    if form.is_valid():
        try:
            saved = services.slot_update(slot=slot, by=request.user, **form.service_kwargs())
        except BookingError as error:
            form.add_service_error(error)
        else:
            messages.success(request, f"Slot saved: {when(saved.starts_at)}.")
            return redirect("scheduling:availability")
    context = {"form": form, "slot": slot, "requests": requests}
    return render(request, "scheduling/educator/slot_form.html", context)


@educator_required
def slot_withdraw(request: HttpRequest, slot_id: int) -> HttpResponse:
    """Confirm first, saying whose requests it cancels; then withdraw."""
    slot = _own_slot(request, slot_id)
    form = ReasonForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            withdrawn = services.slot_withdraw(
                slot=slot, by=request.user, reason=form.cleaned_data["reason"]
            )
        except BookingError as error:
            messages.error(request, error.message)
        else:
            told = withdrawn.cancelled_bookings
            if told:
                messages.success(
                    request,
                    f"Slot withdrawn; {told} student{pluralize(told)} "
                    f"{'has' if told == 1 else 'have'} been told.",
                )
            else:
                messages.success(request, "Slot withdrawn.")
        return redirect("scheduling:availability")
    affected = list(slot.bookings.filter(status__in=ACTIVE_STATUSES).select_related("student"))
    return render(
        request,
        "scheduling/educator/withdraw_confirm.html",
        {"slot": slot, "affected": affected, "form": form},
    )


# ---------------------------------------------------------------- calendar

CALENDAR_HOURS = (8, 20)  # shown at least; a week with earlier or later slots widens it


def calendar_slots(educator, begin: datetime, end: datetime):
    """The educator's slots touching [begin, end), withdrawn ones too, with their pending
    and approved counts: one query."""
    return (
        Slot.objects.for_educator(educator)
        .filter(starts_at__lt=end, ends_at__gt=begin)
        .select_related("course")
        .annotate(
            pending_count=Count("bookings", filter=Q(bookings__status=BookingStatus.PENDING)),
            approved_count=Count("bookings", filter=Q(bookings__status=BookingStatus.APPROVED)),
        )
        .order_by("starts_at", "id")
    )


def calendar_grid(days: list, slots: list, now: datetime) -> list[dict]:
    """Hour rows × day columns in the educator's zone. Each cell has the slots starting in
    that hour, whether an earlier slot still runs through it, and whether an empty
    future hour may be clicked to create a slot there."""
    first, last = CALENDAR_HOURS
    for slot in slots:
        start, end = timezone.localtime(slot.starts_at), timezone.localtime(slot.ends_at)
        if start.date() in days:
            first = min(first, start.hour)
        if end.date() in days:
            last = max(last, end.hour + (1 if end.minute else 0))
    last = min(last, 24)
    rows = []
    for hour in range(first, last):
        cells = []
        for day in days:
            cell_start = day_start(day) + timedelta(hours=hour)
            cell_start = timezone.localtime(cell_start)
            cell_end = cell_start + timedelta(hours=1)
            starting = [s for s in slots if cell_start <= s.starts_at < cell_end]
            running = any(
                s.starts_at < cell_start < s.ends_at and not s.is_withdrawn for s in slots
            )
            cells.append(
                {
                    "day": day,
                    "time": f"{hour:02d}:00",
                    "slots": starting,
                    "running": running,
                    "can_create": not starting and not running and cell_start > now,
                }
            )
        rows.append({"hour": f"{hour:02d}:00", "cells": cells})
    return rows


@educator_required
def calendar(request: HttpRequest) -> HttpResponse:
    """The week's slots and bookings in a time grid, in the educator's zone; an empty future
    hour links to a new slot there, a slot to its page (edit, requests)."""
    today = timezone.localdate()
    month = calendar_month_context(request, request.user)
    start = month["week_monday"]
    days = [start + timedelta(days=n) for n in range(7)]
    slots = list(
        calendar_slots(request.user, day_start(days[0]), day_start(start + timedelta(days=7)))
    )
    now = timezone.now()
    by_day = {day: [] for day in days}
    for slot in slots:
        day = timezone.localtime(slot.starts_at).date()
        if day in by_day:
            by_day[day].append(slot)
    context = {
        **month,
        "days": days,
        "rows": calendar_grid(days, slots, now),
        "by_day": [(day, by_day[day]) for day in days],
        "week_start": start,
        "week_end": days[-1],
        "prev_week": start - timedelta(days=7),
        "next_week": start + timedelta(days=7),
        "this_week": monday_of(today),
        "today": today,
        "now": now,
        "slot_count": len(slots),
    }
    return render(request, "scheduling/educator/calendar.html", context)


# ---------------------------------------------------------------- session requests

REQUEST_TABS = ["pending", "approved", "completed", "rejected", "cancelled"]


def _request_tabs(request: HttpRequest) -> tuple[tuple[str, str, int], ...]:
    """(status, label, count) per tab, in one query (grouped by status: cheaper to build
    than a filtered count per tab). A tuple, so the tabs can key a remembered fragment."""
    counts = selectors.educator_request_counts(educator=request.user)
    labels = dict(BookingStatus.choices)
    return tuple((s, labels[s], counts.get(s, 0)) for s in REQUEST_TABS)


def _request_list_context(request: HttpRequest, status: str) -> dict:
    """The tabs and one tab's page of cards, remembered for the minute under the educator's
    schedule version, which every change to a card forgets (a booking, its slot, its
    course, its student's name: see schedule_cache): the cards' annotated query costs
    more to build than to run, and the list is polled every 30 seconds."""
    educator = request.user
    remembered = Remembered(educator.pk, ("session-requests", schedule_cache.minute()))
    tabs = remembered.answer("tabs", lambda: _request_tabs(request))
    counted = {value: count for value, _label, count in tabs}  # the tab's number is the total

    def cards(start: int, stop: int) -> list[Booking]:
        bookings = selectors.educator_request_cards(educator=educator, status=status)
        return list(bookings[start:stop])

    page, query_string = remembered_page(
        request, remembered, status, count=counted[status], read=cards
    )
    remembered.save()
    return {
        "page_obj": page,
        "query_string": query_string,
        "status": status,
        "tabs": tabs,
        "now": timezone.now(),
        "next_url": request.get_full_path(),  # what the cards' forms come back to
    }


@educator_required
def session_requests(request: HttpRequest) -> HttpResponse:
    """Tabs per status, pending first. htmx polls the list part every 30 seconds."""
    status = request.GET.get("status", "pending")
    if status not in REQUEST_TABS:
        status = "pending"
    template = "scheduling/educator/requests.html"
    if request.htmx:
        template += "#request-list"
    return render(request, template, _request_list_context(request, status))


def _own_booking(request: HttpRequest, booking_id: int) -> Booking:
    return get_object_or_404(Booking.objects.with_related(), pk=booking_id, educator=request.user)


def _decide(request: HttpRequest, booking: Booking, form, action, done=None) -> HttpResponse:
    """Run an approve/reject/complete/outcome; htmx gets the card back, others a redirect
    with `done(booking)` (default: the request's new status) as the message."""
    problem = ""
    if form is not None and not form.is_valid():
        problem = " ".join(message for errors in form.errors.values() for message in errors)
    else:
        try:
            booking = action(form.cleaned_data if form is not None else {})
        except BookingError as refusal:
            problem = refusal.message
    back = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(back, allowed_hosts=None) or not back.startswith("/"):
        back = reverse("scheduling:educator-requests")
    if request.htmx:
        booking = selectors.educator_request_card(educator=request.user, booking_id=booking.pk)
        context = {"booking": booking, "now": timezone.now(), "problem": problem, "next_url": back}
        response = render(request, "scheduling/educator/requests.html#request-card", context)
        if not problem:
            # The card changes in place; the tab counts (out of band) and the navigation
            # badge (an htmx event it listens for) follow at once, not at the next poll.
            tabs = {
                "tabs": _request_tabs(request),
                "status": QueryDict(urlsplit(back).query).get("status", "pending"),
                "oob": True,
            }
            response.write(render_to_string("scheduling/educator/requests.html#request-tabs", tabs))
            response["HX-Trigger"] = "requests-changed"
        return response
    if problem:
        messages.error(request, problem)
    else:
        text = done(booking) if done else f"Request {booking.get_status_display().lower()}."
        messages.success(request, text)
    return redirect(back)


@educator_required
@require_POST
def approve(request: HttpRequest, booking_id: int) -> HttpResponse:
    booking = _own_booking(request, booking_id)
    return _decide(
        request,
        booking,
        ApproveForm(request.POST),
        lambda data: services.booking_approve(
            booking=booking, by=request.user, meeting_link=data["meeting_link"]
        ),
    )


@educator_required
@require_POST
def reject(request: HttpRequest, booking_id: int) -> HttpResponse:
    booking = _own_booking(request, booking_id)
    return _decide(
        request,
        booking,
        RejectForm(request.POST),
        lambda data: services.booking_reject(
            booking=booking, by=request.user, reason=data["reason"]
        ),
    )


@educator_required
@require_POST
def complete(request: HttpRequest, booking_id: int) -> HttpResponse:
    booking = _own_booking(request, booking_id)
    return _decide(
        request,
        booking,
        None,
        lambda data: services.booking_complete(booking=booking, by=request.user),
    )


@educator_required
@require_POST
def mark_outcome(request: HttpRequest, booking_id: int) -> HttpResponse:
    """Attended or no-show, once the session has started (the service decides)."""
    booking = _own_booking(request, booking_id)
    return _decide(
        request,
        booking,
        None,
        lambda data: services.booking_mark_outcome(
            booking=booking, by=request.user, outcome=request.POST.get("outcome", "")
        ),
        done=lambda marked: f"Marked {marked.get_outcome_display().lower()}.",
    )


# ---------------------------------------------------------------- courses


@educator_required
def courses(request: HttpRequest) -> HttpResponse:
    # Each count in its own subquery: two counted joins in one query multiply each
    # other's rows (enrolments x slots per course), seconds for a busy educator.
    enrolled = (
        Enrollment.objects.filter(course=OuterRef("pk"))
        .order_by()
        .values("course")
        .annotate(n=Count("pk"))
        .values("n")
    )
    open_slots = (
        Slot.objects.open()
        .filter(course=OuterRef("pk"))
        .order_by()
        .values("course")
        .annotate(n=Count("pk"))
        .values("n")
    )
    mine = (
        Course.objects.filter(educator=request.user)
        .annotate(
            enrolled_count=Coalesce(Subquery(enrolled), 0),
            open_slots=Coalesce(Subquery(open_slots), 0),
        )
        .order_by("title", "id")
    )
    page, query_string = paginate(request, mine)
    return render(
        request,
        "scheduling/educator/courses.html",
        {"page_obj": page, "query_string": query_string},
    )


@educator_required
def course_new(request: HttpRequest) -> HttpResponse:
    form = CourseForm(
        request.POST if request.method == "POST" else None, initial={"field": request.user.field}
    )
    if form.is_valid():
        try:
            course = services.course_create(educator=request.user, **form.cleaned_data)
        except BookingError as error:
            form.add_service_error(error)
        else:
            messages.success(request, f"Course “{course.title}” created.")
            return redirect("scheduling:educator-courses")
    return render(request, "scheduling/educator/course_form.html", {"form": form, "course": None})


@educator_required
def course_edit(request: HttpRequest, course_id: int) -> HttpResponse:
    course = get_object_or_404(Course, pk=course_id, educator=request.user)
    form = CourseForm(request.POST if request.method == "POST" else None, instance=course)
    if form.is_valid():
        try:
            services.course_update(course=course, by=request.user, **form.cleaned_data)
        except BookingError as error:
            form.add_service_error(error)
        else:
            messages.success(request, "Course saved.")
            return redirect("scheduling:educator-courses")
    return render(request, "scheduling/educator/course_form.html", {"form": form, "course": course})
