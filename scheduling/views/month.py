"""Finding a time: a month overview beside the week in view, and a "Go to date" jump.

Book a Session, a mentor's page and the educator's calendar show the month of the day in
view with each day's open times, so a time months ahead is a click or two away instead of
one "Next week" per week. The counts are one grouped query whatever the horizon
(`selectors.day_counts`).
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import date, timedelta
from functools import cached_property, lru_cache

from django.http import HttpRequest
from django.utils import timezone, translation
from django.utils.dates import MONTHS_3, WEEKDAYS_ABBR

from .. import schedule_cache, selectors
from ..models import BookingPolicy
from .utils import MAX_WEEKS_AHEAD, QuerysetWeekSource, day_start, parse_day, week_context

WEEKDAYS = tuple(zip(calendar.day_abbr, calendar.day_name, strict=True))  # Monday first


@dataclass(frozen=True)
class MonthDay:
    """One cell of the month grid: a day, what it holds, and where a click on it goes."""

    day: date
    in_month: bool
    label: str = ""  # what a screen reader hears for the day
    href: str = ""  # empty: nothing to open
    mark: str = ""  # what the cell shows under the day's number: "3", "Full"
    full: bool = False
    in_view: bool = False  # one of the days the week below shows
    is_today: bool = False


def first_of_month(day: date) -> date:
    return day.replace(day=1)


def next_month(month: date) -> date:
    return (month + timedelta(days=32)).replace(day=1)


def previous_month(month: date) -> date:
    return (month - timedelta(days=1)).replace(day=1)


def last_bookable_day(policy: BookingPolicy, today: date) -> date:
    """The last day the educator's horizon lets a student book (far ahead without one)."""
    if policy.horizon_days:
        return timezone.localdate(timezone.now() + timedelta(days=policy.horizon_days))
    return today + timedelta(weeks=MAX_WEEKS_AHEAD)


def _day_name(day: date) -> str:
    """As the date filter's "D j M Y" gives it, without its formatter (a month has ~40)."""
    return _day_name_in(day, translation.get_language())


@lru_cache(maxsize=2048)
def _day_name_in(day: date, language: str | None) -> str:
    return f"{WEEKDAYS_ABBR[day.weekday()]} {day.day} {MONTHS_3[day.month].title()} {day.year}"


def requested_day(
    raw: str | None, *, today: date, earliest: date, latest: date, shows: str
) -> tuple[date | None, str]:
    """The day `?start=` asks for, kept within [earliest, latest], and what to tell the
    viewer when it could not be read or lay outside ("" when nothing needs saying).
    None when nothing was asked. `shows` ends the sentence: "so the times start …"."""
    if not raw:
        return None, ""
    day = parse_day(raw)
    if day is None:
        return today, f"That date could not be read, so {shows} {_day_name(today)}."
    if day < earliest:
        return earliest, f"{_day_name(day)} is too early, so {shows} {_day_name(earliest)}."
    if day > latest:
        return latest, f"{_day_name(day)} is too far ahead, so {shows} {_day_name(latest)}."
    return day, ""


def month_weeks(month: date, cell) -> tuple[tuple[MonthDay, ...], ...]:
    """The month's weeks, Monday first; `cell(day)` fills each day of the month."""
    weeks = calendar.Calendar().monthdatescalendar(month.year, month.month)
    return tuple(
        tuple(cell(day) if day.month == month.month else MonthDay(day, False) for day in week)
        for week in weeks
    )


def _with_key(context: dict) -> dict:
    """`month_key`: everything includes/_month.html shows, for its `{% memo %}` (a month
    is some 40 cells of links and marks: rendering it is most of its cost)."""
    shown = (
        "month", "month_weeks", "month_open", "month_next_open", "month_notice",
        "month_swaps", "jump_value", "jump_min", "jump_max", "prev_month", "next_month",
        "months_ahead",
    )  # fmt: skip
    return {**context, "month_key": tuple(context.get(name) for name in shown)}


def _day_counts(slots, month: date) -> dict:
    return selectors.day_counts(slots, day_start(month), day_start(next_month(month)))


MONTHS_AHEAD = 12  # in the month strip: any month within a year is one click away


def _nav(month: date, earliest: date, latest: date, first_day) -> dict:
    """Previous/next month links within [earliest, latest] and the strip of the months
    after this one: each opens on `first_day(m)`."""
    before, after = previous_month(month), next_month(month)
    ahead = []
    for _ in range(MONTHS_AHEAD):
        if after > latest:
            break
        ahead.append((after, first_day(after)))  # (the month, the day its link opens)
        after = next_month(after)
    return {
        "prev_month": first_day(before) if month > first_of_month(earliest) else None,
        "next_month": ahead[0][1] if ahead else None,
        "months_ahead": tuple(ahead),
    }


class RememberedWeek:
    """What a page of an educator's open times reads (a week source for `week_context`,
    the month's day counts, the next open time), the same for every viewer in the same
    minute and timezone who asks for the same day, so remembered as one entry under the
    educator's schedule version (schedule_cache); a student's own marks (`standing`, from
    `student_standing`) are set on top, for the week's slots only. Call `save()` when done.

    `offer()` gives `selectors.offered_slots(...)` for the page: it is called only when
    something was not remembered. `scope` names the page (the course or the mentor page);
    `version`: the educator's schedule version, when the page read it already. Given a
    `student`, their requests and enrolments with the educator (`standing`, from
    `selectors.student_standing`) are remembered per student under the same version (a
    booking or an enrolment forgets it) and read with the week in one get. Slots whose
    notice ran out since the minute began are dropped."""

    def __init__(self, offer, *, educator, policy, scope, asked, student=None, version=""):
        self.offer, self.policy, self.standing = offer, policy, None
        version = version or schedule_cache.schedule_version(educator.pk)
        zone = timezone.get_current_timezone_name()
        parts = [(scope, zone, educator.timezone, schedule_cache.minute(), asked)]
        if student is not None:
            parts.append(("student", student.pk))
        found = schedule_cache.Remembered.together(educator.pk, version, *parts)
        self.remembered = found[0]
        self.answer, self.save = self.remembered.answer, self.remembered.save
        if student is not None:
            self.standing = found[1].answer(
                "standing", lambda: selectors.student_standing(student, educator.pk)
            )
            found[1].save()

    @cached_property
    def offered(self):
        return self.offer()

    @cached_property
    def source(self) -> QuerysetWeekSource:
        return QuerysetWeekSource(selectors.bookable(self.offered))

    def first_start(self):
        return self.answer("first", lambda: self.source.first_start())

    def exists(self) -> bool:
        return self.answer("any", lambda: self.source.exists())

    def starting_between(self, start, end) -> list:
        slots = self.answer(("week", start, end), lambda: self.source.starting_between(start, end))
        now = timezone.now()
        earliest = now + timedelta(hours=self.policy.min_notice_hours)
        slots = [slot for slot in slots if slot.starts_at > now and slot.starts_at >= earliest]
        if self.standing is not None:
            selectors.mark_for_student(slots, self.standing)
        return slots

    def day_counts(self, month: date) -> dict:
        return self.answer(("days", month), lambda: _day_counts(self.offered, month))

    def next_open_start(self, after):
        return self.answer(("next", after), lambda: selectors.next_open_start(self.offered, after))


def find_time_context(
    request: HttpRequest, offer, *, educator, policy: BookingPolicy, course=None,
    student=None, version: str = "", waitlist_url: str = "",
) -> dict:  # fmt: skip
    """The week of open times, the month it is in, and the date jump, for Book a Session
    (given the `course`) and a mentor's page. `offer()` gives `selectors.offered_slots(...)`
    for the page; full days link to `waitlist_url` (students only: empty for others).
    Given a `student`, `student_standing` in the result is theirs (see `RememberedWeek`)."""
    today = timezone.localdate()
    latest = last_bookable_day(policy, today)
    raw = request.POST.get("start") or request.GET.get("start")
    asked, notice = requested_day(
        raw, today=today, earliest=today, latest=latest, shows="the times start on"
    )
    source = RememberedWeek(
        offer, educator=educator, policy=policy, student=student, version=version,
        scope=("course", course.pk) if course is not None else ("mentor",), asked=asked,
    )  # fmt: skip
    week = week_context(asked, source, latest=latest)
    start, end = week["week_start"], week["week_end"]
    month = first_of_month(start)
    counts = source.day_counts(month)
    after_month = source.next_open_start(day_start(next_month(month)))
    source.save()
    next_open = timezone.localdate(after_month) if after_month else None
    if not week["week_count"]:
        later = [day for day, (open_count, _) in sorted(counts.items()) if day > end and open_count]
        week["next_open"] = later[0] if later else next_open
        week["week_key"] += (week["next_open"],)

    language = translation.get_language()  # once: a month has ~40 cells

    def cell(day: date) -> MonthDay:
        open_count, full_count = counts.get(day, (0, 0))
        name, in_view = _day_name_in(day, language), start <= day <= end
        if open_count:
            times = f"{open_count} open time{'s' if open_count > 1 else ''}"
            return MonthDay(
                day, True, f"{name}: {times}", f"?start={day:%Y-%m-%d}", str(open_count),
                in_view=in_view, is_today=day == today,
            )  # fmt: skip
        if full_count:
            label = f"{name}: full" + (", waitlist open" if waitlist_url else "")
            return MonthDay(
                day, True, label, waitlist_url, "Full", full=True, in_view=in_view,
                is_today=day == today,
            )  # fmt: skip
        return MonthDay(day, True, f"{name}: no open times", in_view=in_view, is_today=day == today)

    return _with_key(
        {
            **week,
            "month": month,
            "month_weeks": month_weeks(month, cell),
            "month_open": sum(open_count for open_count, _ in counts.values()),
            "month_next_open": next_open,
            "month_notice": notice,
            "month_swaps": True,  # htmx swaps the week and the month in place
            "weekdays": WEEKDAYS,
            "jump_value": start,
            "jump_min": today,
            "jump_max": latest,
            **_nav(month, today, latest, lambda m: max(m, today)),
            "student_standing": source.standing,
        }
    )


CALENDAR_REACH = timedelta(weeks=MAX_WEEKS_AHEAD)  # back and ahead of today


def calendar_month_context(request: HttpRequest, educator) -> dict:
    """The day the educator's calendar shows (its week is that day's Monday to Sunday),
    and the month around it with each day's slots (open and full), for the calendar."""
    today = timezone.localdate()
    earliest, latest = today - CALENDAR_REACH, today + CALENDAR_REACH
    asked, notice = requested_day(
        request.GET.get("start"), today=today, earliest=earliest, latest=latest,
        shows="the calendar shows",
    )  # fmt: skip
    chosen = asked or today
    monday = chosen - timedelta(days=chosen.weekday())
    month = first_of_month(chosen)
    slots = selectors.educator_slots(educator=educator).filter(withdrawn_at__isnull=True)
    counts = _day_counts(slots, month)

    language = translation.get_language()

    def cell(day: date) -> MonthDay:
        open_count, full_count = counts.get(day, (0, 0))
        total = open_count + full_count
        label, mark = "no slots", ""
        if total:
            label, mark = f"{total} slot{'s' if total > 1 else ''}", str(total)
            if not open_count:
                label, mark = f"{label}, all booked", "Full"
            elif full_count:
                label = f"{label}, {full_count} full"
        return MonthDay(
            day, True, f"{_day_name_in(day, language)}: {label}", f"?start={day:%Y-%m-%d}#week",
            mark,
            full=bool(total) and not open_count,
            in_view=monday <= day < monday + timedelta(days=7), is_today=day == today,
        )  # fmt: skip

    return _with_key(
        {
            "chosen_day": chosen,
            "week_monday": monday,
            "month": month,
            "month_weeks": month_weeks(month, cell),
            "month_open": None,
            "month_notice": notice,
            "weekdays": WEEKDAYS,
            "jump_value": chosen,
            "jump_min": earliest,
            "jump_max": latest,
            **_nav(month, earliest, latest, lambda m: m),
        }
    )
