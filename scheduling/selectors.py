"""Read queries for pages and the API, with their joins spelled out once."""

from __future__ import annotations

from collections import Counter
from datetime import datetime, timedelta

from django.db.models import (
    BooleanField,
    Case,
    Count,
    Exists,
    ExpressionWrapper,
    F,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    When,
)
from django.db.models.functions import Coalesce, TruncDate
from django.utils import timezone

from accounts.models import User

from . import schedule_cache
from .models import (
    ACTIVE_STATUSES,
    OUTCOME_STATUSES,
    Booking,
    BookingEvent,
    BookingPolicy,
    BookingStatus,
    Course,
    Enrollment,
    Outcome,
    Slot,
    WaitlistEntry,
    WaitlistStatus,
    WeeklyPattern,
)


def policy_of(educator: User) -> BookingPolicy:
    """The educator's policy, from the relation select_related loaded when it did."""
    try:
        return educator.booking_policy
    except BookingPolicy.DoesNotExist:
        return BookingPolicy(educator_id=educator.pk)


def offered_slots(
    *,
    course: Course | None = None,
    educator: User | None = None,
    policy: BookingPolicy | None = None,
) -> QuerySet[Slot]:
    """Slots a booking page may show: not withdrawn, in the future and, given the
    educator's `policy`, what its notice, horizon, buffer and daily maximum allow (the
    services refuse the others). Full ones too: their waitlists stay open."""
    slots = Slot.objects.open()
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
    return slots


def open_slots(
    *,
    course: Course | None = None,
    educator: User | None = None,
    student: User | None = None,
    policy: BookingPolicy | None = None,
) -> QuerySet[Slot]:
    """Bookable slots (`offered_slots` with a seat left), soonest first; see `bookable`."""
    offered = offered_slots(course=course, educator=educator, policy=policy)
    return bookable(offered, student=student)


def bookable(offered: QuerySet[Slot], *, student: User | None = None) -> QuerySet[Slot]:
    """The `offered_slots` with a seat left, soonest first, for a page that reads both.

    Given a `student`, each slot carries `requested`: they already hold an active request
    for it, so a booking page shows it as theirs instead of offering a choice the rules
    would refuse.
    """
    slots = offered.with_seats_left().select_related("educator", "course")
    if student is not None:
        slots = slots.annotate(**_student_marks(student))
    return slots.order_by("starts_at", "id")


def day_counts(slots: QuerySet[Slot], begin: datetime, end: datetime) -> dict:
    """{date: (open, full)} for the days of [begin, end) in the viewer's timezone: how many
    of `slots` start that day with a seat left and without one. One grouped query over
    that range only, however far ahead the slots go (a month overview)."""
    rows = (
        slots.filter(starts_at__gte=begin, starts_at__lt=end)
        .annotate(day=TruncDate("starts_at", tzinfo=timezone.get_current_timezone()))
        .values("day")
        .annotate(
            open_count=Count("pk", filter=Q(seats_taken__lt=F("capacity"))),
            full_count=Count("pk", filter=Q(seats_taken__gte=F("capacity"))),
        )
        .order_by("day")
    )
    return {row["day"]: (row["open_count"], row["full_count"]) for row in rows}


def next_open_start(slots: QuerySet[Slot], after: datetime) -> datetime | None:
    """When the first of `slots` with a seat left starts, at or after `after`."""
    later = slots.with_seats_left().filter(starts_at__gte=after).order_by("starts_at")
    return later.values_list("starts_at", flat=True).first()


def student_standing(student: User, educator_id: int) -> tuple[frozenset, frozenset]:
    """The slots of the educator the student holds an active request for, and the
    educator's courses they are enrolled in: what their marks on its times come from."""
    mine = Booking.objects.filter(student=student, educator_id=educator_id).order_by()
    enrolled = Enrollment.objects.filter(student=student, course__educator_id=educator_id)
    return (
        frozenset(mine.filter(status__in=ACTIVE_STATUSES).values_list("slot_id", flat=True)),
        frozenset(enrolled.order_by().values_list("course_id", flat=True)),
    )


def mark_for_student(slots: list[Slot], standing: tuple[frozenset, frozenset]) -> list[Slot]:
    """Set on slots read for every viewer what `bookable(..., student=)` annotates,
    `requested` and `enrol_needed`, from the student's `student_standing`."""
    requested, enrolled_in = standing
    for slot in slots:
        slot.requested = slot.pk in requested
        slot.enrol_needed = slot.course_id is not None and slot.course_id not in enrolled_in
    return slots


def _student_marks(student: User) -> dict:
    """`requested` (the student holds an active request for the slot) and `enrol_needed` (a
    course slot of a course they are not in: the mentor page shows the way to enrol instead
    of a choice the rules would refuse)."""
    enrolled = Enrollment.objects.filter(course=OuterRef("course"), student=student)
    return {
        "requested": Exists(
            Booking.objects.filter(slot=OuterRef("pk"), student=student, status__in=ACTIVE_STATUSES)
        ),
        "enrol_needed": ExpressionWrapper(
            Q(course__isnull=False) & ~Exists(enrolled), output_field=BooleanField()
        ),
    }


def course_page_course(course_id: int) -> Course | None:
    """The course with `educator` and `educator.booking_policy` loaded (the booking page
    reads all three on every GET and POST), remembered under the educator's profile
    version (a course, its educator or the policy saved forgets it); None when there is no
    such course. `schedule_version` on it is the educator's schedule version read with it
    ("" when there is none yet), for the page's other remembered answers."""
    courses = Course.objects.filter(pk=course_id)
    course, version = schedule_cache.remembered_by_key(
        schedule_cache.COURSE_PAGE_KEY.format(course_id),
        educator_of=lambda: courses.values_list("educator_id", flat=True).first(),
        compute=lambda: (
            courses.select_related("educator__booking_policy").defer("educator__password").first()
        ),
    )
    if course is not None:
        course.schedule_version = version
    return course


def slot_to_book(slot_id: int, *, course_id: int | None = None, educator_id: int | None = None):
    """The slot a booking form names, if it is one of the course's (or the educator's):
    only its id, educator and course loaded (the booking service reads the rest under its
    lock); None when there is no such slot there."""
    within = {"course_id": course_id} if course_id is not None else {"educator_id": educator_id}
    return Slot.objects.only("id", "educator", "course").filter(pk=slot_id, **within).first()


def course_to_list(course_id: int) -> Course | None:
    """The course whose slots a list shows, with only what decides who may see it
    (`Course.is_visible_to`) loaded; None when there is none."""
    return Course.objects.only("id", "educator", "is_published").filter(pk=course_id).first()


# What a row of the course slots API shows (`.values()` keys).
OPEN_SLOT_VALUES = (
    *("id", "educator_id", "course_id", "starts_at", "ends_at", "capacity", "seats_taken"),
    *("requires_approval", "meeting_link", "note", "withdrawn_at"),
    *("educator__username", "educator__first_name", "educator__last_name", "course__title"),
)


def open_course_slots(course_id: int, now: datetime | None = None) -> QuerySet:
    """A course's open slots with seats left (as `open_slots(course=...)`) at `now`,
    soonest first, as `.values()` rows with the educator's names and the course title."""
    return (
        Slot.objects.open(now)
        .with_seats_left()
        .filter(course_id=course_id)
        .order_by("starts_at", "id")
        .values(*OPEN_SLOT_VALUES)
    )


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


# What a request's card on My Requests reads (student/_booking_card.html, Booking.card_key).
_CARD_FIELDS = (
    *("id", "slot", "student", "status", "message", "meeting_link", "decision_note"),
    *("outcome", "disputed_at"),
    *("slot__starts_at", "slot__ends_at", "slot__withdrawn_at", "slot__educator", "slot__course"),
    *("slot__educator__username", "slot__educator__first_name", "slot__educator__last_name"),
    "slot__course__title",
)


def _changed_by_others(student: User, seen_at: datetime | None) -> Subquery:
    """The first history event of the booking by someone other than `student` (or by the
    system) after `seen_at`, as the navigation badge counts them; None when there is none.

    A scalar subquery, not EXISTS: PostgreSQL plans an EXISTS here as a hash over the whole
    history table (all bookings' events, 21,000 rows at scale 10: 14 ms a page), where this
    looks up the page's ten bookings through the history index."""
    events = BookingEvent.objects.filter(booking=OuterRef("pk")).filter(
        Q(actor__isnull=True) | ~Q(actor_id=student.pk)
    )
    if seen_at is not None:
        events = events.filter(created_at__gt=seen_at)
    return Subquery(events.values("pk")[:1])


def student_requests_page(
    *, student: User, status: str | None = None, seen_at: datetime | None = None
) -> QuerySet[Booking]:
    """My Requests in one query a page: upcoming first (soonest first), then past & closed
    (latest session first). Each booking carries `is_upcoming`, `is_new` (someone else
    changed it after `seen_at`) and `cancelled_by_id` (who cancelled it, from its history)."""
    upcoming = upcoming_q(timezone.now())
    cancelled_by = BookingEvent.objects.filter(
        booking=OuterRef("pk"), to_status=BookingStatus.CANCELLED
    ).order_by("-created_at", "-id")
    return (
        Booking.objects.filter(student=student)
        .with_status(status)
        .select_related("slot__educator", "slot__course")
        .only(*_CARD_FIELDS)
        .alias(changed_event=_changed_by_others(student, seen_at))
        .annotate(
            is_upcoming=ExpressionWrapper(upcoming, output_field=BooleanField()),
            is_new=ExpressionWrapper(Q(changed_event__isnull=False), output_field=BooleanField()),
            cancelled_by_id=Subquery(cancelled_by.values("actor_id")[:1]),
        )
        .order_by(
            F("is_upcoming").desc(),
            Case(When(upcoming, then="slot__starts_at")).asc(),
            F("slot__starts_at").desc(),
            F("id").desc(),
        )
    )


def student_request_counts(*, student: User, status: str, seen_at: datetime | None) -> dict:
    """My Requests' tab numbers in one query: how many requests in `all` and in each status,
    `upcoming` (within the `status` tab, "" for all) and `new`: how many requests someone
    else changed since `seen_at` (the navigation badge's number)."""
    rows = (
        Booking.objects.filter(student=student)
        .alias(changed_event=_changed_by_others(student, seen_at))
        .values("status")
        .annotate(
            n=Count("pk"),
            upcoming=Count("pk", filter=Q(slot__ends_at__gt=timezone.now())),
            new=Count("pk", filter=Q(changed_event__isnull=False)),
        )
        .order_by()
    )
    counts = dict.fromkeys(("all", "upcoming", "new", *BookingStatus.values), 0)
    for row in rows:
        value = row["status"]
        counts[value] = row["n"]
        counts["all"] += row["n"]
        counts["new"] += row["new"]
        if value in ACTIVE_STATUSES and status in ("", value):
            counts["upcoming"] += row["upcoming"]
    return counts


def educator_bookings(*, educator: User, status: str | None = None) -> QuerySet[Booking]:
    """Requests on an educator's slots, soonest session first."""
    return (
        Booking.objects.for_educator(educator)
        .with_status(status)
        .with_related()
        .order_by("slot__starts_at", "created_at", "id")
    )


CLOSED_REQUEST_STATUSES = (
    BookingStatus.COMPLETED,
    BookingStatus.REJECTED,
    BookingStatus.CANCELLED,
)
# What a card on Session Requests reads (educator/requests.html, Booking.request_card_key):
# no educator row (it is the viewer), no course description or user profile.
_REQUEST_CARD_FIELDS = (
    *("id", "slot", "student", "message", "status", "meeting_link", "decision_note"),
    *("created_at", "rescheduled_from", "outcome", "disputed_at"),
    *("slot__starts_at", "slot__ends_at", "slot__meeting_link", "slot__course"),
    *("slot__course__title", "student__username", "student__first_name", "student__last_name"),
)


def educator_request_cards(*, educator: User, status: str) -> QuerySet[Booking]:
    """The cards of one Session Requests tab: open requests soonest session first (then
    oldest request first), closed ones latest session first."""
    if status in CLOSED_REQUEST_STATUSES:
        order = ("-slot__starts_at", "-id")
    else:
        order = ("slot__starts_at", "created_at", "id")
    return _request_cards(educator).filter(status=status).order_by(*order)


def educator_request_card(*, educator: User, booking_id: int) -> Booking:
    """One card of Session Requests as its tab shows it (answered in place with htmx)."""
    return _request_cards(educator).get(pk=booking_id)


def _request_cards(educator: User) -> QuerySet[Booking]:
    return (
        Booking.objects.filter(educator=educator)
        .select_related("slot__course", "student")
        .only(*_REQUEST_CARD_FIELDS)
        .annotate(**_student_attendance(educator))
    )


def _student_attendance(educator: User) -> dict:
    """`student_sessions` (the card's student's sessions with this educator that started:
    approved or completed) and `student_no_shows` (how many of them were marked no-show),
    for "Missed 2 of 9 sessions" on the card."""
    started = Booking.objects.filter(
        educator=educator,
        student=OuterRef("student"),
        status__in=OUTCOME_STATUSES,
        slot__starts_at__lte=timezone.now(),
    ).order_by()

    def count(bookings):
        return Coalesce(
            Subquery(bookings.values("student").annotate(n=Count("pk")).values("n")[:1]), 0
        )

    return {
        "student_sessions": count(started),
        "student_no_shows": count(started.filter(outcome=Outcome.NO_SHOW)),
    }


def educator_request_counts(*, educator: User) -> dict[str, int]:
    """How many requests on the educator's slots are in each status (absent: none)."""
    rows = Booking.objects.filter(educator=educator).values("status").annotate(n=Count("pk"))
    return {row["status"]: row["n"] for row in rows.order_by()}


# What a row of Manage Availability reads (educator/availability.html, Slot.availability_key).
_AVAILABILITY_FIELDS = (
    *("id", "course", "starts_at", "ends_at", "capacity", "seats_taken"),
    *("requires_approval", "note", "withdrawn_at", "withdraw_reason", "course__title"),
)


def educator_slot_tab(*, educator: User, show: str) -> tuple[QuerySet[Slot], int]:
    """The educator's slots of one Manage Availability tab ("upcoming": not withdrawn and
    not yet over, soonest first; "past": not withdrawn and over, latest first, each with
    `completed_count`, how many attended (a finished session frees its seats, so "seats
    taken" says nothing there); "withdrawn": latest first), and how many there are."""
    slots = Slot.objects.filter(educator=educator)
    if show == "withdrawn":
        slots = slots.filter(withdrawn_at__isnull=False).order_by("-starts_at", "-id")
    elif show == "past":
        slots = slots.filter(withdrawn_at__isnull=True).past().order_by("-starts_at", "-id")
    else:
        slots = slots.filter(withdrawn_at__isnull=True).upcoming().order_by("starts_at", "id")
    count = slots.count()
    rows = slots.select_related("course").only(*_AVAILABILITY_FIELDS)
    if show == "past":
        completed = Booking.objects.filter(slot=OuterRef("pk"), status=BookingStatus.COMPLETED)
        rows = rows.annotate(
            completed_count=Coalesce(
                Subquery(completed.order_by().values("slot").annotate(n=Count("pk")).values("n")),
                0,
            )
        )
    return rows, count


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
