"""API authentication: CSRF cookie, login by username or email, logout, me, throttling."""

from __future__ import annotations

import pytest
from django.test import Client

from scheduling.api.auth_api import LOGIN_FAILED, LOGIN_LIMIT, TOO_MANY_LOGINS
from scheduling.tests.api_helpers import call

pytestmark = pytest.mark.django_db


@pytest.fixture
def csrf_client():
    return Client(enforce_csrf_checks=True)


def csrf_token(client) -> str:
    status, body = call(client, "GET", "/api/auth/csrf")
    assert status == 200 and body["success"] is True
    assert client.cookies["csrftoken"].value
    return client.cookies["csrftoken"].value


def post(client, path, body, token=None):
    headers = {"HTTP_X_CSRFTOKEN": token} if token else {}
    import json

    response = client.post(path, json.dumps(body), content_type="application/json", **headers)
    return response.status_code, response.json()


def test_login_by_username_then_me(csrf_client, student):
    token = csrf_token(csrf_client)
    status, body = post(
        csrf_client,
        "/api/auth/login",
        {"username": student.username, "password": "pass-word-123"},
        token,
    )
    assert status == 200 and body["success"] is True
    assert body["data"] == {
        "id": student.pk,
        "username": student.username,
        "name": student.display_name,
        "email": student.email,
        "role": "student",
        "field": "",
        "timezone": "UTC",
    }
    status, me = call(csrf_client, "GET", "/api/auth/me")
    assert (status, me["data"]["id"]) == (200, student.pk)


def test_login_by_email(csrf_client, educator):
    token = csrf_token(csrf_client)
    status, body = post(
        csrf_client,
        "/api/auth/login",
        {"email": educator.email.upper(), "password": "pass-word-123"},
        token,
    )
    assert (status, body["data"]["role"]) == (200, "educator")


def test_login_without_csrf_header_is_refused(csrf_client, student):
    csrf_token(csrf_client)
    status, body = post(
        csrf_client, "/api/auth/login", {"username": student.username, "password": "pass-word-123"}
    )
    assert status == 403 and body["success"] is False
    assert call(csrf_client, "GET", "/api/auth/me")[0] == 401


def test_unsafe_calls_need_the_csrf_header(csrf_client, educator):
    csrf_client.force_login(educator)
    status, body = post(
        csrf_client, "/session/api/addSession", {"scheduledAt": "2031-01-01T10:00Z"}
    )
    assert status == 403 and "CSRF" in body["message"]
    token = csrf_token(csrf_client)
    status, _ = post(
        csrf_client, "/session/api/addSession", {"scheduledAt": "2031-01-01T10:00Z"}, token
    )
    assert status == 201


def test_anonymous_unsafe_call_is_401_not_a_csrf_error(csrf_client):
    status, body = post(csrf_client, "/api/session/request", {"slotId": 1})
    assert (status, body) == (401, {"success": False, "message": "Unauthorized"})


def test_wrong_password_is_401_and_input_is_checked(client, student):
    status, body = call(
        client, "POST", "/api/auth/login", {"username": student.username, "password": "nope"}
    )
    assert (status, body["message"]) == (401, LOGIN_FAILED)
    status, body = call(client, "POST", "/api/auth/login", {"password": "x"})
    assert status == 400 and "username" in body["errors"]
    status, body = call(client, "POST", "/api/auth/login", {"username": "x"})
    assert status == 400 and "password" in body["errors"]
    status, body = call(client, "POST", "/api/auth/login", raw="[1, 2")
    assert status == 400


def test_repeated_failed_logins_are_throttled(client, student):
    for _ in range(LOGIN_LIMIT):
        call(client, "POST", "/api/auth/login", {"username": student.username, "password": "no"})
    status, body = call(
        client,
        "POST",
        "/api/auth/login",
        {"username": student.username, "password": "pass-word-123"},
    )
    assert (status, body["message"]) == (429, TOO_MANY_LOGINS)


def test_logout(client, student):
    client.force_login(student)
    status, body = call(client, "POST", "/api/auth/logout")
    assert (status, body["success"]) == (200, True)
    assert call(client, "GET", "/api/auth/me") == (
        401,
        {"success": False, "message": "Unauthorized"},
    )


def test_openapi_document_describes_every_path(client):
    status, doc = call(client, "GET", "/api/openapi.json")
    assert status == 200 and doc["openapi"].startswith("3.")
    expected = {
        "/session/api/addSession",
        "/session/api/updateSession/{sessionId}",
        "/session/getSession/{mentorId}",
        "/session/api/deleteSession/{sessionId}",
        "/session/api/student/bookSession/{mentorId}",
        "/api/availability/create",
        "/api/availability/educator/slots",
        "/api/availability/course/{courseId}",
        "/api/availability/update/{slotId}",
        "/api/availability/delete/{slotId}",
        "/api/session/request",
        "/api/session/my-requests",
        "/api/session/educator/requests",
        "/api/session/approve/{requestId}",
        "/api/session/reject/{requestId}",
        "/api/session/cancel/{requestId}",
        "/api/session/complete/{requestId}",
        "/api/courses",
        "/api/courses/{courseId}/enroll",
        "/api/auth/csrf",
        "/api/auth/login",
        "/api/auth/logout",
        "/api/auth/me",
    }
    assert expected <= set(doc["paths"])


def test_docs_page_uses_only_local_assets(client):
    response = client.get("/api/docs")
    assert response.status_code == 200
    html = response.content.decode()
    assert "swagger-ui-bundle.js" in html
    assert "cdn" not in html.lower() and "https://" not in html.split("<body")[0]


def test_a_form_body_without_boundary_is_400_not_500(client):
    """Found by schemathesis: Django reads form data for the CSRF check before JSON."""
    response = client.post("/api/auth/login", b"x", content_type="multipart/form-data")
    assert response.status_code == 400
    assert response.json()["success"] is False


def test_login_with_text_a_database_cannot_store_is_400(csrf_client):
    token = csrf_token(csrf_client)
    for username in ("stu\x00dent", "\udfff"):
        status, body = post(
            csrf_client, "/api/auth/login", {"username": username, "password": "x"}, token
        )
        assert status == 400 and "username" in body["errors"], body


def test_openapi_document_describes_pagination_and_optional_bodies(client):
    _, doc = call(client, "GET", "/api/openapi.json")
    for path in (
        "/session/getSession/{mentorId}",
        "/api/availability/educator/slots",
        "/api/availability/course/{courseId}",
        "/api/session/my-requests",
        "/api/session/educator/requests",
        "/api/courses",
    ):
        params = {p["name"]: p for p in doc["paths"][path]["get"]["parameters"]}
        assert params["page"]["in"] == "query", path
        assert params["page"]["schema"]["minimum"] == 1, path
    for path in ("/session/api/updateSession/{sessionId}", "/api/availability/update/{slotId}"):
        assert not doc["paths"][path]["put"]["requestBody"].get("required"), path


def test_a_multipart_body_with_a_boundary_is_never_a_500(csrf_client, educator):
    """The CSRF check parses form data; that must not eat the stream the JSON is read from."""
    csrf_client.force_login(educator)
    token = csrf_token(csrf_client)
    response = csrf_client.post(
        "/session/api/addSession",
        {"scheduledAt": "2031-01-01T10:00:00Z", "quota": "2"},  # a real multipart form
        HTTP_X_CSRFTOKEN=token,
    )
    assert response.status_code == 400
    assert response.json()["success"] is False
