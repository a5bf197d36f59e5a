"""Weekly hours: DST-correct expansion, the rolling horizon, edits that spare booked slots,
overlaps skipped and reported."""

from __future__ import annotations

import zoneinfo
from datetime import UTC, datetime, time, timedelta

import pytest
from django.utils import timezone

from scheduling import services
from scheduling.models import Slot, WeeklyPattern
from scheduling.tests.factories import BookingFactory, EducatorFactory, SlotFactory

pytestmark = pytest.mark.django_db


def freeze(monkeypatch, moment: datetime) -> None:
    monkeypatch.setattr(timezone, "now", lambda: moment)


@pytest.mark.parametrize(
    ("zone", "before", "after"),
    [
        # Berlin: clocks forward on 28 March 2027; New York on 14 March 2027.
        (
            "Europe/Berlin",
            datetime(2027, 3, 22, 8, tzinfo=UTC),
            datetime(2027, 3, 29, 7, tzinfo=UTC),
        ),
        (
            "America/New_York",
            datetime(2027, 3, 8, 14, tzinfo=UTC),
            datetime(2027, 3, 15, 13, tzinfo=UTC),
        ),
    ],
)
def test_a_nine_oclock_session_stays_at_nine_across_the_clock_change(
    monkeypatch, zone, before, after
):
    freeze(monkeypatch, before - timedelta(days=1))
    educator = EducatorFactory(timezone=zone)
    pattern = services.pattern_create(
        educator=educator, weekdays="1", start_time=time(9), end_time=time(10), horizon_weeks=2
    )
    starts = list(Slot.objects.filter(pattern=pattern).values_list("starts_at", flat=True))
    assert starts == [before, after]  # one hour apart in UTC
    tz = zoneinfo.ZoneInfo(zone)
    assert {s.astimezone(tz).time() for s in starts} == {time(9)}


def test_the_hour_the_clocks_skip_is_reported_not_published(monkeypatch):
    freeze(monkeypatch, datetime(2027, 3, 27, tzinfo=UTC))
    educator = EducatorFactory(timezone="Europe/Berlin")
    pattern = services.pattern_create(
        educator=educator, weekdays="7", start_time=time(2), end_time=time(3), horizon_weeks=1
    )
    assert not Slot.objects.filter(pattern=pattern).exists()
    assert [item["reason"] for item in pattern.skipped] == ["clock change"]


def test_the_horizon_rolls_forward_with_the_periodic_task(monkeypatch):
    start = datetime(2027, 1, 4, 6, tzinfo=UTC)  # a Monday
    freeze(monkeypatch, start)
    educator = EducatorFactory(timezone="UTC")
    pattern = services.pattern_create(
        educator=educator,
        weekdays="1234567",
        start_time=time(10),
        end_time=time(11),
        horizon_weeks=4,
    )
    assert Slot.objects.filter(pattern=pattern).count() == 28
    freeze(monkeypatch, start + timedelta(days=1))
    assert services.patterns_roll() == 1
    assert services.patterns_roll() == 0  # idempotent within the day
    freeze(monkeypatch, start + timedelta(days=3))
    assert services.patterns_roll() == 2  # what the every-minute task runs
    slots = Slot.objects.filter(pattern=pattern)
    assert slots.count() == 31
    assert slots.last().starts_at == datetime(2027, 2, 3, 10, tzinfo=UTC)


def test_sessions_cut_from_the_hours_and_overlaps_reported(monkeypatch):
    freeze(monkeypatch, datetime(2027, 1, 3, 12, tzinfo=UTC))  # a Sunday
    educator = EducatorFactory(timezone="UTC")
    taken = SlotFactory(educator=educator, starts_at=datetime(2027, 1, 4, 14, 30, tzinfo=UTC))
    pattern = services.pattern_create(
        educator=educator,
        weekdays="1",
        start_time=time(14),
        end_time=time(17),
        session_minutes=60,
        horizon_weeks=1,
    )
    starts = [s.starts_at.hour for s in Slot.objects.filter(pattern=pattern)]
    assert starts == [16]  # 14:00 and 15:00 overlap the 14:30 slot
    assert [item["reason"] for item in pattern.skipped] == ["overlap", "overlap"]
    assert taken.pattern_id is None  # single slots keep working beside patterns


def test_editing_changes_only_future_seatless_slots(monkeypatch):
    freeze(monkeypatch, datetime(2027, 1, 3, 12, tzinfo=UTC))
    educator = EducatorFactory(timezone="UTC")
    pattern = services.pattern_create(
        educator=educator, weekdays="1", start_time=time(9), end_time=time(10), horizon_weeks=3
    )
    booked_slot = Slot.objects.filter(pattern=pattern).first()
    booking = BookingFactory(slot=booked_slot)
    pattern = services.pattern_update(
        pattern=pattern, by=educator, start_time=time(11), end_time=time(12)
    )
    booked_slot.refresh_from_db()
    assert booked_slot.starts_at.hour == 9 and booked_slot.seats_taken == 1
    hours = sorted(s.starts_at.hour for s in Slot.objects.filter(pattern=pattern))
    assert hours == [9, 11, 11, 11]
    services.pattern_delete(pattern=pattern, by=educator)
    assert list(Slot.objects.filter(educator=educator)) == [booked_slot]
    booking.refresh_from_db()
    assert booking.status == "pending"


def test_educator_sets_weekly_hours_on_the_page_and_sees_the_slots(client, educator, monkeypatch):
    freeze(monkeypatch, datetime(2027, 1, 3, 12, tzinfo=UTC))  # a Sunday
    client.force_login(educator)
    response = client.post(
        "/educator/weekly-hours",
        {
            "weekdays": ["1", "3"],
            "start_time": "14:00",
            "end_time": "17:00",
            "session_minutes": "60",
            "capacity": "2",
            "requires_approval": "on",
            "horizon_weeks": "4",
        },
        follow=True,
    )
    html = response.content.decode()
    assert "24 slots published" in html
    assert "Mon, Wed · 14:00–17:00" in html
    assert WeeklyPattern.objects.get(educator=educator).horizon_weeks == 4
    bad = client.post(
        "/educator/weekly-hours",
        {
            "weekdays": ["1"],
            "start_time": "14:00",
            "end_time": "14:30",
            "session_minutes": "60",
            "capacity": "1",
            "horizon_weeks": "13",
        },
    )
    assert bad.status_code == 200


def test_an_occurrence_the_educator_withdrew_stays_off_after_the_daily_roll(monkeypatch):
    now = datetime(2027, 1, 3, 12, tzinfo=UTC)  # a Sunday
    freeze(monkeypatch, now)
    educator = EducatorFactory(timezone="UTC")
    pattern = services.pattern_create(
        educator=educator, weekdays="1", start_time=time(9), end_time=time(10), horizon_weeks=3
    )
    withdrawn = Slot.objects.filter(pattern=pattern).order_by("starts_at")[1]
    services.slot_withdraw(slot=withdrawn, by=educator)
    tomorrow = now + timedelta(days=1)
    freeze(monkeypatch, tomorrow)
    services.pattern_publish(pattern=pattern, now=tomorrow)
    at_that_time = Slot.objects.filter(educator=educator, starts_at=withdrawn.starts_at)
    assert [s.pk for s in at_that_time] == [withdrawn.pk]
    assert at_that_time.get().is_withdrawn
    assert Slot.objects.filter(pattern=pattern, withdrawn_at__isnull=True).count() == 2


def test_editing_hours_republishes_a_time_whose_slot_had_only_cancelled_requests(monkeypatch):
    freeze(monkeypatch, datetime(2027, 1, 3, 12, tzinfo=UTC))
    educator = EducatorFactory(timezone="UTC")
    pattern = services.pattern_create(
        educator=educator, weekdays="1", start_time=time(9), end_time=time(10), horizon_weeks=1
    )
    slot = Slot.objects.get(pattern=pattern)
    booking = BookingFactory(slot=slot)
    services.booking_cancel(booking=booking, by=booking.student)
    services.pattern_update(pattern=pattern, by=educator, capacity=2)
    slot.refresh_from_db()
    assert slot.is_withdrawn  # kept for its history
    again = Slot.objects.get(educator=educator, starts_at=slot.starts_at, withdrawn_at=None)
    assert again.capacity == 2
