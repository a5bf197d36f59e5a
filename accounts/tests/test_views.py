"""Sign-up, profile and login pages: sessions, one-line fields, what sign-up reveals."""

from __future__ import annotations

import pytest
from django.contrib import admin
from django.contrib.auth import get_user
from django.core.exceptions import ValidationError

from accounts.admin import UserAdmin
from accounts.models import ONE_LINE, User, validate_one_line

pytestmark = pytest.mark.django_db

CONTROL = ["Eve\r\nBcc: x@evil.test", "Eve\nBcc", "Eve\rX", "Eve\tTab", "E\x00ve", "E\x1bve",
           "E\x7fve", "E\x85ve", "E\u2028ve", "E\u2029ve"]  # fmt: skip


def signup_data(**changes) -> dict:
    return {
        "username": "newcomer",
        "first_name": "Nia",
        "last_name": "Stone",
        "email": "nia@example.com",
        "role": "student",
        "field": "",
        "timezone": "UTC",
        "password1": "a-Long-pass-2026",
        "password2": "a-Long-pass-2026",
        **changes,
    }


# ---------------------------------------------------------------- a login replaces the session


def test_logging_in_as_someone_else_replaces_the_session(client, student, other_student):
    client.force_login(student)
    old_key = client.session.session_key
    response = client.post(
        "/accounts/login/", {"username": other_student.username, "password": "pass-word-123"}
    )
    assert response.status_code == 302
    assert get_user(client).pk == other_student.pk
    assert client.session.session_key != old_key


def test_a_wrong_password_while_logged_in_says_so_and_keeps_nobody_else(client, student):
    client.force_login(student)
    response = client.post("/accounts/login/", {"username": student.username, "password": "x"})
    assert response.status_code == 200
    assert "correct username and password" in response.content.decode()


def test_opening_the_login_page_while_logged_in_goes_home(client, student):
    client.force_login(student)
    assert client.get("/accounts/login/").status_code == 302


# ---------------------------------------------------------------- one-line fields


@pytest.mark.parametrize("value", CONTROL)
def test_one_line_validator_refuses_control_characters(value):
    with pytest.raises(ValidationError) as info:
        validate_one_line(value)
    assert info.value.messages == [ONE_LINE]


def test_one_line_validator_accepts_ordinary_names():
    for value in ("Zoë O'Brien-Ångström", "李小龍", "José María", "Data Science & AI"):
        validate_one_line(value)


@pytest.mark.parametrize("field", ["first_name", "last_name", "field"])
def test_signup_refuses_a_line_break_in_a_one_line_field(client, field):
    response = client.post("/accounts/signup/", signup_data(**{field: "Eve\r\nBcc: x@evil.test"}))
    assert response.status_code == 200
    assert ONE_LINE in response.content.decode()
    assert not User.objects.filter(username="newcomer").exists()


def test_signup_refuses_control_characters_in_username_and_email(client):
    response = client.post("/accounts/signup/", signup_data(username="eve\tx"))
    assert response.status_code == 200 and not User.objects.exists()
    response = client.post("/accounts/signup/", signup_data(email="eve@example.com\r\nBcc: x"))
    assert response.status_code == 200 and not User.objects.exists()


def test_profile_refuses_a_line_break_in_a_name(client, student):
    client.force_login(student)
    response = client.post(
        "/accounts/profile/",
        {"first_name": "Eve\nBcc", "last_name": "Lee", "email": "s@example.com", "field": "",
         "bio": "Line one\nline two is fine in a bio", "timezone": "UTC"},
    )  # fmt: skip
    assert response.status_code == 200 and ONE_LINE in response.content.decode()
    student.refresh_from_db()
    assert "\n" not in student.first_name


def test_the_admin_refuses_a_line_break_in_a_name(rf, staff, student):
    request = rf.get("/")
    request.user = staff
    form_class = UserAdmin(User, admin.site).get_form(request, student)
    data = {
        "username": student.username,
        "first_name": "Eve\r\nBcc: x",
        "last_name": "Lee",
        "email": student.email,
        "role": "student",
        "field": "Math\tthings",
        "timezone": "UTC",
        "date_joined_0": "2026-01-01",
        "date_joined_1": "10:00:00",
        "is_active": "on",
    }
    form = form_class(data, instance=student)
    assert not form.is_valid()
    assert form.errors["first_name"] == [ONE_LINE] and form.errors["field"] == [ONE_LINE]


def test_full_clean_refuses_what_any_front_end_might_send(student):
    student.last_name = "X\u2028Y"
    with pytest.raises(ValidationError) as info:
        student.full_clean()
    assert info.value.message_dict["last_name"] == [ONE_LINE]


# ---------------------------------------------------------------- what sign-up reveals


def test_signup_never_reveals_that_an_email_is_registered(client, student):
    """A taken email is not a refusal: the sign-up goes ahead exactly as for a new one."""
    response = client.post("/accounts/signup/", signup_data(email=student.email.upper()))
    assert response.status_code == 302
    assert User.objects.get(username="newcomer").email.lower() == student.email.lower()
    student.refresh_from_db()
    assert student.check_password("pass-word-123")  # the first account is untouched


def test_signup_answers_the_same_for_a_registered_and_a_new_email(client, student):
    def errors(email):
        response = client.post(
            "/accounts/signup/", signup_data(username=student.username, email=email)
        )
        return response.status_code, response.context["form"].errors

    taken, new = errors(student.email), errors("someone-new@example.com")
    assert taken == new
    assert taken == (200, {"username": ["A user with that username already exists."]})
