"""Staff see every outgoing email, why one failed, and can send failed ones again."""

from __future__ import annotations

from django.contrib import admin, messages

from . import services
from .models import Chain, Message


@admin.register(Message)
class MessageAdmin(admin.ModelAdmin):
    list_display = [
        "created_at",
        "kind",
        "recipient",
        "to_address",
        "subject",
        "state",
        "attempts",
        "next_attempt_at",
        "sent_at",
    ]
    list_filter = ["state", "kind", "created_at"]
    search_fields = ["recipient__username", "recipient__email", "to_address", "subject"]
    list_select_related = ["recipient"]
    date_hierarchy = "created_at"
    actions = ["send_again"]

    def get_readonly_fields(self, request, obj=None):
        return [field.name for field in self.model._meta.fields]

    def has_add_permission(self, request) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False  # the record of what was sent stays

    @admin.action(description="Send the selected failed messages again")
    def send_again(self, request, queryset):
        ids = list(queryset.values_list("pk", flat=True))
        count = services.resend(ids)
        self.message_user(request, f"Queued again: {count}.", messages.SUCCESS)
        if count < len(ids):
            self.message_user(
                request,
                f"Left as they are: {len(ids) - count} (only failed messages are sent again).",
                messages.WARNING,
            )


@admin.register(Chain)
class ChainAdmin(admin.ModelAdmin):
    list_display = ["name", "last_run_at", "next_run_at", "task_id"]

    def get_readonly_fields(self, request, obj=None):
        return [field.name for field in self.model._meta.fields]

    def has_add_permission(self, request) -> bool:
        return False
