"""factory_boy factories; slots and bookings go through the services like real ones."""

from __future__ import annotations

from datetime import timedelta

import factory
from django.utils import timezone

from accounts.models import User
from scheduling import services
from scheduling.models import Course


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.LazyAttribute(lambda u: f"{u.username}@example.com")
    first_name = factory.Faker("first_name")
    last_name = factory.Faker("last_name")
    timezone = "UTC"
    password = factory.django.Password("pass-word-123")


class StudentFactory(UserFactory):
    role = User.Role.STUDENT
    username = factory.Sequence(lambda n: f"student{n}")


class EducatorFactory(UserFactory):
    role = User.Role.EDUCATOR
    username = factory.Sequence(lambda n: f"educator{n}")
    field = "Web Development"


class CourseFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Course

    title = factory.Sequence(lambda n: f"Course {n}")
    description = "Learn things."
    field = "Web Development"
    educator = factory.SubFactory(EducatorFactory)
    is_published = True


_slot_counter = iter(range(1, 10**9))


def SlotFactory(*, educator=None, starts_at=None, **kwargs):
    """Create a slot through slot_create; each call gets its own non-overlapping hour."""
    educator = educator or EducatorFactory()
    if starts_at is None:
        base = timezone.now().replace(minute=0, second=0, microsecond=0)
        # Within the default booking horizon (a year) however many slots a run makes.
        starts_at = base + timedelta(days=1, hours=2 * (next(_slot_counter) % 900))
    return services.slot_create(educator=educator, starts_at=starts_at, **kwargs)


def BookingFactory(*, slot=None, student=None, message="", **kwargs):
    slot = slot or SlotFactory(**kwargs)
    student = student or StudentFactory()
    if slot.course_id:
        services.enroll(student=student, course=slot.course)
    return services.booking_request(student=student, slot=slot, message=message)
