"""Helpers shared by the page views."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

from django.core.paginator import Page, Paginator
from django.http import HttpRequest
from django.utils import timezone

from ..models import Slot


def paginate(
    request: HttpRequest, items, per_page: int = 10, count: int | None = None
) -> tuple[Page, str]:
    """A page of `items` (an invalid or too-large ?page= gives the nearest page) and the
    query string without `page`, for the pagination links.

    `count`: how many items there are, when the view has counted them already (a tab's
    number): the paginator then does not count them again.
    """
    paginator = Paginator(items, per_page)
    if count is not None:
        paginator.count = count  # the cached_property's value, set ahead
    page = paginator.get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return page, query.urlencode()


class Slices:
    """A list whose slices are read when asked (`read(start, stop)`): what a paginator
    pages through, given the count, when each page is remembered on its own, so that a
    remembered page builds no queryset."""

    def __init__(self, read):
        self.read = read

    def __getitem__(self, window: slice) -> list:
        return self.read(window.start, window.stop)


def remembered_page(
    request: HttpRequest, remembered, name, *, count: int, read
) -> tuple[Page, str]:
    """`paginate` over a list whose pages are remembered one by one (in `remembered`, a
    `schedule_cache.Remembered`, under `(name, start)`): `read(start, stop)` reads a page
    on a miss, so a remembered page builds no queryset. The page is read at once, so that
    the caller's `remembered.save()` stores it."""
    rows = Slices(lambda start, stop: remembered.answer((name, start), lambda: read(start, stop)))
    page, query_string = paginate(request, rows, count=count)
    page.object_list = list(page.object_list)
    return page, query_string


def group_by_day(slots) -> list[tuple]:
    """[(date, [slot, ...]), ...] in the viewer's timezone, keeping the order given."""
    days: list[tuple] = []
    for slot in slots:
        day = timezone.localtime(slot.starts_at).date()
        if not days or days[-1][0] != day:
            days.append((day, []))
        days[-1][1].append(slot)
    return days


# ---------------------------------------------------------------- week views

WEEK_CARD_FIELDS = (
    "starts_at",
    "ends_at",
    "capacity",
    "seats_taken",
    "requires_approval",
    "note",
    "educator_id",
    "course__title",
)
MAX_WEEKS_AHEAD = 520  # ten years: far enough to plan, near enough for date arithmetic


def day_start(day: date) -> datetime:
    """Midnight of `day` in the viewer's timezone (DST-correct: each day on its own)."""
    return timezone.make_aware(datetime.combine(day, time.min), timezone.get_current_timezone())


def parse_day(value: str | None) -> date | None:
    try:
        return datetime.strptime(value or "", "%Y-%m-%d").date()
    except ValueError:
        return None


def clamp_day(day: date, earliest: date, latest: date | None = None) -> date:
    """Not before `earliest`, not after `latest` (default MAX_WEEKS_AHEAD after today)."""
    latest = latest or timezone.localdate() + timedelta(weeks=MAX_WEEKS_AHEAD)
    return min(max(day, earliest), latest)


class QuerysetWeekSource:
    """What `week_context` asks of a list of open slots, answered by an `open_slots(...)`
    queryset."""

    def __init__(self, open_slots, *, course=None):
        self.open_slots, self.course = open_slots, course

    def first_start(self) -> datetime | None:
        first = self.open_slots.values("starts_at").first()
        return first["starts_at"] if first else None

    def starting_between(self, start: datetime, end: datetime) -> list[Slot]:
        """Those starting in [start, end), with what a card shows (Slot.card_key) and no
        more: a week is ~30 rows."""
        week = self.open_slots.filter(starts_at__gte=start, starts_at__lt=end).select_related(None)
        if self.course is None:
            return list(week.select_related("course").only(*WEEK_CARD_FIELDS))
        slots = list(week.only(*WEEK_CARD_FIELDS[:-1], "course_id"))
        cache = Slot.course.field.set_cached_value  # what select_related would have set
        for slot in slots:
            cache(slot, self.course)
        return slots

    def exists(self) -> bool:
        return self.open_slots.exists()


def week_context(
    requested: date | None, open_slots, *, course=None, latest: date | None = None
) -> dict:
    """Seven days of a course's or mentor's open slots, in the viewer's timezone.

    The week starts on the requested day (`?start=`), else on the day of the first open
    slot, so the page opens where there is something to book; never before today.
    Two queries: the first open slot (without `start`) and the week's slots; a third
    only for an empty requested week (is anything open at all?). `open_slots` is a
    queryset, or anything with QuerysetWeekSource's methods; given the `course` all the
    slots belong to (a course's booking page), each slot gets it instead of a join.
    `latest`: the last day a week may start on (the booking horizon).
    """
    if not hasattr(open_slots, "starting_between"):
        open_slots = QuerysetWeekSource(open_slots, course=course)
    today = timezone.localdate()
    first, asked = None, requested is not None
    if requested is None:
        first = open_slots.first_start()
        requested = timezone.localtime(first).date() if first else today
    start = clamp_day(requested, today, latest)
    days = [start + timedelta(days=n) for n in range(7)]
    slots = open_slots.starting_between(day_start(start), day_start(days[-1] + timedelta(days=1)))
    by_day: dict[date, list] = {day: [] for day in days}
    for slot in slots:
        by_day.setdefault(timezone.localtime(slot.starts_at).date(), []).append(slot)
    # Whether anything is open at all: known already, or asked only for an empty week.
    any_open = bool(slots or first or (asked and open_slots.exists()))
    after = start + timedelta(days=7)  # no next week past the horizon
    return {
        # What the whole week block shows, for `{% memo %}`: the first day, today and the
        # horizon (links), and every card's own key.
        "week_key": (start, today, latest, tuple(slot.card_key for slot in slots)),
        "any_open": any_open,
        "week_days": [(day, by_day[day]) for day in days],
        "week_start": start,
        "week_end": days[-1],
        "week_count": len(slots),
        "prev_week": max(start - timedelta(days=7), today) if start > today else None,
        "next_week": after if clamp_day(after, today, latest) == after else None,
        "today": today,
        "next_open": None,  # an empty week's way on: views/month.find_time_context
    }


def monday_of(day: date) -> date:
    return day - timedelta(days=day.weekday())
