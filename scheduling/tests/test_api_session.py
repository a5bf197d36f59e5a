"""The Session API (mentor sessions with a quota), row by row of API.md."""

from __future__ import annotations

from datetime import timedelta

import pytest

from scheduling import errors, services
from scheduling.models import Booking, Slot
from scheduling.tests.api_helpers import call, future, plain
from scheduling.tests.factories import BookingFactory, CourseFactory, SlotFactory, StudentFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def as_educator(client, educator):
    client.force_login(educator)
    return client


@pytest.fixture
def as_student(client, student):
    client.force_login(student)
    return client


# ---------------------------------------------------------------- addSession


def test_add_session(as_educator, educator):
    when = future()
    status, body = call(
        as_educator,
        "POST",
        "/session/api/addSession",
        {"scheduledAt": when.isoformat(), "quota": 3},
    )
    assert status == 201
    assert body["success"] is True
    assert body["message"] == "Successfully add new schedule"
    data = body["data"]
    assert data["mentor_id"] == educator.pk
    assert (data["scheduledAt"], data["quota"], data["remaining"]) == (plain(when), 3, 3)
    slot = Slot.objects.get(pk=data["id"])
    assert slot.course is None and slot.ends_at - slot.starts_at == timedelta(minutes=60)


@pytest.mark.parametrize(
    ("sent", "expected"),
    [
        ("2030-03-01T10:00:00+05:30", "2030-03-01 04:30:00"),
        ("2030-03-01T10:00:00Z", "2030-03-01 10:00:00"),
        ("2030-03-01T10:00:00", "2030-03-01 10:00:00"),  # naive is UTC
        ("2030-03-01 10:00:00", "2030-03-01 10:00:00"),
        ("2030-03-01T10:00:00-08:00", "2030-03-01 18:00:00"),
    ],
)
def test_scheduled_at_comes_back_in_utc_whatever_offset_was_sent(as_educator, sent, expected):
    status, body = call(as_educator, "POST", "/session/api/addSession", {"scheduledAt": sent})
    assert status == 201
    assert body["data"]["scheduledAt"] == expected


def test_add_session_with_duration(as_educator):
    _, body = call(
        as_educator,
        "POST",
        "/session/api/addSession",
        {"scheduledAt": future().isoformat(), "quota": 1, "duration": 30},
    )
    assert Slot.objects.get(pk=body["data"]["id"]).duration_minutes == 30


def test_add_session_anonymous_is_401(client):
    status, body = call(client, "POST", "/session/api/addSession", {"scheduledAt": "2030-01-01"})
    assert (status, body) == (401, {"success": False, "message": "Unauthorized"})


def test_add_session_student_is_403(as_student):
    status, body = call(
        as_student, "POST", "/session/api/addSession", {"scheduledAt": future().isoformat()}
    )
    assert (status, body["success"], body["message"]) == (403, False, errors.NOT_AN_EDUCATOR)


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"quota": 2}, "scheduledAt"),
        ({"scheduledAt": "next tuesday"}, "scheduledAt"),
        ({"scheduledAt": "2030-01-01T10:00:00Z", "quota": "two"}, "quota"),
        ({"scheduledAt": "2030-01-01T10:00:00Z", "quota": 0}, "quota"),
        ({"scheduledAt": "2030-01-01T10:00:00Z", "quota": 51}, "quota"),
        ({"scheduledAt": 12345}, "scheduledAt"),
        ({"scheduledAt": "2020-01-01T10:00:00Z"}, "scheduledAt"),
    ],
)
def test_add_session_invalid_input_is_400_keyed_by_field(as_educator, payload, field):
    status, body = call(as_educator, "POST", "/session/api/addSession", payload)
    assert status == 400 and body["success"] is False
    assert field in body["errors"], body
    assert not Slot.objects.exists()


def test_add_session_malformed_json_is_400(as_educator):
    status, body = call(as_educator, "POST", "/session/api/addSession", raw="{not json")
    assert status == 400 and body["success"] is False


def test_add_session_overlapping_is_409(as_educator, educator):
    when = future()
    SlotFactory(educator=educator, starts_at=when)
    status, body = call(
        as_educator,
        "POST",
        "/session/api/addSession",
        {"scheduledAt": (when + timedelta(minutes=30)).isoformat()},
    )
    assert (status, body["message"]) == (409, errors.SLOT_OVERLAP)


def test_touching_sessions_do_not_overlap(as_educator):
    when = future()
    for start in (when, when + timedelta(hours=1)):
        status, _ = call(
            as_educator, "POST", "/session/api/addSession", {"scheduledAt": start.isoformat()}
        )
        assert status == 201


# ---------------------------------------------------------------- updateSession


def test_update_session(as_educator, educator):
    slot = SlotFactory(educator=educator)
    when = future(days=5)
    status, body = call(
        as_educator,
        "PUT",
        f"/session/api/updateSession/{slot.pk}",
        {"scheduledAt": when.isoformat(), "quota": 4},
    )
    assert (status, body["message"]) == (200, "successfully update mentor session")
    assert (body["data"]["scheduledAt"], body["data"]["quota"]) == (plain(when), 4)


def test_update_session_of_another_mentor_is_403(client, other_educator, educator):
    slot = SlotFactory(educator=educator)
    client.force_login(other_educator)
    status, body = call(client, "PUT", f"/session/api/updateSession/{slot.pk}", {"quota": 2})
    assert status == 403 and body["success"] is False


def test_update_unknown_session_is_404(as_educator):
    status, body = call(as_educator, "PUT", "/session/api/updateSession/999999", {"quota": 2})
    assert (status, body["success"]) == (404, False)


def test_quota_below_seats_taken_is_409(as_educator, educator):
    slot = SlotFactory(educator=educator, capacity=2)
    BookingFactory(slot=slot)
    BookingFactory(slot=slot)
    status, body = call(as_educator, "PUT", f"/session/api/updateSession/{slot.pk}", {"quota": 1})
    assert (status, body["message"]) == (409, errors.CAPACITY_BELOW_SEATS.format(seats=2))


def test_moving_a_booked_session_is_409(as_educator, educator):
    slot = SlotFactory(educator=educator)
    BookingFactory(slot=slot)
    status, body = call(
        as_educator,
        "PUT",
        f"/session/api/updateSession/{slot.pk}",
        {"scheduledAt": future(days=9).isoformat()},
    )
    assert (status, body["message"]) == (409, errors.TIME_LOCKED)


# ---------------------------------------------------------------- getSession


def test_get_sessions_lists_upcoming_not_withdrawn_soonest_first(client, educator):
    later = SlotFactory(educator=educator, starts_at=future(days=4))
    sooner = SlotFactory(educator=educator, starts_at=future(days=2))
    gone = SlotFactory(educator=educator, starts_at=future(days=3))
    services.slot_withdraw(slot=gone, by=educator)
    SlotFactory(educator=educator, course=CourseFactory(educator=educator))  # not a session
    status, body = call(client, "GET", f"/session/getSession/{educator.pk}")
    assert (status, body["message"]) == (200, "Successfully get all session data")
    assert [s["id"] for s in body["data"]] == [sooner.pk, later.pk]
    first = body["data"][0]
    assert set(first) >= {"id", "mentor_id", "scheduledAt", "quota"}
    assert body["meta"] == {"page": 1, "pages": 1, "total": 2}


def test_get_sessions_of_unknown_mentor_is_404(client, student):
    assert call(client, "GET", "/session/getSession/999999")[0] == 404
    assert call(client, "GET", f"/session/getSession/{student.pk}")[0] == 404


def test_get_sessions_is_paginated_with_constant_queries(
    client, educator, django_assert_num_queries
):
    for day in range(55):
        SlotFactory(educator=educator, starts_at=future(days=2 + day))
    with django_assert_num_queries(3):
        _, body = call(client, "GET", f"/session/getSession/{educator.pk}")
    assert len(body["data"]) == 50 and body["meta"] == {"page": 1, "pages": 2, "total": 55}
    _, body = call(client, "GET", f"/session/getSession/{educator.pk}?page=2")
    assert len(body["data"]) == 5 and body["meta"]["page"] == 2


# ---------------------------------------------------------------- deleteSession


def test_delete_session_withdraws_and_keeps_bookings_visible_cancelled(client, educator):
    slot = SlotFactory(educator=educator)
    booking = BookingFactory(slot=slot)
    client.force_login(educator)
    status, body = call(client, "DELETE", f"/session/api/deleteSession/{slot.pk}")
    assert (status, body["message"]) == (200, "successfully delete mentor session")
    _, listing = call(client, "GET", f"/session/getSession/{educator.pk}")
    assert listing["data"] == []
    assert Slot.objects.filter(pk=slot.pk).exists()  # soft-deleted

    client.force_login(booking.student)
    _, mine = call(client, "GET", "/api/session/my-requests")
    assert [(r["id"], r["status"]) for r in mine["data"]] == [(booking.pk, "cancelled")]


def test_delete_session_not_owner_403_unknown_404(client, educator, other_educator):
    slot = SlotFactory(educator=educator)
    client.force_login(other_educator)
    assert call(client, "DELETE", f"/session/api/deleteSession/{slot.pk}")[0] == 403
    assert call(client, "DELETE", "/session/api/deleteSession/999999")[0] == 404
    assert Slot.objects.get(pk=slot.pk).withdrawn_at is None


def test_delete_twice_is_409(as_educator, educator):
    slot = SlotFactory(educator=educator)
    call(as_educator, "DELETE", f"/session/api/deleteSession/{slot.pk}")
    status, body = call(as_educator, "DELETE", f"/session/api/deleteSession/{slot.pk}")
    assert (status, body["message"]) == (409, errors.SLOT_ALREADY_WITHDRAWN)


# ---------------------------------------------------------------- bookSession


def test_book_session(client, educator, student):
    slot = SlotFactory(educator=educator, capacity=2)
    client.force_login(student)
    status, body = call(
        client, "POST", f"/session/api/student/bookSession/{educator.pk}", {"session_id": slot.pk}
    )
    assert (status, body["message"]) == (201, "successfully book mentoring session")
    data = body["data"]
    assert data["scheduledAt"] == plain(slot.starts_at)
    assert data["mentor_name"] == educator.display_name
    assert data["student_name"] == student.display_name
    assert data["field"] == educator.field
    booking = Booking.objects.get(pk=data["id"])
    assert data["bookedAt"] == plain(booking.created_at) and data["status"] == "pending"


def test_book_session_when_quota_is_exhausted_is_409(client, educator, student):
    slot = SlotFactory(educator=educator, capacity=1)
    BookingFactory(slot=slot)
    client.force_login(student)
    status, body = call(
        client, "POST", f"/session/api/student/bookSession/{educator.pk}", {"session_id": slot.pk}
    )
    assert (status, body["success"], body["message"]) == (409, False, errors.SLOT_FULL)


def test_book_session_of_another_mentor_is_404(client, educator, other_educator, student):
    slot = SlotFactory(educator=other_educator)
    client.force_login(student)
    status, _ = call(
        client, "POST", f"/session/api/student/bookSession/{educator.pk}", {"session_id": slot.pk}
    )
    assert status == 404
    assert not Booking.objects.exists()


def test_book_session_twice_is_409(client, educator, student):
    slot = SlotFactory(educator=educator, capacity=3)
    client.force_login(student)
    path = f"/session/api/student/bookSession/{educator.pk}"
    call(client, "POST", path, {"session_id": slot.pk})
    status, body = call(client, "POST", path, {"session_id": slot.pk})
    assert (status, body["message"]) == (409, errors.ALREADY_BOOKED)


def test_book_session_roles_and_input(client, educator):
    slot = SlotFactory(educator=educator)
    path = f"/session/api/student/bookSession/{educator.pk}"
    assert call(client, "POST", path, {"session_id": slot.pk})[0] == 401
    client.force_login(educator)
    assert call(client, "POST", path, {"session_id": slot.pk})[0] == 403
    client.force_login(StudentFactory())
    status, body = call(client, "POST", path, {"session_id": 999999})
    assert status == 400 and "session_id" in body["errors"]
    status, body = call(client, "POST", path, {"session_id": "abc"})
    assert status == 400 and "session_id" in body["errors"]
    assert (
        call(client, "POST", "/session/api/student/bookSession/999999", {"session_id": 1})[0] == 404
    )


def test_wrong_method_and_unknown_paths_answer_json(client):
    status, body = call(client, "GET", "/session/api/addSession")
    assert (status, body["success"]) == (405, False)
    status, body = call(client, "GET", "/session/nothing/here")
    assert (status, body["success"]) == (404, False)


# ---------------------------------------------------------------- inputs a client may send


@pytest.mark.parametrize(
    ("sent", "expected"),
    [
        ("2030-03-01T10:00Z", "2030-03-01 10:00:00"),  # no seconds, Z
        ("2030-03-01 10:00", "2030-03-01 10:00:00"),  # no seconds, naive
        ("2030-03-01T10:00:00.750z", "2030-03-01 10:00:00"),  # fraction, lower-case z
        ("2030-03-01T23:30:00-02:00", "2030-03-02 01:30:00"),  # the UTC day differs
    ],
)
def test_scheduled_at_variants_a_client_may_send(as_educator, sent, expected):
    status, body = call(
        as_educator, "POST", "/session/api/addSession", {"scheduledAt": sent, "quota": 2}
    )
    assert status == 201, body
    assert body["data"]["scheduledAt"] == expected


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"scheduledAt": "2030-03-01", "quota": 2}, "scheduledAt"),  # a date, no time
        ({"scheduledAt": "9999-12-31 23:30:00"}, "scheduledAt"),  # would overflow
        ({"scheduledAt": "0001-01-01T00:00:00+01:00"}, "scheduledAt"),
        ({"scheduledAt": "2030-02-30 10:00:00"}, "scheduledAt"),
        ({"scheduledAt": "2030-03-01T10:00:00Z", "quota": "3"}, "quota"),  # a string
        ({"scheduledAt": "2030-03-01T10:00:00Z", "quota": 2.5}, "quota"),
        ({"scheduledAt": "2030-03-01T10:00:00Z", "quota": True}, "quota"),
        ({"scheduledAt": "2030-03-01T10:00:00Z", "quota": 10**30}, "quota"),
        ({"scheduledAt": "2030-03-01T10:00:00Z", "duration": 10**30}, "duration"),
        ({"scheduledAt": "2030-03-01T10:00:00Z", "duration": -60}, "duration"),
    ],
)
def test_add_session_odd_input_is_400_never_500(as_educator, payload, field):
    status, body = call(as_educator, "POST", "/session/api/addSession", payload)
    assert status == 400 and body["success"] is False
    assert field in body["errors"], body
    assert not Slot.objects.exists()


@pytest.mark.parametrize("raw", ["", "null", "[]", '"text"', "{", '{"scheduledAt": }'])
def test_add_session_without_a_json_object_is_400(as_educator, raw):
    status, body = call(as_educator, "POST", "/session/api/addSession", raw=raw)
    assert status == 400 and body["success"] is False and body["message"]


def test_add_session_ignores_unknown_keys(as_educator):
    status, body = call(
        as_educator,
        "POST",
        "/session/api/addSession",
        {"scheduledAt": plain(future()), "quota": 2, "topic": "extra"},
    )
    assert status == 201 and body["data"]["quota"] == 2


def test_update_session_with_an_empty_body_changes_nothing(as_educator, educator):
    slot = SlotFactory(educator=educator, capacity=3)
    for raw in ("", "{}"):
        status, body = call(as_educator, "PUT", f"/session/api/updateSession/{slot.pk}", raw=raw)
        assert (status, body["message"]) == (200, "successfully update mentor session")
        assert (body["data"]["quota"], body["data"]["scheduledAt"]) == (3, plain(slot.starts_at))


def test_update_session_enormous_duration_is_400(as_educator, educator):
    slot = SlotFactory(educator=educator)
    status, body = call(
        as_educator, "PUT", f"/session/api/updateSession/{slot.pk}", {"duration": 10**25}
    )
    assert status == 400 and "duration" in body["errors"]


def test_session_ids_out_of_range_are_404_or_400(as_educator, educator):
    huge = 2**63
    status, body = call(as_educator, "PUT", f"/session/api/updateSession/{huge}", {"quota": 2})
    assert (status, body["success"]) == (404, False)
    status, body = call(as_educator, "DELETE", f"/session/api/deleteSession/{huge}")
    assert (status, body["success"]) == (404, False)
    status, body = call(as_educator, "GET", f"/session/getSession/{huge}")
    assert (status, body["success"]) == (404, False)
    status, body = call(as_educator, "DELETE", "/session/api/deleteSession/-1")
    assert (status, body["success"]) == (404, False)


def test_book_session_with_odd_session_ids(client, educator, student):
    slot = SlotFactory(educator=educator, capacity=5)
    client.force_login(student)
    path = f"/session/api/student/bookSession/{educator.pk}"
    for sent in (-1, 0, 2**63, 1.5, float(slot.pk), True, None, [slot.pk], "1 2", "", "abc"):
        status, body = call(client, "POST", path, {"session_id": sent})
        assert status == 400 and "session_id" in body["errors"], (sent, body)
    status, body = call(client, "POST", path, {"session_id": str(slot.pk)})  # "12" is an id
    assert (status, body["message"]) == (201, "successfully book mentoring session")


def test_book_session_response_keys(client, educator, student):
    slot = SlotFactory(educator=educator)
    client.force_login(student)
    status, body = call(
        client, "POST", f"/session/api/student/bookSession/{educator.pk}", {"session_id": slot.pk}
    )
    assert status == 201
    assert set(body["data"]) >= {
        "scheduledAt",
        "mentor_name",
        "student_name",
        "field",
        "bookedAt",
        "id",
        "status",
    }
    assert body["data"]["scheduledAt"] == plain(slot.starts_at)


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/session"),
        ("GET", "/session/"),
        ("POST", "/session/api/addSession/"),
        ("GET", "/session/getSession/1/"),
        ("GET", "/session/getSession/abc"),
    ],
)
def test_unknown_session_paths_are_json_404(client, method, path):
    status, body = call(client, method, path)
    assert (status, body) == (404, {"success": False, "message": "Not found."})


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("POST", "/session/getSession/1"),
        ("GET", "/session/api/updateSession/1"),
        ("PATCH", "/session/api/updateSession/1"),
        ("POST", "/session/api/deleteSession/1"),
        ("GET", "/session/api/student/bookSession/1"),
    ],
)
def test_wrong_methods_on_session_paths_are_json_405(client, method, path):
    status, body = call(client, method, path)
    assert (status, body["success"]) == (405, False)


@pytest.mark.parametrize("raw", ["[]", "null", "5", "true", '"text"', '[{"quota": 2}]'])
def test_update_session_with_json_that_is_not_an_object_is_400(as_educator, educator, raw):
    slot = SlotFactory(educator=educator, capacity=3)
    status, body = call(as_educator, "PUT", f"/session/api/updateSession/{slot.pk}", raw=raw)
    assert (status, body["success"]) == (400, False)
    assert "body" in body["errors"], body
    slot.refresh_from_db()
    assert slot.capacity == 3
