"""The Availability / Session-request API (camelCase), and its course endpoints."""

from __future__ import annotations

from django.db.models import Exists, OuterRef, Value
from django.http import HttpRequest
from django.shortcuts import get_object_or_404
from ninja import Router, Status

from accounts.models import User
from scheduling import schedule_cache, selectors, services
from scheduling.models import Booking, BookingStatus, Course, Enrollment, Slot

from .core import (
    INVALID_INPUT,
    ApiError,
    envelope,
    optional_body,
    page_response,
    page_rows,
    parse_datetime,
    require_role,
    rows_response,
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

router = Router(tags=["Availability / Session-request API"], auth=session_auth)


# The columns `slot_data` reads. Lists and single slots alike are read as these values:
# a page of 50 slots read as model instances with their whole educator and course rows
# built ~150 objects and parsed ~500 datetimes per request.
SLOT_DATA_FIELDS = (
    "id",
    "educator_id",
    "educator__username",
    "educator__first_name",
    "educator__last_name",
    "course_id",
    "course__title",
    "starts_at",
    "ends_at",
    "capacity",
    "seats_taken",
    "requires_approval",
    "meeting_link",
    "note",
    "withdrawn_at",
)


def slot_data(slot: dict, viewer_id: int | None = None) -> dict:
    """A slot (its `SLOT_DATA_FIELDS` values) as the contract's clients read it.

    The slot's default meeting link is shown to its educator only: students get a link
    through an approved request, never by browsing open slots.
    """
    educator_id = slot["educator_id"]
    return {
        "id": slot["id"],
        "educatorId": educator_id,
        "educatorName": User.name_from(
            slot["educator__first_name"], slot["educator__last_name"], slot["educator__username"]
        ),
        "courseId": slot["course_id"],
        "courseTitle": slot["course__title"] if slot["course_id"] else None,
        "startTime": utc_iso(slot["starts_at"]),
        "endTime": utc_iso(slot["ends_at"]),
        "capacity": slot["capacity"],
        "seatsTaken": slot["seats_taken"],
        "seatsLeft": Slot.seats_left_of(slot["capacity"], slot["seats_taken"]),
        "requiresApproval": slot["requires_approval"],
        "meetingLink": (slot["meeting_link"] or None) if educator_id == viewer_id else None,
        "note": slot["note"],
        "withdrawn": slot["withdrawn_at"] is not None,
    }


def _viewer_id(request: HttpRequest) -> int | None:
    return request.user.pk if request.user.is_authenticated else None


def _one_slot(request: HttpRequest, slot_id: int) -> dict:
    slot = Slot.objects.filter(pk=slot_id).values(*SLOT_DATA_FIELDS).get()
    return slot_data(slot, _viewer_id(request))


def _slot_serializer(request: HttpRequest):
    viewer_id = _viewer_id(request)
    return lambda slot: slot_data(slot, viewer_id)


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
    return Status(201, envelope("Availability slot created", _one_slot(request, slot.pk)))


@router.get(
    "/api/availability/educator/slots",
    response={200: SlotListEnvelope, **ERRORS},
    summary="The logged-in educator's slots (?upcoming=true: not yet ended, not withdrawn)",
)
def educator_slots(request: HttpRequest, upcoming: bool = False, page: Page = 1):
    require_role(request, "educator")
    slots = Slot.objects.for_educator(request.user)
    if upcoming:
        slots = slots.upcoming().filter(withdrawn_at__isnull=True)
    slots = slots.order_by("starts_at", "id")
    return page_response(
        request,
        "Availability slots",
        slots,
        _slot_serializer(request),
        page,
        values=SLOT_DATA_FIELDS,
    )


@router.get(
    "/api/availability/course/{int:courseId}",
    response={200: SlotListEnvelope, **ERRORS},
    summary="A course's open slots with seats left",
)
def course_slots(request: HttpRequest, courseId: int, page: Page = 1):
    course = selectors.course_to_list(courseId)
    if course is None or not course.is_visible_to(request.user):
        raise ApiError(404, "No course with this id.")
    # The same page for every viewer this minute, remembered until the educator's
    # schedule changes (schedule_cache); read as of the next minute, so it lists nothing
    # that starts meanwhile.
    parts = ("course-slots", course.pk, page, schedule_cache.minute())
    remembered = schedule_cache.Remembered(course.educator_id, parts)
    rows, total = remembered.answer(
        "page",
        lambda: page_rows(
            selectors.open_course_slots(course.pk, schedule_cache.next_minute()), page
        ),
    )
    remembered.save()
    return rows_response(request, "Open slots", rows, total, _slot_serializer(request), page)


@router.put(
    "/api/availability/update/{int:slotId}",
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
    return Status(200, envelope("Availability slot updated", _one_slot(request, slot.pk)))


@router.delete(
    "/api/availability/delete/{int:slotId}",
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
    response={200: RequestListEnvelope, **ERRORS},
    summary="The logged-in student's requests, newest first",
)
def my_requests(request: HttpRequest, status: str | None = None, page: Page = 1):
    require_role(request, "student")
    bookings = selectors.student_bookings(student=request.user, status=_status_filter(request))
    return page_response(request, "Session requests", bookings, request_data, page)


@router.get(
    "/api/session/educator/requests",
    response={200: RequestListEnvelope, **ERRORS},
    summary="Requests on the logged-in educator's slots",
)
def educator_requests(request: HttpRequest, status: str | None = None, page: Page = 1):
    require_role(request, "educator")
    bookings = selectors.educator_bookings(educator=request.user, status=_status_filter(request))
    return page_response(request, "Session requests", bookings, request_data, page)


@router.put(
    "/api/session/approve/{int:requestId}",
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
    auth=None,  # public
    response={200: CourseListEnvelope, **ERRORS},
    summary="Published courses (enrolled: whether the logged-in student is enrolled)",
)
def courses(request: HttpRequest, page: Page = 1):
    return page_response(request, "Courses", _courses_for(request.user), course_data, page)


@router.post(
    "/api/courses/{int:courseId}/enroll",
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
