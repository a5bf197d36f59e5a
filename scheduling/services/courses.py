"""Courses and the students enrolled in them."""

from __future__ import annotations

from django.db import IntegrityError, transaction

from accounts.models import User

from .. import errors
from ..errors import BookingError
from ..models import (
    Course,
    Enrollment,
)
from .checks import _text


def course_create(
    *, educator: User, title: str, description: str = "", field: str = "", is_published=True
) -> Course:
    """An educator opens a course; its field defaults to the educator's own."""
    if not educator.is_educator:
        raise BookingError(errors.FORBIDDEN, errors.NOT_AN_EDUCATOR)
    title = _text(title)
    if not title:
        raise BookingError(errors.INVALID, errors.TITLE_REQUIRED, field="title")
    return Course.objects.create(
        educator=educator,
        title=title,
        description=(description or "").replace("\x00", ""),
        field=_text(field or educator.field),
        is_published=is_published,
    )


def course_update(*, course: Course, by: User, **changes) -> Course:
    """Edit title, description, field or the published flag of one's own course."""
    if not (by.is_staff or course.educator_id == by.pk):
        raise BookingError(errors.FORBIDDEN, errors.NOT_COURSE_OWNER)
    allowed = {"title", "description", "field", "is_published"}
    for name, value in changes.items():
        if name not in allowed:
            raise TypeError(f"course_update() got an unexpected field {name!r}")
        if isinstance(value, str):
            value = value.replace("\x00", "")
        if name == "title":
            value = _text(value)
            if not value:
                raise BookingError(errors.INVALID, errors.TITLE_REQUIRED, field="title")
        setattr(course, name, value)
    course.save()
    return course


def enroll(*, student: User, course: Course) -> tuple[Enrollment, bool]:
    """Enrol a student in a published course; enrolling twice changes nothing."""
    if not student.is_student:
        raise BookingError(errors.FORBIDDEN, errors.NOT_A_STUDENT_ENROL)
    if not course.is_published:
        raise BookingError(errors.CONFLICT, errors.COURSE_NOT_PUBLISHED)
    try:
        with transaction.atomic():
            return Enrollment.objects.get_or_create(student=student, course=course)
    except IntegrityError:  # a concurrent enrolment won the race: same outcome
        return Enrollment.objects.get(student=student, course=course), False
