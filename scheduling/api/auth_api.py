"""Session-cookie authentication for API clients: CSRF cookie, login, logout, me."""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth import authenticate, login, logout
from django.http import HttpRequest
from django.middleware.csrf import get_token
from ninja import Router, Status

from accounts import login_guard
from accounts.models import User

from .core import INVALID_INPUT, ApiError, envelope, require_csrf, session_auth
from .schemas import ERRORS, CsrfEnvelope, EmptyEnvelope, LoginIn, UserEnvelope

router = Router(tags=["Authentication"])

LOGIN_FAILED = "Invalid username or password."
LOGIN_LIMIT = settings.AXES_FAILURE_LIMIT
# Counted with the page and admin logins by accounts.login_guard (django-axes), per account
# and client address; the message states the wait left, 15 minutes right after the lock.
TOO_MANY_LOGINS = login_guard.TOO_MANY_LOGINS.format(wait="15 minutes")


def user_data(user: User) -> dict:
    return {
        "id": user.pk,
        "username": user.username,
        "name": user.display_name,
        "email": user.email,
        "role": user.role,
        "field": user.field,
        "timezone": user.timezone,
    }


@router.get("/api/auth/csrf", response={200: CsrfEnvelope, **ERRORS}, summary="Set the CSRF cookie")
def csrf(request: HttpRequest):
    return Status(200, envelope("CSRF cookie set", {"csrfToken": get_token(request)}))


@router.post("/api/auth/login", response={200: UserEnvelope, **ERRORS}, summary="Log in")
def login_view(request: HttpRequest, payload: LoginIn):
    require_csrf(request)
    identity = (payload.username or payload.email or "").strip()
    if not identity:
        raise ApiError(400, INVALID_INPUT, {"username": ["Give a username or an email."]})
    username = identity
    if not payload.username:
        match = User.objects.filter(email__iexact=identity).order_by("pk").first()
        username = match.username if match else ""
    # login_identity: what was typed, so an unknown email is counted under itself.
    user = authenticate(
        request, username=username, password=payload.password, login_identity=identity
    )
    if user is None:
        if getattr(request, "axes_locked_out", False):
            raise ApiError(429, login_guard.login_lock_message(request))
        raise ApiError(401, LOGIN_FAILED)
    login(request, user)
    return Status(200, envelope("Logged in", user_data(user)))


@router.post("/api/auth/logout", response={200: EmptyEnvelope, **ERRORS}, summary="Log out")
def logout_view(request: HttpRequest):
    require_csrf(request)
    logout(request)
    return Status(200, envelope("Logged out", {}))


@router.get(
    "/api/auth/me", auth=session_auth, response={200: UserEnvelope, **ERRORS}, summary="Who am I"
)
def me(request: HttpRequest):
    return Status(200, envelope("Current user", user_data(request.user)))
