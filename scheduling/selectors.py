"""Read queries for pages and the API, with their joins spelled out once."""

from __future__ import annotations

from collections import Counter
from datetime import datetime, timedelta

from django.db import connection
from django.db.models import (
    BooleanField,
    Count,
    Exists,
    F,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
)
from django.db.models.expressions import RawSQL
from django.utils import timezone

from accounts.models import User
from mentoring.rows import RowReader, fields_of, pk_in_range

from .models import (
    ACTIVE_STATUSES,
    Booking,
    BookingEvent,
    BookingPolicy,
    BookingStatus,
    Course,
    Enrollment,
    Slot,
    WaitlistEntry,
    WaitlistStatus,
    WeeklyPattern,
)

_BOOKING, _SLOT, _EVENT = Booking._meta.db_table, Slot._meta.db_table, BookingEvent._meta.db_table
_USER, _COURSE, _POLICY = User._meta.db_table, Course._meta.db_table, BookingPolicy._meta.db_table


def policy_of(educator: User) -> BookingPolicy:
    """The educator's policy, from the relation select_related loaded when it did."""
    try:
        return educator.booking_policy
    except BookingPolicy.DoesNotExist:
        return BookingPolicy(educator_id=educator.pk)


def open_slots(
    *,
    course: Course | None = None,
    educator: User | None = None,
    student: User | None = None,
    policy: BookingPolicy | None = None,
) -> QuerySet[Slot]:
    """Bookable slots (not withdrawn, in the future, a seat left), soonest first.

    Given the educator's `policy`, only slots its notice and horizon allow (the services
    refuse the others, so a page does not offer them).

    Given a `student`, each slot carries `requested`: they already hold an active request
    for it, so a booking page shows it as theirs instead of offering a choice the rules
    would refuse.
    """
    slots = Slot.objects.open().with_seats_left().select_related("educator", "course")
    if course is not None:
        slots = slots.for_course(course)
    if educator is not None:
        slots = slots.for_educator(educator)
    if policy is not None:
        now = timezone.now()
        slots = slots.filter(starts_at__gte=now + timedelta(hours=policy.min_notice_hours))
        if policy.horizon_days:
            slots = slots.filter(starts_at__lte=now + timedelta(days=policy.horizon_days))
        if policy.buffer_minutes:
            # Too close to one of the educator's booked sessions: the buffer refuses it.
            gap = timedelta(minutes=policy.buffer_minutes)
            near = Slot.objects.filter(
                educator=OuterRef("educator"),
                withdrawn_at__isnull=True,
                seats_taken__gt=0,
                starts_at__lt=OuterRef("ends_at") + gap,
                ends_at__gt=OuterRef("starts_at") - gap,
            ).exclude(pk=OuterRef("pk"))
            slots = slots.exclude(Exists(near))
        if policy.daily_max:
            slots = _without_full_days(slots, policy, now)
    if student is not None:
        slots = slots.annotate(**_student_marks(student))
    return slots.order_by("starts_at", "id")


# The two marks of a slot for a student viewer (`_student_marks`), as SQL over the slot
# list's own table (not aliased): each takes the student's id (`requested` the active
# statuses too).
_REQUESTED_SQL = (
    f"EXISTS (SELECT 1 FROM {Booking._meta.db_table} b WHERE b.slot_id = {Slot._meta.db_table}.id"
    f" AND b.student_id = %s AND b.status IN ({', '.join(['%s'] * len(ACTIVE_STATUSES))}))"
)
_ENROL_NEEDED_SQL = (
    f"({Slot._meta.db_table}.course_id IS NOT NULL AND NOT EXISTS"
    f" (SELECT 1 FROM {Enrollment._meta.db_table} e"
    f" WHERE e.course_id = {Slot._meta.db_table}.course_id AND e.student_id = %s))"
)


def _student_marks(student: User) -> dict:
    """`requested` (the student holds an active request for the slot) and `enrol_needed` (a
    course slot of a course they are not in: the mentor page shows the way to enrol instead
    of a choice the rules would refuse), as SQL of their own.

    Two correlated EXISTS the database answers in microseconds; built with the ORM's
    Exists() they cost a booking page a millisecond and a half to build and compile. For a
    slot list's own query only (its table is not aliased there, as it is in a subquery).
    """
    return {
        "requested": RawSQL(
            _REQUESTED_SQL, (student.pk, *map(str, ACTIVE_STATUSES)), output_field=BooleanField()
        ),
        "enrol_needed": RawSQL(_ENROL_NEEDED_SQL, (student.pk,), output_field=BooleanField()),
    }


# A course page's course, with its educator and the educator's policy (the booking page
# reads all three on every GET and POST), and whether the viewer is enrolled: one query,
# as `Course.objects.select_related("educator__booking_policy")` with an EXISTS annotation
# would send it, written once (building that queryset cost more than the rest of the lookup).
_COURSE_PAGE = RowReader(
    (Course, fields_of(Course)), (User, fields_of(User)), (BookingPolicy, fields_of(BookingPolicy))
)
_COURSE_PAGE_SQL = (
    f"SELECT {_COURSE_PAGE.select_list()},"
    f" EXISTS (SELECT 1 FROM {Enrollment._meta.db_table} e"
    f" WHERE e.course_id = {_COURSE}.id AND e.student_id = %s)"
    f" FROM {_COURSE}"
    f" INNER JOIN {_USER} ON {_USER}.id = {_COURSE}.educator_id"
    f" LEFT OUTER JOIN {_POLICY} ON {_POLICY}.educator_id = {_USER}.id"
    f" WHERE {_COURSE}.id = %s"
)


def course_page_course(course_id: int, *, viewer: User) -> Course | None:
    """The course with `educator` and `educator.booking_policy` loaded (a missing policy
    row is known to be missing, as select_related leaves it), and `viewer_enrolled` for a
    logged-in viewer; None when there is no such course (also for an id no row can have:
    SQLite refuses a number past 64 bits outright, where the ORM finds nothing)."""
    if not pk_in_range(Course, course_id, connection):
        return None
    with connection.cursor() as cursor:
        cursor.execute(_COURSE_PAGE_SQL, [viewer.pk, course_id])
        row = cursor.fetchone()
    if row is None:
        return None
    course, educator, policy = _COURSE_PAGE.read(row, connection)
    if policy.pk is None:
        policy = None
    else:
        BookingPolicy._meta.get_field("educator").set_cached_value(policy, educator)
    User.booking_policy.related.set_cached_value(educator, policy)
    course.educator = educator
    if viewer.is_authenticated:
        course.viewer_enrolled = bool(row[_COURSE_PAGE.width])
    return course


# The course slots API's list: a course's open slots with seats left (`open_slots(course=)`:
# not withdrawn, starting after now, a seat left), soonest first, as `.values()` rows with
# the educator's names and the course title. Its page and its count are SQL of their own:
# building and compiling the two querysets cost twice what the database takes to answer;
# tests/test_rows.py checks both against `open_slots` on every database the suite runs on.
_OPEN_SLOT_ROW = RowReader(
    (
        Slot,
        fields_of(
            Slot,
            ("id", "educator", "course", "starts_at", "ends_at", "capacity", "seats_taken")
            + ("requires_approval", "meeting_link", "note", "withdrawn_at"),
        ),
    ),
    (User, fields_of(User, ("username", "first_name", "last_name"))),
    (Course, fields_of(Course, ("title",))),
)
_OPEN_SLOT_PREFIXES = ("", "educator__", "course__")  # as .values() names them
_OPEN_SLOT_KEYS = [
    prefix + field.attname
    for prefix, (_, fields) in zip(_OPEN_SLOT_PREFIXES, _OPEN_SLOT_ROW.groups, strict=True)
    for field in fields
]
_OPEN_IN_COURSE = (
    f" WHERE {_SLOT}.course_id = %s AND {_SLOT}.withdrawn_at IS NULL"
    f" AND {_SLOT}.starts_at > %s AND {_SLOT}.seats_taken < {_SLOT}.capacity"
)
_OPEN_IN_COURSE_PAGE = (
    f"SELECT {_OPEN_SLOT_ROW.select_list()} FROM {_SLOT}"
    f" INNER JOIN {_USER} ON {_USER}.id = {_SLOT}.educator_id"
    f" LEFT OUTER JOIN {_COURSE} ON {_COURSE}.id = {_SLOT}.course_id{_OPEN_IN_COURSE}"
    f" ORDER BY {_SLOT}.starts_at, {_SLOT}.id LIMIT %s OFFSET %s"
)


_SLOT_CHOSEN = RowReader((Slot, fields_of(Slot, ("id", "educator", "course"))))


def slot_to_book(slot_id: int, *, course_id: int | None = None, educator_id: int | None = None):
    """The slot a booking form names, if it is one of the course's (or the educator's):
    only its id, educator and course loaded (the booking service reads the rest under its
    lock); None when there is no such slot there."""
    if not pk_in_range(Slot, slot_id, connection):
        return None
    column, value = (
        ("course_id", course_id) if course_id is not None else ("educator_id", educator_id)
    )
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT {_SLOT_CHOSEN.select_list()} FROM {_SLOT} WHERE {_SLOT}.id = %s"
            f" AND {_SLOT}.{column} = %s",
            [slot_id, value],
        )
        row = cursor.fetchone()
    return None if row is None else _SLOT_CHOSEN.read(row, connection)[0]


_COURSE_VISIBILITY = RowReader((Course, fields_of(Course, ("id", "educator", "is_published"))))


def course_to_list(course_id: int) -> Course | None:
    """The course whose slots a list shows, with only what decides who may see it
    (`Course.is_visible_to`) loaded; None when there is none. One hand-written SELECT: the
    ORM's lookup cost the course slots list a tenth of its time."""
    if not pk_in_range(Course, course_id, connection):
        return None
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT {_COURSE_VISIBILITY.select_list()} FROM {_COURSE} WHERE id = %s", [course_id]
        )
        row = cursor.fetchone()
    return None if row is None else _COURSE_VISIBILITY.read(row, connection)[0]


class OpenCourseSlots:
    """A course's open slots as `open_slots(course=...).values(...)` gives them: slice it
    for a page of dicts (keys: the slot's columns, `educator__username`/`first_name`/
    `last_name`, `course__title`), `count()` for the total."""

    def __init__(self, course_id: int):
        self.course_id = course_id
        self.now = timezone.now()  # one moment for the page and its count

    def _params(self) -> list:
        return [self.course_id, connection.ops.adapt_datetimefield_value(self.now)]

    def count(self) -> int:
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT COUNT(*) FROM {_SLOT}{_OPEN_IN_COURSE}", self._params())
            return cursor.fetchone()[0]

    def __getitem__(self, index: slice) -> list[dict]:
        start, stop = index.start or 0, index.stop
        with connection.cursor() as cursor:
            cursor.execute(_OPEN_IN_COURSE_PAGE, [*self._params(), stop - start, start])
            rows = cursor.fetchall()
        return [
            dict(zip(_OPEN_SLOT_KEYS, values, strict=True))
            for values in _OPEN_SLOT_ROW.convert_all(rows, connection)
        ]


# A course booking page's week: `open_slots(course=, student=, policy=)` as the week
# view reads it (QuerysetWeekSource: the first start, a week's cards, whether any), for a
# policy without a buffer or a daily maximum; their subqueries stay the ORM's. Building
# and compiling those querysets cost the page more than a millisecond, ten times what the
# database takes; tests/test_rows.py checks this against the querysets on every database.
_WEEK_CARD = RowReader(
    (
        Slot,
        fields_of(
            Slot,
            ("id", "starts_at", "ends_at", "capacity", "seats_taken", "requires_approval")
            + ("note", "educator", "course"),
        ),
    )
)
_STARTS_AT = RowReader((Slot, fields_of(Slot, ("starts_at",))))


def course_page_slots(*, course: Course, student: User, policy: BookingPolicy):
    """A course's open slots for its booking page's week (`utils.week_context`), with the
    student's marks: `CourseOpenSlots` where the policy allows, else `open_slots`."""
    if policy.buffer_minutes or policy.daily_max:
        return open_slots(course=course, student=student, policy=policy)
    return CourseOpenSlots(course, student=student, policy=policy)


class CourseOpenSlots:
    """`open_slots(course=, student=, policy=)` in hand-written SQL, answering what
    `views.utils.QuerysetWeekSource` answers; only for a policy with neither a buffer nor a
    daily maximum."""

    def __init__(self, course: Course, *, student: User, policy: BookingPolicy):
        if policy.buffer_minutes or policy.daily_max:
            raise ValueError("a buffer or a daily maximum needs open_slots()")
        now, adapt = timezone.now(), connection.ops.adapt_datetimefield_value
        self.course, self.student = course, student
        self.where = f"{_OPEN_IN_COURSE} AND {_SLOT}.starts_at >= %s"
        self.params = [course.pk, adapt(now), adapt(now + timedelta(hours=policy.min_notice_hours))]
        if policy.horizon_days:
            self.where += f" AND {_SLOT}.starts_at <= %s"
            self.params.append(adapt(now + timedelta(days=policy.horizon_days)))

    def _fetch(self, sql: str, params: list) -> list:
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            return cursor.fetchall()

    def first_start(self) -> datetime | None:
        rows = self._fetch(
            f"SELECT {_SLOT}.starts_at FROM {_SLOT}{self.where}"
            f" ORDER BY {_SLOT}.starts_at, {_SLOT}.id LIMIT 1",
            self.params,
        )
        return _STARTS_AT.convert(rows[0], connection)[0] if rows else None

    def exists(self) -> bool:
        return bool(self._fetch(f"SELECT 1 FROM {_SLOT}{self.where} LIMIT 1", self.params))

    def starting_between(self, start: datetime, end: datetime) -> list[Slot]:
        adapt, pk = connection.ops.adapt_datetimefield_value, self.student.pk
        rows = self._fetch(
            f"SELECT {_WEEK_CARD.select_list()}, {_REQUESTED_SQL}, {_ENROL_NEEDED_SQL}"
            f" FROM {_SLOT}{self.where} AND {_SLOT}.starts_at >= %s AND {_SLOT}.starts_at < %s"
            f" ORDER BY {_SLOT}.starts_at, {_SLOT}.id",
            [pk, *map(str, ACTIVE_STATUSES), pk, *self.params, adapt(start), adapt(end)],
        )
        cache, width = Slot.course.field.set_cached_value, _WEEK_CARD.width
        slots = [slot for (slot,) in _WEEK_CARD.read_all(rows, connection)]
        for slot, row in zip(slots, rows, strict=True):
            slot.requested, slot.enrol_needed = bool(row[width]), bool(row[width + 1])
            cache(slot, self.course)
        return slots


def _without_full_days(slots: QuerySet[Slot], policy: BookingPolicy, now: datetime):
    """Leave out new sessions on the educator's days that reached the daily maximum (one
    query, only when the educator set a maximum); a seat in a booked session stays."""
    educator = User.objects.only("timezone").get(pk=policy.educator_id)
    zone = educator.zoneinfo
    booked = Slot.objects.filter(
        educator_id=policy.educator_id,
        withdrawn_at__isnull=True,
        seats_taken__gt=0,
        starts_at__gt=now - timedelta(days=1),
    ).values_list("starts_at", flat=True)
    per_day = Counter(timezone.localtime(start, zone).date() for start in booked)
    full = Q()
    for day, count in per_day.items():
        if count >= policy.daily_max:
            start = datetime.combine(day, datetime.min.time(), tzinfo=zone)
            end = datetime.combine(day + timedelta(days=1), datetime.min.time(), tzinfo=zone)
            full |= Q(starts_at__gte=start, starts_at__lt=end)
    return slots.exclude(full & Q(seats_taken=0)) if full else slots


def educator_slots(*, educator: User, upcoming: bool | None = None) -> QuerySet[Slot]:
    slots = Slot.objects.for_educator(educator).select_related("educator", "course")
    if upcoming is True:
        return slots.upcoming().order_by("starts_at", "id")
    if upcoming is False:
        return slots.past().order_by("-starts_at", "-id")
    return slots.order_by("starts_at", "id")


def student_bookings(*, student: User, status: str | None = None) -> QuerySet[Booking]:
    """A student's requests, newest first."""
    return (
        Booking.objects.for_student(student)
        .with_status(status)
        .with_related()
        .order_by("-created_at", "-id")
    )


def upcoming_q(now: datetime, prefix: str = "") -> Q:
    """Bookings still ahead (or under way) that hold a seat: what a student looks at first."""
    return Q(**{f"{prefix}status__in": ACTIVE_STATUSES, f"{prefix}slot__ends_at__gt": now})


# My Requests is a student's most visited page, and the ORM's building and compiling of its
# queries (the Exists/Subquery annotations, the upcoming-first Case order, seven filtered
# Counts) cost ten times what the database takes to answer them. So its two queries are SQL
# of their own, built once; `tests/test_memo_pages.py` checks both against the plain ORM
# formulation on every database the suite runs on.
_UPCOMING_SQL = f"{_BOOKING}.status IN (%s, %s) AND {_SLOT}.ends_at > %s"  # upcoming_q
_CANCELLED_BY_SQL = (
    f"(SELECT e.actor_id FROM {_EVENT} e WHERE e.booking_id = {_BOOKING}.id"
    " AND e.to_status = %s ORDER BY e.created_at DESC, e.id DESC LIMIT 1)"
)
# What a request's card reads (student/_booking_card.html, Booking.card_key), and no more.
_CARD_FIELDS = (
    (Booking, ("id", "slot", "student", "status", "message", "meeting_link", "decision_note")),
    (Slot, ("id", "starts_at", "ends_at", "withdrawn_at", "educator", "course")),
    (User, ("id", "username", "first_name", "last_name")),
    (Course, ("id", "title")),
)
_CARD_READER = RowReader(*((model, fields_of(model, names)) for model, names in _CARD_FIELDS))
_REQUESTS_SQL = (
    "SELECT " + _CARD_READER.select_list() + f", ({_UPCOMING_SQL}), <changed>, {_CANCELLED_BY_SQL}"
    f" FROM {_BOOKING} INNER JOIN {_SLOT} ON {_SLOT}.id = {_BOOKING}.slot_id"
    f" INNER JOIN {_USER} ON {_USER}.id = {_SLOT}.educator_id"
    f" LEFT OUTER JOIN {_COURSE} ON {_COURSE}.id = {_SLOT}.course_id"
    f" WHERE {_BOOKING}.student_id = %s<status>"
    # Upcoming first, soonest first; then past & closed, latest first.
    f" ORDER BY ({_UPCOMING_SQL}) DESC, CASE WHEN {_UPCOMING_SQL} THEN {_SLOT}.starts_at END,"
    f" {_SLOT}.starts_at DESC, {_BOOKING}.id DESC LIMIT %s OFFSET %s"
)


def _changed_by_others(student: User, seen_at: datetime | None) -> tuple[str, list]:
    """Whether someone other than `student` changed the booking after `seen_at` (a history
    event with another actor, or none: the system), as the navigation badge counts them.

    A scalar subquery, not EXISTS: PostgreSQL plans an EXISTS here as a hash over the whole
    history table (all bookings' events, 21,000 rows at scale 10: 14 ms a page), where this
    looks up the page's ten bookings through the history index."""
    sql = f"(SELECT 1 FROM {_EVENT} e WHERE e.booking_id = {_BOOKING}.id"
    sql += " AND (e.actor_id IS NULL OR e.actor_id <> %s)"
    params: list = [student.pk]
    if seen_at is not None:
        sql += " AND e.created_at > %s"
        params.append(connection.ops.adapt_datetimefield_value(seen_at))
    return sql + " LIMIT 1) IS NOT NULL", params


class PagedRows:
    """A list read a page (a slice) at a time for `Paginator`, which is told the count: one
    hand-written query ending in `LIMIT %s OFFSET %s`, each row read by `reader` and made
    into an object by `make(row, objects)`."""

    reader: RowReader

    def __init__(self, sql: str, params: list):
        self.sql, self.params = sql, params

    def make(self, row, objects: list):
        raise NotImplementedError

    def __getitem__(self, index: slice) -> list:
        start, stop = index.start or 0, index.stop
        if stop <= start:
            return []  # an empty tab: nothing to ask
        with connection.cursor() as cursor:
            cursor.execute(self.sql, [*self.params, stop - start, start])
            rows = cursor.fetchall()
        read = self.reader.read_all(rows, connection)
        return [self.make(row, objects) for row, objects in zip(rows, read, strict=True)]


class StudentRequests(PagedRows):
    """A student's requests in My Requests order: each a `Booking` with its slot, the
    slot's educator and course, and `is_upcoming`, `is_new`, `cancelled_by_id`; only the
    fields the card shows are loaded (any other is deferred, as with `.only()`)."""

    reader = _CARD_READER

    def make(self, row, objects: list) -> Booking:
        booking, slot, educator, course = objects
        slot.educator = educator
        slot.course = course if slot.course_id is not None else None
        booking.slot = slot
        upcoming, new, cancelled_by = row[_CARD_READER.width :]
        booking.is_upcoming, booking.is_new = bool(upcoming), bool(new)
        booking.cancelled_by_id = cancelled_by
        return booking


def student_requests_page(
    *, student: User, status: str | None = None, seen_at: datetime | None = None
) -> StudentRequests:
    """My Requests in one query a page: upcoming first (soonest first), then past & closed
    (latest session first). Each booking carries `is_upcoming`, `is_new` (someone else
    changed it after `seen_at`) and `cancelled_by_id` (who cancelled it, from its history)."""
    upcoming = [*ACTIVE_STATUSES, connection.ops.adapt_datetimefield_value(timezone.now())]
    changed, changed_params = _changed_by_others(student, seen_at)
    sql = _REQUESTS_SQL.replace("<changed>", changed).replace(
        "<status>", f" AND {_BOOKING}.status = %s" if status else ""
    )
    params = [
        *upcoming,
        *changed_params,
        BookingStatus.CANCELLED,
        student.pk,
        *([status] if status else []),
        *upcoming,
        *upcoming,
    ]
    return StudentRequests(sql, params)


def student_request_counts(*, student: User, status: str, seen_at: datetime | None) -> dict:
    """My Requests' tab numbers in one query: how many requests in `all` and in each status,
    `upcoming` (within the `status` tab, "" for all) and `new`: how many requests someone
    else changed since `seen_at` (the navigation badge's number)."""
    changed, changed_params = _changed_by_others(student, seen_at)
    sql = (
        f"SELECT {_BOOKING}.status, COUNT(*),"
        f" COUNT(CASE WHEN {_SLOT}.ends_at > %s THEN 1 END),"
        f" COUNT(CASE WHEN {changed} THEN 1 END)"
        f" FROM {_BOOKING} INNER JOIN {_SLOT} ON {_SLOT}.id = {_BOOKING}.slot_id"
        f" WHERE {_BOOKING}.student_id = %s GROUP BY {_BOOKING}.status"
    )
    now = connection.ops.adapt_datetimefield_value(timezone.now())
    with connection.cursor() as cursor:
        cursor.execute(sql, [now, *changed_params, student.pk])
        rows = cursor.fetchall()
    counts = dict.fromkeys(("all", "upcoming", "new", *BookingStatus.values), 0)
    for value, n, upcoming, new in rows:
        counts[value] = n
        counts["all"] += n
        counts["new"] += new
        if value in ACTIVE_STATUSES and status in ("", value):
            counts["upcoming"] += upcoming
    return counts


def educator_bookings(*, educator: User, status: str | None = None) -> QuerySet[Booking]:
    """Requests on an educator's slots, soonest session first."""
    return (
        Booking.objects.for_educator(educator)
        .with_status(status)
        .with_related()
        .order_by("slot__starts_at", "created_at", "id")
    )


# Session Requests (educator/requests.html, Booking.request_card_key): what a card reads
# and no more (no educator row: it is the viewer; no course description or user
# profile), and the tabs' numbers. The educator's second most visited page after the
# calendar; its two queries are SQL of their own, as My Requests' are, for the same reason
# (building and compiling them cost several times what the database takes to answer);
# tests/test_rows.py checks both against `educator_bookings` on every database.
_REQUEST_CARD = RowReader(
    (
        Booking,
        fields_of(
            Booking,
            ("id", "slot", "student", "message", "status", "meeting_link", "decision_note")
            + ("created_at", "rescheduled_from"),
        ),
    ),
    (Slot, fields_of(Slot, ("id", "starts_at", "ends_at", "meeting_link", "course"))),
    (Course, fields_of(Course, ("id", "title"))),
    (User, fields_of(User, ("id", "username", "first_name", "last_name"))),
)
# Open requests soonest session first (then oldest request first); closed ones latest
# session first.
_REQUEST_ORDER = {
    "open": f"{_SLOT}.starts_at, {_BOOKING}.created_at, {_BOOKING}.id",
    "closed": f"{_SLOT}.starts_at DESC, {_BOOKING}.id DESC",
}
CLOSED_REQUEST_STATUSES = (
    BookingStatus.COMPLETED,
    BookingStatus.REJECTED,
    BookingStatus.CANCELLED,
)
_EDUCATOR_REQUESTS_SQL = (
    f"SELECT {_REQUEST_CARD.select_list()} FROM {_BOOKING}"
    f" INNER JOIN {_SLOT} ON {_SLOT}.id = {_BOOKING}.slot_id"
    f" LEFT OUTER JOIN {_COURSE} ON {_COURSE}.id = {_SLOT}.course_id"
    f" INNER JOIN {_USER} ON {_USER}.id = {_BOOKING}.student_id"
    f" WHERE {_BOOKING}.educator_id = %s AND {_BOOKING}.status = %s"
    " ORDER BY <order> LIMIT %s OFFSET %s"
)


class EducatorRequests(PagedRows):
    """Requests on an educator's slots in one status, as `educator_bookings(...)` orders
    them (closed ones latest session first): each a `Booking` with its slot, the slot's
    course and the student, only the fields a card shows loaded."""

    reader = _REQUEST_CARD

    def make(self, row, objects: list) -> Booking:
        booking, slot, course, student = objects
        slot.course = course if slot.course_id is not None else None
        booking.slot, booking.student = slot, student
        return booking


def educator_request_cards(*, educator: User, status: str) -> EducatorRequests:
    """The cards of one Session Requests tab, a page at a time (see EducatorRequests)."""
    order = _REQUEST_ORDER["closed" if status in CLOSED_REQUEST_STATUSES else "open"]
    return EducatorRequests(
        _EDUCATOR_REQUESTS_SQL.replace("<order>", order), [educator.pk, str(status)]
    )


def educator_request_counts(*, educator: User) -> dict[str, int]:
    """How many requests on the educator's slots are in each status (absent: none)."""
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT status, COUNT(*) FROM {_BOOKING} WHERE educator_id = %s GROUP BY status",
            [educator.pk],
        )
        return dict(cursor.fetchall())


# Manage Availability (educator/availability.html, Slot.availability_key): a tab of the
# educator's slots a page at a time with what a row shows, and the tab's count. The ORM's
# querysets (three filters, `.only()` across the course, the past tab's grouped count of
# attendees) cost the page more than a millisecond against a few tenths of SQL;
# tests/test_rows.py checks each tab against `educator_slots` on every database.
_AVAILABILITY_ROW = RowReader(
    (
        Slot,
        fields_of(
            Slot,
            ("id", "course", "starts_at", "ends_at", "capacity", "seats_taken")
            + ("requires_approval", "note", "withdrawn_at", "withdraw_reason"),
        ),
    ),
    (Course, fields_of(Course, ("id", "title"))),
)
# Per tab: which of the educator's slots, their order, and whether a row counts who
# attended (a finished session frees its seats, so "seats taken" says nothing there).
_AVAILABILITY_TABS = {
    "upcoming": (f"{_SLOT}.withdrawn_at IS NULL AND {_SLOT}.ends_at > %s", "", False),
    "past": (f"{_SLOT}.withdrawn_at IS NULL AND {_SLOT}.ends_at <= %s", " DESC", True),
    "withdrawn": (f"{_SLOT}.withdrawn_at IS NOT NULL", " DESC", False),
}


class EducatorSlotRows(PagedRows):
    """A tab of Manage Availability: each a `Slot` with its course, only the fields a row
    shows loaded, and `completed_count` (how many attended) on the past tab."""

    reader = _AVAILABILITY_ROW

    def __init__(self, sql: str, params: list, *, attended: bool):
        super().__init__(sql, params)
        self.attended = attended

    def make(self, row, objects: list) -> Slot:
        slot, course = objects
        slot.course = course if slot.course_id is not None else None
        if self.attended:
            slot.completed_count = row[_AVAILABILITY_ROW.width]
        return slot


def educator_slot_tab(*, educator: User, show: str) -> tuple[EducatorSlotRows, int]:
    """The educator's slots of one Manage Availability tab ("upcoming": not withdrawn and
    not yet over, soonest first; "past": not withdrawn and over, latest first;
    "withdrawn": latest first), to be read a page at a time, and how many there are."""
    condition, direction, attended = _AVAILABILITY_TABS[show]
    where = f" WHERE {_SLOT}.educator_id = %s AND {condition}"
    params = [educator.pk]
    if "%s" in condition:
        params.append(connection.ops.adapt_datetimefield_value(timezone.now()))
    columns, page_params = _AVAILABILITY_ROW.select_list(), params
    if attended:
        columns += (
            f", (SELECT COUNT(*) FROM {_BOOKING} b WHERE b.slot_id = {_SLOT}.id AND b.status = %s)"
        )
        page_params = [BookingStatus.COMPLETED.value, *params]
    sql = (
        f"SELECT {columns} FROM {_SLOT}"
        f" LEFT OUTER JOIN {_COURSE} ON {_COURSE}.id = {_SLOT}.course_id{where}"
        f" ORDER BY {_SLOT}.starts_at{direction}, {_SLOT}.id{direction} LIMIT %s OFFSET %s"
    )
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT COUNT(*) FROM {_SLOT}{where}", params)
        count = cursor.fetchone()[0]
    return EducatorSlotRows(sql, page_params, attended=attended), count


def published_courses() -> QuerySet[Course]:
    return Course.objects.filter(is_published=True).select_related("educator")


def full_slots(*, course: Course | None = None, educator: User | None = None) -> QuerySet[Slot]:
    """Open slots with no seat left: the ones a student can wait for."""
    slots = Slot.objects.open().filter(seats_taken__gte=F("capacity"))
    if course is not None:
        slots = slots.for_course(course)
    if educator is not None:
        slots = slots.for_educator(educator)
    return slots.select_related("educator", "course").order_by("starts_at", "id")


def student_waitlist(*, student: User) -> list[WaitlistEntry]:
    """A student's waiting entries for open slots, each with its `position` (1 = next)."""
    ahead = WaitlistEntry.objects.filter(
        slot=OuterRef("slot"), status=WaitlistStatus.WAITING
    ).filter(
        Q(created_at__lt=OuterRef("created_at"))
        | Q(created_at=OuterRef("created_at"), pk__lt=OuterRef("pk"))
    )
    return list(
        WaitlistEntry.objects.filter(student=student, status=WaitlistStatus.WAITING)
        .filter(slot__starts_at__gt=timezone.now(), slot__withdrawn_at__isnull=True)
        .select_related("slot", "slot__educator", "slot__course")
        .annotate(ahead=Subquery(ahead.values("slot").annotate(n=Count("pk")).values("n")[:1]))
        .order_by("slot__starts_at", "id")
    )


def reschedule_targets(*, booking: Booking) -> QuerySet[Slot]:
    """Where a booking could move: the same educator's and course's bookable slots."""
    slot = booking.slot
    policy = BookingPolicy.for_educator(slot.educator)
    return (
        open_slots(educator=slot.educator, student=booking.student, policy=policy)
        .filter(course_id=slot.course_id)
        .exclude(pk=slot.pk)
    )


def educator_patterns(*, educator: User) -> QuerySet[WeeklyPattern]:
    return WeeklyPattern.objects.filter(educator=educator).select_related("course")
