"""Session-cookie authentication for API clients: CSRF cookie, login, logout, me."""

from __future__ import annotations

import hashlib

from django.contrib.auth import authenticate, login, logout
from django.core.cache import cache
from django.http import HttpRequest
from django.middleware.csrf import get_token
from ninja import Router, Status

from accounts.models import User

from .core import INVALID_INPUT, ApiError, envelope, require_csrf, session_auth
from .schemas import ERRORS, CsrfEnvelope, EmptyEnvelope, LoginIn, UserEnvelope

router = Router(tags=["Authentication"])

LOGIN_FAILED = "Invalid username or password."
LOGIN_LIMIT = 10  # failed attempts per identity and address ...
LOGIN_WINDOW = 15 * 60  # ... within this many seconds
TOO_MANY_LOGINS = "Too many failed logins; try again in 15 minutes."


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


def _attempts_key(request: HttpRequest, identity: str) -> str:
    """Failed logins are counted in the shared cache, so every process sees them."""
    address = request.META.get("REMOTE_ADDR", "")
    digest = hashlib.sha256(f"{identity.lower()}|{address}".encode()).hexdigest()
    return f"api-login-failures:{digest}"


@router.get("/api/auth/csrf", response={200: CsrfEnvelope, **ERRORS}, summary="Set the CSRF cookie")
def csrf(request: HttpRequest):
    return Status(200, envelope("CSRF cookie set", {"csrfToken": get_token(request)}))


@router.post("/api/auth/login", response={200: UserEnvelope, **ERRORS}, summary="Log in")
def login_view(request: HttpRequest, payload: LoginIn):
    require_csrf(request)
    identity = (payload.username or payload.email or "").strip()
    if not identity:
        raise ApiError(400, INVALID_INPUT, {"username": ["Give a username or an email."]})
    key = _attempts_key(request, identity)
    if cache.get(key, 0) >= LOGIN_LIMIT:
        raise ApiError(429, TOO_MANY_LOGINS)
    username = identity
    if not payload.username:
        match = User.objects.filter(email__iexact=identity).order_by("pk").first()
        username = match.username if match else ""
    user = authenticate(request, username=username, password=payload.password)
    if user is None:
        cache.add(key, 0, LOGIN_WINDOW)
        try:
            cache.incr(key)
        except ValueError:  # expired between add and incr
            cache.set(key, 1, LOGIN_WINDOW)
        raise ApiError(401, LOGIN_FAILED)
    cache.delete(key)
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
