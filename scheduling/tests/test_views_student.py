"""Student pages: enrol, Book a Session, My Requests, cancel."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from scheduling import errors, services
from scheduling.models import Booking, Enrollment, Slot
from scheduling.tests.factories import (
    BookingFactory,
    CourseFactory,
    EducatorFactory,
    SlotFactory,
    StudentFactory,
)
from scheduling.tests.test_schedule_cache import (
    ACROSS_REMEMBERED,
    ACROSS_REMEMBERING,
    NEW_PROFILE,
    NEW_VERSION,
    OWN_REMEMBERED,
    OWN_REMEMBERING,
    REMEMBERED,
    REMEMBERING,
    STUDENT_REMEMBERED,
    STUDENT_REMEMBERING,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def as_student(client, student):
    client.force_login(student)
    return client


@pytest.mark.parametrize(
    "path", ["/session-requests", "/course/{course}/book-session", "/session-requests/1/cancel"]
)
def test_student_pages_need_a_student(client, educator, course, path):
    path = path.format(course=course.pk)
    response = client.get(path)
    assert response.status_code == 302 and "/accounts/login/" in response.url
    client.force_login(educator)
    assert client.get(path).status_code == 403


def test_enrol(as_student, student, course):
    response = as_student.post(f"/course/{course.pk}/enroll", follow=True)
    assert "enrolled in " + course.title in response.content.decode()
    assert Enrollment.objects.filter(student=student, course=course).exists()
    as_student.post(f"/course/{course.pk}/enroll")
    assert Enrollment.objects.filter(student=student, course=course).count() == 1
    assert as_student.get(f"/course/{course.pk}/enroll").status_code == 405


def test_booking_page_groups_open_slots_and_sends_a_request(as_student, student, course):
    services.enroll(student=student, course=course)
    slot = SlotFactory(educator=course.educator, course=course, note="Models review")
    page = as_student.get(f"/course/{course.pk}/book-session").content.decode()
    assert "Models review" in page and "1 seat left" in page and "Send request" in page
    response = as_student.post(
        f"/course/{course.pk}/book-session", {"slot": slot.pk, "message": "ORM help"}
    )
    assert response.status_code == 302 and response.url == "/session-requests"
    booking = Booking.objects.get()
    assert (booking.student, booking.slot, booking.message) == (student, slot, "ORM help")


def test_booking_refusals_show_as_form_errors(as_student, student, course, other_student):
    services.enroll(student=student, course=course)
    full = SlotFactory(educator=course.educator, course=course)
    services.enroll(student=other_student, course=course)
    BookingFactory(slot=full, student=other_student)
    response = as_student.post(f"/course/{course.pk}/book-session", {"slot": full.pk})
    assert response.status_code == 200
    assert errors.SLOT_FULL in response.content.decode()
    assert not Booking.objects.filter(student=student).exists()


def test_booking_twice_shows_already_booked(as_student, student, course):
    services.enroll(student=student, course=course)
    slot = SlotFactory(educator=course.educator, course=course, capacity=3)
    as_student.post(f"/course/{course.pk}/book-session", {"slot": slot.pk})
    response = as_student.post(f"/course/{course.pk}/book-session", {"slot": slot.pk})
    assert errors.ALREADY_BOOKED in response.content.decode()


def test_booking_without_enrolment_explains(as_student, course):
    slot = SlotFactory(educator=course.educator, course=course)
    page = as_student.get(f"/course/{course.pk}/book-session").content.decode()
    assert "Enrol in this course" in page
    response = as_student.post(f"/course/{course.pk}/book-session", {"slot": slot.pk})
    assert errors.NOT_ENROLLED in response.content.decode()


def test_booking_an_overlapping_slot(as_student, student, course):
    services.enroll(student=student, course=course)
    first = SlotFactory(educator=course.educator, course=course)
    other = SlotFactory(
        educator=EducatorFactory(), starts_at=first.starts_at + timedelta(minutes=30)
    )
    BookingFactory(slot=other, student=student)
    response = as_student.post(f"/course/{course.pk}/book-session", {"slot": first.pk})
    assert errors.BOOKING_OVERLAP in response.content.decode()


def test_booking_form_errors(as_student, student, course):
    services.enroll(student=student, course=course)
    slot = SlotFactory(educator=course.educator, course=course)
    response = as_student.post(f"/course/{course.pk}/book-session", {"message": "hi"})
    assert "Choose a time." in response.content.decode()  # issue 10: not "This field is required"
    response = as_student.post(
        f"/course/{course.pk}/book-session", {"slot": slot.pk, "message": "x" * 1001}
    )
    assert "at most 1000 characters" in response.content.decode()
    other_course_slot = SlotFactory(educator=course.educator)
    response = as_student.post(f"/course/{course.pk}/book-session", {"slot": other_course_slot.pk})
    assert "no longer available" in response.content.decode()
    assert not Booking.objects.exists()


def test_withdrawn_slot_refused_and_page_shows_current_availability(as_student, student, course):
    services.enroll(student=student, course=course)
    slot = SlotFactory(educator=course.educator, course=course)
    services.slot_withdraw(slot=slot, by=course.educator)
    response = as_student.post(f"/course/{course.pk}/book-session", {"slot": slot.pk})
    page = response.content.decode()
    assert errors.SLOT_WITHDRAWN in page and "No open slots right now" in page


@pytest.mark.parametrize("rows", [5, 50])
def test_booking_page_query_count_is_constant(as_student, student, rows, django_assert_num_queries):
    course = CourseFactory()
    services.enroll(student=student, course=course)
    for _ in range(rows):
        SlotFactory(educator=course.educator, course=course)
    # session, user, first open, week, the month overview (its days, the next open time after
    # it), remembering the course, what every viewer sees and the student's standing
    with django_assert_num_queries(
        6 + OWN_REMEMBERING + REMEMBERING + NEW_VERSION + NEW_PROFILE + STUDENT_REMEMBERING
    ):
        assert as_student.get(f"/course/{course.pk}/book-session").status_code == 200
    with django_assert_num_queries(2 + OWN_REMEMBERED + REMEMBERED + STUDENT_REMEMBERED):
        assert as_student.get(f"/course/{course.pk}/book-session").status_code == 200


def test_my_requests_shows_status_link_and_reason(as_student, student, educator):
    approved = BookingFactory(
        slot=SlotFactory(educator=educator, meeting_link="https://meet.example.com/join-me"),
        student=student,
    )
    services.booking_approve(booking=approved, by=educator)
    rejected = BookingFactory(slot=SlotFactory(educator=educator), student=student)
    services.booking_reject(booking=rejected, by=educator, reason="On holiday that week")
    BookingFactory(slot=SlotFactory(educator=educator), student=student)
    page = as_student.get("/session-requests").content.decode()
    assert 'href="https://meet.example.com/join-me"' in page and ">Join<" in page
    assert "On holiday that week" in page
    assert "Waiting for" in page and "Cancel request" in page


def test_my_requests_filters_by_status(as_student, student, educator):
    rejected = BookingFactory(slot=SlotFactory(educator=educator), student=student)
    services.booking_reject(booking=rejected, by=educator, reason="Unique reason text")
    BookingFactory(slot=SlotFactory(educator=educator), student=student, message="Still pending")
    page = as_student.get("/session-requests", {"status": "rejected"}).content.decode()
    assert "Unique reason text" in page and "Still pending" not in page


def test_meeting_link_hidden_until_approved(as_student, student, educator):
    BookingFactory(
        slot=SlotFactory(educator=educator, meeting_link="https://meet.example.com/secret"),
        student=student,
    )
    assert "meet.example.com/secret" not in as_student.get("/session-requests").content.decode()


@pytest.mark.parametrize("rows", [5, 50])
def test_my_requests_query_count_is_constant(as_student, student, rows, django_assert_num_queries):
    educator = EducatorFactory()
    for _ in range(rows):
        booking = BookingFactory(slot=SlotFactory(educator=educator), student=student)
        services.action_item_add(booking=booking, by=educator, text="Read", owner=student)
    # session, user, counts (the total too), page, items; remembered, with two new versions
    # (the student's and the educator's: tests/test_schedule_cache.py)
    with django_assert_num_queries(5 + ACROSS_REMEMBERING + 2 * NEW_VERSION):
        assert as_student.get("/session-requests").status_code == 200
    with django_assert_num_queries(2 + ACROSS_REMEMBERED):
        assert as_student.get("/session-requests").status_code == 200
    services.booking_reject(
        booking=Booking.objects.filter(student=student)[0], by=educator, reason="No"
    )
    # and seen-at: a change to see
    with django_assert_num_queries(5 + ACROSS_REMEMBERING + 2 * NEW_VERSION + 1):
        assert as_student.get("/session-requests").status_code == 200
    with django_assert_num_queries(5 + ACROSS_REMEMBERING):  # seen: nothing to write
        assert as_student.get("/session-requests").status_code == 200
    with django_assert_num_queries(2 + ACROSS_REMEMBERED):
        assert as_student.get("/session-requests").status_code == 200


def test_my_requests_is_paginated(as_student, student, educator):
    for _ in range(12):
        BookingFactory(slot=SlotFactory(educator=educator), student=student)
    assert "Page 1 of 2" in as_student.get("/session-requests").content.decode()


def test_cancel_asks_then_cancels(as_student, student, slot):
    booking = BookingFactory(slot=slot, student=student)
    page = as_student.get(f"/session-requests/{booking.pk}/cancel").content.decode()
    assert "Yes, cancel it" in page
    response = as_student.post(f"/session-requests/{booking.pk}/cancel", {"reason": "Sick"})
    assert response.status_code == 302
    booking.refresh_from_db()
    assert (booking.status, booking.decision_note) == ("cancelled", "Sick")


def test_cancel_refusal_is_a_message(as_student, student, educator):
    slot = SlotFactory(educator=educator)
    booking = BookingFactory(slot=slot, student=student)
    services.booking_reject(booking=booking, by=educator, reason="No")
    response = as_student.post(f"/session-requests/{booking.pk}/cancel", follow=True)
    message = errors.ILLEGAL_TRANSITION.format(status="rejected", action="cancelled")
    assert message in response.content.decode()


def test_cancel_after_start_is_refused(as_student, student, slot):
    booking = BookingFactory(slot=slot, student=student)
    start = timezone.now() - timedelta(minutes=10)  # the session has started
    Slot.objects.filter(pk=slot.pk).update(starts_at=start, ends_at=start + timedelta(hours=1))
    response = as_student.post(f"/session-requests/{booking.pk}/cancel", follow=True)
    assert errors.CANCEL_STARTED in response.content.decode()


def test_another_students_request_is_404(as_student, slot):
    theirs = BookingFactory(slot=slot, student=StudentFactory())
    assert as_student.get(f"/session-requests/{theirs.pk}/cancel").status_code == 404
    assert as_student.post(f"/session-requests/{theirs.pk}/cancel").status_code == 404
    assert Booking.objects.get(pk=theirs.pk).status == "pending"


def test_posts_need_csrf(student, course):
    from django.test import Client

    client = Client(enforce_csrf_checks=True)
    client.force_login(student)
    assert client.post(f"/course/{course.pk}/enroll").status_code == 403


def test_booking_page_marks_the_students_own_requests(as_student, student, course):
    services.enroll(student=student, course=course)
    mine = SlotFactory(educator=course.educator, course=course, capacity=3)
    free = SlotFactory(educator=course.educator, course=course, capacity=3)
    BookingFactory(slot=mine, student=student)
    page = as_student.get(f"/course/{course.pk}/book-session").content.decode()
    assert "You requested this" in page
    assert f'id="slot-{mine.pk}"' not in page and f'id="slot-{free.pk}"' in page


def test_not_enrolled_refusal_is_shown_once_beside_the_enrol_button(as_student, course):
    slot = SlotFactory(educator=course.educator, course=course)
    response = as_student.post(f"/course/{course.pk}/book-session", {"slot": slot.pk})
    page = response.content.decode()
    assert response.status_code == 200
    assert page.count(errors.NOT_ENROLLED) == 1 and 'class="alert alert-danger' in page
    assert ">Enrol</button>" in page
    assert not Booking.objects.exists()


def test_my_requests_leads_with_the_next_session(as_student, student, educator):
    """Issue 10.1: the approved session ahead comes first, above rejected and past ones."""
    soon = SlotFactory(educator=educator, meeting_link="https://meet.example.com/next")
    later = SlotFactory(
        educator=educator,
        starts_at=soon.starts_at + timedelta(days=3),
        ends_at=soon.ends_at + timedelta(days=3),
    )
    approved = BookingFactory(slot=soon, student=student, message="the next one")
    services.booking_approve(booking=approved, by=educator)
    BookingFactory(slot=later, student=student, message="the later one")
    rejected = BookingFactory(slot=SlotFactory(educator=educator), student=student)
    services.booking_reject(booking=rejected, by=educator, reason="Rejected one")
    page = as_student.get("/session-requests").content.decode()
    upcoming, closed = page.index(">Upcoming<"), page.index("Past &amp; closed")
    assert upcoming < page.index("the next one") < page.index("the later one") < closed
    assert closed < page.index("Rejected one")


def test_withdrawn_slot_says_who_cancelled_and_offers_another_time(
    as_student, student, course, client
):
    services.enroll(student=student, course=course)
    mine = BookingFactory(slot=SlotFactory(educator=course.educator), student=student)
    services.booking_cancel(booking=mine, by=student, reason="I'm ill that day")
    theirs = BookingFactory(
        slot=SlotFactory(educator=course.educator, course=course), student=student
    )
    services.slot_withdraw(slot=theirs.slot, by=course.educator, reason="Conference trip")
    page = as_student.get("/session-requests").content.decode()
    assert "You cancelled this request</strong>: I&#x27;m ill that day" in page
    name = course.educator.display_name
    assert f"{name} withdrew this time</strong>: Conference trip" in page
    assert f'href="/course/{course.pk}/book-session">Pick another time' in page
    assert page.count("Pick another time") == 1  # not for the student's own cancellation
    assert page.count(">New<") == 1  # the withdrawal is new to the student; their own is not
    assert ">New<" not in as_student.get("/session-requests").content.decode()  # now seen


def test_my_requests_empty_states_say_what_to_do(as_student):
    page = as_student.get("/session-requests").content.decode()
    assert "No upcoming session" in page and "Find a course" in page and "Find a mentor" in page
    page = as_student.get("/session-requests", {"status": "rejected"}).content.decode()
    assert "No request has this status" in page and "Show all requests" in page


def test_not_enrolled_student_sees_the_enrol_box_and_a_disabled_form(as_student, student, course):
    """Issue 10.6: not after sending: the form is disabled until the student enrols."""
    SlotFactory(educator=course.educator, course=course)
    page = as_student.get(f"/course/{course.pk}/book-session").content.decode()
    assert ">Enrol</button>" in page
    assert '<fieldset class="booking-fields" disabled aria-describedby="enrol-first">' in page
    services.enroll(student=student, course=course)
    page = as_student.get(f"/course/{course.pk}/book-session").content.decode()
    assert ">Enrol</button>" not in page and 'booking-fields" disabled' not in page


def _day_after(days: int, hour: int):
    local = timezone.localtime() + timedelta(days=days)
    return local.replace(hour=hour, minute=0, second=0, microsecond=0)


def test_week_view_shows_seven_days_from_the_first_open_time(as_student, student, course):
    """Issue 10.3: days as columns, previous/next week, instant slots marked."""
    services.enroll(student=student, course=course)
    near = SlotFactory(educator=course.educator, course=course, starts_at=_day_after(3, 9))
    instant = SlotFactory(
        educator=course.educator, course=course, starts_at=_day_after(4, 9),
        requires_approval=False,
    )  # fmt: skip
    later = SlotFactory(educator=course.educator, course=course, starts_at=_day_after(12, 9))
    page = as_student.get(f"/course/{course.pk}/book-session").content.decode()
    assert f'id="slot-{near.pk}"' in page and f'id="slot-{instant.pk}"' in page
    assert f'id="slot-{later.pk}"' not in page  # next week
    assert page.count('<section class="week-day') == 7 and ">Instant<" in page
    start = timezone.localtime(near.starts_at).date()
    next_start = start + timedelta(days=7)
    assert f'href="?start={next_start:%Y-%m-%d}"' in page and 'hx-select="#week"' in page
    week2 = as_student.get(f"/course/{course.pk}/book-session", {"start": f"{next_start}"})
    html = week2.content.decode()
    assert f'id="slot-{later.pk}"' in html and f'id="slot-{near.pk}"' not in html
    assert 'rel="prev"' in html  # back to an earlier week


def test_week_view_never_starts_in_the_past_and_says_when_a_week_is_empty(
    as_student, student, course
):
    services.enroll(student=student, course=course)
    SlotFactory(educator=course.educator, course=course, starts_at=_day_after(2, 9))
    page = as_student.get(f"/course/{course.pk}/book-session", {"start": "2001-01-01"})
    html = page.content.decode()
    assert timezone.localdate().strftime("%a %-d %b") in html and 'rel="prev"' not in html
    far = as_student.get(f"/course/{course.pk}/book-session", {"start": "2090-01-01"})
    assert "No open times in this week" in far.content.decode()
    assert as_student.get(f"/course/{course.pk}/book-session", {"start": "junk"}).status_code == 200


def test_sending_without_a_time_says_choose_a_time_in_the_same_week(as_student, student, course):
    services.enroll(student=student, course=course)
    slot = SlotFactory(educator=course.educator, course=course, starts_at=_day_after(9, 9))
    start = timezone.localtime(slot.starts_at).date()
    response = as_student.post(
        f"/course/{course.pk}/book-session", {"message": "hi", "start": f"{start}"}
    )
    html = response.content.decode()
    assert "Choose a time." in html and "This field is required" not in html
    assert f'id="slot-{slot.pk}"' in html and 'value="hi"' not in html and ">hi</textarea>" in html


@pytest.mark.parametrize("rows", [5, 40])
def test_week_of_a_given_start_has_constant_queries(
    as_student, student, rows, django_assert_num_queries
):
    course = CourseFactory()
    services.enroll(student=student, course=course)
    for n in range(rows):
        SlotFactory(
            educator=course.educator,
            course=course,
            starts_at=_day_after(2, 0) + timedelta(hours=3 * n),
        )
    start = f"{timezone.localdate() + timedelta(days=2)}"
    # session, user, week, month (2), remembering (the course, the week, the standing)
    with django_assert_num_queries(
        5 + OWN_REMEMBERING + REMEMBERING + NEW_VERSION + NEW_PROFILE + STUDENT_REMEMBERING
    ):
        page = as_student.get(f"/course/{course.pk}/book-session", {"start": start})
    assert page.status_code == 200
