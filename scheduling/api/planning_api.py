"""Extensions for planning ahead: weekly availability, booking policies, reschedule and
waitlists. Same envelope, status codes, CSRF and pagination as the rest of /api/."""

from __future__ import annotations

from datetime import datetime, time
from typing import Annotated

from django.http import HttpRequest
from django.shortcuts import get_object_or_404
from ninja import Field, Router, Schema, Status
from pydantic import StrictBool, StrictInt

from scheduling import selectors, services
from scheduling.models import (
    Booking,
    BookingPolicy,
    Course,
    Slot,
    WaitlistEntry,
    WaitlistStatus,
    WeeklyPattern,
)

from .availability_api import request_data
from .core import INVALID_INPUT, ApiError, envelope, paginate, require_role, session_auth, utc_iso
from .fields import POLICY_NAMES
from .schemas import ERRORS, Id, Page, RequestEnvelope, Text, envelope_of

router = Router(tags=["Weekly availability, policies, reschedule, waitlists"], auth=session_auth)

HHMM = Annotated[Text, Field(pattern=r"^\d{2}:\d{2}$", examples=["14:00"])]
Weekday = Annotated[StrictInt, Field(ge=1, le=7, description="ISO weekday: 1 Monday … 7 Sunday")]


# ---------------------------------------------------------------- shapes


class SkippedOut(Schema):
    start: str
    reason: str


class PatternOut(Schema):
    id: int
    weekdays: list[int]
    startTime: str
    endTime: str
    sessionMinutes: int
    timezone: str
    capacity: int
    courseId: int | None
    requiresApproval: bool
    meetingLink: str | None
    note: str
    horizonWeeks: int
    publishedUntil: str | None
    upcomingSlots: int
    skipped: list[SkippedOut]


class PatternIn(Schema):
    weekdays: list[Weekday] = Field(..., min_length=1, max_length=7)
    startTime: HHMM
    endTime: HHMM
    sessionMinutes: StrictInt = 60
    capacity: StrictInt = 1
    courseId: Id | None = None
    requiresApproval: StrictBool = True
    meetingLink: Text | None = None
    note: Text | None = None
    horizonWeeks: StrictInt = 4


class PatternUpdateIn(Schema):
    weekdays: list[Weekday] | None = Field(None, min_length=1, max_length=7)
    startTime: HHMM | None = None
    endTime: HHMM | None = None
    sessionMinutes: StrictInt | None = None
    capacity: StrictInt | None = None
    courseId: Id | None = None
    requiresApproval: StrictBool | None = None
    meetingLink: Text | None = None
    note: Text | None = None
    horizonWeeks: StrictInt | None = None


class PolicyOut(Schema):
    minNoticeHours: int
    horizonDays: int
    bufferMinutes: int
    dailyMax: int
    cancelNoticeHours: int
    summary: str


class PolicyIn(Schema):
    minNoticeHours: StrictInt | None = None
    horizonDays: StrictInt | None = None
    bufferMinutes: StrictInt | None = None
    dailyMax: StrictInt | None = None
    cancelNoticeHours: StrictInt | None = None


class RescheduleIn(Schema):
    slotId: Id


class WaitlistEntryOut(Schema):
    slotId: int
    studentId: int
    studentName: str
    status: str
    position: int | None
    createdAt: str


class WaitlistOut(Schema):
    slotId: int
    waiting: int
    position: int | None = Field(None, description="The logged-in student's place (1 = next)")
    entries: list[WaitlistEntryOut] = Field(
        default_factory=list, description="The queue, for the slot's educator only"
    )


PatternEnvelope = envelope_of("PatternEnvelope", PatternOut)
PatternListEnvelope = envelope_of("PatternListEnvelope", PatternOut, paginated=True)
PolicyEnvelope = envelope_of("PolicyEnvelope", PolicyOut)
WaitlistEnvelope = envelope_of("WaitlistEnvelope", WaitlistOut)
WaitlistEntryEnvelope = envelope_of("WaitlistEntryEnvelope", WaitlistEntryOut)


# ---------------------------------------------------------------- weekly availability


def pattern_data(pattern: WeeklyPattern) -> dict:
    return {
        "id": pattern.pk,
        "weekdays": [int(day) for day in pattern.weekdays],
        "startTime": f"{pattern.start_time:%H:%M}",
        "endTime": f"{pattern.end_time:%H:%M}",
        "sessionMinutes": pattern.session_minutes,
        "timezone": pattern.timezone,
        "capacity": pattern.capacity,
        "courseId": pattern.course_id,
        "requiresApproval": pattern.requires_approval,
        "meetingLink": pattern.meeting_link or None,
        "note": pattern.note,
        "horizonWeeks": pattern.horizon_weeks,
        "publishedUntil": utc_iso(pattern.published_until),
        "upcomingSlots": Slot.objects.filter(pattern=pattern).open().count(),
        "skipped": pattern.skipped,
    }


def _time(value: str, field: str) -> time:
    try:
        return datetime.strptime(value, "%H:%M").time()
    except ValueError:
        raise ApiError(400, INVALID_INPUT, {field: ["Enter a time as HH:MM."]}) from None


def _course(course_id: int | None) -> Course | None:
    if course_id is None:
        return None
    course = Course.objects.filter(pk=course_id).first()
    if course is None:
        raise ApiError(400, INVALID_INPUT, {"courseId": ["No course with this id."]})
    return course


def _pattern_changes(payload, sent: set[str]) -> dict:
    changes: dict = {}
    simple = {
        "sessionMinutes": "session_minutes",
        "capacity": "capacity",
        "requiresApproval": "requires_approval",
        "horizonWeeks": "horizon_weeks",
    }
    for name in sent:
        value = getattr(payload, name)
        if name == "weekdays" and value is not None:
            changes["weekdays"] = "".join(str(day) for day in value)
        elif name in ("startTime", "endTime") and value is not None:
            changes["start_time" if name == "startTime" else "end_time"] = _time(value, name)
        elif name == "courseId":
            changes["course"] = _course(value)
        elif name == "meetingLink":
            changes["meeting_link"] = value or ""
        elif name == "note":
            changes["note"] = value or ""
        elif name in simple and value is not None:
            changes[simple[name]] = value
    return changes


def _own_pattern(request: HttpRequest, pattern_id: int) -> WeeklyPattern:
    pattern = get_object_or_404(WeeklyPattern, pk=pattern_id)
    if pattern.educator_id != request.user.pk and not request.user.is_staff:
        raise ApiError(403, "Only the educator who owns these weekly hours can change them.")
    return pattern


@router.get(
    "/api/availability/weekly",
    response={200: PatternListEnvelope, **ERRORS},
    summary="The logged-in educator's weekly hours",
)
def weekly_list(request: HttpRequest, page: Page = 1):
    require_role(request, "educator")
    patterns = selectors.educator_patterns(educator=request.user).order_by("id")
    data, meta = paginate(patterns, pattern_data, page)
    return Status(200, envelope("Weekly hours", data, meta=meta))


@router.post(
    "/api/availability/weekly",
    response={201: PatternEnvelope, **ERRORS},
    summary="Add weekly hours; their slots are published at once (skips listed in `skipped`)",
)
def weekly_create(request: HttpRequest, payload: PatternIn):
    require_role(request, "educator")
    changes = _pattern_changes(payload, set(PatternIn.model_fields))
    pattern = services.pattern_create(educator=request.user, **changes)
    return Status(201, envelope("Weekly hours published", pattern_data(pattern)))


@router.put(
    "/api/availability/weekly/{int:patternId}",
    response={200: PatternEnvelope, **ERRORS},
    summary="Change weekly hours: future slots without seats follow; booked slots stay",
)
def weekly_update(request: HttpRequest, patternId: int, payload: PatternUpdateIn):
    pattern = _own_pattern(request, patternId)
    changes = _pattern_changes(payload, payload.model_fields_set)
    pattern = services.pattern_update(pattern=pattern, by=request.user, **changes)
    return Status(200, envelope("Weekly hours updated", pattern_data(pattern)))


@router.delete(
    "/api/availability/weekly/{int:patternId}",
    response={200: envelope_of("RemovedEnvelope", dict[str, int]), **ERRORS},
    summary="Delete weekly hours and their future slots without seats",
)
def weekly_delete(request: HttpRequest, patternId: int):
    pattern = _own_pattern(request, patternId)
    removed = services.pattern_delete(pattern=pattern, by=request.user)
    return Status(200, envelope("Weekly hours deleted", {"removedSlots": removed}))


# ---------------------------------------------------------------- booking policies


def policy_data(policy: BookingPolicy) -> dict:
    data = {client: getattr(policy, name) for name, client in POLICY_NAMES.items()}
    return {**data, "summary": policy.summary()}


@router.get(
    "/api/educator/policies",
    response={200: PolicyEnvelope, **ERRORS},
    summary="The logged-in educator's booking policies (defaults until saved)",
)
def policies_get(request: HttpRequest):
    require_role(request, "educator")
    return Status(
        200, envelope("Booking policies", policy_data(BookingPolicy.for_educator(request.user)))
    )


@router.put(
    "/api/educator/policies",
    response={200: PolicyEnvelope, **ERRORS},
    summary="Change booking policies (only the fields sent change)",
)
def policies_update(request: HttpRequest, payload: PolicyIn):
    require_role(request, "educator")
    by_client = {client: name for name, client in POLICY_NAMES.items()}
    changes = {
        by_client[name]: getattr(payload, name)
        for name in payload.model_fields_set
        if getattr(payload, name) is not None
    }
    policy = services.policy_update(educator=request.user, by=request.user, **changes)
    return Status(200, envelope("Booking policies saved", policy_data(policy)))


# ---------------------------------------------------------------- reschedule


@router.put(
    "/api/session/reschedule/{int:requestId}",
    response={200: RequestEnvelope, **ERRORS},
    summary="Move one's own request to another open slot of the same educator and course",
)
def reschedule(request: HttpRequest, requestId: int, payload: RescheduleIn):
    booking = get_object_or_404(Booking.objects.with_related(), pk=requestId)
    slot = Slot.objects.filter(pk=payload.slotId).first()
    if slot is None:
        raise ApiError(400, INVALID_INPUT, {"slotId": ["No slot with this id."]})
    services.booking_reschedule(booking=booking, to_slot=slot, by=request.user)
    moved = Booking.objects.with_related().get(pk=booking.pk)
    return Status(200, envelope("Session request rescheduled", request_data(moved)))


# ---------------------------------------------------------------- waitlists


def _entry_data(entry: WaitlistEntry, position: int | None) -> dict:
    return {
        "slotId": entry.slot_id,
        "studentId": entry.student_id,
        "studentName": entry.student.display_name,
        "status": entry.status,
        "position": position,
        "createdAt": utc_iso(entry.created_at),
    }


@router.get(
    "/api/availability/{int:slotId}/waitlist",
    response={200: WaitlistEnvelope, **ERRORS},
    summary="A slot's waitlist: its length and your place; the queue for its educator",
)
def waitlist_get(request: HttpRequest, slotId: int):
    slot = get_object_or_404(Slot, pk=slotId)
    queue = list(
        WaitlistEntry.objects.filter(slot=slot, status=WaitlistStatus.WAITING)
        .select_related("student")
        .order_by("created_at", "pk")
    )
    mine = [n for n, entry in enumerate(queue, 1) if entry.student_id == request.user.pk]
    owner = slot.educator_id == request.user.pk or request.user.is_staff
    data = {
        "slotId": slot.pk,
        "waiting": len(queue),
        "position": mine[0] if mine else None,
        "entries": [_entry_data(e, n) for n, e in enumerate(queue, 1)] if owner else [],
    }
    return Status(200, envelope("Waitlist", data))


@router.post(
    "/api/availability/{int:slotId}/waitlist",
    response={201: WaitlistEntryEnvelope, **ERRORS},
    summary="Join a full slot's waitlist (position in the answer)",
)
def waitlist_join(request: HttpRequest, slotId: int):
    slot = get_object_or_404(Slot, pk=slotId)
    entry = services.waitlist_join(student=request.user, slot=slot)
    return Status(201, envelope("Joined the waitlist", _entry_data(entry, entry.position)))


@router.delete(
    "/api/availability/{int:slotId}/waitlist",
    response={200: WaitlistEntryEnvelope, **ERRORS},
    summary="Leave a slot's waitlist",
)
def waitlist_leave(request: HttpRequest, slotId: int):
    slot = get_object_or_404(Slot, pk=slotId)
    entry = services.waitlist_leave(student=request.user, slot=slot)
    return Status(200, envelope("Left the waitlist", _entry_data(entry, None)))
