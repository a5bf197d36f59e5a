"""A browser's session is its user: Django's database sessions and ModelBackend, read in
two queries, ended by a password change, a deactivation or a deleted account."""

from __future__ import annotations

import pytest
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY, get_user
from django.contrib.sessions.backends.db import SessionStore
from django.db import connection
from django.test import RequestFactory
from django.test.utils import CaptureQueriesContext

from accounts.models import User

pytestmark = pytest.mark.django_db

BACKEND = "django.contrib.auth.backends.ModelBackend"


def request_with_session(user: User, **changes):
    session = SessionStore()
    session.update(
        {
            SESSION_KEY: str(user.pk),
            BACKEND_SESSION_KEY: BACKEND,
            HASH_SESSION_KEY: user.get_session_auth_hash(),
            **changes,
        }
    )
    session.create()
    request = RequestFactory().get("/")
    request.session = SessionStore(session.session_key)
    return request


def test_a_logged_in_session_is_its_user_in_two_queries(student):
    request = request_with_session(student)
    with CaptureQueriesContext(connection) as queries:
        user = get_user(request)
    assert user.pk == student.pk and user.is_authenticated
    assert len(queries) == 2  # the session, the user


def test_a_changed_password_ends_the_session(student):
    request = request_with_session(student)
    student.set_password("a-New-pass-2026")
    student.save()
    assert not get_user(request).is_authenticated


def test_an_inactive_user_is_nobody(student):
    request = request_with_session(student)
    User.objects.filter(pk=student.pk).update(is_active=False)
    assert not get_user(request).is_authenticated


def test_a_deleted_user_is_nobody(student):
    request = request_with_session(student)
    User.objects.filter(pk=student.pk).delete()
    assert not get_user(request).is_authenticated


def test_a_page_login_then_the_next_page_is_still_logged_in(client, student):
    student.set_password("a-Long-pass-2026")
    student.save()
    response = client.post(
        "/accounts/login/", {"username": student.username, "password": "a-Long-pass-2026"}
    )
    assert response.status_code == 302
    assert client.session[BACKEND_SESSION_KEY] == BACKEND
    assert client.get("/session-requests").status_code == 200


def test_after_signing_up_the_next_page_is_still_logged_in(client):
    from accounts.tests.test_views import signup_data

    response = client.post("/accounts/signup/", signup_data())
    assert response.status_code == 302
    assert client.session[BACKEND_SESSION_KEY] == BACKEND
    assert client.get("/session-requests").status_code == 200  # not a redirect to log in


def test_an_unknown_session_cookie_is_anonymous_and_never_an_error(client):
    client.cookies["sessionid"] = "no-such-session-key-0000000000"
    assert client.get("/session-requests").status_code == 302  # to the login page
