"""One protection for every way in: page, API and admin logins, and password reset requests.

django-axes keeps the state (its `AccessAttempt` table, which `migrate` creates, shared by
every process and host; staff unlock by deleting rows in its admin). What axes leaves to us:

- **Who** is counted: the account, not the text typed. A username, its other capitalisation
  and the account's email address are one identity; text that names no account is counted
  under itself (lowercased), so a lock never tells whether an account exists.
- **From where**: the client address, taken from a trusted proxy header only when
  `TRUSTED_PROXY_HEADER` says so (off by default: `REMOTE_ADDR`).
- **Exactly the limit**: each attempt is counted *before* its password is checked, by one
  conditional UPDATE (`failures < limit`), so however many requests race, no more than the
  limit are ever evaluated. Axes alone checks, then evaluates, then counts; racing requests
  all pass its check.
- **The real wait**: the lock ends the cool-off after the last counted attempt; refused
  attempts do not extend it, so the message's minutes are the truth.
"""

from __future__ import annotations

import ipaddress
import math
from datetime import timedelta

from axes.backends import AxesStandaloneBackend
from axes.exceptions import AxesBackendPermissionDenied, AxesBackendRequestParameterRequired
from axes.handlers.database import AxesDatabaseHandler
from axes.handlers.proxy import AxesProxyHandler
from axes.helpers import get_cool_off, get_failure_limit, get_query_str
from axes.models import AccessAttempt
from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F, Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from .models import User

LOGIN = "login"
PASSWORD_RESET = "password reset"
RESET_PREFIX = "password reset: "
UNKNOWN_ADDRESS = "0.0.0.0"  # a peer without an address (a unix socket) still gets one row
IDENTITY_LENGTH = 200  # AccessAttempt.username holds 255, with room for the reset prefix

TOO_MANY_LOGINS = "Too many failed logins; try again in {wait}."
TOO_MANY_RESETS = "Too many password reset requests; try again in {wait}."


# ---------------------------------------------------------------- who and from where


def account_for(typed: str) -> User | None:
    """The account a login form's text names: its username (any case) or its email."""
    typed = typed.strip()
    if not typed:
        return None
    exact = User.objects.filter(username=typed).first()
    if exact is not None:
        return exact
    return (
        User.objects.filter(Q(username__iexact=typed) | Q(email__iexact=typed))
        .order_by("pk")
        .first()
    )


def identity_of(typed: str | None) -> str:
    """The name attempts are counted under: the account's username, else the text itself."""
    typed = (typed or "").replace("\x00", "")
    account = account_for(typed)
    if account is not None:
        return account.username
    return typed.strip().lower()[:IDENTITY_LENGTH]


def axes_username(request: HttpRequest, credentials: dict | None) -> str:
    """AXES_USERNAME_CALLABLE: the API passes what was typed as `login_identity`."""
    credentials = credentials or {}
    typed = credentials.get("login_identity") or credentials.get("username")
    if typed is None and request is not None:
        typed = request.POST.get("username")
    return identity_of(typed)


def client_ip(request: HttpRequest) -> str | None:
    """AXES_CLIENT_IP_CALLABLE: the client's address as the trusted proxy saw it.

    With `TRUSTED_PROXY_HEADER` unset, the address of the TCP peer. Set, the header's
    `TRUSTED_PROXY_COUNT`-th address from the right (each proxy appends the address it saw,
    so everything left of that was written by the client and is not trusted). A request
    without a usable header value falls back to the peer's address.
    """
    header = settings.TRUSTED_PROXY_HEADER
    peer = _address(request.META.get("REMOTE_ADDR")) or UNKNOWN_ADDRESS
    if not header:
        return peer
    key = header.upper().replace("-", "_")
    if not key.startswith("HTTP_"):
        key = f"HTTP_{key}"
    hops = [part.strip() for part in request.META.get(key, "").split(",") if part.strip()]
    count = settings.TRUSTED_PROXY_COUNT
    if len(hops) < count:
        return peer
    return _address(hops[-count]) or peer


def _address(text: str | None) -> str | None:
    try:
        return str(ipaddress.ip_address((text or "").strip()))
    except ValueError:
        return None


# ---------------------------------------------------------------- counting


def _key(request: HttpRequest, identity: str, kind: str) -> dict:
    AxesProxyHandler.update_request(request)
    username = identity if kind == LOGIN else f"{RESET_PREFIX}{identity}"
    # One row per identity and address: the row the conditional UPDATE below counts on.
    return {"username": username, "ip_address": request.axes_ip_address, "user_agent": ""}


def count_attempt(request: HttpRequest, identity: str, kind: str = LOGIN) -> bool:
    """Count one attempt of `identity` from this client; False when it is locked out.

    Called before the password is checked (or the reset mail sent). The increment is a
    single statement whose WHERE holds the limit, so the database serialises racing
    attempts on the row and at most the limit of them ever get through.
    """
    key = _key(request, identity, kind)
    now = request.axes_attempt_time
    threshold = now - get_cool_off(request)
    limit = get_failure_limit(request, None)
    details = {
        "http_accept": request.axes_http_accept,
        "path_info": request.axes_path_info,
        "post_data": get_query_str(request.POST).replace("\0", "0x00"),
    }
    live = AccessAttempt.objects.filter(**key, attempt_time__gte=threshold)
    for _ in range(5):  # a concurrent first attempt may create the row under our feet
        counted = live.filter(failures_since_start__lt=limit).update(
            failures_since_start=F("failures_since_start") + 1,
            attempt_time=now,
            http_accept=details["http_accept"],
            path_info=details["path_info"],
        )
        if counted:
            return True
        if live.exists():
            return False  # at the limit, within the cool-off
        AccessAttempt.objects.filter(**key, attempt_time__lt=threshold).delete()
        try:
            with transaction.atomic():
                AccessAttempt.objects.create(
                    **key, failures_since_start=1, attempt_time=now, get_data="", **details
                )
            return True
        except IntegrityError:
            continue
    return False


def wait_left(request: HttpRequest, identity: str, kind: str = LOGIN) -> timedelta:
    """How long this client stays locked out for `identity` (zero when it is not)."""
    limit = get_failure_limit(request, None)
    locked = AccessAttempt.objects.filter(
        **_key(request, identity, kind), failures_since_start__gte=limit
    )
    last = locked.values_list("attempt_time", flat=True).first()
    if last is None:
        return timedelta(0)
    return max(timedelta(0), last + get_cool_off(request) - request.axes_attempt_time)


def describe_wait(wait: timedelta) -> str:
    minutes = max(1, math.ceil(wait.total_seconds() / 60))
    return "1 minute" if minutes == 1 else f"{minutes} minutes"


def lock_message(request: HttpRequest, identity: str, kind: str = LOGIN) -> str:
    template = TOO_MANY_LOGINS if kind == LOGIN else TOO_MANY_RESETS
    return template.format(wait=describe_wait(wait_left(request, identity, kind)))


def login_lock_message(request: HttpRequest) -> str:
    """The lock message for the login this request just attempted."""
    return lock_message(request, axes_username(request, request.axes_credentials))


def unlock(user: User) -> int:
    """Forget every counted attempt on this account, from every address (a password reset
    proves the owner; staff do the same by deleting the rows in the admin)."""
    names = [user.username, f"{RESET_PREFIX}{user.username}"]
    deleted, _ = AccessAttempt.objects.filter(username__in=names).delete()
    return deleted


# ---------------------------------------------------------------- axes plumbing


class LoginGuardBackend(AxesStandaloneBackend):
    """First in AUTHENTICATION_BACKENDS: every `authenticate()` counts here, or is refused."""

    def authenticate(self, request, username=None, password=None, **kwargs):
        if not settings.AXES_ENABLED:
            return None
        if request is None:
            raise AxesBackendRequestParameterRequired("Logging in needs the request.")
        AxesProxyHandler.update_request(request)
        credentials = {"username": username, **kwargs}
        handler = AxesProxyHandler.get_implementation()
        if handler.is_whitelisted(request, credentials):
            return None
        identity = axes_username(request, credentials)
        if handler.is_blacklisted(request, credentials) or not count_attempt(request, identity):
            request.axes_locked_out = True
            request.axes_credentials = credentials
            raise AxesBackendPermissionDenied("Locked out: too many failed logins.")
        return None


class LoginGuardHandler(AxesDatabaseHandler):
    """Axes' database handler, minus its own counting: the backend counted already."""

    def user_login_failed(self, sender, credentials: dict, request=None, **kwargs):
        # A refusal or a wrong password was counted by LoginGuardBackend before the check;
        # counting here too would count it twice.
        return None

    def get_failures(self, request, credentials: dict | None = None) -> int:
        key = _key(request, axes_username(request, credentials), LOGIN)
        threshold = request.axes_attempt_time - get_cool_off(request)
        row = AccessAttempt.objects.filter(**key, attempt_time__gte=threshold).first()
        return row.failures_since_start if row else 0


def lockout_response(request, original_response=None, credentials=None) -> HttpResponse:
    """AXES_LOCKOUT_CALLABLE: a view that explained the lock itself keeps its answer (the
    login page, the API's envelope); any other login (the admin's) gets a page saying so."""
    if original_response is not None and original_response.status_code == 429:
        return original_response
    request.axes_credentials = credentials
    return render(
        request,
        "accounts/locked_out.html",
        {"message": login_lock_message(request)},
        status=429,
    )
