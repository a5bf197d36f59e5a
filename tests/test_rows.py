"""Hand-written reads (mentoring/rows.py) give what the ORM gives: the course page's
course, its educator and policy, and the viewer's enrolment."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import AnonymousUser
from django.db import connection
from django.test.utils import CaptureQueriesContext

from scheduling import selectors
from scheduling.models import BookingPolicy, Course, Enrollment
from scheduling.tests.factories import CourseFactory

pytestmark = pytest.mark.django_db


def _same(fast, orm) -> None:
    assert type(fast) is type(orm)
    for field in type(orm)._meta.concrete_fields:
        assert getattr(fast, field.attname) == getattr(orm, field.attname), field.name
        assert type(getattr(fast, field.attname)) is type(getattr(orm, field.attname))
    assert fast._state.adding is False and fast._state.db == orm._state.db


@pytest.mark.parametrize("with_policy", [True, False])
@pytest.mark.parametrize("enrolled", [True, False])
def test_the_course_page_course_reads_as_select_related_reads_it(
    educator, student, with_policy, enrolled
):
    course = CourseFactory(educator=educator, description="Graphs.\nAnd trees.")
    if with_policy:
        BookingPolicy.objects.create(educator=educator, min_notice_hours=5, daily_max=2)
    if enrolled:
        Enrollment.objects.create(student=student, course=course)
    orm = Course.objects.select_related("educator__booking_policy").get(pk=course.pk)
    with CaptureQueriesContext(connection) as queries:
        fast = selectors.course_page_course(course.pk, viewer=student)
        _same(fast, orm)
        _same(fast.educator, orm.educator)
        policy = selectors.policy_of(fast.educator)
        assert fast.viewer_enrolled is enrolled
    assert len(queries) == 1  # educator and policy (or its absence) came with the course
    if with_policy:
        _same(policy, orm.educator.booking_policy)
        assert policy.educator is fast.educator
    else:
        assert policy.pk is None and policy.educator_id == educator.pk
        with pytest.raises(BookingPolicy.DoesNotExist):
            fast.educator.booking_policy  # noqa: B018 - as select_related leaves it


def test_an_anonymous_viewer_gets_no_enrolment_mark(educator):
    course = CourseFactory(educator=educator)
    fast = selectors.course_page_course(course.pk, viewer=AnonymousUser())
    assert fast.pk == course.pk and not hasattr(fast, "viewer_enrolled")


def test_no_such_course_is_none(student):
    assert selectors.course_page_course(987654, viewer=student) is None
