"""The session store and user backend that read without the ORM: the same answers as
Django's own, for every kind of session a browser can bring."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY, get_user
from django.contrib.sessions.backends.db import SessionStore as DjangoSessionStore
from django.contrib.sessions.models import Session
from django.db import connection
from django.test import RequestFactory
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from accounts.backends import UserBackend
from accounts.models import User
from accounts.sessions import SessionStore

pytestmark = pytest.mark.django_db


def test_a_stored_session_reads_as_djangos_store_reads_it():
    session = SessionStore()
    session.update({"colour": "teal", "count": 3})
    session.create()
    mine, django = SessionStore(session.session_key), DjangoSessionStore(session.session_key)
    assert dict(mine.items()) == dict(django.items()) == {"colour": "teal", "count": 3}
    assert mine.session_key == session.session_key


@pytest.mark.parametrize("key", [None, "", "no-such-session-key-0000000000", "x" * 40])
def test_an_unknown_session_reads_empty_and_gets_a_new_key_when_saved(key):
    session = SessionStore(key)
    assert dict(session.items()) == {}
    assert session.session_key is None
    session["seen"] = True
    session.save()
    assert session.session_key and session.session_key != key
    assert SessionStore(session.session_key)["seen"] is True


def test_an_expired_session_is_not_read():
    session = SessionStore()
    session["colour"] = "teal"
    session.create()
    Session.objects.filter(pk=session.session_key).update(
        expire_date=timezone.now() - timedelta(seconds=1)
    )
    assert dict(SessionStore(session.session_key).items()) == {}


def test_the_user_reads_as_the_orm_reads_it(student):
    student.requests_seen_at = timezone.now().replace(microsecond=123456)
    student.last_login = timezone.now() - timedelta(days=2)
    student.bio = "Likes graphs."
    student.save()
    fast, orm = UserBackend().get_user(student.pk), User.objects.get(pk=student.pk)
    for field in User._meta.concrete_fields:
        assert getattr(fast, field.attname) == getattr(orm, field.attname), field.name
        assert type(getattr(fast, field.attname)) is type(getattr(orm, field.attname))
    assert fast.requests_seen_at.tzinfo is not None
    assert fast.get_session_auth_hash() == orm.get_session_auth_hash()
    assert fast._state.adding is False and fast._state.db == orm._state.db


@pytest.mark.parametrize(
    "user_id", ["999999", "not-a-number", None, "", "99999999999999999999", str(-(2**63) - 1)]
)
def test_no_such_user_is_nobody(user_id):
    assert UserBackend().get_user(user_id) is None


def test_an_inactive_user_is_nobody(student):
    User.objects.filter(pk=student.pk).update(is_active=False)
    assert UserBackend().get_user(student.pk) is None


def request_with_session(user: User, backend: str, **changes):
    session = SessionStore()
    session.update(
        {
            SESSION_KEY: str(user.pk),
            BACKEND_SESSION_KEY: backend,
            HASH_SESSION_KEY: user.get_session_auth_hash(),
            **changes,
        }
    )
    session.create()
    request = RequestFactory().get("/")
    request.session = SessionStore(session.session_key)
    return request


def test_a_logged_in_session_is_its_user_in_two_queries(student):
    request = request_with_session(student, "accounts.backends.UserBackend")
    with CaptureQueriesContext(connection) as queries:
        user = get_user(request)
    assert user.pk == student.pk and user.is_authenticated
    assert len(queries) == 2  # the session, the user


def test_a_changed_password_ends_the_session(student):
    request = request_with_session(student, "accounts.backends.UserBackend")
    student.set_password("a-New-pass-2026")
    student.save()
    assert not get_user(request).is_authenticated


def test_a_page_login_then_the_next_page_is_still_logged_in(client, student):
    student.set_password("a-Long-pass-2026")
    student.save()
    response = client.post(
        "/accounts/login/", {"username": student.username, "password": "a-Long-pass-2026"}
    )
    assert response.status_code == 302
    assert client.session[BACKEND_SESSION_KEY] == "accounts.backends.UserBackend"
    assert client.get("/session-requests").status_code == 200


def test_after_signing_up_the_next_page_is_still_logged_in(client):
    from accounts.tests.test_views import signup_data

    response = client.post("/accounts/signup/", signup_data())
    assert response.status_code == 302
    assert client.session[BACKEND_SESSION_KEY] == "accounts.backends.UserBackend"
    assert client.get("/session-requests").status_code == 200  # not a redirect to log in
