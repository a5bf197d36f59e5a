"""Issue 10, point by point, in real Chromium: what a user sees (desktop 1280 px, phone
375 px), with JavaScript and without."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from scheduling import services
from scheduling.models import Slot
from scheduling.tests.factories import (
    BookingFactory,
    CourseFactory,
    EducatorFactory,
    SlotFactory,
    StudentFactory,
)

from .test_journeys import log_in

pytestmark = pytest.mark.django_db(transaction=True)

PHONE = {"width": 375, "height": 812}


def at(days: int, hour: int):
    local = timezone.localtime() + timedelta(days=days)
    return local.replace(hour=hour, minute=0, second=0, microsecond=0)


@pytest.fixture
def open_context(browser, live_server):
    """A page in a context with options (no JavaScript, a timezone); each must end clean."""
    pages = []

    def make(width=1280, height=900, **options):
        context = browser.new_context(viewport={"width": width, "height": height}, **options)
        page = context.new_page()
        page.problems = []
        page.on("console", lambda m: page.problems.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda e: page.problems.append(str(e)))
        page.set_default_timeout(15_000)
        page.base = live_server.url
        pages.append(page)
        return page

    yield make
    for page in pages:
        problems = list(page.problems)
        page.context.close()
        assert problems == [], problems


def no_sideways_scroll(page, width: int) -> None:
    assert page.evaluate("document.documentElement.scrollWidth") <= width


def test_1_my_requests_leads_with_the_next_session(make_page):
    student, educator = StudentFactory(), EducatorFactory(first_name="Maya")
    rejected = BookingFactory(slot=SlotFactory(educator=educator), student=student)
    services.booking_reject(booking=rejected, by=educator, reason="Away that day")
    approved = BookingFactory(
        slot=SlotFactory(educator=educator, meeting_link="https://meet.example.com/next"),
        student=student,
    )
    services.booking_approve(booking=approved, by=educator)
    for width in (1280, 375):
        page = make_page(width=width, height=900)
        log_in(page, student.username)
        page.goto(page.base + "/session-requests")
        headings = page.get_by_role("heading", level=2).all_inner_texts()
        assert headings[:2] == ["Upcoming", "Past & closed"]
        first = page.locator("article.booking-card").first
        expect(first.get_by_role("link", name="Join")).to_be_visible()
        expect(page.locator("article.booking-card").nth(1)).to_contain_text("Away that day")
        # Status tabs still filter.
        page.get_by_role("link", name=re.compile("^Rejected")).click()
        expect(page.locator("article.booking-card")).to_have_count(1)
        no_sideways_scroll(page, width)
        join = page.get_by_role("link", name="Join").all()
        assert not join  # the rejected tab has no Join


def test_2_a_withdrawn_slot_says_who_and_offers_another_time(make_page):
    course = CourseFactory()
    slot = SlotFactory(educator=course.educator, course=course)
    SlotFactory(educator=course.educator, course=course, note="Another time")
    booking = BookingFactory(slot=slot)
    page = make_page()
    log_in(page, booking.student.username)
    page.goto(page.base + "/session-requests")
    expect(page.get_by_text("Waiting for")).to_be_visible()
    services.slot_withdraw(slot=slot, by=course.educator, reason="Conference trip")
    page.reload()
    card = page.locator("article.booking-card").first
    expect(card).to_contain_text(f"{course.educator.display_name} withdrew this time")
    expect(card).to_contain_text("Conference trip")
    expect(card.get_by_text("New", exact=True)).to_be_visible()
    card.get_by_role("link", name="Pick another time").click()
    expect(page).to_have_url(re.compile(rf"/course/{course.pk}/book-session$"))
    expect(page.get_by_text("Another time")).to_be_visible()
    page.go_back()
    page.reload()
    expect(page.get_by_text("New", exact=True)).to_have_count(0)  # seen now


@pytest.mark.parametrize("size", [{"width": 1280, "height": 900}, PHONE])
def test_3_week_view_of_open_times(make_page, size):
    course = CourseFactory()
    student = StudentFactory()
    services.enroll(student=student, course=course)
    first = SlotFactory(educator=course.educator, course=course, starts_at=at(2, 9))
    SlotFactory(
        educator=course.educator, course=course, starts_at=at(3, 14), requires_approval=False
    )
    SlotFactory(educator=course.educator, course=course, starts_at=at(10, 9), note="Next week")
    page = make_page(**size)
    log_in(page, student.username)
    page.goto(f"{page.base}/course/{course.pk}/book-session")
    days = page.locator("section.week-day")
    expect(days).to_have_count(7)
    boxes = [days.nth(n).bounding_box() for n in range(7)]
    if size["width"] == 1280:  # days as columns
        assert len({round(b["y"]) for b in boxes}) == 1 and boxes[0]["x"] < boxes[1]["x"]
    else:  # a list: only days with times show, one under another
        visible = [b for b in boxes if b and b["width"] > 0]
        assert len(visible) == 2 and visible[0]["y"] < visible[1]["y"]
    no_sideways_scroll(page, size["width"])
    expect(page.get_by_text("Instant", exact=True).nth(1)).to_be_visible()
    day = timezone.localtime(first.starts_at)
    expect(page.locator("#week-title")).to_contain_text(day.strftime("%a %-d %b"))
    # Sending without a time.
    page.get_by_role("button", name="Send request").click()
    expect(page.get_by_text("Choose a time.")).to_be_visible()
    # Next week through htmx: the page stays, the address follows.
    page.evaluate("window.__stayed = true")
    page.get_by_role("link", name="Next week").click()
    expect(page.get_by_text("Next week", exact=True).last).to_be_visible()
    expect(page.locator(".week").get_by_text("Next week", exact=False).first).to_be_visible()
    expect(page).to_have_url(re.compile(r"start=\d{4}-\d{2}-\d{2}"))
    expect(page.locator("label.slot-option")).to_have_count(1)
    assert page.evaluate("window.__stayed") is True
    page.locator("label.slot-option").first.click()
    page.get_by_role("button", name="Send request").click()
    expect(page).to_have_url(re.compile(r"/session-requests$"))


def test_3_week_view_works_without_javascript(open_context):
    course = CourseFactory()
    student = StudentFactory()
    services.enroll(student=student, course=course)
    SlotFactory(educator=course.educator, course=course, starts_at=at(2, 9))
    SlotFactory(educator=course.educator, course=course, starts_at=at(10, 9))
    page = open_context(java_script_enabled=False)
    log_in(page, student.username)
    page.goto(f"{page.base}/course/{course.pk}/book-session")
    expect(page.locator("label.slot-option")).to_have_count(1)
    page.get_by_role("link", name="Next week").click()
    expect(page).to_have_url(re.compile(r"start="))
    expect(page.locator("label.slot-option")).to_have_count(1)
    page.locator("label.slot-option").first.click()
    page.get_by_role("button", name="Send request").click()
    expect(page).to_have_url(re.compile(r"/session-requests$"))
    expect(page.get_by_text("Pending", exact=True)).to_be_visible()


@pytest.mark.parametrize("size", [{"width": 1280, "height": 900}, PHONE])
def test_4_educator_calendar(make_page, size):
    educator = EducatorFactory(timezone="UTC")
    slot = SlotFactory(educator=educator, starts_at=at(1, 10), capacity=2, note="Calendar slot")
    BookingFactory(slot=slot, message="Looking forward")
    page = make_page(**size)
    log_in(page, educator.username)
    page.goto(page.base + "/educator/")
    if size["width"] < 768:
        page.get_by_text("Menu").click()
    page.get_by_role("link", name="Calendar", exact=True).locator("visible=true").click()
    expect(page).to_have_url(re.compile(r"/educator/calendar$"))
    if at(1, 10).weekday() == 0:  # tomorrow is in next week's grid
        page.get_by_role("link", name="Next week").click()
    card = page.locator("a.calendar-slot:visible").first
    expect(card).to_contain_text("1/2 seats taken")
    expect(card).to_contain_text("1 pending")
    no_sideways_scroll(page, size["width"])
    card.click()
    expect(page.get_by_role("heading", name="Requests for this slot")).to_be_visible()
    expect(page.get_by_text("Looking forward")).to_be_visible()
    page.go_back()
    if size["width"] == 1280:
        target = at(1, 15)
        page.get_by_label(f"New slot on {target:%a %-d %b} at 15:00").click()
    else:
        target = at(1, 0)
        page.get_by_role("link", name=f"Add a slot on {target:%a %-d %b}").click()
    expect(page.get_by_label("Date")).to_have_value(f"{target:%Y-%m-%d}")
    if size["width"] == 1280:
        expect(page.get_by_label("Start time")).to_have_value("15:00")
    else:
        page.get_by_label("Start time").fill("15:00")
    page.get_by_role("button", name="Create slot").click()
    expect(page.get_by_text("Slot created")).to_be_visible()


def test_5_withdrawn_slots_leave_upcoming(make_page):
    educator = EducatorFactory()
    slot = SlotFactory(educator=educator, capacity=3, note="Soon withdrawn")
    page = make_page()
    log_in(page, educator.username)
    page.goto(page.base + "/educator/availability")
    expect(page.get_by_text("Soon withdrawn")).to_be_visible()
    services.slot_withdraw(slot=Slot.objects.get(pk=slot.pk), by=educator, reason="Trip")
    page.reload()
    expect(page.get_by_text("Soon withdrawn")).to_have_count(0)
    page.get_by_role("link", name="Withdrawn").click()
    expect(page.locator("article.slot-withdrawn")).to_contain_text("Trip")
    expect(page.get_by_text("needs your approval")).to_have_count(0)


def test_6_not_enrolled_sees_a_disabled_form_until_enrolled(make_page):
    course = CourseFactory()
    SlotFactory(educator=course.educator, course=course)
    student = StudentFactory()
    page = make_page()
    log_in(page, student.username)
    page.goto(f"{page.base}/course/{course.pk}/book-session")
    expect(page.get_by_role("button", name="Send request")).to_be_disabled()
    expect(page.get_by_label("Message")).to_be_disabled()
    page.get_by_role("button", name="Enrol").click()
    page.get_by_role("link", name="Book a Session").click()
    expect(page.get_by_role("button", name="Send request")).to_be_enabled()


def test_7_timezone_preselected_from_the_browser(open_context):
    page = open_context(timezone_id="Asia/Tokyo")
    page.goto(page.base + "/accounts/signup/")
    expect(page.get_by_label("Timezone")).to_have_value("Asia/Tokyo")
    groups = page.locator("#id_timezone optgroup").evaluate_all("els => els.map(e => e.label)")
    assert "Europe" in groups and "America" in groups
    assert page.locator('#id_timezone option[value="US/Pacific"]').count() == 0
    student = StudentFactory(timezone="Europe/London")
    log_in(page, student.username)
    page.goto(page.base + "/accounts/profile/")
    expect(page.get_by_label("Timezone")).to_have_value("Europe/London")  # saved zone kept
    page.get_by_role("button", name=re.compile("Use your device's timezone")).click()
    expect(page.get_by_label("Timezone")).to_have_value("Asia/Tokyo")


def test_8_a_slot_holding_seats_has_read_only_time_and_course(make_page):
    educator = EducatorFactory()
    slot = SlotFactory(educator=educator)
    BookingFactory(slot=slot)
    page = make_page()
    log_in(page, educator.username)
    page.goto(f"{page.base}/educator/availability/{slot.pk}/edit")
    for label in ("Course", "Date", "Start time", "Duration (minutes)", "End time"):
        expect(page.get_by_label(label)).to_be_disabled()
    expect(page.get_by_text("Fixed while students hold seats").first).to_be_visible()
    page.get_by_label("Capacity").fill("3")
    page.get_by_role("button", name="Save slot").click()
    expect(page.get_by_text("Slot saved")).to_be_visible()


def test_9_smaller_things(make_page, open_context):
    # The password error sits under the password, not under its confirmation.
    page = make_page(**PHONE)
    page.goto(page.base + "/accounts/signup/")
    page.get_by_label("Username").fill("shorty")
    page.get_by_label("First name").fill("S")
    page.get_by_label("Email").fill("s@example.com")
    page.get_by_label("Password").first.fill("abc")
    page.get_by_label("Password confirmation").fill("abc")
    page.get_by_role("button", name="Sign up").click()
    expect(page.locator("#div_id_password1")).to_contain_text("too short")
    expect(page.locator("#div_id_password2")).not_to_contain_text("too short")
    # Touch targets of 44 px on a phone; the footer keeps API out.
    heights = page.locator(".btn:visible, .form-control:visible").evaluate_all(
        "els => els.map(e => e.getBoundingClientRect().height)"
    )
    assert heights and min(heights) >= 44, heights
    expect(page.locator("footer")).not_to_contain_text("API")
    # /mentors/ lists educators, searchable by field.
    EducatorFactory(first_name="Wendy", field="Web Development")
    EducatorFactory(first_name="Dario", field="Data Science")
    page.goto(page.base + "/mentors/")
    page.get_by_role("link", name="Data Science").click()
    expect(page.get_by_text("Dario", exact=False)).to_be_visible()
    expect(page.get_by_text("Wendy", exact=False)).to_have_count(0)
    # The slot form speaks 24-hour time.
    educator = EducatorFactory()
    desk = open_context(locale="en-US")
    log_in(desk, educator.username)
    desk.goto(desk.base + "/educator/availability/new")
    start = desk.get_by_label("Start time")
    assert start.get_attribute("type") == "text" and start.get_attribute("placeholder") == "HH:MM"
    start.fill("14:30")
    expect(start).to_have_value("14:30")
