"""One login protection for every way in: page, API, admin, password reset requests."""

from __future__ import annotations

import json
import re
from datetime import timedelta

import pytest
from axes.models import AccessAttempt
from django.core import mail
from django.test import Client
from django.utils import timezone

from accounts import login_guard
from scheduling.api.auth_api import LOGIN_FAILED, TOO_MANY_LOGINS
from tests.test_deploy import manage

pytestmark = pytest.mark.django_db

PASSWORD = "pass-word-123"
LIMIT = 10


def api_login(client, password, **who):
    response = client.post(
        "/api/auth/login", json.dumps({**who, "password": password}), "application/json"
    )
    return response.status_code, response.json()


def page_login(client, username, password):
    return client.post("/accounts/login/", {"username": username, "password": password})


def admin_login(client, username, password):
    return client.post("/admin/login/?next=/admin/", {"username": username, "password": password})


@pytest.fixture
def clock(monkeypatch):
    """Axes stamps each request with `axes.handlers.proxy.now`: move it by hand."""
    state = {"now": timezone.now()}
    monkeypatch.setattr("axes.handlers.proxy.now", lambda: state["now"])

    def advance(**delta):
        state["now"] += timedelta(**delta)

    return advance


def test_page_login_is_locked_after_the_limit_even_for_the_right_password(client, student):
    for _ in range(LIMIT):
        assert page_login(client, student.username, "wrong").status_code == 200
    response = page_login(client, student.username, PASSWORD)
    assert response.status_code == 429
    page = response.content.decode()
    assert "Too many failed logins; try again in 15 minutes." in page
    assert "Forgot your password?" in page  # the way back is on the page
    assert "_auth_user_id" not in client.session


def test_page_api_and_admin_logins_are_counted_together(client, staff):
    for _ in range(4):
        page_login(client, staff.username, "wrong")
    for _ in range(3):
        assert api_login(client, "wrong", username=staff.username)[0] == 401
    for _ in range(3):
        assert admin_login(client, staff.username, "wrong").status_code == 200
    status, body = api_login(client, PASSWORD, username=staff.username)
    assert (status, body) == (429, {"success": False, "message": TOO_MANY_LOGINS})
    assert page_login(client, staff.username, PASSWORD).status_code == 429
    locked_admin = admin_login(client, staff.username, PASSWORD)
    assert locked_admin.status_code == 429
    assert "Too many failed logins; try again in 15 minutes." in locked_admin.content.decode()


def test_username_email_and_capitals_of_one_account_are_one_identity(client, student):
    for typed in (student.username, student.email.upper(), student.username.upper()):
        for _ in range(3):
            page_login(client, typed, "wrong")
    assert api_login(client, "wrong", email=student.email)[0] == 401  # the 10th
    assert api_login(client, PASSWORD, username=student.username)[0] == 429
    assert api_login(client, PASSWORD, email=student.email)[0] == 429
    assert AccessAttempt.objects.get().username == student.username


def test_the_lock_is_per_address_so_an_attacker_cannot_lock_the_owner_out(student):
    attacker = Client(REMOTE_ADDR="203.0.113.9")
    for _ in range(LIMIT):
        page_login(attacker, student.username, "wrong")
    assert page_login(attacker, student.username, PASSWORD).status_code == 429
    owner = Client(REMOTE_ADDR="198.51.100.7")
    assert page_login(owner, student.username, PASSWORD).status_code == 302


def test_behind_a_proxy_the_trusted_header_tells_clients_apart(settings, student):
    settings.TRUSTED_PROXY_HEADER = "X-Forwarded-For"
    proxy = "10.0.0.2"  # every request arrives from the proxy's own address
    attacker = Client(REMOTE_ADDR=proxy, HTTP_X_FORWARDED_FOR="203.0.113.9")
    for _ in range(LIMIT):
        page_login(attacker, student.username, "wrong")
    assert page_login(attacker, student.username, PASSWORD).status_code == 429
    owner = Client(REMOTE_ADDR=proxy, HTTP_X_FORWARDED_FOR="198.51.100.7")
    assert page_login(owner, student.username, PASSWORD).status_code == 302
    # What the client wrote left of the proxy's entry is not believed.
    spoof = Client(REMOTE_ADDR=proxy, HTTP_X_FORWARDED_FOR="1.2.3.4, 203.0.113.9")
    assert page_login(spoof, student.username, PASSWORD).status_code == 429


def test_the_proxy_header_is_ignored_unless_configured(rf, settings):
    request = rf.post("/", REMOTE_ADDR="10.0.0.2", HTTP_X_FORWARDED_FOR="203.0.113.9")
    assert login_guard.client_ip(request) == "10.0.0.2"
    settings.TRUSTED_PROXY_HEADER = "X-Forwarded-For"
    assert login_guard.client_ip(request) == "203.0.113.9"
    settings.TRUSTED_PROXY_COUNT = 2  # two proxies: the first one's entry is not there
    assert login_guard.client_ip(request) == "10.0.0.2"
    garbage = rf.post("/", REMOTE_ADDR="10.0.0.2", HTTP_X_FORWARDED_FOR="a, not-an-ip")
    assert login_guard.client_ip(garbage) == "10.0.0.2"


def test_the_lock_lasts_exactly_what_the_message_says(client, student, clock):
    for _ in range(LIMIT):
        page_login(client, student.username, "wrong")
    clock(minutes=10)  # attempts during the lock are refused and do not extend it
    assert api_login(client, "wrong", username=student.username) == (
        429,
        {"success": False, "message": "Too many failed logins; try again in 5 minutes."},
    )
    clock(minutes=4, seconds=59)
    message = "Too many failed logins; try again in 1 minute."
    assert message in page_login(client, student.username, PASSWORD).content.decode()
    clock(seconds=2)  # 15 minutes after the 10th failure
    assert page_login(client, student.username, PASSWORD).status_code == 302


def test_failures_older_than_the_cool_off_are_forgotten(client, student, clock):
    for _ in range(LIMIT - 1):
        page_login(client, student.username, "wrong")
    clock(minutes=16)
    for _ in range(LIMIT - 1):
        page_login(client, student.username, "wrong")
    assert page_login(client, student.username, PASSWORD).status_code == 302


def test_a_successful_login_forgets_the_failures(client, student):
    for _ in range(LIMIT - 1):
        page_login(client, student.username, "wrong")
    assert page_login(client, student.username, PASSWORD).status_code == 302
    client.post("/accounts/logout/")
    for _ in range(LIMIT - 1):
        assert page_login(client, student.username, "wrong").status_code == 200
    assert page_login(client, student.username, PASSWORD).status_code == 302


def test_unknown_accounts_are_counted_and_locked_like_real_ones(client):
    for _ in range(LIMIT):
        assert api_login(client, "wrong", email="nobody@example.com")[0] == 401
    assert api_login(client, "x", email="NOBODY@example.com")[0] == 429
    assert api_login(client, "x", email="somebody@example.com")[0] == 401  # another name


def test_completing_a_password_reset_lifts_the_lock_everywhere(client, student):
    elsewhere = Client(REMOTE_ADDR="203.0.113.9")
    for who in (client, elsewhere):
        for _ in range(LIMIT):
            page_login(who, student.username, "wrong")
    assert page_login(client, student.username, PASSWORD).status_code == 429

    assert client.post("/accounts/password_reset/", {"email": student.email}).status_code == 302
    link = next(line for line in mail.outbox[0].body.splitlines() if "/reset/" in line)
    form_page = client.get(link.strip()[link.index("/accounts/") :], follow=True)
    new = "a-Brand-new-pass-2026"
    done = client.post(
        form_page.redirect_chain[-1][0], {"new_password1": new, "new_password2": new}
    )
    assert done.status_code == 302
    assert page_login(client, student.username, new).status_code == 302
    assert page_login(elsewhere, student.username, new).status_code == 302


def test_staff_unlock_a_user_in_the_admin(client, student, staff):
    for _ in range(LIMIT):
        page_login(client, student.username, "wrong")
    attempt = AccessAttempt.objects.get(username=student.username)
    admin = Client()
    admin.force_login(staff)
    listing = admin.get("/admin/axes/accessattempt/", {"q": student.username})
    assert listing.status_code == 200 and student.username in listing.content.decode()
    response = admin.post(f"/admin/axes/accessattempt/{attempt.pk}/delete/", {"post": "yes"})
    assert response.status_code == 302
    assert page_login(client, student.username, PASSWORD).status_code == 302


def test_password_reset_requests_are_throttled_without_revealing_accounts(client, student):
    def ask(email):
        return client.post("/accounts/password_reset/", {"email": email})

    for email in (student.email, "nobody@example.com"):
        answers = [ask(email).status_code for _ in range(LIMIT + 2)]
        assert answers == [302] * LIMIT + [429, 429], email
    assert len(mail.outbox) == LIMIT  # no mail-bombing: nothing sent past the limit

    def page(email):
        text = ask(email).content.decode().replace(email, "EMAIL")
        return re.sub(r"[A-Za-z0-9]{64}", "CSRF", text)

    assert "Too many password reset requests; try again in 15 minutes." in page(student.email)
    assert page(student.email.upper()) == page("NOBODY@example.com")


def test_a_login_lock_does_not_close_the_way_back(client, student):
    for _ in range(LIMIT):
        page_login(client, student.username, "wrong")
    assert client.post("/accounts/password_reset/", {"email": student.email}).status_code == 302
    assert len(mail.outbox) == 1
    assert api_login(client, "wrong", username=student.username)[1]["message"] != LOGIN_FAILED


@pytest.mark.parametrize("count", ["0", "two"])
def test_a_wrong_proxy_count_stops_startup_with_one_clear_line(count):
    result = manage("check", DEBUG="true", TRUSTED_PROXY_COUNT=count)
    assert result.returncode != 0
    assert "TRUSTED_PROXY_COUNT must be a whole number, 1 or more." in result.stderr
    assert "Traceback" not in result.stderr
