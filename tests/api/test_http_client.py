"""A client that only speaks HTTP (cookies + CSRF header), as the old front ends did, walks a
booking through both API surfaces against a live server."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from datetime import UTC, datetime, timedelta
from http.cookiejar import CookieJar

import pytest

from scheduling.tests.factories import EducatorFactory, StudentFactory

pytestmark = pytest.mark.django_db(transaction=True)


class HttpClient:
    def __init__(self, base_url: str) -> None:
        self.base_url = base_url
        self.jar = CookieJar()
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.jar))

    def csrf(self) -> str:
        return next(c.value for c in self.jar if c.name == "csrftoken")

    def call(self, method: str, path: str, body: dict | None = None) -> tuple[int, dict]:
        headers = {"Content-Type": "application/json", "Referer": self.base_url}
        if method not in ("GET", "HEAD"):
            headers["X-CSRFToken"] = self.csrf()
        data = json.dumps(body).encode() if body is not None else None
        request = urllib.request.Request(
            self.base_url + path, data=data, headers=headers, method=method
        )
        try:
            with self.opener.open(request, timeout=30) as response:
                return response.status, json.loads(response.read())
        except urllib.error.HTTPError as error:
            return error.code, json.loads(error.read())

    def login(self, username: str) -> dict:
        status, body = self.call("GET", "/api/auth/csrf")
        assert status == 200
        status, body = self.call(
            "POST", "/api/auth/login", {"username": username, "password": "pass-word-123"}
        )
        assert status == 200, body
        return body["data"]


def test_a_booking_through_both_surfaces(live_server):
    mentor = EducatorFactory(field="Data Science")
    learner = StudentFactory()
    educator, student = HttpClient(live_server.url), HttpClient(live_server.url)

    assert educator.call("GET", "/api/auth/me")[0] == 401
    assert educator.login(mentor.username)["role"] == "educator"
    assert student.login(learner.username)["role"] == "student"

    # Session API: the mentor publishes a session with a quota of 2 (sent with an offset).
    when = (datetime.now(UTC) + timedelta(days=3)).replace(hour=9, minute=0, second=0)
    offset = when.astimezone(datetime.now().astimezone().tzinfo).isoformat()
    status, added = educator.call(
        "POST", "/session/api/addSession", {"scheduledAt": offset, "quota": 2}
    )
    assert (status, added["message"]) == (201, "Successfully add new schedule")
    session_id = added["data"]["id"]
    assert added["data"]["scheduledAt"] == when.strftime("%Y-%m-%d %H:%M:%S")

    status, listed = student.call("GET", f"/session/getSession/{mentor.pk}")
    assert [s["id"] for s in listed["data"]] == [session_id]

    # The student books it through the Session API ...
    status, booked = student.call(
        "POST", f"/session/api/student/bookSession/{mentor.pk}", {"session_id": session_id}
    )
    assert (status, booked["message"]) == (201, "successfully book mentoring session")
    assert booked["data"]["field"] == "Data Science"
    request_id = booked["data"]["id"]

    # ... and the same booking is a session request in the other surface.
    status, pending = educator.call("GET", "/api/session/educator/requests?status=pending")
    assert [r["id"] for r in pending["data"]] == [request_id]
    assert pending["data"][0]["slotId"] == session_id

    status, approved = educator.call(
        "PUT", f"/api/session/approve/{request_id}", {"meetingLink": "https://meet.example.com/q"}
    )
    assert (status, approved["data"]["status"]) == (200, "approved")

    status, mine = student.call("GET", "/api/session/my-requests")
    assert mine["data"][0]["meetingLink"] == "https://meet.example.com/q"

    status, cancelled = student.call("PUT", f"/api/session/cancel/{request_id}", {"reason": "Ill"})
    assert (status, cancelled["data"]["status"]) == (200, "cancelled")

    # The mentor deletes the session: gone from the listing, the student's record stays.
    status, deleted = educator.call("DELETE", f"/session/api/deleteSession/{session_id}")
    assert (status, deleted["message"]) == (200, "successfully delete mentor session")
    assert student.call("GET", f"/session/getSession/{mentor.pk}")[1]["data"] == []
    status, mine = student.call("GET", "/api/session/my-requests")
    assert [(r["id"], r["status"]) for r in mine["data"]] == [(request_id, "cancelled")]

    status, _ = student.call("POST", "/api/auth/logout")
    assert status == 200
    assert student.call("GET", "/api/auth/me")[0] == 401


def test_without_the_csrf_header_a_logged_in_write_is_refused(live_server):
    mentor = EducatorFactory()
    client = HttpClient(live_server.url)
    client.login(mentor.username)
    request = urllib.request.Request(
        live_server.url + "/session/api/addSession",
        data=json.dumps({"scheduledAt": "2031-01-01T10:00:00Z"}).encode(),
        headers={"Content-Type": "application/json", "Referer": live_server.url},
        method="POST",
    )
    with pytest.raises(urllib.error.HTTPError) as refused:
        client.opener.open(request, timeout=30)
    assert refused.value.code == 403
    assert json.loads(refused.value.read())["success"] is False
