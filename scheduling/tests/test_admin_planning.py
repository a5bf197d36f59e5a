"""Staff see and edit policies, weekly hours and waitlists; actions go through services."""

from __future__ import annotations

import pytest

from scheduling import services
from scheduling.models import BookingPolicy, Slot, WaitlistEntry, WeeklyPattern
from scheduling.tests.factories import BookingFactory, SlotFactory, StudentFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def as_staff(client, staff):
    client.force_login(staff)
    return client


def test_changelists_and_forms_open(as_staff):
    for model in ("bookingpolicy", "weeklypattern", "waitlistentry"):
        assert as_staff.get(f"/admin/scheduling/{model}/").status_code == 200
        assert as_staff.get(f"/admin/scheduling/{model}/add/").status_code == 200


def test_staff_adds_weekly_hours_and_they_publish(as_staff, educator):
    response = as_staff.post(
        "/admin/scheduling/weeklypattern/add/",
        {
            "educator": educator.pk,
            "weekdays": "12345",
            "start_time": "09:00",
            "end_time": "11:00",
            "session_minutes": "60",
            "capacity": "1",
            "requires_approval": "on",
            "horizon_weeks": "2",
        },
    )
    assert response.status_code == 302, response.content.decode()[:3000]
    pattern = WeeklyPattern.objects.get(educator=educator)
    assert Slot.objects.filter(pattern=pattern).count() >= 16
    bad = as_staff.post(
        f"/admin/scheduling/weeklypattern/{pattern.pk}/change/",
        {
            "weekdays": "9",
            "start_time": "09:00",
            "end_time": "11:00",
            "session_minutes": "60",
            "capacity": "1",
            "horizon_weeks": "2",
        },
    )
    assert bad.status_code == 200 and "Pick at least one weekday." in bad.content.decode()
    as_staff.post(f"/admin/scheduling/weeklypattern/{pattern.pk}/delete/", {"post": "yes"})
    assert not WeeklyPattern.objects.exists() and not Slot.objects.exists()


def test_staff_edits_a_policy_within_its_ranges(as_staff, educator):
    data = {
        "educator": educator.pk,
        "min_notice_hours": "2",
        "horizon_days": "731",
        "buffer_minutes": "0",
        "daily_max": "0",
        "cancel_notice_hours": "0",
    }
    bad = as_staff.post("/admin/scheduling/bookingpolicy/add/", data)
    assert bad.status_code == 200 and "from 0 to 730" in bad.content.decode()
    data["horizon_days"] = "30"
    assert as_staff.post("/admin/scheduling/bookingpolicy/add/", data).status_code == 302
    assert BookingPolicy.objects.get(educator=educator).horizon_days == 30


def test_staff_takes_a_student_off_a_waitlist(as_staff, educator):
    slot = SlotFactory(educator=educator)
    BookingFactory(slot=slot)
    entry = services.waitlist_join(student=StudentFactory(), slot=slot)
    as_staff.post(
        "/admin/scheduling/waitlistentry/",
        {"action": "leave", "_selected_action": [entry.pk]},
    )
    assert WaitlistEntry.objects.get(pk=entry.pk).status == "left"
