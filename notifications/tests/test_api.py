"""GET /api/notifications and PUT /api/notifications/read (API.md, "Extensions")."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from notifications import services as inbox
from notifications.models import Notification
from scheduling import services
from scheduling.tests.api_helpers import call
from scheduling.tests.factories import BookingFactory, SlotFactory

pytestmark = pytest.mark.django_db

KEYS = {"id", "kind", "text", "url", "bookingId", "createdAt", "readAt"}


@pytest.fixture
def api(client, student):
    client.force_login(student)
    return client


def test_logged_out_is_401(client):
    assert call(client, "GET", "/api/notifications") == (
        401,
        {"success": False, "message": "Unauthorized"},
    )
    assert call(client, "PUT", "/api/notifications/read", {"all": True})[0] == 401


def test_list_shape_newest_first_and_meta(api, student, educator):
    booking = BookingFactory(slot=SlotFactory(educator=educator), student=student)
    services.booking_approve(booking=booking, by=educator, meeting_link="https://m.example.com")
    older = inbox.notify(recipient=student, kind="approved", text="Older")
    Notification.objects.filter(pk=older.pk).update(created_at=timezone.now() - timedelta(days=1))
    status, body = call(api, "GET", "/api/notifications")
    assert status == 200 and body["success"] is True
    assert body["meta"] == {"page": 1, "pages": 1, "total": 2}
    first, second = body["data"]
    assert set(first) == KEYS and first["kind"] == "approved"
    assert first["bookingId"] == booking.pk and first["readAt"] is None
    assert first["url"] == f"/session-requests#booking-{booking.pk}"
    assert first["createdAt"].endswith("Z") and second["text"] == "Older"
    assert second["bookingId"] is None


def test_unread_filter_and_pages(api, student, other_student):
    for n in range(55):
        inbox.notify(recipient=student, kind="approved", text=f"n{n}")
    inbox.notify(recipient=other_student, kind="approved", text="theirs")
    inbox.mark_read(
        user=student, ids=list(Notification.objects.filter(text="n0").values_list("pk", flat=True))
    )
    assert call(api, "GET", "/api/notifications")[1]["meta"] == {
        "page": 1,
        "pages": 2,
        "total": 55,
    }
    status, body = call(api, "GET", "/api/notifications?unread=true&page=2")
    assert status == 200 and body["meta"]["total"] == 54 and len(body["data"]) == 4
    assert all(item["readAt"] is None for item in body["data"])
    assert call(api, "GET", "/api/notifications?unread=false")[1]["meta"]["total"] == 55
    assert call(api, "GET", "/api/notifications?unread=maybe")[0] == 400
    assert call(api, "GET", "/api/notifications?page=0")[0] == 400


def test_mark_some_read(api, student, other_student):
    a = inbox.notify(recipient=student, kind="approved", text="a")
    b = inbox.notify(recipient=student, kind="approved", text="b")
    inbox.notify(recipient=student, kind="approved", text="c")
    status, body = call(api, "PUT", "/api/notifications/read", {"ids": [a.pk, b.pk]})
    assert (status, body["data"]) == (200, {"marked": 2})
    # Already read: nothing more to mark, and no error.
    assert call(api, "PUT", "/api/notifications/read", {"ids": [a.pk]})[1]["data"] == {"marked": 0}
    status, body = call(api, "GET", "/api/notifications?unread=true")
    assert [item["text"] for item in body["data"]] == ["c"]
    read = call(api, "GET", "/api/notifications")[1]["data"]
    assert all(item["readAt"].endswith("Z") for item in read if item["text"] in "ab")


def test_mark_all_read(api, student, other_student):
    for text in "abc":
        inbox.notify(recipient=student, kind="approved", text=text)
    theirs = inbox.notify(recipient=other_student, kind="approved", text="theirs")
    assert call(api, "PUT", "/api/notifications/read", {"all": True})[1]["data"] == {"marked": 3}
    theirs.refresh_from_db()
    assert theirs.read_at is None


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"all": False},
        {"ids": [1], "all": True},
        {"ids": "1"},
        {"ids": [True]},
        {"ids": [0]},
        {"all": "yes"},
        [],
        None,
    ],
)
def test_bad_bodies_are_400(api, student, body):
    inbox.notify(recipient=student, kind="approved", text="a")
    raw = "null" if body is None else None
    status, answer = call(api, "PUT", "/api/notifications/read", body, raw=raw)
    assert status == 400 and answer["success"] is False
    assert inbox.unread_count(student) == 1


def test_someone_elses_or_unknown_ids_are_400_and_change_nothing(api, student, other_student):
    mine = inbox.notify(recipient=student, kind="approved", text="mine")
    theirs = inbox.notify(recipient=other_student, kind="approved", text="theirs")
    status, body = call(api, "PUT", "/api/notifications/read", {"ids": [mine.pk, theirs.pk]})
    assert status == 400 and body["errors"]["ids"] == [
        f"No notification of yours with id {theirs.pk}."
    ]
    assert inbox.unread_count(student) == 1 and inbox.unread_count(other_student) == 1


def test_put_needs_the_csrf_token(student):
    client = Client(enforce_csrf_checks=True)
    client.force_login(student)
    status, body = call(client, "PUT", "/api/notifications/read", {"all": True})
    assert status == 403 and body["message"].startswith("CSRF check failed")


def test_in_the_openapi_document(client):
    paths = client.get("/api/openapi.json").json()["paths"]
    assert "get" in paths["/api/notifications"] and "put" in paths["/api/notifications/read"]
    assert {p["name"] for p in paths["/api/notifications"]["get"]["parameters"]} == {
        "unread",
        "page",
    }
