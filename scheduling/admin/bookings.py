"""Bookings and their history; every status change is a service call."""

from __future__ import annotations

from django.contrib import admin
from django.db.models import Q
from django.shortcuts import render
from django.urls import path

from .. import services
from ..models import (
    ACTIVE_STATUSES,
    ActionItem,
    Booking,
    BookingEvent,
    InsightsReport,
    Outcome,
    SessionNote,
)
from ..templatetags.scheduling_tags import when
from ..views.insights import insights_context
from .actions import SHORT, run_each, with_reason


class BookingEventInline(admin.TabularInline):
    model = BookingEvent
    extra = 0
    can_delete = False
    fields = ["created_at", "actor", "from_status", "to_status", "note"]
    readonly_fields = fields

    def has_add_permission(self, request, obj=None) -> bool:
        return False


class SessionNoteInline(admin.TabularInline):
    """What the two parties wrote (read-only: notes are theirs; edits keep revisions)."""

    model = SessionNote
    extra = 0
    can_delete = False
    fields = ["created_at", "author", "text", "edited_at"]
    readonly_fields = fields

    def has_add_permission(self, request, obj=None) -> bool:
        return False


class ActionItemInline(admin.TabularInline):
    model = ActionItem
    extra = 0
    can_delete = False
    fields = ["created_at", "text", "owner", "created_by", "done_at"]
    readonly_fields = fields

    def has_add_permission(self, request, obj=None) -> bool:
        return False


class ActiveFilter(admin.SimpleListFilter):
    title = "holds a seat"
    parameter_name = "active"

    def lookups(self, request, model_admin):
        return [("yes", "Yes"), ("no", "No")]

    def queryset(self, request, queryset):
        if self.value() == "yes":
            return queryset.filter(status__in=ACTIVE_STATUSES)
        if self.value() == "no":
            return queryset.filter(~Q(status__in=ACTIVE_STATUSES))
        return queryset


@admin.register(Booking)
class BookingAdmin(admin.ModelAdmin):
    """Bookings change status only through the actions; their fields are read-only."""

    list_display = ["student", "session", "educator", "course", "status", "attendance", "requested"]
    list_filter = [
        "status",
        "outcome",
        ("disputed_at", admin.EmptyFieldListFilter),
        ActiveFilter,
        ("slot__course", admin.RelatedOnlyFieldListFilter),
        ("slot__educator", admin.RelatedOnlyFieldListFilter),
    ]
    search_fields = [
        "student__username",
        "student__email",
        "slot__educator__username",
        "slot__course__title",
        "message",
    ]
    list_select_related = ["student", "slot", "slot__educator", "slot__course"]
    date_hierarchy = "created_at"
    readonly_fields = [
        "slot",
        "student",
        "message",
        "status",
        "meeting_link",
        "decision_note",
        "created_at",
        "updated_at",
        "decided_at",
        "cancelled_at",
        "completed_at",
        "outcome",
        "outcome_by",
        "outcome_at",
        "disputed_at",
    ]
    inlines = [BookingEventInline, SessionNoteInline, ActionItemInline]
    actions = ["approve", "reject", "cancel", "complete", "mark_attended", "mark_no_show"]

    def has_add_permission(self, request) -> bool:
        return False  # a booking is a student's request: see the Book a Session page

    def has_delete_permission(self, request, obj=None) -> bool:
        return False

    def change_view(self, request, object_id, form_url="", extra_context=None):
        # Every field is read-only (status changes go through the actions): no Save buttons
        # that would save nothing.
        extra_context = {
            **(extra_context or {}),
            "show_save": False,
            "show_save_and_continue": False,
            "show_save_and_add_another": False,
        }
        return super().change_view(request, object_id, form_url, extra_context)

    @admin.display(ordering="slot__starts_at", description="session")
    def session(self, booking):
        return when(booking.slot.starts_at, SHORT)

    @admin.display(ordering="created_at", description="requested")
    def requested(self, booking):
        return when(booking.created_at, SHORT)

    @admin.display(ordering="outcome", description="outcome")
    def attendance(self, booking):
        """The educator's mark, and the student's "I was there" against a no-show."""
        if not booking.outcome:
            return "–"
        disputed = " (student says they attended)" if booking.disputed_at else ""
        return f"{booking.get_outcome_display()}{disputed}"

    @admin.display(ordering="slot__educator__username")
    def educator(self, booking):
        return booking.slot.educator

    @admin.display(ordering="slot__course__title")
    def course(self, booking):
        return booking.slot.course

    @admin.action(description="Approve (with the slot's meeting link)")
    def approve(self, request, queryset):
        run_each(
            self,
            request,
            queryset,
            lambda booking: services.booking_approve(booking=booking, by=request.user),
            "Approved",
        )

    @admin.action(description="Reject with a reason")
    def reject(self, request, queryset):
        return with_reason(
            self,
            request,
            queryset,
            title="Rejected",
            required=True,
            apply=lambda booking, reason: services.booking_reject(
                booking=booking, by=request.user, reason=reason
            ),
        )

    @admin.action(description="Cancel")
    def cancel(self, request, queryset):
        return with_reason(
            self,
            request,
            queryset,
            title="Cancelled",
            required=False,
            apply=lambda booking, reason: services.booking_cancel(
                booking=booking, by=request.user, reason=reason
            ),
        )

    @admin.action(description="Mark completed")
    def complete(self, request, queryset):
        run_each(
            self,
            request,
            queryset,
            lambda booking: services.booking_complete(booking=booking, by=request.user),
            "Completed",
        )

    @admin.action(description="Mark attended (corrects an educator's mark)")
    def mark_attended(self, request, queryset):
        self._mark(request, queryset, Outcome.ATTENDED)

    @admin.action(description="Mark as a no-show (corrects an educator's mark)")
    def mark_no_show(self, request, queryset):
        self._mark(request, queryset, Outcome.NO_SHOW)

    def _mark(self, request, queryset, outcome: str) -> None:
        run_each(
            self,
            request,
            queryset,
            lambda booking: services.booking_mark_outcome(
                booking=booking, by=request.user, outcome=outcome
            ),
            f"Marked {Outcome(outcome).label.lower()}",
        )


class ReadOnlyAdmin(admin.ModelAdmin):
    """Read, never added, changed or deleted here."""

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


@admin.register(BookingEvent)
class BookingEventAdmin(ReadOnlyAdmin):
    """The history is a record: readable, never edited."""

    list_display = ["created_at", "booking", "actor", "from_status", "to_status", "note"]
    list_filter = ["to_status", "from_status"]
    search_fields = ["booking__student__username", "actor__username", "note"]
    list_select_related = ["booking__student", "booking__slot__educator", "actor"]
    date_hierarchy = "created_at"


@admin.register(InsightsReport)
class InsightsAdmin(ReadOnlyAdmin):
    """Staff's insights across every educator: the page educators see, for all of them."""

    def get_urls(self):
        view = self.admin_site.admin_view(self.changelist_view)
        return [path("", view, name="scheduling_insightsreport_changelist")]

    def changelist_view(self, request, extra_context=None):
        context = {**self.admin_site.each_context(request), **insights_context(None)}
        return render(request, "admin/scheduling/insights.html", {**context, "staff_view": True})

    def has_view_permission(self, request, obj=None) -> bool:
        return request.user.is_staff
