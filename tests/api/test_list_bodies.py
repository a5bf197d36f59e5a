"""List endpoints render their envelope without ninja validating it again (for speed): the
body must stay exactly what the validated `response=` schema would give, byte for byte."""

from __future__ import annotations

import json

import pytest
from django.test import Client

from notifications.api import NotificationListEnvelope
from scheduling import services
from scheduling.api.core import PAGE_SIZE, api
from scheduling.api.schemas import (
    CourseListEnvelope,
    RequestListEnvelope,
    SessionListEnvelope,
    SlotListEnvelope,
)
from scheduling.models import Enrollment
from scheduling.tests.api_helpers import future
from scheduling.tests.factories import CourseFactory, SlotFactory, StudentFactory

pytestmark = pytest.mark.django_db


def _validated(schema, body: dict) -> bytes:
    """The body as the schema-validating path renders it."""
    dumped = schema.model_validate(body).model_dump()
    return api.renderer.render(None, dumped, response_status=200).encode()


@pytest.fixture
def lists(educator):
    course = CourseFactory(educator=educator, title="Algebra")
    educator.first_name, educator.last_name = "Ada", ""
    educator.save()
    student = StudentFactory(first_name="", last_name="")
    Enrollment.objects.create(student=student, course=course)
    linked = SlotFactory(
        educator=educator,
        course=course,
        starts_at=future(days=3),
        meeting_link="https://meet.example/a",
        note="Bring questions",
        requires_approval=False,
        capacity=3,
    )
    plain = SlotFactory(educator=educator, starts_at=future(days=4))
    SlotFactory(educator=educator, course=course, starts_at=future(days=5))
    services.booking_request(student=student, slot=linked, message="Hi")
    services.booking_request(student=student, slot=plain)
    return {"educator": educator, "student": student, "course": course}


@pytest.mark.parametrize(
    ("who", "path", "schema"),
    [
        ("student", "/api/availability/course/{course}", SlotListEnvelope),
        ("educator", "/api/availability/course/{course}", SlotListEnvelope),
        ("educator", "/api/availability/educator/slots", SlotListEnvelope),
        ("educator", "/api/availability/educator/slots?upcoming=true", SlotListEnvelope),
        ("student", "/api/session/my-requests", RequestListEnvelope),
        ("educator", "/api/session/educator/requests", RequestListEnvelope),
        ("student", "/api/courses", CourseListEnvelope),
        (None, "/api/courses", CourseListEnvelope),
        (None, "/session/getSession/{educator}", SessionListEnvelope),
        ("educator", "/api/notifications", NotificationListEnvelope),
    ],
)
def test_a_list_body_is_what_its_schema_gives(lists, who, path, schema):
    client = Client()
    if who:
        client.force_login(lists[who])
    path = path.format(course=lists["course"].pk, educator=lists["educator"].pk)
    response = client.get(path)
    assert response.status_code == 200
    assert response["Content-Type"] == "application/json; charset=utf-8"
    body = json.loads(response.content)
    assert body["data"], path  # something to compare
    assert response.content == _validated(schema, body)


@pytest.mark.parametrize(("rows", "pages"), [(0, 1), (PAGE_SIZE - 1, 1), (PAGE_SIZE, 1), (51, 2)])
def test_the_first_page_tells_the_total_with_or_without_a_count(educator, rows, pages):
    for day in range(rows):
        SlotFactory(educator=educator, starts_at=future(days=2 + day))
    client = Client()
    response = client.get(f"/session/getSession/{educator.pk}")
    body = response.json()
    assert body["meta"] == {"page": 1, "pages": pages, "total": rows}
    assert len(body["data"]) == min(rows, PAGE_SIZE)
    response = client.get(f"/session/getSession/{educator.pk}?page=2")
    assert response.json()["meta"] == {"page": 2, "pages": pages, "total": rows}
    assert len(response.json()["data"]) == max(0, rows - PAGE_SIZE)
