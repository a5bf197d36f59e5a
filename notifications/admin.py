"""Staff see every notification and calendar feed; they can mark notifications read."""

from __future__ import annotations

from django.contrib import admin, messages
from django.utils import timezone

from .models import CalendarFeed, Notification


@admin.register(Notification)
class NotificationAdmin(admin.ModelAdmin):
    list_display = ["created_at", "recipient", "kind", "text", "read_at"]
    list_filter = ["kind", ("read_at", admin.EmptyFieldListFilter), "created_at"]
    search_fields = ["text", "recipient__username", "recipient__email"]
    list_select_related = ["recipient"]
    raw_id_fields = ["recipient", "booking"]
    date_hierarchy = "created_at"
    actions = ["mark_read"]

    @admin.action(description="Mark selected notifications read")
    def mark_read(self, request, queryset):
        marked = queryset.filter(read_at__isnull=True).update(read_at=timezone.now())
        self.message_user(request, f"Marked read: {marked}.", messages.SUCCESS)


@admin.register(CalendarFeed)
class CalendarFeedAdmin(admin.ModelAdmin):
    list_display = ["user", "created_at"]
    search_fields = ["user__username", "user__email"]
    list_select_related = ["user"]
    raw_id_fields = ["user"]
    readonly_fields = ["token", "created_at"]
