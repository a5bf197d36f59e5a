"""The notifications page, the bell's count, marking read, and the calendar feed."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_GET, require_POST, require_safe

from scheduling import calendars
from scheduling.views.utils import paginate

from . import services
from .models import CalendarFeed, Notification

PER_PAGE = 20
FEED_CACHE = "private, max-age=300"


def _back(request: HttpRequest, default: str) -> str:
    """The `next` the form sent, if it is a path on this site."""
    target = request.POST.get("next", "")
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return default


@login_required
@require_GET
def notification_list(request: HttpRequest) -> HttpResponse:
    """Everything the user was told, newest first; unread ones stand out."""
    notifications = Notification.objects.for_user(request.user).newest_first()
    page, query_string = paginate(request, notifications, per_page=PER_PAGE)
    return render(
        request,
        "notifications/list.html",
        {
            "page_obj": page,
            "query_string": query_string,
            "unread": services.unread_count(request.user),
        },
    )


@require_GET
def unread_badge(request: HttpRequest) -> HttpResponse:
    """The number on the bell (empty when none, so the badge hides)."""
    count = services.unread_count(request.user) if request.user.is_authenticated else 0
    return HttpResponse(str(count) if count else "")


@login_required
@require_POST
def mark_read(request: HttpRequest, notification_id: int) -> HttpResponse:
    notification = get_object_or_404(
        Notification.objects.for_user(request.user), pk=notification_id
    )
    services.mark_read(user=request.user, ids=[notification.pk])
    if request.htmx:
        notification.refresh_from_db()
        response = render(request, "notifications/list.html#item", {"item": notification})
        response["HX-Trigger"] = "notifications-changed"  # the bell updates at once
        return response
    return redirect(_back(request, "notifications:list"))


@login_required
@require_POST
def mark_all_read(request: HttpRequest) -> HttpResponse:
    marked = services.mark_read(user=request.user)
    if marked:
        messages.success(request, f"Marked {marked} notification{'s' if marked != 1 else ''} read.")
    return redirect(_back(request, "notifications:list"))


# ---------------------------------------------------------------- calendar feed


@require_safe  # calendar clients may ask with HEAD first
def calendar_feed(request: HttpRequest, token: str) -> HttpResponse:
    """The private feed: no login, the secret in the URL is the key; a wrong one is a 404."""
    feed = CalendarFeed.objects.select_related("user").filter(token=token).first()
    if feed is None or not feed.user.is_active:
        raise Http404("No such calendar.")
    response = HttpResponse(
        calendars.feed_ics(feed.user), content_type="text/calendar; charset=utf-8"
    )
    response["Content-Disposition"] = 'inline; filename="mentoring.ics"'
    response["Cache-Control"] = FEED_CACHE
    return response


@login_required
@require_POST
def calendar_feed_regenerate(request: HttpRequest) -> HttpResponse:
    services.calendar_feed_regenerate(request.user)
    messages.success(request, "Your calendar has a new address; the old one no longer works.")
    return redirect(_back(request, "profile"))
