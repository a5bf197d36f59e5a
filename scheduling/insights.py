"""How an educator's mentoring goes, at a glance: sessions held per week, attendance, the
average rating and its trend, how fast requests are answered, the busiest weekdays and
hours, and waitlist demand per weekly pattern.

Seven grouped queries, whatever the amount of data (`tests` pin them); each figure is
also a list of (label, value) rows, so the page draws a chart and a table from the same
numbers and the CSV export writes them. An educator's figures are remembered under their
schedule version for the minute (`remembered_insights`): every booking, outcome, rating,
slot, weekly pattern and waitlist entry saved forgets them.
"""

from __future__ import annotations

import statistics
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from django.db.models import Avg, Count, Q
from django.db.models.functions import ExtractHour, ExtractIsoWeekDay, TruncDate, TruncMonth
from django.utils import timezone

from accounts.models import User

from . import schedule_cache
from .models import (
    Booking,
    BookingStatus,
    Outcome,
    SessionFeedback,
    WaitlistEntry,
    WaitlistStatus,
)

WEEKS = 12
RATING_MONTHS = 6
ANSWER_DAYS = 90
WEEKDAY_NAMES = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")


@dataclass
class Figure:
    """One chart: its title, what its rows count, and the rows (label, value)."""

    key: str
    title: str
    unit: str
    rows: list[tuple[str, float]] = field(default_factory=list)
    note: str = ""

    @property
    def peak(self) -> float:
        return max((value for _, value in self.rows), default=0)

    @property
    def memo_key(self) -> tuple:
        """Everything the chart and its table show, for the template's `{% memo %}`."""
        return (self.key, self.title, self.unit, self.note, tuple(self.rows))

    @property
    def bars(self) -> list[dict]:
        """Read by the template only when the chart is drawn, not when it is remembered."""
        return bars(self)


@dataclass
class Insights:
    figures: list[Figure]
    held: int
    attended: int
    no_shows: int
    unmarked: int
    rating_avg: float | None
    rating_count: int
    answer_hours: float | None

    @property
    def no_show_rate(self) -> float | None:
        marked = self.attended + self.no_shows
        return round(100 * self.no_shows / marked) if marked else None


def _local_midnight(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min), timezone.get_current_timezone())


def educator_insights(educator: User | None, *, now: datetime | None = None) -> Insights:
    """The figures of one educator, or of every educator (`None`: staff in the admin)."""
    now = now or timezone.now()
    zone = timezone.get_current_timezone()
    today = timezone.localdate(now)
    bookings = (
        Booking.objects.all() if educator is None else Booking.objects.filter(educator=educator)
    )
    started = bookings.filter(
        status__in=(BookingStatus.APPROVED, BookingStatus.COMPLETED), slot__starts_at__lte=now
    )

    # Sessions held per week: completed and not a no-show, by the Monday of their week.
    first_monday = today - timedelta(days=today.weekday(), weeks=WEEKS - 1)
    per_day = (
        started.filter(slot__starts_at__gte=_local_midnight(first_monday))
        .exclude(outcome=Outcome.NO_SHOW)
        .annotate(day=TruncDate("slot__starts_at", tzinfo=zone))
        .values("day")
        .annotate(n=Count("pk"))
        .order_by()
    )
    weeks = {first_monday + timedelta(weeks=n): 0 for n in range(WEEKS)}
    for row in per_day:
        weeks[row["day"] - timedelta(days=row["day"].weekday())] += row["n"]
    held_per_week = Figure(
        "held", "Sessions held per week", "sessions",
        [(f"{monday:%d %b}", count) for monday, count in weeks.items()],
    )  # fmt: skip

    # Attendance: the educator's marks on the sessions that started.
    marks = started.aggregate(
        held=Count("pk", filter=~Q(outcome=Outcome.NO_SHOW)),
        attended=Count("pk", filter=Q(outcome=Outcome.ATTENDED)),
        no_shows=Count("pk", filter=Q(outcome=Outcome.NO_SHOW)),
        unmarked=Count("pk", filter=Q(outcome="")),
    )
    attendance = Figure(
        "attendance", "Attendance", "sessions",
        [("Attended", marks["attended"]), ("No-show", marks["no_shows"]),
         ("Not marked", marks["unmarked"])],
    )  # fmt: skip

    # The average rating, and per month for its trend.
    feedback = SessionFeedback.objects.all()
    if educator is not None:
        feedback = feedback.filter(booking__educator=educator)
    months = today.year * 12 + today.month - RATING_MONTHS  # the month RATING_MONTHS - 1 back
    first_month = date(months // 12, months % 12 + 1, 1)
    monthly = list(
        feedback.filter(created_at__gte=_local_midnight(first_month))
        .annotate(month=TruncMonth("created_at", tzinfo=zone))
        .values("month")
        .annotate(avg=Avg("rating"), n=Count("pk"))
        .order_by("month")
    )
    overall = feedback.aggregate(avg=Avg("rating"), n=Count("pk"))
    rating_trend = Figure(
        "rating", "Average rating per month", "out of 5",
        [(f"{row['month']:%b %Y}", round(row["avg"], 1)) for row in monthly],
        note="Months without a rating are left out.",
    )  # fmt: skip

    # How fast requests are answered: the median hours from request to decision.
    answered = bookings.filter(
        decided_at__isnull=False, created_at__gte=now - timedelta(days=ANSWER_DAYS)
    ).values_list("created_at", "decided_at")
    hours = [(decided - asked).total_seconds() / 3600 for asked, decided in answered]
    answer_hours = round(statistics.median(hours), 1) if hours else None

    # Busiest weekdays and hours: every session that holds or held a seat.
    busy = list(
        bookings.exclude(status__in=(BookingStatus.REJECTED, BookingStatus.CANCELLED))
        .annotate(
            weekday=ExtractIsoWeekDay("slot__starts_at", tzinfo=zone),
            hour=ExtractHour("slot__starts_at", tzinfo=zone),
        )
        .values("weekday", "hour")
        .annotate(n=Count("pk"))
        .order_by()
    )
    by_weekday, by_hour = [0] * 7, [0] * 24
    for row in busy:
        by_weekday[row["weekday"] - 1] += row["n"]
        by_hour[row["hour"]] += row["n"]
    weekdays = Figure(
        "weekdays",
        "Sessions by weekday",
        "sessions",
        list(zip(WEEKDAY_NAMES, by_weekday, strict=True)),
    )
    first_hour = next((h for h, n in enumerate(by_hour) if n), 8)
    last_hour = max((h for h, n in enumerate(by_hour) if n), default=18)
    hours_figure = Figure(
        "hours", "Sessions by starting hour", "sessions",
        [(f"{h:02d}:00", by_hour[h]) for h in range(min(first_hour, 8), max(last_hour, 18) + 1)],
    )  # fmt: skip

    # Waitlist demand per weekly pattern (single slots together).
    waiting = WaitlistEntry.objects.filter(
        status__in=(WaitlistStatus.WAITING, WaitlistStatus.OFFERED)
    )
    if educator is not None:
        waiting = waiting.filter(slot__educator=educator)
    demand = (
        waiting.values("slot__pattern", "slot__pattern__weekdays", "slot__pattern__start_time")
        .annotate(n=Count("pk"))
        .order_by("-n")[:10]
    )
    demand_figure = Figure(
        "waitlist", "Waitlist demand per weekly pattern", "students waiting or offered",
        [(_pattern_label(row), row["n"]) for row in demand],
    )  # fmt: skip

    return Insights(
        figures=[held_per_week, attendance, rating_trend, weekdays, hours_figure, demand_figure],
        held=marks["held"],
        attended=marks["attended"],
        no_shows=marks["no_shows"],
        unmarked=marks["unmarked"],
        rating_avg=round(overall["avg"], 1) if overall["avg"] is not None else None,
        rating_count=overall["n"],
        answer_hours=answer_hours,
    )


def remembered_insights(educator: User) -> Insights:
    """`educator_insights`, remembered under the educator's schedule version: the same in
    the same minute and timezone (what started before now, counted by local day)."""
    zone = timezone.get_current_timezone_name()
    parts = ("insights", zone, schedule_cache.minute())
    figures = schedule_cache.Remembered(educator.pk, parts)
    insights = figures.answer("insights", lambda: educator_insights(educator))
    figures.save()
    return insights


def _pattern_label(row: dict) -> str:
    if row["slot__pattern"] is None:
        return "Single slots"
    days = row["slot__pattern__weekdays"] or ""  # ISO digits, "13": Monday and Wednesday
    names = ", ".join(WEEKDAY_NAMES[int(day) - 1] for day in days if day in "1234567")
    start = row["slot__pattern__start_time"]
    return f"{names} from {start:%H:%M}" if start else names


def bars(figure: Figure, *, width: int = 560, height: int = 160) -> list[dict]:
    """Each row's bar in an SVG of `width` × `height` (labels under it)."""
    count = len(figure.rows) or 1
    step = width / count
    bar = min(step * 0.7, 48)
    peak = figure.peak or 1
    return [
        {
            "label": label,
            "value": value,
            "x": round(index * step + (step - bar) / 2, 1),
            "width": round(bar, 1),
            "height": round(height * value / peak, 1),
            "y": round(height - height * value / peak, 1),
            "center": round(index * step + step / 2, 1),
        }
        for index, (label, value) in enumerate(figure.rows)
    ]
