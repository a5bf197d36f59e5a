"""The bell in real Chromium: it counts what the other party did, without a reload."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from scheduling.tests.factories import BookingFactory, EducatorFactory, SlotFactory, StudentFactory

from .test_journeys import log_in

pytestmark = pytest.mark.django_db(transaction=True)


def test_bell_counts_the_other_partys_change_without_a_reload(make_page, settings):
    settings.NOTIFICATIONS_POLL_SECONDS = 1  # the page polls as it does every 30 s
    educator = EducatorFactory(username="maya", first_name="Maya", last_name="Berg")
    student = StudentFactory(username="sam", first_name="Sam", last_name="Lee")
    slot = SlotFactory(educator=educator, meeting_link="https://meet.example.com/room")
    BookingFactory(slot=slot, student=student, message="Please help with forms")

    student_page = make_page()
    log_in(student_page, "sam")
    student_page.goto(student_page.base + "/courses/")
    bell = student_page.get_by_role("link", name=re.compile("Notifications"))
    expect(bell).to_be_visible()
    expect(student_page.locator("#bell-count")).to_have_text("")
    student_page.evaluate("window.notReloaded = true")

    educator_page = make_page()
    log_in(educator_page, "maya")
    expect(educator_page.locator("#bell-count")).to_have_text("1")  # Sam's request
    educator_page.goto(educator_page.base + "/educator/session-requests")
    educator_page.get_by_role("button", name="Approve").click()
    expect(educator_page.locator("article.request-card").first).to_contain_text("Approved")

    # The student's page, untouched, shows the approval on the bell.
    expect(student_page.locator("#bell-count")).to_have_text("1", timeout=10_000)
    assert student_page.evaluate("window.notReloaded") is True

    bell.click()
    expect(student_page).to_have_url(re.compile(r"/notifications$"))
    item = student_page.get_by_role("listitem").filter(has_text="Maya Berg approved")
    expect(item).to_be_visible()
    item.get_by_role("button", name="Mark read").click()
    expect(item.get_by_role("button", name="Mark read")).to_have_count(0)
    expect(student_page.locator("#bell-count")).to_have_text("")
    item.get_by_role("link", name=re.compile("approved your request")).click()
    expect(student_page).to_have_url(re.compile(r"/session-requests#booking-\d+$"))
    expect(student_page.get_by_role("link", name=re.compile("Add to calendar"))).to_be_visible()
