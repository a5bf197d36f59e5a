"""Planning ahead in real Chromium: weekly hours that publish slots, and a reschedule."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from scheduling.models import Slot
from scheduling.tests.factories import BookingFactory, EducatorFactory, SlotFactory, StudentFactory

from .test_journeys import log_in

pytestmark = pytest.mark.django_db(transaction=True)


def test_educator_sets_weekly_hours_and_sees_the_published_slots(make_page):
    educator = EducatorFactory(username="hours", timezone="Europe/Berlin")
    page = make_page()
    log_in(page, "hours")
    page.goto(page.base + "/accounts/profile/")
    page.get_by_role("link", name="Weekly hours").click()
    for day in ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"):
        page.get_by_label(day, exact=True).check()
    page.get_by_label("From").fill("07:00")
    page.get_by_label("Until").fill("08:00")
    page.get_by_label("Publish ahead (weeks)").fill("2")
    page.get_by_role("button", name="Publish weekly hours").click()
    expect(
        page.get_by_text(re.compile(r"Weekly hours saved: 1[34] slots published"))
    ).to_be_visible()
    expect(
        page.get_by_role("heading", name=re.compile("Mon, Tue, Wed, Thu, Fri, Sat, Sun"))
    ).to_be_visible()
    published = Slot.objects.filter(educator=educator).count()
    assert published in (13, 14)  # today's 07:00 may have passed
    page.goto(page.base + "/educator/availability")
    expect(page.get_by_text("07:00").first).to_be_visible()


def test_student_reschedules_from_my_requests(make_page):
    educator = EducatorFactory(first_name="Rosa", last_name="Lind")
    old = SlotFactory(educator=educator)
    new = SlotFactory(educator=educator)
    student = StudentFactory(username="mover")
    booking = BookingFactory(slot=old, student=student)
    page = make_page()
    log_in(page, "mover")
    page.goto(page.base + "/session-requests")
    page.get_by_role("link", name="Reschedule").click()
    page.locator(f'input[value="{new.pk}"]').check()
    page.get_by_role("button", name="Move my session").click()
    expect(page.get_by_text("Rescheduled: the new time waits for approval.")).to_be_visible()
    booking.refresh_from_db()
    assert booking.slot_id == new.pk

    teacher = make_page()
    log_in(teacher, educator.username)
    teacher.goto(teacher.base + "/educator/session-requests?status=pending")
    expect(teacher.get_by_text(re.compile("Rescheduled from")).first).to_be_visible()
