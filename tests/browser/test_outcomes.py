"""After a session in real Chromium: the educator marks a no-show in place, the student
answers "I was there", and both pages pass axe at desktop and phone width."""

from __future__ import annotations

import re

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import expect

from scheduling import services
from scheduling.tests.factories import BookingFactory, EducatorFactory, SlotFactory, StudentFactory
from scheduling.tests.test_services import move_to_past

from .test_accessibility import AXE_OPTIONS, describe
from .test_journeys import log_in

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def held_session():
    educator = EducatorFactory(username="marker")
    student = StudentFactory(username="absent", first_name="Ari", last_name="Lee")
    slot = SlotFactory(educator=educator)
    booking = BookingFactory(slot=slot, student=student)
    services.booking_approve(booking=booking, by=educator, meeting_link="https://m.example.com")
    move_to_past(slot)
    return booking


@pytest.mark.parametrize("width", [1280, 375])
def test_educator_marks_a_no_show_and_the_student_says_they_were_there(
    make_page, held_session, width
):
    teacher = make_page(width=width)
    log_in(teacher, "marker")
    teacher.goto(teacher.base + "/educator/session-requests?status=approved")
    card = teacher.locator(f"#request-{held_session.pk}")
    expect(card.get_by_text("Did Ari Lee attend?")).to_be_visible()
    teacher.evaluate("window.__stayed = true")
    card.get_by_role("button", name="No-show").click()
    card = teacher.locator(f"#request-{held_session.pk}")
    expect(card.get_by_text("No-show", exact=True)).to_be_visible()
    expect(card.get_by_text("Ari Lee missed 1 of 1 session with you.")).to_be_visible()
    assert teacher.evaluate("window.__stayed") is True  # swapped in place by htmx
    found = describe(
        "session-requests", Axe().run(teacher, options=AXE_OPTIONS).response["violations"]
    )

    student = make_page(width=width)
    log_in(student, "absent")
    student.goto(student.base + "/session-requests")
    expect(student.get_by_text("marked that you did not attend")).to_be_visible()
    found += describe("my-requests", Axe().run(student, options=AXE_OPTIONS).response["violations"])
    student.get_by_role("button", name="I was there").click()
    expect(student.get_by_text("Noted: you said you attended.")).to_be_visible()
    expect(student.get_by_role("button", name="I was there")).to_have_count(0)

    teacher.reload()
    expect(teacher.get_by_text("Ari Lee says they attended.")).to_be_visible()
    assert found == []


@pytest.mark.parametrize("width", [1280, 375])
def test_both_write_a_note_and_tick_an_item_on_the_session_page(make_page, held_session, width):
    student = make_page(width=width)
    log_in(student, "absent")
    student.goto(student.base + "/session-requests")
    student.get_by_role("link", name="Notes and details").first.click()
    student.get_by_label("Add a note").fill("Here is what I tried last week.")
    student.get_by_role("button", name="Add note").click()
    expect(student.get_by_text("Note added.")).to_be_visible()
    student.get_by_label("Add an action item").fill("Send the notebook")
    student.get_by_label("Me", exact=True).check()
    student.get_by_role("button", name="Add action item").click()
    expect(student.get_by_text("Send the notebook")).to_be_visible()
    found = describe("session", Axe().run(student, options=AXE_OPTIONS).response["violations"])

    teacher = make_page(width=width)
    log_in(teacher, "marker")
    teacher.goto(f"{teacher.base}/sessions/{held_session.pk}/")
    expect(teacher.get_by_text("Here is what I tried last week.")).to_be_visible()
    teacher.get_by_role("button", name="Mark “Send the notebook” done").click()
    expect(teacher.get_by_text("“Send the notebook” is done.")).to_be_visible()
    found += describe("session", Axe().run(teacher, options=AXE_OPTIONS).response["violations"])
    assert found == []


@pytest.mark.parametrize("width", [1280, 375])
def test_the_student_rates_a_completed_session_from_the_notification(
    make_page, held_session, width
):
    services.booking_complete(booking=held_session, by=held_session.slot.educator)
    student = make_page(width=width)
    log_in(student, "absent")
    student.goto(student.base + "/notifications")
    student.get_by_role("link", name=re.compile("Rate it from 1 to 5")).first.click()
    student.get_by_label("4", exact=True).check()
    student.get_by_label(re.compile("^Comment")).fill("Clear and kind.")
    student.get_by_role("button", name="Send feedback").click()
    expect(student.get_by_text("Thank you: your feedback is saved.")).to_be_visible()
    expect(student.get_by_text("4 out of 5")).to_be_visible()
    found = describe("feedback", Axe().run(student, options=AXE_OPTIONS).response["violations"])
    assert found == []


@pytest.mark.parametrize("width", [1280, 375])
def test_a_withdrawn_student_rebooks_in_one_click(make_page, width):
    from datetime import timedelta

    educator = EducatorFactory(username="withdrawer", first_name="Kim", last_name="Ro")
    slot = SlotFactory(educator=educator)
    later = SlotFactory(educator=educator, starts_at=slot.starts_at + timedelta(days=1))
    booking = BookingFactory(slot=slot, student=StudentFactory(username="moved"))
    services.slot_withdraw(slot=slot, by=educator, reason="A clash")
    page = make_page(width=width)
    log_in(page, "moved")
    page.goto(page.base + "/notifications")
    page.get_by_role("link", name=re.compile("See the nearest other times")).click()
    expect(page.get_by_role("heading", name="Other times with Kim Ro")).to_be_visible()
    found = describe("rebook", Axe().run(page, options=AXE_OPTIONS).response["violations"])
    page.get_by_role("button", name=re.compile("^Book ")).first.click()  # the one click
    expect(page.get_by_text("Request sent:")).to_be_visible()
    assert booking.student.bookings.filter(slot=later, status="pending").exists()
    assert found == []
