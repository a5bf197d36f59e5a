"""The Availability / Session-request API (camelCase), and its course endpoints."""

from __future__ import annotations

from django.db.models import Exists, OuterRef, Value
from django.http import HttpRequest
from django.shortcuts import get_object_or_404
from ninja import Router, Status

from scheduling import selectors, services
from scheduling.models import Booking, BookingStatus, Course, Enrollment, Slot

from .core import (
    INVALID_INPUT,
    ApiError,
    envelope,
    optional_body,
    paginate,
    parse_datetime,
    require_role,
    session_auth,
    utc_iso,
)
from .schemas import (
    ERRORS,
    ApproveIn,
    CancelIn,
    CourseListEnvelope,
    EmptyEnvelope,
    EnrollmentEnvelope,
    Page,
    RejectIn,
    RequestEnvelope,
    RequestIn,
    RequestListEnvelope,
    SlotEnvelope,
    SlotIn,
    SlotListEnvelope,
    SlotUpdateIn,
)

router = Router(tags=["Availability / Session-request API"])


def slot_data(slot: Slot, viewer=None) -> dict:
    """A slot as the contract's clients read it.

    The slot's default meeting link is shown to its educator only: students get a link
    through an approved request, never by browsing open slots.
    """
    return {
        "id": slot.pk,
        "educatorId": slot.educator_id,
        "educatorName": slot.educator.display_name,
        "courseId": slot.course_id,
        "courseTitle": slot.course.title if slot.course_id else None,
        "startTime": utc_iso(slot.starts_at),
        "endTime": utc_iso(slot.ends_at),
        "capacity": slot.capacity,
        "seatsTaken": slot.seats_taken,
        "seatsLeft": slot.seats_left,
        "requiresApproval": slot.requires_approval,
        "meetingLink": (slot.meeting_link or None) if _owns(viewer, slot) else None,
        "note": slot.note,
        "withdrawn": slot.is_withdrawn,
    }


def _owns(viewer, slot: Slot) -> bool:
    return viewer is not None and viewer.is_authenticated and slot.educator_id == viewer.pk


def _slot_serializer(request: HttpRequest):
    return lambda slot: slot_data(slot, request.user)


def request_data(booking: Booking) -> dict:
    slot = booking.slot
    return {
        "id": booking.pk,
        "slotId": slot.pk,
        "studentId": booking.student_id,
        "studentName": booking.student.display_name,
        "educatorId": slot.educator_id,
        "educatorName": slot.educator.display_name,
        "courseId": slot.course_id,
        "courseTitle": slot.course.title if slot.course_id else None,
        "startTime": utc_iso(slot.starts_at),
        "endTime": utc_iso(slot.ends_at),
        "message": booking.message,
        "status": booking.status,
        "meetingLink": booking.visible_meeting_link or None,
        "rejectionReason": booking.rejection_reason or None,
        "createdAt": utc_iso(booking.created_at),
        "updatedAt": utc_iso(booking.updated_at),
    }


def course_data(course: Course) -> dict:
    return {
        "id": course.pk,
        "title": course.title,
        "field": course.field,
        "educatorId": course.educator_id,
        "educatorName": course.educator.display_name,
        "enrolled": bool(course.enrolled),
    }


def _status_filter(request: HttpRequest) -> str | None:
    status = request.GET.get("status") or None
    if status is not None and status not in BookingStatus.values:
        allowed = ", ".join(BookingStatus.values)
        raise ApiError(400, INVALID_INPUT, {"status": [f"Status must be one of: {allowed}."]})
    return status


def _course_for_body(course_id: int | None) -> Course | None:
    if course_id is None:
        return None
    course = Course.objects.filter(pk=course_id).first()
    if course is None:
        raise ApiError(400, INVALID_INPUT, {"courseId": ["No course with this id."]})
    return course


def _booking(request_id: int) -> Booking:
    return get_object_or_404(Booking.objects.with_related(), pk=request_id)


# ---------------------------------------------------------------- availability


@router.post(
    "/api/availability/create",
    auth=session_auth,
    response={201: SlotEnvelope, **ERRORS},
    summary="Create an availability slot",
)
def create_slot(request: HttpRequest, payload: SlotIn):
    require_role(request, "educator")
    slot = services.slot_create(
        educator=request.user,
        course=_course_for_body(payload.courseId),
        starts_at=parse_datetime(payload.startTime, "startTime"),
        ends_at=parse_datetime(payload.endTime, "endTime") if payload.endTime else None,
        capacity=payload.capacity,
        requires_approval=payload.requiresApproval,
        meeting_link=payload.meetingLink or "",
        note=payload.note or "",
    )
    slot = Slot.objects.select_related("educator", "course").get(pk=slot.pk)
    return Status(201, envelope("Availability slot created", slot_data(slot, request.user)))


@router.get(
    "/api/availability/educator/slots",
    auth=session_auth,
    response={200: SlotListEnvelope, **ERRORS},
    summary="The logged-in educator's slots (?upcoming=true: not yet ended, not withdrawn)",
)
def educator_slots(request: HttpRequest, upcoming: bool = False, page: Page = 1):
    require_role(request, "educator")
    slots = Slot.objects.for_educator(request.user).select_related("educator", "course")
    if upcoming:
        slots = slots.upcoming().filter(withdrawn_at__isnull=True)
    data, meta = paginate(slots.order_by("starts_at", "id"), _slot_serializer(request), page)
    return Status(200, envelope("Availability slots", data, meta=meta))


@router.get(
    "/api/availability/course/{int:courseId}",
    auth=session_auth,
    response={200: SlotListEnvelope, **ERRORS},
    summary="A course's open slots with seats left",
)
def course_slots(request: HttpRequest, courseId: int, page: Page = 1):
    course = get_object_or_404(Course, pk=courseId)
    if not course.is_published and course.educator_id != request.user.pk:
        raise ApiError(404, "No course with this id.")
    slots = selectors.open_slots(course=course)
    data, meta = paginate(slots, _slot_serializer(request), page)
    return Status(200, envelope("Open slots", data, meta=meta))


@router.put(
    "/api/availability/update/{int:slotId}",
    auth=session_auth,
    response={200: SlotEnvelope, **ERRORS},
    summary="Change a slot (only the fields sent change)",
)
def update_slot(request: HttpRequest, slotId: int, payload: SlotUpdateIn | None = None):
    """Only the fields sent change; an empty body changes nothing, like `{}`."""
    slot = get_object_or_404(Slot.objects.select_related("educator"), pk=slotId)
    payload = optional_body(request, payload, SlotUpdateIn)
    sent = payload.model_fields_set
    changes: dict = {}
    if "courseId" in sent:
        changes["course"] = _course_for_body(payload.courseId)
    if "startTime" in sent and payload.startTime is not None:
        changes["starts_at"] = parse_datetime(payload.startTime, "startTime")
    if "endTime" in sent and payload.endTime is not None:
        changes["ends_at"] = parse_datetime(payload.endTime, "endTime")
    if "capacity" in sent and payload.capacity is not None:
        changes["capacity"] = payload.capacity
    if "requiresApproval" in sent and payload.requiresApproval is not None:
        changes["requires_approval"] = payload.requiresApproval
    if "meetingLink" in sent:
        changes["meeting_link"] = payload.meetingLink or ""
    if "note" in sent:
        changes["note"] = payload.note or ""
    services.slot_update(slot=slot, by=request.user, **changes)
    slot = Slot.objects.select_related("educator", "course").get(pk=slot.pk)
    return Status(200, envelope("Availability slot updated", slot_data(slot, request.user)))


@router.delete(
    "/api/availability/delete/{int:slotId}",
    auth=session_auth,
    response={200: EmptyEnvelope, **ERRORS},
    summary="Withdraw a slot; its pending and approved requests are cancelled",
)
def delete_slot(request: HttpRequest, slotId: int):
    slot = get_object_or_404(Slot, pk=slotId)
    services.slot_withdraw(slot=slot, by=request.user)
    return Status(200, envelope("Availability slot withdrawn", {}))


# ---------------------------------------------------------------- session requests


@router.post(
    "/api/session/request",
    auth=session_auth,
    response={201: RequestEnvelope, **ERRORS},
    summary="Request a seat in a slot",
)
def request_session(request: HttpRequest, payload: RequestIn):
    require_role(request, "student")
    slot = Slot.objects.filter(pk=payload.slotId).first()
    if slot is None:
        raise ApiError(400, INVALID_INPUT, {"slotId": ["No slot with this id."]})
    booking = services.booking_request(
        student=request.user, slot=slot, message=payload.message or ""
    )
    return Status(201, envelope("Session request sent", request_data(_booking(booking.pk))))


@router.get(
    "/api/session/my-requests",
    auth=session_auth,
    response={200: RequestListEnvelope, **ERRORS},
    summary="The logged-in student's requests, newest first",
)
def my_requests(request: HttpRequest, status: str | None = None, page: Page = 1):
    require_role(request, "student")
    bookings = selectors.student_bookings(student=request.user, status=_status_filter(request))
    data, meta = paginate(bookings, request_data, page)
    return Status(200, envelope("Session requests", data, meta=meta))


@router.get(
    "/api/session/educator/requests",
    auth=session_auth,
    response={200: RequestListEnvelope, **ERRORS},
    summary="Requests on the logged-in educator's slots",
)
def educator_requests(request: HttpRequest, status: str | None = None, page: Page = 1):
    require_role(request, "educator")
    bookings = selectors.educator_bookings(educator=request.user, status=_status_filter(request))
    data, meta = paginate(bookings, request_data, page)
    return Status(200, envelope("Session requests", data, meta=meta))


@router.put(
    "/api/session/approve/{int:requestId}",
    auth=session_auth,
    response={200: RequestEnvelope, **ERRORS},
    summary="Approve a pending request (meetingLink defaults to the slot's)",
)
def approve(request: HttpRequest, requestId: int, payload: ApproveIn | None = None):
    booking = services.booking_approve(
        booking=_booking(requestId),
        by=request.user,
        meeting_link=(payload.meetingLink if payload else None) or "",
    )
    return Status(200, envelope("Session request approved", request_data(_booking(booking.pk))))


@router.put(
    "/api/session/reject/{int:requestId}",
    auth=session_auth,
    response={200: RequestEnvelope, **ERRORS},
    summary="Reject a pending request with a reason",
)
def reject(request: HttpRequest, requestId: int, payload: RejectIn | None = None):
    booking = services.booking_reject(
        booking=_booking(requestId),
        by=request.user,
        reason=(payload.reason if payload else None) or "",
    )
    return Status(200, envelope("Session request rejected", request_data(_booking(booking.pk))))


@router.put(
    "/api/session/cancel/{int:requestId}",
    auth=session_auth,
    response={200: RequestEnvelope, **ERRORS},
    summary="Cancel one's own pending or approved request before it starts",
)
def cancel(request: HttpRequest, requestId: int, payload: CancelIn | None = None):
    booking = services.booking_cancel(
        booking=_booking(requestId),
        by=request.user,
        reason=(payload.reason if payload else None) or "",
    )
    return Status(200, envelope("Session request cancelled", request_data(_booking(booking.pk))))


@router.put(
    "/api/session/complete/{int:requestId}",
    auth=session_auth,
    response={200: RequestEnvelope, **ERRORS},
    summary="Mark an approved session completed, once it has started",
)
def complete(request: HttpRequest, requestId: int):
    booking = services.booking_complete(booking=_booking(requestId), by=request.user)
    return Status(200, envelope("Session marked completed", request_data(_booking(booking.pk))))


# ---------------------------------------------------------------- courses


def _courses_for(user):
    courses = selectors.published_courses().order_by("title", "id")
    if user.is_authenticated:
        mine = Enrollment.objects.filter(course=OuterRef("pk"), student=user)
        return courses.annotate(enrolled=Exists(mine))
    return courses.annotate(enrolled=Value(False))


@router.get(
    "/api/courses",
    response={200: CourseListEnvelope, **ERRORS},
    summary="Published courses (enrolled: whether the logged-in student is enrolled)",
)
def courses(request: HttpRequest, page: Page = 1):
    data, meta = paginate(_courses_for(request.user), course_data, page)
    return Status(200, envelope("Courses", data, meta=meta))


@router.post(
    "/api/courses/{int:courseId}/enroll",
    auth=session_auth,
    response={200: EnrollmentEnvelope, 201: EnrollmentEnvelope, **ERRORS},
    summary="Enrol the logged-in student (idempotent)",
)
def enroll(request: HttpRequest, courseId: int):
    course = get_object_or_404(Course, pk=courseId, is_published=True)
    _, created = services.enroll(student=request.user, course=course)
    course = _courses_for(request.user).get(pk=course.pk)
    if created:
        return Status(201, envelope("Enrolled", course_data(course)))
    return Status(200, envelope("Already enrolled", course_data(course)))
