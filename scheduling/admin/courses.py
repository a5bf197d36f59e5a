"""Courses and who is enrolled in them."""

from __future__ import annotations

from django.contrib import admin
from django.db.models import Count

from ..models import (
    Course,
    Enrollment,
)


class EnrollmentInline(admin.TabularInline):
    model = Enrollment
    extra = 0
    autocomplete_fields = ["student"]
    readonly_fields = ["created_at"]


@admin.register(Course)
class CourseAdmin(admin.ModelAdmin):
    list_display = ["title", "field", "educator", "is_published", "enrolled", "created_at"]
    list_filter = ["is_published", "field"]
    search_fields = ["title", "description", "field", "educator__username"]
    list_select_related = ["educator"]
    autocomplete_fields = ["educator"]
    date_hierarchy = "created_at"
    inlines = [EnrollmentInline]

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(enrolled_count=Count("enrollments"))

    @admin.display(ordering="enrolled_count", description="Enrolled")
    def enrolled(self, course) -> int:
        return course.enrolled_count

    def delete_queryset(self, request, queryset):
        """Row by row, so each deletion forgets the remembered course and mentor pages
        (`Course.delete`): a bulk delete would leave the course bookable for a while."""
        for course in queryset:
            course.delete()


@admin.register(Enrollment)
class EnrollmentAdmin(admin.ModelAdmin):
    list_display = ["student", "course", "created_at"]
    list_filter = [("course", admin.RelatedOnlyFieldListFilter)]
    search_fields = ["student__username", "student__email", "course__title"]
    list_select_related = ["student", "course"]
    autocomplete_fields = ["student", "course"]
    date_hierarchy = "created_at"

    def delete_queryset(self, request, queryset):
        """Row by row, so each deletion forgets the educator's remembered marks of the
        student (schedule_cache): a bulk delete would leave "Enrolled" showing."""
        for enrollment in queryset.select_related("course"):
            enrollment.delete()


# ---------------------------------------------------------------- slots
