"""Public pages, the navigation badge, accounts and the error pages."""

from __future__ import annotations

import re

import pytest
from django.core import mail

from accounts.models import User
from scheduling import services
from scheduling.tests.factories import (
    BookingFactory,
    CourseFactory,
    EducatorFactory,
    SlotFactory,
)
from scheduling.tests.test_schedule_cache import (
    NEW_PROFILE,
    NEW_VERSION,
    OWN_REMEMBERED,
    OWN_REMEMBERING,
    REMEMBERED,
    REMEMBERING,
)

pytestmark = pytest.mark.django_db


def test_home_shows_the_landing_page_to_visitors(client, course):
    response = client.get("/")
    assert response.status_code == 200
    assert course.title in response.content.decode()


def test_home_sends_each_role_to_its_own_home(client, educator, student, slot):
    client.force_login(educator)
    assert client.get("/").url == "/educator/"
    client.force_login(student)
    assert client.get("/").url == "/courses/"
    BookingFactory(slot=slot, student=student)
    assert client.get("/").url == "/session-requests"


def test_catalog_lists_published_courses_and_searches(client, educator):
    CourseFactory(title="Django for Beginners", field="Web Development", educator=educator)
    CourseFactory(title="Statistics", field="Data Science", educator=educator)
    CourseFactory(title="Hidden draft", is_published=False, educator=educator)
    page = client.get("/courses/").content.decode()
    assert "Django for Beginners" in page and "Statistics" in page and "Hidden draft" not in page
    found = client.get("/courses/", {"q": "data"}).content.decode()
    assert "Statistics" in found and "Django for Beginners" not in found
    assert "No course matches" in client.get("/courses/", {"q": "zzz"}).content.decode()


@pytest.mark.parametrize("rows", [5, 50])
def test_catalog_query_count_is_constant(client, student, rows, django_assert_num_queries):
    educator = EducatorFactory()
    for _ in range(rows):
        CourseFactory(educator=educator)
    client.force_login(student)
    with django_assert_num_queries(4):  # session, user, count, page
        response = client.get("/courses/")
    assert response.status_code == 200


def test_catalog_is_paginated(client):
    educator = EducatorFactory()
    for n in range(14):
        CourseFactory(educator=educator, title=f"Course {n:02}")
    first = client.get("/courses/").content.decode()
    second = client.get("/courses/", {"page": 2}).content.decode()
    assert "Course 00" in first and "Course 13" not in first
    assert "Course 13" in second and "Page 2 of 2" in second


def test_course_page_shows_open_slots_and_actions(client, student, course, educator):
    SlotFactory(educator=educator, course=course, note="Bring your laptop")
    page = client.get(f"/course/{course.pk}/").content.decode()
    assert "Bring your laptop" in page and "Log in" in page
    client.force_login(student)
    page = client.get(f"/course/{course.pk}/").content.decode()
    assert "Enrol" in page and "Book a Session" in page


def test_unpublished_course_is_404_except_for_its_educator(client, educator, student):
    draft = CourseFactory(educator=educator, is_published=False)
    assert client.get(f"/course/{draft.pk}/").status_code == 404
    client.force_login(student)
    assert client.get(f"/course/{draft.pk}/").status_code == 404
    client.force_login(educator)
    assert client.get(f"/course/{draft.pk}/").status_code == 200
    assert client.get("/course/999999/").status_code == 404


def test_mentor_page(client, educator, student):
    SlotFactory(educator=educator, note="Open office hour")
    assert client.get(f"/mentors/{educator.pk}/").status_code == 200
    assert "Open office hour" in client.get(f"/mentors/{educator.pk}/").content.decode()
    assert client.get(f"/mentors/{student.pk}/").status_code == 404
    assert client.get("/mentors/999999/").status_code == 404


def test_student_books_from_the_mentor_page(client, educator, student):
    slot = SlotFactory(educator=educator)
    client.force_login(student)
    response = client.post(f"/mentors/{educator.pk}/", {"slot": slot.pk, "message": "Hi"})
    assert response.status_code == 302 and response.url == "/session-requests"
    assert student.bookings.get().message == "Hi"


@pytest.mark.parametrize("rows", [5, 50])
def test_mentor_page_query_count_is_constant(client, rows, django_assert_num_queries):
    educator = EducatorFactory()
    for _ in range(rows):
        SlotFactory(educator=educator)
    # first open, week, month, next open, remembering the mentor and courses (read once)
    # and what every viewer sees
    with django_assert_num_queries(4 + OWN_REMEMBERING + REMEMBERING + NEW_VERSION + NEW_PROFILE):
        assert client.get(f"/mentors/{educator.pk}/").status_code == 200
    with django_assert_num_queries(OWN_REMEMBERED + REMEMBERED):  # then: all remembered
        assert client.get(f"/mentors/{educator.pk}/").status_code == 200


def test_nav_badge_counts_pending_for_educators(client, educator, slot):
    BookingFactory(slot=slot)
    client.force_login(educator)
    assert client.get("/nav/badge").content == b"1"


def test_nav_badge_counts_changes_for_students_until_seen(client, educator, student):
    slot = SlotFactory(educator=educator, meeting_link="https://m.example.com")
    booking = BookingFactory(slot=slot, student=student)
    client.force_login(student)
    assert client.get("/nav/badge").content == b""  # their own request is no news
    services.booking_approve(booking=booking, by=educator)
    assert client.get("/nav/badge").content == b"1"
    client.get("/session-requests")
    assert client.get("/nav/badge").content == b""


# ---------------------------------------------------------------- accounts


def test_signup_as_student_logs_in(client):
    response = client.post(
        "/accounts/signup/",
        {
            "username": "newstudent",
            "first_name": "Nia",
            "last_name": "Stone",
            "email": "nia@example.com",
            "role": "student",
            "field": "",
            "timezone": "Asia/Tokyo",
            "password1": "a-Long-pass-2026",
            "password2": "a-Long-pass-2026",
        },
    )
    assert response.status_code == 302
    user = User.objects.get(username="newstudent")
    assert (user.role, user.timezone) == ("student", "Asia/Tokyo")
    assert client.get("/").url == "/courses/"


def test_signup_as_educator_needs_a_field(client):
    data = {
        "username": "teacher",
        "first_name": "Tess",
        "last_name": "Ng",
        "email": "t@example.com",
        "role": "educator",
        "field": "",
        "timezone": "UTC",
        "password1": "a-Long-pass-2026",
        "password2": "a-Long-pass-2026",
    }
    response = client.post("/accounts/signup/", data)
    assert response.status_code == 200
    assert "Educators tell students which field they teach." in response.content.decode()
    data["field"] = "Design"
    assert client.post("/accounts/signup/", data).status_code == 302
    assert client.get("/").url == "/educator/"


def test_login_and_logout(client, student):
    response = client.post(
        "/accounts/login/", {"username": student.username, "password": "pass-word-123"}
    )
    assert response.status_code == 302
    assert client.get("/accounts/logout/").status_code == 405  # logging out is a POST
    client.post("/accounts/logout/")
    assert client.get("/accounts/profile/").status_code == 302


def test_profile_edits_timezone(client, student):
    client.force_login(student)
    response = client.post(
        "/accounts/profile/",
        {
            "first_name": "Sam",
            "last_name": "Lee",
            "email": "s@example.com",
            "field": "",
            "bio": "Learning Django",
            "timezone": "Europe/Paris",
        },
    )
    assert response.status_code == 302
    student.refresh_from_db()
    assert (student.timezone, student.bio) == ("Europe/Paris", "Learning Django")
    bad = client.post("/accounts/profile/", {"first_name": "S", "timezone": "Mars/Base"})
    assert bad.status_code == 200 and "Select a valid choice" in bad.content.decode()


def test_password_reset_sends_an_email(client, student):
    response = client.post("/accounts/password_reset/", {"email": student.email})
    assert response.status_code == 302
    assert len(mail.outbox) == 1 and "reset" in mail.outbox[0].body.lower()


def test_password_change_page(client, student):
    client.force_login(student)
    assert client.get("/accounts/password_change/").status_code == 200


def test_friendly_404_page(client):
    response = client.get("/no/such/page/")
    assert response.status_code == 404
    assert "Page not found" in response.content.decode()


def test_pages_escape_user_text(client, educator):
    CourseFactory(educator=educator, title="<script>alert(1)</script>")
    page = client.get("/courses/").content.decode()
    assert "<script>alert(1)</script>" not in page
    assert "&lt;script&gt;" in page


def test_no_inline_scripts_or_styles(client, course):
    page = client.get("/").content.decode()
    assert "<script>" not in page and " style=" not in page and "onclick" not in page
    assert "Content-Security-Policy" in client.get("/").headers


def test_login_and_logout_say_so(client, student):
    response = client.post(
        "/accounts/login/",
        {"username": student.username, "password": "pass-word-123"},
        follow=True,
    )
    assert f"Welcome back, {student.display_name}." in response.content.decode()
    response = client.post("/accounts/logout/", follow=True)
    assert "You are logged out." in response.content.decode()


def test_catalog_search_says_how_many_match(client, educator):
    CourseFactory(educator=educator, title="Django basics", is_published=True)
    CourseFactory(educator=educator, title="Django advanced", is_published=True)
    page = client.get("/courses/", {"q": "django"}).content.decode()
    assert "2 courses match “django”" in page and "Show all courses" in page


def test_signup_and_profile_label_the_email_field_email(client, student):
    assert re.search(r">\s*Email<span", client.get("/accounts/signup/").content.decode())
    client.force_login(student)
    page = client.get("/accounts/profile/").content.decode()
    assert re.search(r">\s*Email\s*</label>", page) and "Signed in as" in page


def test_student_sees_already_requested_slots_as_theirs_on_the_mentor_page(
    client, educator, student
):
    mine = SlotFactory(educator=educator, capacity=2)  # a seat left: still listed
    other = SlotFactory(educator=educator)
    BookingFactory(slot=mine, student=student)
    client.force_login(student)
    page = client.get(f"/mentors/{educator.pk}/").content.decode()
    assert "You requested this" in page
    assert f'value="{mine.pk}"' not in page and f'value="{other.pk}"' in page


def test_mentors_index_searches_by_field(client):
    from scheduling.tests.factories import EducatorFactory, SlotFactory

    web = EducatorFactory(field="Web Development", first_name="Wendy")
    EducatorFactory(field="Data Science", first_name="Dario")
    SlotFactory(educator=web)
    page = client.get("/mentors/").content.decode()
    assert "Wendy" in page and "Dario" in page and "1 open slot" in page
    page = client.get("/mentors/", {"q": "web dev"}).content.decode()
    assert "Wendy" in page and "Dario" not in page and f'href="/mentors/{web.pk}/"' in page
    page = client.get("/mentors/", {"q": "astronomy"}).content.decode()
    assert "No mentor matches your search" in page


@pytest.mark.parametrize("rows", [3, 30])
def test_mentors_index_query_count_is_constant(client, rows, django_assert_num_queries):
    from scheduling.tests.factories import EducatorFactory, SlotFactory

    for _ in range(rows):
        SlotFactory(educator=EducatorFactory(field="Web Development"))
    with django_assert_num_queries(3):  # fields, count, page
        assert client.get("/mentors/").status_code == 200


def test_timezone_list_is_curated_and_grouped(client, student):
    """Issue 10.7: places grouped by region; no "Factory", "localtime" or "US/Pacific"."""
    html = client.get("/accounts/signup/").content.decode()
    assert '<optgroup label="Europe">' in html and '<optgroup label="America">' in html
    assert 'value="Europe/London"' in html and 'value="Asia/Kolkata"' in html
    assert 'value="UTC"' in html and 'data-browser-timezone="preselect"' in html
    for alias in ("Factory", "localtime", "US/Pacific", "Etc/GMT+5", "posixrules", "GB"):
        assert f'value="{alias}"' not in html, alias
    assert "/static/js/timezone.js" in html
    # A zone saved before the list was curated stays choosable on the profile.
    User.objects.filter(pk=student.pk).update(timezone="US/Pacific")
    client.force_login(student)
    html = client.get("/accounts/profile/").content.decode()
    assert 'value="US/Pacific" selected' in html and 'data-browser-timezone="offer"' in html


def test_a_weak_password_is_explained_under_the_password_field(client):
    data = {"username": "weak", "first_name": "W", "last_name": "K", "email": "w@example.com"}
    data |= {"role": "student", "timezone": "UTC", "password1": "abc", "password2": "abc"}
    html = client.post("/accounts/signup/", data).content.decode()
    password1 = html.split('name="password1"')[1].split('name="password2"')[0]
    assert "This password is too short" in password1
    assert "too short" not in html.split('name="password2"')[1]


def test_mentor_page_asks_to_enrol_before_offering_a_course_slot(client, educator, student):
    from scheduling.tests.factories import CourseFactory, SlotFactory

    course = CourseFactory(educator=educator)
    course_slot = SlotFactory(educator=educator, course=course)
    open_slot = SlotFactory(educator=educator)
    client.force_login(student)
    page = client.get(f"/mentors/{educator.pk}/").content.decode()
    assert f'value="{open_slot.pk}"' in page and f'value="{course_slot.pk}"' not in page
    assert "Enrol in the course to book" in page
