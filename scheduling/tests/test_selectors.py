"""The read queries pages and the API are built on: what each offers, in which order, and
in how many queries."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import AnonymousUser
from django.db import connection
from django.test.utils import CaptureQueriesContext

from scheduling import schedule_cache, selectors
from scheduling.models import BookingPolicy, Course, Enrollment, Slot
from scheduling.tests.factories import CourseFactory

pytestmark = pytest.mark.django_db


def _same(fast, orm, *, deferred=frozenset()) -> None:
    assert type(fast) is type(orm)
    for field in type(orm)._meta.concrete_fields:
        if field.attname in deferred:
            assert field.attname not in fast.__dict__  # not read, nor kept in the cache
            continue
        assert getattr(fast, field.attname) == getattr(orm, field.attname), field.name
        assert type(getattr(fast, field.attname)) is type(getattr(orm, field.attname))
    assert fast._state.adding is False and fast._state.db == orm._state.db


@pytest.mark.parametrize("with_policy", [True, False])
def test_the_course_page_course_reads_as_select_related_reads_it(educator, with_policy):
    course = CourseFactory(educator=educator, description="Graphs.\nAnd trees.")
    if with_policy:
        BookingPolicy.objects.create(educator=educator, min_notice_hours=5, daily_max=2)
    orm = Course.objects.select_related("educator__booking_policy").get(pk=course.pk)
    selectors.course_page_course(course.pk)  # remembered
    with CaptureQueriesContext(connection) as queries:
        fast = selectors.course_page_course(course.pk)
        _same(fast, orm)
        _same(fast.educator, orm.educator, deferred={"password"})
        policy = selectors.policy_of(fast.educator)
    # Only the cache: the course's entry, its educator's schedule version.
    assert len(queries) == 2 and all("mentoring_cache" in q["sql"] for q in queries)
    assert fast.schedule_version == schedule_cache.schedule_version(educator.pk)
    if with_policy:
        _same(policy, orm.educator.booking_policy)
        assert policy.educator is fast.educator
    else:
        assert policy.pk is None and policy.educator_id == educator.pk
        with pytest.raises(BookingPolicy.DoesNotExist):
            fast.educator.booking_policy  # noqa: B018 - as select_related leaves it


@pytest.mark.parametrize("course_id", [987654, 2**63, 10**20, -(2**63) - 1])
def test_no_such_course_is_none(student, course_id):
    assert selectors.course_page_course(course_id) is None


@pytest.mark.parametrize("path", ["/course/{}/book-session", "/course/{}/enroll"])
def test_a_course_id_past_64_bits_is_a_404_not_a_500(client, student, path):
    client.force_login(student)
    url = path.format(10**20)
    assert client.get(url).status_code in (404, 405)
    assert client.post(url, {"slot": 1, "message": "Hi"}).status_code == 404


def test_a_courses_open_slots_are_those_with_a_seat_left_soonest_first(educator, other_educator):
    from datetime import timedelta

    from django.utils import timezone

    from scheduling import services
    from scheduling.api.availability_api import SLOT_DATA_FIELDS
    from scheduling.models import Slot
    from scheduling.tests.factories import BookingFactory, SlotFactory

    course, other = CourseFactory(educator=educator), CourseFactory(educator=other_educator)
    slots = [
        SlotFactory(educator=educator, course=course, capacity=c, note=f"n{c}") for c in (1, 2, 3)
    ]
    slots += [SlotFactory(educator=educator, course=course, requires_approval=False,
                          meeting_link="https://meet.example/x") for _ in range(4)]  # fmt: skip
    BookingFactory(slot=slots[0])  # full: not open
    BookingFactory(slot=slots[1])  # a seat left: open
    services.slot_withdraw(slot=slots[2], by=educator, reason="Ill")
    SlotFactory(educator=other_educator, course=other)  # another course
    past = SlotFactory(educator=educator, course=course)
    Slot.objects.filter(pk=past.pk).update(
        starts_at=timezone.now() - timedelta(hours=2), ends_at=timezone.now() - timedelta(hours=1)
    )
    same_time = slots[3].starts_at  # ties ordered by id
    Slot.objects.filter(pk=slots[4].pk).update(starts_at=same_time)

    rows = selectors.open_course_slots(course.pk)
    assert rows.count() == 5
    expected = [slots[1], *slots[3:]]  # not full, not withdrawn, not past, ties by id
    expected.sort(key=lambda slot: (Slot.objects.get(pk=slot.pk).starts_at, slot.pk))
    for start, stop in ((0, 50), (0, 2), (2, 4), (4, 10), (9, 12)):
        page = list(rows[start:stop])
        assert [row["id"] for row in page] == [slot.pk for slot in expected[start:stop]]
        for row in page:
            assert set(row) == set(SLOT_DATA_FIELDS)
            assert row["educator__username"] == educator.username
            assert row["course__title"] == course.title


def test_an_educators_policy_reads_as_the_orm_reads_it(educator, other_educator):
    policy = BookingPolicy.objects.create(
        educator=educator, min_notice_hours=5, horizon_days=30, buffer_minutes=10, daily_max=2
    )
    orm = BookingPolicy.objects.get(educator=educator)
    with CaptureQueriesContext(connection) as queries:
        by_user, by_id = (
            BookingPolicy.for_educator(educator),
            BookingPolicy.for_educator(educator.pk),
        )
    assert len(queries) == 2
    _same(by_user, orm)
    _same(by_id, orm)
    assert by_id.pk == policy.pk
    defaults = BookingPolicy.for_educator(other_educator)  # none saved: the defaults, unsaved
    assert defaults.pk is None and defaults._state.adding
    assert defaults.educator_id == other_educator.pk and defaults.daily_max == 0


def _card(slot) -> tuple:
    """What a week's card reads of a slot, and which of its fields were left unread."""
    return (
        slot.card_key,
        slot.course,
        slot.educator_id,
        bool(slot.requested),
        bool(slot.enrol_needed),
        slot.get_deferred_fields(),
        slot._state.adding,
    )


@pytest.mark.parametrize(("notice", "horizon"), [(0, 0), (30, 0), (0, 5), (30, 10)])
@pytest.mark.parametrize("enrolled", [True, False])
def test_a_booking_pages_week_offers_what_the_policy_allows_with_the_students_marks(
    educator, student, other_student, notice, horizon, enrolled
):
    from datetime import timedelta

    from django.db.models import F
    from django.utils import timezone

    from scheduling import services
    from scheduling.models import Booking, Slot
    from scheduling.tests.factories import SlotFactory
    from scheduling.views.utils import QuerysetWeekSource

    course, other = CourseFactory(educator=educator), CourseFactory(educator=educator)
    if enrolled:
        Enrollment.objects.create(student=student, course=course)
    policy = BookingPolicy.objects.create(
        educator=educator, min_notice_hours=notice, horizon_days=horizon
    )
    now = timezone.now().replace(microsecond=0)
    hours = (2, 20, 40, 60, 100, 150, 200, 300)
    slots = [
        SlotFactory(
            educator=educator, course=course, starts_at=now + timedelta(hours=h), capacity=2
        )
        for h in hours
    ]
    SlotFactory(educator=educator, course=other, starts_at=now + timedelta(hours=41))
    Booking.objects.create(slot=slots[2], student=student, status="pending")  # requested
    Slot.objects.filter(pk=slots[2].pk).update(seats_taken=1)
    Slot.objects.filter(pk=slots[3].pk).update(seats_taken=F("capacity"))  # full
    services.slot_withdraw(slot=slots[4], by=educator, reason="Ill")
    past = SlotFactory(educator=educator, course=course, starts_at=now + timedelta(hours=400))
    Slot.objects.filter(pk=past.pk).update(
        starts_at=now - timedelta(hours=3), ends_at=now - timedelta(hours=2)
    )

    fast = QuerysetWeekSource(
        selectors.open_slots(course=course, student=student, policy=policy), course=course
    )
    assert fast.first_start() is not None
    assert fast.exists() is True
    for start, end in ((0, 24), (0, 24 * 30), (50, 250), (1, 3), (500, 600)):
        window = (now + timedelta(hours=start), now + timedelta(hours=end))
        with CaptureQueriesContext(connection) as queries:
            cards = [_card(slot) for slot in fast.starting_between(*window)]
        assert all(card[1] == course for card in cards)
        assert len(queries) == 1  # nothing deferred was read afterwards
    marks = {
        slot.pk: (slot.requested, slot.enrol_needed)
        for slot in fast.starting_between(now, now + timedelta(days=30))
    }
    offered = [
        slot.pk
        for slot, h in zip(slots, hours, strict=True)
        if h >= notice and (not horizon or h <= horizon * 24) and slot not in slots[3:5]
    ]  # slots[3] is full, slots[4] withdrawn
    assert list(marks) == offered
    for pk, mark in marks.items():
        assert mark == (pk == slots[2].pk, not enrolled)


def test_session_requests_cards_and_counts_read_as_educator_bookings_reads_them(
    educator, other_educator
):
    from collections import Counter
    from datetime import timedelta

    from django.utils import timezone

    from scheduling import services
    from scheduling.models import Booking, Slot
    from scheduling.tests.factories import BookingFactory, SlotFactory, StudentFactory

    course = CourseFactory(educator=educator, title="Graphs")
    slots = [SlotFactory(educator=educator, course=course, capacity=3) for _ in range(4)]
    slots.append(SlotFactory(educator=educator, capacity=3))  # no course
    students = [StudentFactory(first_name=f"S{i}") for i in range(3)]
    for slot in slots:
        for student in students[:2]:
            BookingFactory(slot=slot, student=student, message=f"Hi {slot.pk}")
    BookingFactory(slot=SlotFactory(educator=other_educator), student=students[2])  # not theirs
    pending = list(Booking.objects.filter(educator=educator).order_by("pk"))
    services.booking_approve(booking=pending[0], by=educator, meeting_link="https://m.example/a")
    services.booking_reject(booking=pending[1], by=educator, reason="Full week")
    services.booking_cancel(booking=pending[2], by=pending[2].student, reason="Ill")
    approved = pending[3]
    services.booking_approve(booking=approved, by=educator, meeting_link="https://m.example/b")
    Slot.objects.filter(pk=approved.slot_id).update(  # held: it can be completed
        starts_at=timezone.now() - timedelta(hours=2), ends_at=timezone.now() - timedelta(hours=1)
    )
    services.booking_complete(booking=Booking.objects.get(pk=approved.pk), by=educator)

    counts = selectors.educator_request_counts(educator=educator)
    orm_counts = Counter(Booking.objects.for_educator(educator).values_list("status", flat=True))
    assert counts == dict(orm_counts) and set(counts) == {
        "pending", "approved", "rejected", "cancelled", "completed"
    }  # fmt: skip
    for status in ("pending", "approved", "completed", "rejected", "cancelled"):
        orm = selectors.educator_bookings(educator=educator, status=status)
        if status in ("completed", "rejected", "cancelled"):
            orm = orm.order_by("-slot__starts_at", "-id")
        # The key's last two: the cards' own annotations (the student's sessions and
        # no-shows with this educator), checked against plain counts below.
        want = [(b.pk, b.request_card_key[:-2]) for b in orm]
        cards = selectors.educator_request_cards(educator=educator, status=status)
        for start, stop in ((0, 20), (0, 1), (1, 3), (5, 9)):
            with CaptureQueriesContext(connection) as queries:
                got = [(b.pk, b.request_card_key[:-2]) for b in cards[start:stop]]
            assert got == want[start:stop], status
            assert len(queries) == (1 if stop > start else 0)  # nothing deferred read later
        for card in cards:
            started = Booking.objects.filter(
                educator=educator,
                student=card.student,
                status__in=("approved", "completed"),
                slot__starts_at__lte=timezone.now(),
            )
            assert card.student_sessions == started.count()
            assert card.student_no_shows == started.filter(outcome="no_show").count()


def test_availability_tabs_read_as_educator_slots_reads_them(educator, other_educator, student):
    from datetime import timedelta

    from django.db.models import Count, Q
    from django.utils import timezone

    from scheduling import services
    from scheduling.models import Booking, BookingStatus, Slot
    from scheduling.tests.factories import BookingFactory, SlotFactory

    course = CourseFactory(educator=educator, title="Graphs")
    slots = [SlotFactory(educator=educator, course=course, capacity=2) for _ in range(6)]
    slots += [SlotFactory(educator=educator, note="Open to all") for _ in range(3)]
    SlotFactory(educator=other_educator)  # not theirs
    for slot in slots[:4]:
        BookingFactory(slot=slot, student=student)
    services.slot_withdraw(slot=slots[5], by=educator, reason="Ill")
    services.slot_withdraw(slot=slots[8], by=educator, reason="")
    now = timezone.now()
    for n, slot in enumerate(slots[:3]):  # over: two of them held with an attendee
        Slot.objects.filter(pk=slot.pk).update(
            starts_at=now - timedelta(hours=10 - n), ends_at=now - timedelta(hours=9 - n)
        )
    Booking.objects.filter(slot__in=slots[:2]).update(status=BookingStatus.COMPLETED)

    upcoming = selectors.educator_slots(educator=educator, upcoming=True)
    past = selectors.educator_slots(educator=educator, upcoming=False)
    orm = {
        "upcoming": upcoming.filter(withdrawn_at__isnull=True),
        "past": past.filter(withdrawn_at__isnull=True).annotate(
            completed_count=Count("bookings", filter=Q(bookings__status=BookingStatus.COMPLETED))
        ),
        "withdrawn": Slot.objects.for_educator(educator)
        .filter(withdrawn_at__isnull=False)
        .order_by("-starts_at", "-id"),
    }
    sizes = {"upcoming": 4, "past": 3, "withdrawn": 2}
    for show, queryset in orm.items():
        want = [
            (s.availability_key, s.course, getattr(s, "completed_count", None)) for s in queryset
        ]
        rows, count = selectors.educator_slot_tab(educator=educator, show=show)
        assert count == len(want) == sizes[show]
        for start, stop in ((0, 10), (0, 1), (1, 3), (3, 9)):
            with CaptureQueriesContext(connection) as queries:
                got = [
                    (s.availability_key, s.course, getattr(s, "completed_count", None))
                    for s in rows[start:stop]
                ]
            assert got == want[start:stop], show
            assert len(queries) == 1  # nothing deferred read later
    past_rows, _ = selectors.educator_slot_tab(educator=educator, show="past")
    assert [s.completed_count for s in past_rows[0:10]] == [0, 1, 1]  # latest first


def test_the_course_a_slot_list_shows_reads_who_may_see_it(educator, other_educator, student):

    published = CourseFactory(educator=educator, is_published=True)
    draft = CourseFactory(educator=educator, is_published=False)
    for course in (published, draft):
        listed = selectors.course_to_list(course.pk)
        assert (listed.pk, listed.educator_id, listed.is_published) == (
            course.pk, educator.pk, course.is_published
        )  # fmt: skip
        assert listed.get_deferred_fields() >= {"title", "description"}
    assert selectors.course_to_list(draft.pk + 1000) is None
    assert selectors.course_to_list(10**20) is None
    draft_row = selectors.course_to_list(draft.pk)
    assert [draft_row.is_visible_to(u) for u in (educator, other_educator, student)] == [
        True, False, False
    ]  # fmt: skip
    assert not draft_row.is_visible_to(AnonymousUser())
    assert selectors.course_to_list(published.pk).is_visible_to(AnonymousUser())


# Ties, boundaries and timezones: where a hand-written query could differ from its
# queryset without the tests above noticing.


def test_ties_in_the_request_tabs_break_as_the_orm_breaks_them(educator):
    from django.utils import timezone

    from scheduling.models import Booking, BookingStatus, Slot
    from scheduling.tests.factories import BookingFactory, SlotFactory, StudentFactory

    course = CourseFactory(educator=educator)
    slots = [SlotFactory(educator=educator, course=course, capacity=10) for _ in range(3)]
    students = [StudentFactory() for _ in range(4)]
    for slot in slots:
        for student in students:
            BookingFactory(slot=slot, student=student)
    first = slots[0]
    Slot.objects.filter(pk__in=[s.pk for s in slots]).update(  # the same time: a tie
        starts_at=first.starts_at, ends_at=first.ends_at
    )
    ids = list(
        Booking.objects.filter(educator=educator).order_by("pk").values_list("pk", flat=True)
    )
    Booking.objects.filter(pk__in=ids).update(created_at=timezone.now())  # a tie too
    statuses = ["pending", "rejected", "cancelled", "completed"]
    for n, pk in enumerate(ids):
        Booking.objects.filter(pk=pk).update(status=statuses[n % 4])
    for status in statuses:
        orm = selectors.educator_bookings(educator=educator, status=status)
        if status != BookingStatus.PENDING:
            orm = orm.order_by("-slot__starts_at", "-id")
        want = [b.pk for b in orm]
        assert len(want) == 3
        cards = selectors.educator_request_cards(educator=educator, status=status)
        for start, stop in ((0, 2), (1, 3), (0, 10), (2, 5)):
            assert [c.pk for c in cards[start:stop]] == want[start:stop], status


def test_ties_in_the_availability_tabs_break_as_the_orm_breaks_them(educator):
    from datetime import timedelta

    from django.utils import timezone

    from scheduling.models import Slot
    from scheduling.tests.factories import SlotFactory

    slots = [SlotFactory(educator=educator) for _ in range(9)]
    now, hour = timezone.now(), timedelta(hours=1)

    def move(group, **changes):
        Slot.objects.filter(pk__in=[s.pk for s in group]).update(**changes)

    move(slots[:3], starts_at=now - 3 * hour, ends_at=now - 2 * hour)
    move(slots[3:6], starts_at=now + 3 * hour, ends_at=now + 4 * hour)
    move(slots[6:], withdrawn_at=now, starts_at=now + 3 * hour, ends_at=now + 4 * hour)
    orm = {
        "upcoming": selectors.educator_slots(educator=educator, upcoming=True),
        "past": selectors.educator_slots(educator=educator, upcoming=False),
        "withdrawn": Slot.objects.for_educator(educator).order_by("-starts_at", "-id"),
    }
    for show, queryset in orm.items():
        queryset = queryset.filter(withdrawn_at__isnull=show != "withdrawn")
        want = [s.pk for s in queryset]
        rows, count = selectors.educator_slot_tab(educator=educator, show=show)
        assert count == len(want) == 3
        for start, stop in ((0, 2), (1, 3), (0, 10)):
            assert [s.pk for s in rows[start:stop]] == want[start:stop], show


def test_a_booking_weeks_notice_and_horizon_hold_at_their_boundaries(educator, student):
    from datetime import timedelta
    from unittest import mock

    from django.utils import timezone

    from scheduling.tests.factories import SlotFactory
    from scheduling.views.utils import QuerysetWeekSource

    course = CourseFactory(educator=educator)
    Enrollment.objects.create(student=student, course=course)
    policy = BookingPolicy.objects.create(educator=educator, min_notice_hours=5, horizon_days=2)
    now = timezone.now().replace(microsecond=123456)
    for hours in (5, 48, 6, 47):  # exactly at the notice and at the horizon, and inside
        SlotFactory(educator=educator, course=course, starts_at=now + timedelta(hours=hours))
    window = (now - timedelta(days=1), now + timedelta(days=9))
    # A moment later the 5 h slot is inside the notice; a second earlier the 48 h one is
    # past the horizon.
    cases = {timedelta(0): (5, 6, 47, 48), timedelta(microseconds=1): (6, 47, 48)}
    cases[timedelta(seconds=-1)] = (5, 6, 47)
    for shift, offered in cases.items():
        with mock.patch("django.utils.timezone.now", return_value=now + shift):
            week = QuerysetWeekSource(
                selectors.open_slots(course=course, student=student, policy=policy), course=course
            )
            got = [s.starts_at - now for s in week.starting_between(*window)]
        assert got == [timedelta(hours=h) for h in offered], shift


@pytest.mark.parametrize("zone", ["Pacific/Auckland", "America/Los_Angeles"])
def test_a_booking_week_groups_slots_by_the_viewers_days(educator, student, zone):
    from datetime import timedelta

    from django.utils import timezone

    from scheduling.tests.factories import SlotFactory
    from scheduling.views.utils import week_context

    course = CourseFactory(educator=educator)
    policy = BookingPolicy(educator=educator)
    base = timezone.now() + timedelta(days=2)
    for hours in range(0, 24 * 8, 3):
        SlotFactory(educator=educator, course=course, starts_at=base + timedelta(hours=hours))

    def week(source, start):
        context = week_context(start, source, course=course)
        days = [(day, [s.pk for s in slots]) for day, slots in context["week_days"]]
        return context["week_key"], context["week_start"], days, context["week_count"]

    with timezone.override(zone):
        for start in (None, timezone.localdate() + timedelta(days=3)):
            slots = selectors.open_slots(course=course, student=student, policy=policy)
            _key, first, days, count = week(slots, start)
            assert count > 0 and days[0][0] == first
            for day, pks in days:  # each slot under its own day in the viewer's zone
                for pk in pks:
                    starts_at = Slot.objects.get(pk=pk).starts_at
                    assert timezone.localtime(starts_at).date() == day


def test_the_slot_a_booking_form_names_is_read_within_its_course_or_educator(
    educator, other_educator
):
    from scheduling.tests.factories import SlotFactory

    course, other = CourseFactory(educator=educator), CourseFactory(educator=other_educator)
    mine = SlotFactory(educator=educator, course=course)
    loose = SlotFactory(educator=educator)  # no course
    theirs = SlotFactory(educator=other_educator, course=other)
    found = selectors.slot_to_book(mine.pk, course_id=course.pk)
    assert (found.pk, found.educator_id, found.course_id) == (mine.pk, educator.pk, course.pk)
    assert found.get_deferred_fields() >= {"starts_at", "capacity", "seats_taken"}
    assert selectors.slot_to_book(theirs.pk, course_id=course.pk) is None
    assert selectors.slot_to_book(loose.pk, course_id=course.pk) is None
    assert selectors.slot_to_book(loose.pk, educator_id=educator.pk).pk == loose.pk
    assert selectors.slot_to_book(mine.pk, educator_id=educator.pk).pk == mine.pk
    assert selectors.slot_to_book(theirs.pk, educator_id=educator.pk) is None
    for missing in (theirs.pk + 1000, 10**20, -(2**63) - 1):
        assert selectors.slot_to_book(missing, course_id=course.pk) is None


@pytest.mark.parametrize("sent", ["", "abc", "1.5", str(10**20), "{other}", "{missing}"])
def test_a_booking_form_refuses_a_slot_it_does_not_offer(student, educator, other_educator, sent):
    from scheduling.forms import BookingRequestForm
    from scheduling.tests.factories import SlotFactory

    course, other = CourseFactory(educator=educator), CourseFactory(educator=other_educator)
    foreign = SlotFactory(educator=other_educator, course=other)
    value = sent.format(other=foreign.pk, missing=foreign.pk + 1000)
    form = BookingRequestForm({"slot": value, "message": "Hi"}, within={"course_id": course.pk})
    assert not form.is_valid()
    expected = "Choose a time." if sent == "" else "That time is no longer available; pick another."
    assert form.errors["slot"] == [expected]
