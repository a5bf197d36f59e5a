"""`/api/notifications`: the logged-in user's notifications, and marking them read."""

from __future__ import annotations

from django.http import HttpRequest
from ninja import Field, Router, Schema, Status
from pydantic import StrictBool

from scheduling.api.core import (
    INVALID_INPUT,
    ApiError,
    envelope,
    page_response,
    session_auth,
    utc_iso,
)
from scheduling.api.schemas import ERRORS, Id, Page, envelope_of

from . import services
from .models import Notification

router = Router(tags=["Notifications"], auth=session_auth)

MAX_IDS = 500
IDS_OR_ALL = 'Send {"ids": [...]} or {"all": true}.'


class NotificationOut(Schema):
    id: int
    kind: str
    text: str
    url: str
    bookingId: int | None
    createdAt: str
    readAt: str | None


class MarkReadIn(Schema):
    ids: list[Id] | None = Field(None, max_length=MAX_IDS)
    all: StrictBool | None = None


class MarkedOut(Schema):
    marked: int


NotificationListEnvelope = envelope_of("NotificationListEnvelope", NotificationOut, paginated=True)
MarkedEnvelope = envelope_of("MarkedEnvelope", MarkedOut)


def notification_data(notification: Notification) -> dict:
    return {
        "id": notification.pk,
        "kind": notification.kind,
        "text": notification.text,
        "url": notification.url,
        "bookingId": notification.booking_id,
        "createdAt": utc_iso(notification.created_at),
        "readAt": utc_iso(notification.read_at),
    }


@router.get(
    "/api/notifications",
    response={200: NotificationListEnvelope, **ERRORS},
    summary="The logged-in user's notifications, newest first (?unread=true: unread only)",
)
def notification_list(request: HttpRequest, unread: bool = False, page: Page = 1):
    notifications = Notification.objects.for_user(request.user).newest_first()
    if unread:
        notifications = notifications.unread()
    return page_response(request, "Notifications", notifications, notification_data, page)


@router.put(
    "/api/notifications/read",
    response={200: MarkedEnvelope, **ERRORS},
    summary='Mark notifications read: {"ids": [...]} or {"all": true}',
)
def mark_read(request: HttpRequest, payload: MarkReadIn):
    everything = payload.all is True
    if everything == (payload.ids is not None) or payload.all is False:
        raise ApiError(400, INVALID_INPUT, {"body": [IDS_OR_ALL]})
    if everything:
        return Status(200, envelope("Notifications marked read", {"marked": _mark(request)}))
    ids = set(payload.ids)
    mine = set(
        Notification.objects.for_user(request.user).filter(pk__in=ids).values_list("pk", flat=True)
    )
    unknown = sorted(ids - mine)
    if unknown:
        message = f"No notification of yours with id {', '.join(map(str, unknown[:10]))}."
        raise ApiError(400, INVALID_INPUT, {"ids": [message]})
    return Status(200, envelope("Notifications marked read", {"marked": _mark(request, ids)}))


def _mark(request: HttpRequest, ids=None) -> int:
    return services.mark_read(user=request.user, ids=ids)
