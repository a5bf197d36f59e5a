"""Schemathesis fuzzes every operation of the generated OpenAPI document against a live
server, logged in as the role each operation is for, and checks that nothing answers with a
server error or contradicts the document."""

from __future__ import annotations

import pytest
import schemathesis
from django.contrib.auth import SESSION_KEY
from django.middleware.csrf import _get_new_csrf_string
from django.test import Client
from hypothesis import HealthCheck, settings
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
)

from scheduling.tests.factories import (
    BookingFactory,
    CourseFactory,
    EducatorFactory,
    SlotFactory,
    StudentFactory,
)

schema = schemathesis.openapi.from_dict(Client().get("/api/openapi.json").json())

EDUCATOR_PATHS = (
    "/session/api/addSession",
    "/session/api/updateSession",
    "/session/api/deleteSession",
    "/api/availability/create",
    "/api/availability/educator",
    "/api/availability/update",
    "/api/availability/delete",
    "/api/session/educator",
    "/api/session/approve",
    "/api/session/reject",
    "/api/session/complete",
    "/api/availability/weekly",
    "/api/educator/policies",
)
ANONYMOUS_PATHS = ("/api/auth/login", "/api/auth/logout", "/api/auth/csrf")
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]


def role_for(path: str) -> str | None:
    if path.startswith(ANONYMOUS_PATHS):
        return None  # login/logout would change whose session the next example uses
    return "educator" if path.startswith(EDUCATOR_PATHS) else "student"


@pytest.fixture
def sessions(transactional_db):
    """A logged-in session cookie per role, and some data for the ids to find."""
    educator, student = EducatorFactory(), StudentFactory()
    course = CourseFactory(educator=educator)
    slot = SlotFactory(educator=educator, capacity=5, meeting_link="https://m.example.com")
    BookingFactory(slot=slot, student=student)
    SlotFactory(educator=educator, course=course)
    cookies = {}
    for role, user in (("educator", educator), ("student", student)):
        client = Client()
        client.force_login(user)
        assert client.session[SESSION_KEY] == str(user.pk)
        cookies[role] = client.cookies["sessionid"].value
    return cookies


@schema.parametrize()
@settings(
    max_examples=30,
    deadline=None,
    suppress_health_check=list(HealthCheck),
    derandomize=True,
)
def test_api_conforms_to_its_document(case, live_server, sessions):
    token = _get_new_csrf_string()
    cookie = f"csrftoken={token}"
    role = role_for(case.path)
    if role:
        cookie += f"; sessionid={sessions[role]}"
    case.call_and_validate(
        base_url=live_server.url,
        headers={"Cookie": cookie, "X-CSRFToken": token, "Referer": live_server.url},
        checks=CHECKS,
    )
