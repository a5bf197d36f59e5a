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
from django.utils import timezone

from accounts.models import User

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
        mine = Booking.objects.active().filter(slot=OuterRef("pk"), student=student)
        enrolled = Enrollment.objects.filter(course=OuterRef("course"), student=student)
        # `enrol_needed`: a course slot of a course the student is not in (the mentor page
        # shows it with the way to enrol instead of a choice the rules would refuse).
        slots = slots.annotate(
            requested=Exists(mine),
            enrol_needed=ExpressionWrapper(
                Q(course__isnull=False) & ~Exists(enrolled), output_field=BooleanField()
            ),
        )
    return slots.order_by("starts_at", "id")


def mark_for_student(slots: list[Slot], student: User | None, *, enrolled=None) -> list[Slot]:
    """Set `requested` and `enrol_needed` on fetched slots, as `open_slots(student=...)`
    annotates them, with one small query for a page of slots (another for enrolments
    unless `enrolled`, the student's course ids, is known). Cheaper than compiling two
    correlated subqueries into a week's list on every page view."""
    if student is None or not slots:
        return slots
    mine = set(
        Booking.objects.active()
        .filter(student=student, slot_id__in=[slot.pk for slot in slots])
        .values_list("slot_id", flat=True)
    )
    if enrolled is None:
        enrolled = set(
            Enrollment.objects.filter(
                student=student, course_id__in={s.course_id for s in slots if s.course_id}
            ).values_list("course_id", flat=True)
        )
    for slot in slots:
        slot.requested = slot.pk in mine
        slot.enrol_needed = slot.course_id is not None and slot.course_id not in enrolled
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


def student_requests_page(
    *, student: User, status: str | None = None, seen_at: datetime | None = None
) -> QuerySet[Booking]:
    """My Requests in one query: upcoming first (soonest first), then past & closed (latest
    session first). Each booking carries `is_upcoming`, `is_new` (someone else changed it
    after `seen_at`) and `cancelled_by_id` (who cancelled it, from its history)."""
    now = timezone.now()
    changes = BookingEvent.objects.filter(booking=OuterRef("pk")).exclude(actor=student)
    if seen_at is not None:
        changes = changes.filter(created_at__gt=seen_at)
    cancelled_by = BookingEvent.objects.filter(
        booking=OuterRef("pk"), to_status=BookingStatus.CANCELLED
    ).order_by("-created_at", "-id")
    return (
        Booking.objects.for_student(student)
        .with_status(status)
        .with_related()
        .annotate(
            is_upcoming=ExpressionWrapper(upcoming_q(now), output_field=BooleanField()),
            is_new=Exists(changes),
            cancelled_by_id=Subquery(cancelled_by.values("actor_id")[:1]),
        )
        .order_by(
            F("is_upcoming").desc(),
            Case(When(upcoming_q(now), then=F("slot__starts_at"))).asc(),
            F("slot__starts_at").desc(),
            "-id",
        )
    )


def educator_bookings(*, educator: User, status: str | None = None) -> QuerySet[Booking]:
    """Requests on an educator's slots, soonest session first."""
    return (
        Booking.objects.for_educator(educator)
        .with_status(status)
        .with_related()
        .order_by("slot__starts_at", "created_at", "id")
    )


# What a card on Session Requests reads (educator/requests.html, Booking.request_card_key).
REQUEST_CARD_FIELDS = (
    "slot",
    "student",
    "message",
    "status",
    "meeting_link",
    "decision_note",
    "created_at",
    "rescheduled_from",
    "slot__starts_at",
    "slot__ends_at",
    "slot__meeting_link",
    "slot__course__title",
    "student__first_name",
    "student__last_name",
    "student__username",
)


def educator_request_cards(*, educator: User, status: str) -> QuerySet[Booking]:
    """`educator_bookings` with only the columns a request's card shows: no educator row
    (it is the viewer), no course description or user profile."""
    return (
        Booking.objects.for_educator(educator)
        .with_status(status)
        .select_related("slot__course", "student")
        .only(*REQUEST_CARD_FIELDS)
        .order_by("slot__starts_at", "created_at", "id")
    )


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
