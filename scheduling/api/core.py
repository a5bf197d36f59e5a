"""The API object, its envelope, its errors and its authentication.

Every response of both API surfaces is an envelope
`{"success": bool, "message": str, "data"|"errors": ...}`; this module is the one place
where exceptions (domain refusals, validation, auth, throttling) become such envelopes.
"""

from __future__ import annotations

import json
import logging
import math
import re
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any

from django.conf import settings
from django.core.exceptions import SuspiciousOperation
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.http.multipartparser import MultiPartParserError
from django.views.decorators.csrf import csrf_exempt
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError
from ninja.errors import ValidationError as NinjaValidationError
from ninja.security.apikey import APIKeyCookie
from ninja.utils import check_csrf

from scheduling import errors, services
from scheduling.errors import BookingError

logger = logging.getLogger(__name__)

PAGE_SIZE = 50
SAFE_METHODS = {"GET", "HEAD", "OPTIONS", "TRACE"}

UNAUTHORIZED = "Unauthorized"
CSRF_FAILED = "CSRF check failed: send the csrftoken cookie's value in the X-CSRFToken header."
INVALID_INPUT = "Invalid input."
NOT_FOUND = "Not found."
METHOD_NOT_ALLOWED = "Method not allowed."
THROTTLED = "Too many requests; try again later."
SERVER_ERROR = "Something went wrong on our side."
BAD_DATETIME = "Enter a date and time (ISO 8601)."
BAD_REQUEST = "The request could not be read (too large or malformed)."
BODY_NOT_OBJECT = "Send a JSON object."

HAS_TIME = re.compile(r"\d[Tt ]\d")

STATUS_MESSAGES = {
    400: INVALID_INPUT,
    401: UNAUTHORIZED,
    403: "Forbidden.",
    404: NOT_FOUND,
    405: METHOD_NOT_ALLOWED,
    409: "Conflict.",
    429: THROTTLED,
    500: SERVER_ERROR,
}


class ApiError(Exception):
    """A refusal decided in the API layer itself (role, unknown id, bad query)."""

    def __init__(self, status: int, message: str, errors: dict[str, list[str]] | None = None):
        super().__init__(message)
        self.status, self.message, self.errors = status, message, errors


def envelope(message: str, data: Any = None, *, meta: dict | None = None) -> dict:
    body: dict[str, Any] = {"success": True, "message": message, "data": data}
    if meta is not None:
        body["meta"] = meta
    return body


def error_response(status: int, message: str, errors: dict | None = None) -> JsonResponse:
    body: dict[str, Any] = {"success": False, "message": message}
    if errors:
        body["errors"] = errors
    return JsonResponse(body, status=status)


def paginate(items, serialize, page: int, *, values: tuple[str, ...] = ()) -> tuple[list, dict]:
    """One page of `items` (50 a page) and its meta; a `?page=` past the end is empty.

    With `values`, the page's rows are read as those values (dicts for `serialize`) while
    the COUNT stays on `items` itself, without the joins the values would add.

    `page` is a declared query parameter of each list endpoint, so the OpenAPI document
    describes it and a page below 1 or not a number is refused as `errors.page`.

    The first page is read before any COUNT: when it is not full, its length is the
    total, so the COUNT runs only when more rows may follow. A later page is counted
    first, so a `?page=` far past the end runs no page query (nor an OFFSET the database
    cannot hold).
    """
    rows, total = page_rows(items, page, values=values)
    return serialized_page(rows, total, serialize, page)


def page_rows(items, page: int, *, values: tuple[str, ...] = ()) -> tuple[list, int]:
    """The rows of one page of `items` and how many there are in all (see `paginate`)."""
    start = (page - 1) * PAGE_SIZE
    read = items.values(*values) if values else items
    if start == 0:
        rows = list(read[:PAGE_SIZE])
        total = len(rows) if len(rows) < PAGE_SIZE else items.count()
    else:
        total = items.count()
        rows = list(read[start : start + PAGE_SIZE]) if start < total else []
    return rows, total


def serialized_page(rows: list, total: int, serialize, page: int) -> tuple[list, dict]:
    meta = {"page": page, "pages": max(1, math.ceil(total / PAGE_SIZE)), "total": total}
    return [serialize(row) for row in rows], meta


def page_response(
    request: HttpRequest, message: str, items, serialize, page: int, **options
) -> HttpResponse:
    """A list endpoint's 200: one page of `items` in the envelope, as JSON.

    The endpoint keeps its `response=` schema for the OpenAPI document, but the body is
    rendered here, by the API's own renderer and content type, without ninja validating
    again the dicts the serializers have just built (about a fifth of a list request).
    The serializers give exactly the schema's fields, in its order, with JSON types
    (tests/api/test_list_bodies.py pins that the body equals the validated one).
    """
    rows, total = page_rows(items, page, **options)
    return rows_response(request, message, rows, total, serialize, page)


def rows_response(
    request: HttpRequest, message: str, rows: list, total: int, serialize, page: int
) -> HttpResponse:
    """`page_response` for a page whose rows were read already (`page_rows`, remembered)."""
    data, meta = serialized_page(rows, total, serialize, page)
    return api.create_response(request, envelope(message, data, meta=meta), status=200)


def utc_iso(value: datetime | None) -> str | None:
    """ISO 8601 in UTC with a Z, as the Availability API writes times."""
    if value is None:
        return None
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def utc_plain(value: datetime | None) -> str | None:
    """ "YYYY-MM-DD HH:MM:SS" in UTC, as the Session API's clients expect."""
    if value is None:
        return None
    return value.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S")


def parse_datetime(value: Any, field: str) -> datetime:
    """ISO 8601 with an offset or Z, or "YYYY-MM-DD HH:MM[:SS]"; a naive value is UTC.

    A date without a time is refused rather than read as midnight: a client that sends
    one has most likely lost the time on the way.
    """
    if not isinstance(value, str) or not HAS_TIME.search(value):
        raise ApiError(400, INVALID_INPUT, {field: [BAD_DATETIME]})
    text = value.strip()
    if text.endswith(("z", "Z")):
        text = text[:-1] + "+00:00"
    try:
        parsed = datetime.fromisoformat(text)
        if parsed.tzinfo is None:
            parsed = parsed.replace(tzinfo=UTC)
        parsed = parsed.astimezone(UTC)
    except (ValueError, OverflowError):
        raise ApiError(400, INVALID_INPUT, {field: [BAD_DATETIME]}) from None
    if parsed >= services.LATEST:  # the services' own bound, keyed by the client's name here
        raise ApiError(400, INVALID_INPUT, {field: [errors.TOO_FAR_AHEAD]})
    return parsed


def optional_body(request: HttpRequest, payload, schema):
    """An all-optional body: none at all changes nothing, like `{}`; but a body that is
    JSON yet not an object (`[]`, `null`, `5`) is a wrong type, not "no change"."""
    raw = request.body.strip()
    if raw:
        try:
            sent = json.loads(raw)
        except ValueError:
            sent = None
        # Checked here, not by the schema: its parser reads `[]` or `5` as "no fields".
        if not isinstance(sent, dict):
            raise ApiError(400, INVALID_INPUT, {"body": [BODY_NOT_OBJECT]})
    return payload if payload is not None else schema()


def require_role(request: HttpRequest, role: str) -> None:
    if request.user.role != role:
        message = errors.NOT_A_STUDENT if role == "student" else errors.NOT_AN_EDUCATOR
        raise ApiError(403, message)


def require_csrf(request: HttpRequest) -> None:
    """Django's CSRF rules for unsafe methods (the test client may opt out, as usual)."""
    if request.method in SAFE_METHODS:
        return
    # Read the raw body first: the CSRF check parses form data (request.POST), and a
    # multipart parse would otherwise consume the stream the JSON body is read from.
    request.body  # noqa: B018
    try:
        refused = check_csrf(request) is not None
    except MultiPartParserError:  # Django reads form data first; a broken form is bad input
        raise ApiError(400, "Cannot parse request body") from None
    if refused:
        raise ApiError(403, CSRF_FAILED)


class SessionAuth(APIKeyCookie):
    """Django's session cookie; an anonymous caller is a 401 before any CSRF question."""

    param_name = settings.SESSION_COOKIE_NAME

    def __init__(self) -> None:
        super().__init__(csrf=False)

    def __call__(self, request: HttpRequest):
        if not request.user.is_authenticated:
            return None
        require_csrf(request)
        return request.user

    def authenticate(self, request: HttpRequest, key: str | None):  # pragma: no cover
        return request.user if request.user.is_authenticated else None


session_auth = SessionAuth()

api = NinjaAPI(
    title="Mentoring API",
    version="1.0",
    description=(
        "Both API contracts of Mentoring: the Session API (mentor sessions with a quota) and "
        "the Availability / Session-request API. Authentication is Django's session cookie: "
        "GET /api/auth/csrf, then POST /api/auth/login with the X-CSRFToken header."
    ),
    urls_namespace="api",
    openapi_url="/api/openapi.json",
    docs_url="/api/docs",
)


def _field_errors(details: Iterable[dict]) -> dict[str, list[str]]:
    """Ninja's error locations (["body", "payload", "quota"]) keyed by the client's name."""
    result: dict[str, list[str]] = {}
    for detail in details:
        loc = [str(part) for part in detail.get("loc", ())]
        names = [p for p in loc if p not in {"body", "query", "path", "payload", "filters"}]
        key = names[0] if names else "body"
        message = detail.get("msg", "Invalid value.")
        if detail.get("type") == "missing":
            message = "This field is required."
        result.setdefault(key, []).append(message)
    return result


@api.exception_handler(ApiError)
def _api_error(request, exc: ApiError):
    return error_response(exc.status, exc.message, exc.errors)


@api.exception_handler(BookingError)
def _booking_error(request, exc: BookingError):
    from scheduling.api.fields import client_field

    errors = None
    if exc.http_status == 400 and exc.field:
        errors = {client_field(request, exc.field): [exc.message]}
    return error_response(exc.http_status, exc.message, errors)


@api.exception_handler(NinjaValidationError)
def _validation_error(request, exc: NinjaValidationError):
    return error_response(400, INVALID_INPUT, _field_errors(exc.errors))


@api.exception_handler(AuthenticationError)
def _unauthenticated(request, exc):
    return error_response(401, UNAUTHORIZED)


@api.exception_handler(HttpError)
def _http_error(request, exc: HttpError):
    message = exc.message if exc.status_code == 400 else STATUS_MESSAGES.get(exc.status_code)
    return error_response(exc.status_code, message or str(exc))


@api.exception_handler(SuspiciousOperation)
def _bad_request(request, exc):
    """A body over DATA_UPLOAD_MAX_MEMORY_SIZE and the like: bad input, as Django says."""
    return error_response(400, BAD_REQUEST)


@api.exception_handler(Http404)
def _not_found(request, exc):
    return error_response(404, NOT_FOUND)


@api.exception_handler(Exception)
def _server_error(request, exc):
    logger.exception("API error on %s %s", request.method, request.path)
    return error_response(500, SERVER_ERROR)


@csrf_exempt
def api_fallback(request: HttpRequest, *args, **kwargs) -> HttpResponse:
    """Unknown paths under /api/ and /session/: a JSON 404, never an HTML page.

    CSRF-exempt because there is nothing to protect: a POST to a path that does not exist
    is a 404, not a CSRF refusal.
    """
    return error_response(404, NOT_FOUND)


class ApiEnvelopeMiddleware:
    """Whatever answers an API path (Django's 404/405/500, a CSRF refusal) answers JSON."""

    PREFIXES = ("/api/", "/session/")
    PASS_THROUGH = ("/api/docs",)

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        path = request.path
        if not path.startswith(self.PREFIXES) or path.startswith(self.PASS_THROUGH):
            return response
        if response.get("Content-Type", "").startswith("application/json"):
            return response
        if response.status_code < 400:
            return response
        status = response.status_code
        wrapped = error_response(status, STATUS_MESSAGES.get(status, "Error."))
        if status == 405 and response.has_header("Allow"):
            wrapped["Allow"] = response["Allow"]
        return wrapped
