"""Courses and who is enrolled in them."""

from __future__ import annotations

from django.conf import settings
from django.db import models

from ..schedule_cache import COURSE_PAGE_KEY, ChangesSchedule

MIN_CAPACITY = 1
MAX_CAPACITY = 50
MESSAGE_MAX_LENGTH = 1000


class Course(ChangesSchedule):
    title = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    field = models.CharField(max_length=100, blank=True)
    educator = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="courses"
    )
    is_published = models.BooleanField("published", default=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["title", "id"]
        indexes = [models.Index(fields=["is_published", "title"])]

    def __str__(self) -> str:
        return self.title

    changes_profile = True

    def forgets(self) -> list[str]:
        # Its page row too: it names the educator, which may change.
        return [*super().forgets(), COURSE_PAGE_KEY.format(self.pk)]

    def is_visible_to(self, user) -> bool:
        """Published courses are everyone's to see; an unpublished one only its educator's."""
        return self.is_published or (user.is_authenticated and self.educator_id == user.pk)


class Enrollment(ChangesSchedule):
    student = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="enrollments"
    )
    course = models.ForeignKey(Course, on_delete=models.PROTECT, related_name="enrollments")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["student", "course"], name="enrollment_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.student} in {self.course}"

    @property
    def educator_id(self) -> int:
        """The course's educator, whose remembered marks of this student it changes."""
        return self.course.educator_id
