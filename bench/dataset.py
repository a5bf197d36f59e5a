"""A realistic, deterministic load data set, written in bulk (`seed_demo --scale N`).

At N=1: 20 educators (one course each), 200 students, 13,000 slots (650 per educator over
150 days around today), 2,000 session requests in every status. N=10 is ten times the
people, slots and requests; the people the benchmark looks at keep the same load at every
scale, so their pages can be compared across scales:

- `load-e0000`, whose course is the busy one and who gets ~100 requests;
- `load-s0000`, a student with 70 requests.

Rows go in with bulk_create (no services, no mail): seat counts, enrolments and history
are written consistent with what the services would have made.
"""

from __future__ import annotations

import random
from datetime import UTC, datetime, time, timedelta

from django.contrib.auth.hashers import make_password
from django.db import transaction
from django.utils import timezone

from accounts.models import User
from scheduling.models import ACTIVE_STATUSES, Booking, BookingEvent, Course, Enrollment, Slot

PREFIX = "load-"
BUSY_EDUCATOR = f"{PREFIX}e0000"
BUSY_STUDENT = f"{PREFIX}s0000"
PASSWORD = "mentoring-load"
EDUCATORS, STUDENTS, REQUESTS = 20, 200, 2000
BUSY_STUDENT_REQUESTS = 70
DAYS_BEFORE, DAYS_AFTER = 60, 90
HOURS = (9, 11, 13, 15)  # plus 17:00 every third day: 650 slots per educator
TIMEZONES = ("UTC", "Europe/London", "Europe/Berlin", "America/New_York", "Asia/Kolkata")
BATCH = 2000


def exists() -> bool:
    return User.objects.filter(username=BUSY_EDUCATOR).exists()


# A few rows of each kind, for tests and the benchmark's smoke test (`tiny=True`).
TINY = {"educators": 3, "students": 12, "requests": 120, "days_before": 7, "days_after": 21}


def build(scale: int, *, tiny: bool = False, seed: int = 12) -> dict[str, int]:
    """Write the data set for `scale`; returns the row counts. Call on a database without it."""
    rng = random.Random(seed)
    now = timezone.now()
    midnight = datetime.combine(now.date(), time(0), tzinfo=UTC)
    password = make_password(PASSWORD, salt="loaddataset")  # one hash: same for everyone
    sizes = TINY if tiny else {}
    n_edu = sizes.get("educators", EDUCATORS) * scale
    n_stu = sizes.get("students", STUDENTS) * scale
    n_req = sizes.get("requests", REQUESTS) * scale
    days_before = sizes.get("days_before", DAYS_BEFORE)
    days_after = sizes.get("days_after", DAYS_AFTER)
    busy_requests = min(BUSY_STUDENT_REQUESTS, n_req // 4)
    with transaction.atomic():
        educators = User.objects.bulk_create(
            [
                User(
                    username=f"{PREFIX}e{i:04d}",
                    role=User.Role.EDUCATOR,
                    first_name=f"Educator{i}",
                    last_name="Load",
                    email=f"{PREFIX}e{i:04d}@example.com",
                    field="Load Testing",
                    timezone=TIMEZONES[i % len(TIMEZONES)],
                    password=password,
                )
                for i in range(n_edu)
            ],
            batch_size=BATCH,
        )
        students = User.objects.bulk_create(
            [
                User(
                    username=f"{PREFIX}s{i:04d}",
                    role=User.Role.STUDENT,
                    first_name=f"Student{i}",
                    last_name="Load",
                    email=f"{PREFIX}s{i:04d}@example.com",
                    timezone=TIMEZONES[(i + 2) % len(TIMEZONES)],
                    password=password,
                )
                for i in range(n_stu)
            ],
            batch_size=BATCH,
        )
        courses = Course.objects.bulk_create(
            [
                Course(
                    educator=e,
                    title=f"Load course {i}",
                    description="A course of the load data set.",
                    field="Load Testing",
                )
                for i, e in enumerate(educators)
            ],
            batch_size=BATCH,
        )
        # Slots: the same timetable for every educator, in the course's name.
        times = []
        for day in range(-days_before, days_after):
            hours = HOURS + ((17,) if day % 3 == 0 else ())
            times.extend(midnight + timedelta(days=day, hours=h) for h in hours)
        slots_of: list[list[Slot]] = []
        for e, course in zip(educators, courses, strict=True):
            mine = [
                Slot(
                    educator=e,
                    course=course,
                    starts_at=t,
                    ends_at=t + timedelta(minutes=60),
                    capacity=rng.choice((1, 2, 3, 4)),
                    requires_approval=rng.random() < 0.8,
                    meeting_link=f"https://meet.example.com/{e.username}",
                    note="Load data set." if rng.random() < 0.3 else "",
                )
                for t in times
            ]
            slots_of.append(mine)
        all_slots = [s for mine in slots_of for s in mine]
        Slot.objects.bulk_create(all_slots, batch_size=BATCH)

        # Requests: student 0 gets 70, the rest share the remainder; educator 0 gets about
        # 100 (its share at scale 1) at every scale.
        per_student = [busy_requests] + [0] * (n_stu - 1)
        for k in range(n_req - busy_requests):
            per_student[1 + k % (n_stu - 1)] += 1
        bookings: list[Booking] = []
        # The busy student is enrolled in the busy course (the benchmark shows its booking page).
        enrol: set[tuple[int, int]] = {(students[0].pk, courses[0].pk)}
        # Educator 0 draws an even share (n_req / n_edu, ~100 at every scale).
        busy_share = 1 / n_edu
        for student, count in zip(students, per_student, strict=True):
            taken_times: set[datetime] = set()
            booked: set[int] = set()
            for _ in range(count):
                for _attempt in range(50):
                    if rng.random() < busy_share:
                        e_index = 0
                    else:
                        e_index = 1 + rng.randrange(n_edu - 1) if n_edu > 1 else 0
                    slot = rng.choice(slots_of[e_index])
                    if id(slot) in booked or slot.starts_at in taken_times:
                        continue
                    status = _status(rng, slot.starts_at < now)
                    if status in ACTIVE_STATUSES and slot.seats_taken >= slot.capacity:
                        continue
                    break
                else:
                    continue
                booked.add(id(slot))
                if status in ACTIVE_STATUSES:
                    slot.seats_taken += 1
                    taken_times.add(slot.starts_at)
                enrol.add((student.pk, slot.course_id))
                bookings.append(_booking(rng, student, slot, status, now))
        # seats_taken went up in memory after the insert: write the counts.
        Slot.objects.bulk_update(
            [s for s in all_slots if s.seats_taken], ["seats_taken"], batch_size=BATCH
        )
        Enrollment.objects.bulk_create(
            [Enrollment(student_id=s, course_id=c) for s, c in sorted(enrol)], batch_size=BATCH
        )
        Booking.objects.bulk_create(bookings, batch_size=BATCH)
        BookingEvent.objects.bulk_create(
            [
                BookingEvent(
                    booking=b,
                    actor=b.student,
                    from_status="",
                    to_status=b.status,
                    created_at=b.created_at,
                )
                for b in bookings
            ],
            batch_size=BATCH,
        )
    return {
        "educators": n_edu,
        "students": n_stu,
        "courses": len(courses),
        "slots": len(all_slots),
        "requests": len(bookings),
        "enrollments": len(enrol),
    }


def _status(rng: random.Random, past: bool) -> str:
    r = rng.random()
    if past:
        return "completed" if r < 0.6 else "rejected" if r < 0.75 else "cancelled"
    return (
        "pending" if r < 0.5 else "approved" if r < 0.8 else "rejected" if r < 0.9 else "cancelled"
    )


def _booking(rng: random.Random, student: User, slot: Slot, status: str, now) -> Booking:
    created = min(slot.starts_at, now) - timedelta(days=rng.randrange(1, 10))
    decided = created + timedelta(hours=2) if status != "pending" else None
    return Booking(
        slot=slot,
        student=student,
        educator_id=slot.educator_id,
        message=rng.choice(("", "I'd like help with my project.", "Can we review my code?")),
        status=status,
        meeting_link=slot.meeting_link if status in ("approved", "completed") else "",
        decision_note="Not this time, sorry." if status in ("rejected", "cancelled") else "",
        decided_at=decided if status in ("approved", "rejected", "completed") else None,
        cancelled_at=decided if status == "cancelled" else None,
        completed_at=slot.ends_at if status == "completed" else None,
    )
