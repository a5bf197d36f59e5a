"""The product's journeys, end to end, in real Chromium, starting from an empty site."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from accounts.models import User
from scheduling import services
from scheduling.models import Slot
from scheduling.tests.factories import CourseFactory, EducatorFactory, SlotFactory, StudentFactory

pytestmark = pytest.mark.django_db(transaction=True)

PASSWORD = "a-Long-pass-2026"
LINK = "https://meet.example.com/maya-room"


def sign_up(page, *, username: str, first: str, role: str, field: str = "") -> None:
    page.goto(page.base + "/")
    page.get_by_role("link", name="Sign up").first.click()
    page.get_by_label("Username").fill(username)
    page.get_by_label("First name").fill(first)
    page.get_by_label("Last name").fill("Tester")
    page.get_by_label("Email").fill(f"{username}@example.com")
    page.get_by_label(role.capitalize(), exact=True).check()
    if field:
        page.get_by_label("Field").fill(field)
    page.get_by_label("Timezone").select_option("Europe/London")
    page.get_by_label("Password").first.fill(PASSWORD)  # then "Password confirmation"
    page.get_by_label("Password confirmation").fill(PASSWORD)
    page.get_by_role("button", name="Sign up").click()


def log_in(page, username: str, password: str = "pass-word-123") -> None:
    page.goto(page.base + "/accounts/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Log in").click()


def next_weekday_date() -> str:
    return (timezone.localdate() + timedelta(days=2)).strftime("%Y-%m-%d")


def test_educator_and_student_journeys(make_page):
    educator = make_page()
    student = make_page()

    # An educator signs up, creates a course and a slot.
    sign_up(educator, username="maya", first="Maya", role="educator", field="Web Development")
    expect(educator).to_have_url(re.compile(r"/educator/$"))
    educator.get_by_role("link", name="My Courses").click()
    educator.get_by_role("link", name="Create course").first.click()
    educator.get_by_label("Title").fill("Django for Beginners")
    educator.get_by_label("Description").fill("Models, views and templates.")
    educator.get_by_role("button", name="Create course").click()
    expect(educator.get_by_text("Course “Django for Beginners” created.")).to_be_visible()

    educator.get_by_role("link", name="Availability").click()
    educator.get_by_role("link", name="New slot").first.click()
    educator.get_by_label("Course").select_option(label="Django for Beginners")
    educator.get_by_label("Date").fill(next_weekday_date())
    educator.get_by_label("Start time").fill("10:00")
    educator.get_by_label("Capacity").fill("2")
    educator.get_by_label("Meeting link").fill(LINK)
    educator.get_by_role("button", name="Create slot").click()
    expect(educator.get_by_text("Slot created")).to_be_visible()

    # A student signs up, finds the course, enrols and books with a message.
    sign_up(student, username="sam", first="Sam", role="student")
    expect(student).to_have_url(re.compile(r"/courses/$"))
    student.get_by_role("link", name="Django for Beginners").click()
    student.get_by_role("button", name="Enrol").click()
    expect(student.get_by_text("enrolled in Django for Beginners")).to_be_visible()
    student.get_by_role("link", name="Book a Session").click()
    student.locator("label.slot-option").first.click()
    student.get_by_label("Message").fill("Could we look at my models?")
    student.get_by_role("button", name="Send request").click()
    expect(student).to_have_url(re.compile(r"/session-requests$"))
    expect(student.get_by_text("Pending", exact=True).first).to_be_visible()

    # The educator approves it with a link (through htmx, in place).
    educator.get_by_role("link", name="Session Requests").click()
    card = educator.locator("article.request-card").filter(has_text="Could we look at my models?")
    expect(card).to_be_visible()
    card.get_by_label("Meeting link").fill(LINK)
    card.get_by_role("button", name="Approve").click()
    expect(educator.locator("article.request-card").first).to_contain_text("Approved")

    # The student sees the Join link, then cancels.
    student.reload()
    join = student.get_by_role("link", name="Join")
    expect(join).to_have_attribute("href", LINK)
    student.get_by_role("link", name="Cancel request").click()
    student.get_by_role("button", name="Yes, cancel it").click()
    expect(student.get_by_text("Your request is cancelled.")).to_be_visible()
    expect(student.get_by_text("Cancelled", exact=True).first).to_be_visible()

    # A second request is rejected; the student sees the reason.
    student.get_by_role("link", name="Courses").first.click()
    student.get_by_role("link", name="Book a Session").first.click()
    student.locator("label.slot-option").first.click()
    student.get_by_role("button", name="Send request").click()
    educator.get_by_role("link", name="Session Requests").click()
    card = educator.locator("article.request-card").first
    card.get_by_label("Reason").fill("I am away that day, sorry")
    card.get_by_role("button", name="Reject").click()
    expect(educator.locator("article.request-card").first).to_contain_text("Rejected")
    student.goto(student.base + "/session-requests?status=rejected")
    expect(student.get_by_text("I am away that day, sorry")).to_be_visible()


def test_a_new_request_appears_without_a_reload(make_page):
    mentor = EducatorFactory()
    slot = SlotFactory(educator=mentor)
    page = make_page()
    log_in(page, mentor.username)
    page.goto(page.base + "/educator/session-requests")
    expect(page.get_by_text("No request is waiting for you")).to_be_visible()
    page.evaluate("window.__notReloaded = true")

    services.booking_request(student=StudentFactory(), slot=slot, message="Fresh from the poll")

    expect(page.get_by_text("Fresh from the poll")).to_be_visible(timeout=40_000)
    assert page.evaluate("window.__notReloaded") is True  # same page: no navigation
    expect(page.get_by_role("link", name=re.compile("Session Requests"))).to_contain_text("1")


def test_booking_page_works_on_a_phone(make_page):
    course = CourseFactory()
    SlotFactory(educator=course.educator, course=course, note="Phone-friendly slot")
    student = StudentFactory()
    services.enroll(student=student, course=course)
    page = make_page(width=375, height=812)
    log_in(page, student.username)
    page.goto(f"{page.base}/course/{course.pk}/book-session")
    assert page.evaluate("document.documentElement.scrollWidth") <= 375
    page.locator("label.slot-option").first.click()
    page.get_by_label("Message").fill("From my phone")
    page.get_by_role("button", name="Send request").click()
    expect(page).to_have_url(re.compile(r"/session-requests$"))
    assert page.evaluate("document.documentElement.scrollWidth") <= 375
    # The menu opens without any script of ours.
    page.get_by_text("Menu").click()
    expect(page.locator(".nav-panel").get_by_role("link", name="My Requests")).to_be_visible()


def test_refusal_shows_on_the_booking_page(make_page):
    course = CourseFactory()
    slot = SlotFactory(educator=course.educator, course=course)
    student = StudentFactory()
    services.enroll(student=student, course=course)
    page = make_page()
    log_in(page, student.username)
    page.goto(f"{page.base}/course/{course.pk}/book-session")
    page.locator("label.slot-option").first.click()
    other = StudentFactory()  # takes the only seat meanwhile
    services.enroll(student=other, course=course)
    services.booking_request(student=other, slot=Slot.objects.get(pk=slot.pk))
    page.get_by_role("button", name="Send request").click()
    expect(page.get_by_text("This slot is full.")).to_be_visible()
    expect(page.get_by_text("No open slots right now")).to_be_visible()
    assert User.objects.get(pk=student.pk).bookings.count() == 0
