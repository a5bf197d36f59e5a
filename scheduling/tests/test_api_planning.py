"""The API extensions: weekly hours, booking policies, reschedule, waitlists."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from scheduling import errors, services
from scheduling.models import Slot
from scheduling.tests.api_helpers import call
from scheduling.tests.factories import BookingFactory, SlotFactory, StudentFactory

pytestmark = pytest.mark.django_db


def test_weekly_hours_create_list_update_delete(client, educator, student):
    client.force_login(educator)
    body = {"weekdays": [1, 3], "startTime": "14:00", "endTime": "16:00", "horizonWeeks": 2}
    status, answer = call(client, "POST", "/api/availability/weekly", body)
    assert status == 201 and answer["success"] is True
    pattern = answer["data"]
    assert pattern["weekdays"] == [1, 3] and pattern["timezone"] == educator.timezone
    assert pattern["upcomingSlots"] == Slot.objects.filter(pattern_id=pattern["id"]).count() > 0
    status, listed = call(client, "GET", "/api/availability/weekly")
    assert status == 200 and listed["meta"]["total"] == 1
    status, updated = call(
        client, "PUT", f"/api/availability/weekly/{pattern['id']}", {"sessionMinutes": 30}
    )
    assert status == 200 and updated["data"]["sessionMinutes"] == 30
    status, bad = call(
        client, "PUT", f"/api/availability/weekly/{pattern['id']}", {"sessionMinutes": 5}
    )
    assert status == 400 and bad["errors"] == {"sessionMinutes": [errors.SESSION_LENGTH_RANGE]}
    client.force_login(student)
    assert call(client, "POST", "/api/availability/weekly", body)[0] == 403
    assert call(client, "DELETE", f"/api/availability/weekly/{pattern['id']}")[0] == 403
    client.force_login(educator)
    status, gone = call(client, "DELETE", f"/api/availability/weekly/{pattern['id']}")
    assert status == 200 and gone["data"]["removedSlots"] > 0
    assert call(client, "DELETE", f"/api/availability/weekly/{pattern['id']}")[0] == 404


def test_policies_read_update_and_refusals_by_policy(client, educator, student):
    client.force_login(educator)
    status, answer = call(client, "GET", "/api/educator/policies")
    assert status == 200 and answer["data"]["horizonDays"] == 0
    status, answer = call(client, "PUT", "/api/educator/policies", {"minNoticeHours": 48})
    assert status == 200 and answer["data"]["minNoticeHours"] == 48
    status, answer = call(client, "PUT", "/api/educator/policies", {"dailyMax": 99})
    assert status == 400 and list(answer["errors"]) == ["dailyMax"]
    slot = SlotFactory(educator=educator, starts_at=timezone.now() + timedelta(hours=5))
    client.force_login(student)
    status, answer = call(client, "POST", "/api/session/request", {"slotId": slot.pk})
    assert status == 409 and answer["message"] == errors.POLICY_MIN_NOTICE.format(hours=48)


def test_reschedule_endpoint(client, educator, student):
    old, new = SlotFactory(educator=educator), SlotFactory(educator=educator)
    booking = BookingFactory(slot=old, student=student)
    client.force_login(student)
    status, answer = call(
        client, "PUT", f"/api/session/reschedule/{booking.pk}", {"slotId": new.pk}
    )
    assert status == 200 and answer["data"]["slotId"] == new.pk
    assert answer["message"] == "Session request rescheduled"
    status, answer = call(
        client, "PUT", f"/api/session/reschedule/{booking.pk}", {"slotId": new.pk}
    )
    assert status == 409 and answer["message"] == errors.RESCHEDULE_SAME_SLOT
    assert (
        call(client, "PUT", f"/api/session/reschedule/{booking.pk}", {"slotId": 999999})[0] == 400
    )
    assert call(client, "PUT", "/api/session/reschedule/999999", {"slotId": new.pk})[0] == 404
    client.force_login(StudentFactory())
    assert (
        call(client, "PUT", f"/api/session/reschedule/{booking.pk}", {"slotId": old.pk})[0] == 403
    )
    client.logout()
    assert (
        call(client, "PUT", f"/api/session/reschedule/{booking.pk}", {"slotId": old.pk})[0] == 401
    )


def test_waitlist_join_list_leave(client, educator, student):
    slot = SlotFactory(educator=educator)
    BookingFactory(slot=slot)
    client.force_login(student)
    status, answer = call(client, "POST", f"/api/availability/{slot.pk}/waitlist")
    assert status == 201 and answer["data"]["position"] == 1
    assert call(client, "POST", f"/api/availability/{slot.pk}/waitlist")[0] == 409
    status, answer = call(client, "GET", f"/api/availability/{slot.pk}/waitlist")
    assert answer["data"]["position"] == 1 and answer["data"]["entries"] == []
    client.force_login(educator)
    status, answer = call(client, "GET", f"/api/availability/{slot.pk}/waitlist")
    assert [e["studentId"] for e in answer["data"]["entries"]] == [student.pk]
    client.force_login(student)
    status, answer = call(client, "DELETE", f"/api/availability/{slot.pk}/waitlist")
    assert status == 200 and answer["data"]["status"] == "left"
    assert call(client, "DELETE", f"/api/availability/{slot.pk}/waitlist")[0] == 404
    assert call(client, "GET", "/api/availability/999999/waitlist")[0] == 404


def test_policies_hold_through_the_legacy_session_api_too(client, educator, student):
    services.policy_update(educator=educator, by=educator, horizon_days=7)
    slot = SlotFactory(educator=educator, starts_at=timezone.now() + timedelta(days=8))
    client.force_login(student)
    status, answer = call(
        client, "POST", f"/session/api/student/bookSession/{educator.pk}", {"session_id": slot.pk}
    )
    assert status == 409 and answer["message"] == errors.POLICY_HORIZON.format(days=7)
