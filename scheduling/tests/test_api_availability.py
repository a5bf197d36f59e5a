"""The Availability / Session-request API and its course endpoints, row by row of API.md."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from scheduling import errors, services
from scheduling.models import Booking, Enrollment, Slot
from scheduling.tests.api_helpers import call, future, iso
from scheduling.tests.factories import (
    BookingFactory,
    CourseFactory,
    EducatorFactory,
    SlotFactory,
    StudentFactory,
)

pytestmark = pytest.mark.django_db

SLOT_KEYS = {
    "id",
    "educatorId",
    "educatorName",
    "courseId",
    "courseTitle",
    "startTime",
    "endTime",
    "capacity",
    "seatsTaken",
    "seatsLeft",
    "requiresApproval",
    "note",
    "withdrawn",
}
REQUEST_KEYS = {
    "id",
    "slotId",
    "studentId",
    "studentName",
    "educatorId",
    "educatorName",
    "courseId",
    "courseTitle",
    "startTime",
    "endTime",
    "message",
    "status",
    "meetingLink",
    "rejectionReason",
    "createdAt",
    "updatedAt",
}


@pytest.fixture
def as_educator(client, educator):
    client.force_login(educator)
    return client


@pytest.fixture
def as_student(client, student):
    client.force_login(student)
    return client


def login(client, user):
    client.force_login(user)
    return client


# ---------------------------------------------------------------- availability


def test_create_slot(as_educator, educator, course):
    start = future()
    status, body = call(
        as_educator,
        "POST",
        "/api/availability/create",
        {
            "courseId": course.pk,
            "startTime": start.isoformat(),
            "capacity": 3,
            "requiresApproval": False,
            "meetingLink": "https://meet.example.com/a",
            "note": "Bring questions",
        },
    )
    assert status == 201 and body["success"] is True
    data = body["data"]
    assert set(data) >= SLOT_KEYS
    assert data["educatorId"] == educator.pk and data["educatorName"] == educator.display_name
    assert (data["courseId"], data["courseTitle"]) == (course.pk, course.title)
    assert data["startTime"] == iso(start) and data["endTime"] == iso(start + timedelta(hours=1))
    assert (data["capacity"], data["seatsTaken"], data["seatsLeft"]) == (3, 0, 3)
    assert (data["requiresApproval"], data["note"], data["withdrawn"]) == (
        False,
        "Bring questions",
        False,
    )


def test_create_slot_with_end_time(as_educator):
    start = future()
    _, body = call(
        as_educator,
        "POST",
        "/api/availability/create",
        {"startTime": iso(start), "endTime": iso(start + timedelta(minutes=45))},
    )
    assert body["data"]["endTime"] == iso(start + timedelta(minutes=45))
    assert body["data"]["courseId"] is None


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({}, "startTime"),
        ({"startTime": "soon"}, "startTime"),
        ({"startTime": "2020-01-01T10:00:00Z"}, "startTime"),
        ({"startTime": "2030-01-01T10:00:00Z", "endTime": "2030-01-01T09:00:00Z"}, "endTime"),
        ({"startTime": "2030-01-01T10:00:00Z", "endTime": "2030-01-01T10:00:30Z"}, "endTime"),
        ({"startTime": "2030-01-01T10:00:00Z", "capacity": 0}, "capacity"),
        ({"startTime": "2030-01-01T10:00:00Z", "capacity": "3"}, "capacity"),
        ({"startTime": "2030-01-01T10:00:00Z", "requiresApproval": "yes"}, "requiresApproval"),
        ({"startTime": "2030-01-01T10:00:00Z", "meetingLink": "javascript:x"}, "meetingLink"),
        ({"startTime": "2030-01-01T10:00:00Z", "courseId": 999999}, "courseId"),
    ],
)
def test_create_slot_invalid_input_is_400(as_educator, payload, field):
    status, body = call(as_educator, "POST", "/api/availability/create", payload)
    assert status == 400 and body["success"] is False
    assert field in body["errors"], body
    assert not Slot.objects.exists()


def test_create_slot_for_another_educators_course_is_403(as_educator):
    theirs = CourseFactory()
    status, body = call(
        as_educator,
        "POST",
        "/api/availability/create",
        {"startTime": iso(future()), "courseId": theirs.pk},
    )
    assert (status, body["message"]) == (403, errors.NOT_COURSE_OWNER)


def test_create_slot_roles(client, student):
    payload = {"startTime": iso(future())}
    assert call(client, "POST", "/api/availability/create", payload)[0] == 401
    assert call(login(client, student), "POST", "/api/availability/create", payload)[0] == 403


def test_create_overlapping_slot_is_409(as_educator, educator):
    start = future()
    SlotFactory(educator=educator, starts_at=start)
    status, body = call(
        as_educator,
        "POST",
        "/api/availability/create",
        {"startTime": iso(start + timedelta(minutes=59))},
    )
    assert (status, body["message"]) == (409, errors.SLOT_OVERLAP)


def test_educator_slots_and_upcoming_filter(as_educator, educator):
    open_slot = SlotFactory(educator=educator, starts_at=future(days=2))
    withdrawn = SlotFactory(educator=educator, starts_at=future(days=3))
    services.slot_withdraw(slot=withdrawn, by=educator)
    SlotFactory(educator=EducatorFactory())  # someone else's
    _, every = call(as_educator, "GET", "/api/availability/educator/slots")
    assert [s["id"] for s in every["data"]] == [open_slot.pk, withdrawn.pk]
    assert every["data"][1]["withdrawn"] is True
    _, upcoming = call(as_educator, "GET", "/api/availability/educator/slots?upcoming=true")
    assert [s["id"] for s in upcoming["data"]] == [open_slot.pk]
    assert upcoming["meta"] == {"page": 1, "pages": 1, "total": 1}


def test_educator_slots_roles(client, student):
    assert call(client, "GET", "/api/availability/educator/slots")[0] == 401
    assert call(login(client, student), "GET", "/api/availability/educator/slots")[0] == 403


def test_course_slots_lists_open_slots_with_seats_left(client, educator, student, course):
    free = SlotFactory(educator=educator, course=course, capacity=2, starts_at=future(days=2))
    full = SlotFactory(educator=educator, course=course, capacity=1, starts_at=future(days=3))
    BookingFactory(slot=full)
    withdrawn = SlotFactory(educator=educator, course=course, starts_at=future(days=4))
    services.slot_withdraw(slot=withdrawn, by=educator)
    SlotFactory(educator=educator, starts_at=future(days=5))  # no course
    assert call(client, "GET", f"/api/availability/course/{course.pk}")[0] == 401
    status, body = call(login(client, student), "GET", f"/api/availability/course/{course.pk}")
    assert status == 200
    assert [s["id"] for s in body["data"]] == [free.pk]
    assert call(client, "GET", "/api/availability/course/999999")[0] == 404


def test_update_slot(as_educator, educator, course):
    slot = SlotFactory(educator=educator)
    start = future(days=6)
    status, body = call(
        as_educator,
        "PUT",
        f"/api/availability/update/{slot.pk}",
        {
            "startTime": iso(start),
            "capacity": 5,
            "courseId": course.pk,
            "note": "Room 2",
            "requiresApproval": False,
            "meetingLink": "https://meet.example.com/z",
        },
    )
    assert status == 200
    data = body["data"]
    assert (data["startTime"], data["capacity"], data["courseId"], data["note"]) == (
        iso(start),
        5,
        course.pk,
        "Room 2",
    )
    assert data["requiresApproval"] is False
    status, body = call(
        as_educator, "PUT", f"/api/availability/update/{slot.pk}", {"courseId": None}
    )
    assert body["data"]["courseId"] is None


def test_update_slot_rules(client, educator, other_educator):
    slot = SlotFactory(educator=educator, capacity=2)
    BookingFactory(slot=slot)
    path = f"/api/availability/update/{slot.pk}"
    assert call(client, "PUT", path, {"capacity": 3})[0] == 401
    assert call(login(client, other_educator), "PUT", path, {"capacity": 3})[0] == 403
    login(client, educator)
    assert call(client, "PUT", "/api/availability/update/999999", {"capacity": 3})[0] == 404
    status, body = call(client, "PUT", path, {"startTime": iso(future(days=8))})
    assert (status, body["message"]) == (409, errors.TIME_LOCKED)
    status, body = call(client, "PUT", path, {"capacity": 99})
    assert status == 400 and "capacity" in body["errors"]


def test_delete_slot_withdraws_and_cancels_held_seats(client, educator, other_educator):
    slot = SlotFactory(educator=educator, capacity=2)
    booking = BookingFactory(slot=slot)
    path = f"/api/availability/delete/{slot.pk}"
    assert call(login(client, other_educator), "DELETE", path)[0] == 403
    status, body = call(login(client, educator), "DELETE", path)
    assert (status, body["success"], body["data"]) == (200, True, {})
    assert Slot.objects.get(pk=slot.pk).withdrawn_at is not None
    assert Booking.objects.get(pk=booking.pk).status == "cancelled"
    assert call(client, "DELETE", "/api/availability/delete/999999")[0] == 404


# ---------------------------------------------------------------- requests


def test_request_session(as_student, student, educator):
    slot = SlotFactory(educator=educator)
    status, body = call(
        as_student, "POST", "/api/session/request", {"slotId": slot.pk, "message": "Hello"}
    )
    assert status == 201 and body["success"] is True
    data = body["data"]
    assert set(data) == REQUEST_KEYS
    assert (data["slotId"], data["studentId"], data["educatorId"]) == (
        slot.pk,
        student.pk,
        educator.pk,
    )
    assert (data["status"], data["message"], data["meetingLink"], data["rejectionReason"]) == (
        "pending",
        "Hello",
        None,
        None,
    )
    assert data["startTime"] == iso(slot.starts_at)


def test_request_refusals(client, educator, student, other_student):
    slot = SlotFactory(educator=educator)
    assert call(client, "POST", "/api/session/request", {"slotId": slot.pk})[0] == 401
    assert (
        call(login(client, educator), "POST", "/api/session/request", {"slotId": slot.pk})[0] == 403
    )
    login(client, student)
    status, body = call(client, "POST", "/api/session/request", {"slotId": 999999})
    assert status == 400 and "slotId" in body["errors"]
    status, body = call(client, "POST", "/api/session/request", {"slotId": "x"})
    assert status == 400 and "slotId" in body["errors"]
    status, body = call(
        client, "POST", "/api/session/request", {"slotId": slot.pk, "message": "x" * 1001}
    )
    assert status == 400 and "message" in body["errors"]
    assert call(client, "POST", "/api/session/request", {"slotId": slot.pk})[0] == 201
    status, body = call(client, "POST", "/api/session/request", {"slotId": slot.pk})
    assert (status, body["message"]) == (409, errors.ALREADY_BOOKED)
    status, body = call(
        login(client, other_student), "POST", "/api/session/request", {"slotId": slot.pk}
    )
    assert (status, body["message"]) == (409, errors.SLOT_FULL)


def test_request_for_course_slot_needs_enrolment(as_student, educator, course):
    slot = SlotFactory(educator=educator, course=course)
    status, body = call(as_student, "POST", "/api/session/request", {"slotId": slot.pk})
    assert (status, body["message"]) == (403, errors.NOT_ENROLLED)
    assert call(as_student, "POST", f"/api/courses/{course.pk}/enroll")[0] == 201
    assert call(as_student, "POST", "/api/session/request", {"slotId": slot.pk})[0] == 201


def test_overlapping_request_is_409(as_student, student):
    start = future()
    first = SlotFactory(educator=EducatorFactory(), starts_at=start)
    clash = SlotFactory(educator=EducatorFactory(), starts_at=start + timedelta(minutes=15))
    call(as_student, "POST", "/api/session/request", {"slotId": first.pk})
    status, body = call(as_student, "POST", "/api/session/request", {"slotId": clash.pk})
    assert (status, body["message"]) == (409, errors.BOOKING_OVERLAP)


def test_my_requests_newest_first_with_status_filter(as_student, student, educator):
    older = BookingFactory(slot=SlotFactory(educator=educator), student=student)
    newer = BookingFactory(slot=SlotFactory(educator=educator), student=student)
    services.booking_reject(booking=older, by=educator, reason="Busy")
    BookingFactory(slot=SlotFactory(educator=educator))  # someone else's
    _, body = call(as_student, "GET", "/api/session/my-requests")
    assert [r["id"] for r in body["data"]] == [newer.pk, older.pk]
    assert body["data"][1]["rejectionReason"] == "Busy"
    _, body = call(as_student, "GET", "/api/session/my-requests?status=rejected")
    assert [r["id"] for r in body["data"]] == [older.pk]
    status, body = call(as_student, "GET", "/api/session/my-requests?status=bogus")
    assert status == 400 and "status" in body["errors"]


def test_educator_requests_only_on_own_slots(as_educator, educator):
    mine = BookingFactory(slot=SlotFactory(educator=educator))
    BookingFactory(slot=SlotFactory(educator=EducatorFactory()))
    _, body = call(as_educator, "GET", "/api/session/educator/requests")
    assert [r["id"] for r in body["data"]] == [mine.pk]
    _, body = call(as_educator, "GET", "/api/session/educator/requests?status=approved")
    assert body["data"] == []


def test_list_roles(client, student, educator):
    assert call(client, "GET", "/api/session/my-requests")[0] == 401
    assert call(login(client, educator), "GET", "/api/session/my-requests")[0] == 403
    assert call(login(client, student), "GET", "/api/session/educator/requests")[0] == 403


def test_approve_with_link_then_link_is_shown(client, educator):
    booking = BookingFactory(slot=SlotFactory(educator=educator))
    status, body = call(
        login(client, educator),
        "PUT",
        f"/api/session/approve/{booking.pk}",
        {"meetingLink": "https://meet.example.com/x"},
    )
    assert status == 200
    assert (body["data"]["status"], body["data"]["meetingLink"]) == (
        "approved",
        "https://meet.example.com/x",
    )


def test_approve_defaults_to_slot_link_and_needs_one(client, educator):
    with_link = BookingFactory(
        slot=SlotFactory(educator=educator, meeting_link="https://meet.example.com/d")
    )
    without = BookingFactory(slot=SlotFactory(educator=educator))
    login(client, educator)
    _, body = call(client, "PUT", f"/api/session/approve/{with_link.pk}")
    assert body["data"]["meetingLink"] == "https://meet.example.com/d"
    status, body = call(client, "PUT", f"/api/session/approve/{without.pk}", {})
    assert (status, body["errors"]) == (400, {"meetingLink": [errors.MEETING_LINK_REQUIRED]})


def test_approve_refusals(client, educator, other_educator):
    booking = BookingFactory(
        slot=SlotFactory(educator=educator, meeting_link="https://m.example.com")
    )
    path = f"/api/session/approve/{booking.pk}"
    assert call(client, "PUT", path)[0] == 401
    assert call(login(client, other_educator), "PUT", path)[0] == 403
    assert call(login(client, booking.student), "PUT", path)[0] == 403
    login(client, educator)
    assert call(client, "PUT", "/api/session/approve/999999")[0] == 404
    assert call(client, "PUT", path)[0] == 200
    status, body = call(client, "PUT", path)
    assert (status, body["message"]) == (
        409,
        errors.ILLEGAL_TRANSITION.format(status="approved", action="approved"),
    )


def test_reject_needs_reason_and_shows_it(client, educator):
    booking = BookingFactory(slot=SlotFactory(educator=educator))
    login(client, educator)
    status, body = call(client, "PUT", f"/api/session/reject/{booking.pk}", {})
    assert (status, body["errors"]) == (400, {"reason": [errors.REASON_REQUIRED]})
    status, body = call(client, "PUT", f"/api/session/reject/{booking.pk}", {"reason": "Away"})
    assert (status, body["data"]["status"], body["data"]["rejectionReason"]) == (
        200,
        "rejected",
        "Away",
    )
    status, _ = call(client, "PUT", f"/api/session/reject/{booking.pk}", {"reason": "Again"})
    assert status == 409


def test_cancel_by_student_only(client, educator):
    booking = BookingFactory(slot=SlotFactory(educator=educator))
    path = f"/api/session/cancel/{booking.pk}"
    assert call(login(client, educator), "PUT", path)[0] == 403
    assert call(login(client, StudentFactory()), "PUT", path)[0] == 403
    status, body = call(login(client, booking.student), "PUT", path, {"reason": "Clash"})
    assert (status, body["data"]["status"]) == (200, "cancelled")
    status, body = call(client, "PUT", path)
    assert status == 409


def test_complete_after_start_only(client, educator):
    slot = SlotFactory(educator=educator, meeting_link="https://m.example.com")
    booking = services.booking_approve(booking=BookingFactory(slot=slot), by=educator)
    login(client, educator)
    status, body = call(client, "PUT", f"/api/session/complete/{booking.pk}")
    assert (status, body["message"]) == (409, errors.COMPLETE_BEFORE_START)
    start = timezone.now() - timedelta(hours=2)  # time passes: the session has started
    Slot.objects.filter(pk=slot.pk).update(starts_at=start, ends_at=start + timedelta(hours=1))
    status, body = call(client, "PUT", f"/api/session/complete/{booking.pk}")
    assert (status, body["data"]["status"]) == (200, "completed")
    assert body["data"]["meetingLink"] == "https://m.example.com"


# ---------------------------------------------------------------- courses


def test_courses_list_with_enrolled_flag(client, student, course):
    hidden = CourseFactory(is_published=False)
    _, anonymous = call(client, "GET", "/api/courses")
    assert [c["id"] for c in anonymous["data"]] == [course.pk]
    assert anonymous["data"][0] == {
        "id": course.pk,
        "title": course.title,
        "field": course.field,
        "educatorId": course.educator_id,
        "educatorName": course.educator.display_name,
        "enrolled": False,
    }
    services.enroll(student=student, course=course)
    _, mine = call(login(client, student), "GET", "/api/courses")
    assert mine["data"][0]["enrolled"] is True
    assert hidden.pk not in [c["id"] for c in mine["data"]]


def test_enroll_is_idempotent(client, student, educator, course):
    path = f"/api/courses/{course.pk}/enroll"
    assert call(client, "POST", path)[0] == 401
    status, body = call(login(client, educator), "POST", path)
    assert (status, body["message"]) == (403, errors.NOT_A_STUDENT_ENROL)
    login(client, student)
    first = call(client, "POST", path)
    second = call(client, "POST", path)
    assert (first[0], second[0]) == (201, 200)
    assert first[1]["data"]["enrolled"] is second[1]["data"]["enrolled"] is True
    assert Enrollment.objects.filter(student=student, course=course).count() == 1
    assert call(client, "POST", "/api/courses/999999/enroll")[0] == 404


# ---------------------------------------------------------------- lists: pages and query counts


@pytest.mark.parametrize("rows", [5, 50])
def test_request_lists_keep_a_constant_query_count(
    client, educator, rows, django_assert_num_queries
):
    student = StudentFactory()
    for _ in range(rows):
        BookingFactory(slot=SlotFactory(educator=educator, capacity=2), student=student)
    login(client, student)
    # session, user, page; and a COUNT only when the page is full (more may follow)
    queries = 3 if rows < 50 else 4
    with django_assert_num_queries(queries):
        _, body = call(client, "GET", "/api/session/my-requests")
    assert len(body["data"]) == rows
    login(client, educator)
    with django_assert_num_queries(queries):
        _, body = call(client, "GET", "/api/session/educator/requests")
    with django_assert_num_queries(queries):
        _, slots = call(client, "GET", "/api/availability/educator/slots")
    assert len(slots["data"]) == rows


def test_lists_paginate_50_a_page(as_educator, educator):
    for day in range(52):
        SlotFactory(educator=educator, starts_at=future(days=2 + day))
    _, first = call(as_educator, "GET", "/api/availability/educator/slots")
    _, second = call(as_educator, "GET", "/api/availability/educator/slots?page=2")
    assert (len(first["data"]), len(second["data"])) == (50, 2)
    assert second["meta"] == {"page": 2, "pages": 2, "total": 52}
    status, body = call(as_educator, "GET", "/api/availability/educator/slots?page=zero")
    assert status == 400 and "page" in body["errors"]


# ---------------------------------------------------------------- audit: what clients send


def test_slot_meeting_link_is_shown_to_its_educator_only(client, educator, student, course):
    slot = SlotFactory(educator=educator, course=course, meeting_link="https://meet.example.com/s")
    services.enroll(student=student, course=course)
    _, mine = call(login(client, educator), "GET", "/api/availability/educator/slots")
    assert mine["data"][0]["meetingLink"] == "https://meet.example.com/s"
    _, browsing = call(login(client, student), "GET", f"/api/availability/course/{course.pk}")
    assert [s["id"] for s in browsing["data"]] == [slot.pk]
    assert browsing["data"][0]["meetingLink"] is None
    assert "meet.example.com" not in json.dumps(browsing)


def test_update_slot_with_an_empty_body_changes_nothing(as_educator, educator):
    slot = SlotFactory(educator=educator, capacity=4)
    for raw in ("", "{}"):
        status, body = call(as_educator, "PUT", f"/api/availability/update/{slot.pk}", raw=raw)
        assert (status, body["data"]["capacity"]) == (200, 4)
        assert body["data"]["startTime"] == iso(slot.starts_at)


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"startTime": "2030-01-01"}, "startTime"),  # a date without a time
        ({"startTime": "2030-01-01T10:00:00Z", "endTime": "9999-12-31T23:59:59Z"}, "endTime"),
        ({"startTime": "2030-01-01T10:00:00Z", "note": "a\x00b"}, "note"),
        ({"startTime": "2030-01-01T10:00:00Z", "note": "\ud800"}, "note"),
        (
            {"startTime": "2030-01-01T10:00:00Z", "meetingLink": "https://a.example/\x00"},
            "meetingLink",
        ),
        ({"startTime": "2030-01-01T10:00:00Z", "courseId": "abc"}, "courseId"),
        ({"startTime": "2030-01-01T10:00:00Z", "courseId": -3}, "courseId"),
        ({"startTime": "2030-01-01T10:00:00Z", "capacity": 10**40}, "capacity"),
    ],
)
def test_create_slot_odd_input_is_400_never_500(as_educator, payload, field):
    status, body = call(as_educator, "POST", "/api/availability/create", payload)
    assert status == 400 and body["success"] is False
    assert field in body["errors"], body
    assert not Slot.objects.exists()


def test_text_a_database_cannot_store_is_400(client, educator, student, slot):
    login(client, student)
    status, body = call(
        client, "POST", "/api/session/request", {"slotId": slot.pk, "message": "hi\x00"}
    )
    assert status == 400 and "message" in body["errors"]
    booking = BookingFactory(slot=SlotFactory(educator=educator, starts_at=future(days=4)))
    login(client, educator)
    path = f"/api/session/reject/{booking.pk}"
    status, body = call(client, "PUT", path, {"reason": "busy\x00"})
    assert status == 400 and "reason" in body["errors"]
    assert Booking.objects.get(pk=booking.pk).status == "pending"


def test_oversized_body_is_400_not_500(as_educator, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
    payload = {"startTime": iso(future()), "note": "x" * 5000}
    status, body = call(as_educator, "POST", "/api/availability/create", payload)
    assert (status, body["success"]) == (400, False)
    assert not Slot.objects.exists()


@pytest.mark.parametrize(
    "path",
    [
        "/api/courses",
        "/api/availability/educator/slots",
        "/api/session/educator/requests",
    ],
)
@pytest.mark.parametrize("page", ["0", "-1", "abc", "1.5"])
def test_a_bad_page_is_400_keyed_page(as_educator, path, page):
    status, body = call(as_educator, "GET", f"{path}?page={page}")
    assert status == 400 and "page" in body["errors"], body


def test_a_page_far_past_the_end_is_empty(as_educator):
    status, body = call(as_educator, "GET", f"/api/courses?page={10**20}")
    assert status == 200 and body["data"] == []
    assert body["meta"]["total"] == 0


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/api"),
        ("GET", "/api/"),
        ("GET", "/api/nothing"),
        ("POST", "/api/nothing/here"),
        ("GET", "/api/courses/"),
        ("PUT", "/api/session/approve/abc"),
    ],
)
def test_unknown_api_paths_are_json_404(method, path):
    client = Client(enforce_csrf_checks=True)  # a POST to nowhere is a 404, not a CSRF 403
    response = getattr(client, method.lower())(path)
    assert response.status_code == 404
    assert response.json() == {"success": False, "message": "Not found."}


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("DELETE", "/api/courses"),
        ("GET", "/api/availability/create"),
        ("POST", "/api/availability/update/1"),
        ("PUT", "/api/availability/delete/1"),
        ("GET", "/api/session/request"),
        ("POST", "/api/session/approve/1"),
        ("GET", "/api/courses/1/enroll"),
    ],
)
def test_wrong_methods_are_json_405(client, method, path):
    status, body = call(client, method, path)
    assert (status, body) == (405, {"success": False, "message": "Method not allowed."})


def test_out_of_range_ids_in_paths_are_404(client, educator):
    login(client, educator)
    huge = 2**63
    for method, path in (
        ("PUT", f"/api/availability/update/{huge}"),
        ("DELETE", f"/api/availability/delete/{huge}"),
        ("PUT", f"/api/session/approve/{huge}"),
        ("GET", f"/api/availability/course/{huge}"),
    ):
        status, body = call(client, method, path, {} if method == "PUT" else None)
        assert (status, body["success"]) == (404, False), path


@pytest.mark.parametrize("raw", ["[]", "null", "5", "true", '"text"', '[{"capacity": 2}]'])
def test_update_slot_with_json_that_is_not_an_object_is_400(as_educator, educator, raw):
    slot = SlotFactory(educator=educator, capacity=4)
    status, body = call(as_educator, "PUT", f"/api/availability/update/{slot.pk}", raw=raw)
    assert (status, body["success"]) == (400, False)
    assert "body" in body["errors"], body
    slot.refresh_from_db()
    assert slot.capacity == 4
