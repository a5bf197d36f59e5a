"""Helpers shared by the page views."""

from __future__ import annotations

from django.core.paginator import Page, Paginator
from django.http import HttpRequest


def paginate(request: HttpRequest, items, per_page: int = 10) -> tuple[Page, str]:
    """A page of `items` (an invalid or too-large ?page= gives the nearest page) and the
    query string without `page`, for the pagination links."""
    page = Paginator(items, per_page).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return page, query.urlencode()


def group_by_day(slots) -> list[tuple]:
    """[(date, [slot, ...]), ...] in the viewer's timezone, keeping the order given."""
    from django.utils import timezone

    days: list[tuple] = []
    for slot in slots:
        day = timezone.localtime(slot.starts_at).date()
        if not days or days[-1][0] != day:
            days.append((day, []))
        days[-1][1].append(slot)
    return days
