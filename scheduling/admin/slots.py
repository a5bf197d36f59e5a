"""Slots, with their bookings inline; edits and withdrawals go through the services."""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import ValidationError

from .. import services
from ..errors import BookingError
from ..models import (
    Booking,
    Slot,
)
from .actions import with_reason


class SlotAdminForm(forms.ModelForm):
    """Checks a slot with the same rules as every other front end."""

    class Meta:
        model = Slot
        fields = [
            "educator",
            "course",
            "starts_at",
            "ends_at",
            "capacity",
            "requires_approval",
            "meeting_link",
            "note",
        ]

    def clean(self):
        data = super().clean()
        if self.errors:
            return data
        slot = self.instance if self.instance.pk else None
        try:
            services.check_slot(
                educator=data.get("educator") or self.instance.educator,
                starts_at=data["starts_at"],
                ends_at=data["ends_at"],
                capacity=data["capacity"],
                course=data.get("course"),
                meeting_link=data.get("meeting_link", ""),
                slot=slot,
            )
        except BookingError as error:
            field = {
                "educator": "educator",
                "starts_at": "starts_at",
                "ends_at": "ends_at",
                "capacity": "capacity",
                "course": "course",
                "meeting_link": "meeting_link",
            }.get(error.field or "")
            raise ValidationError({field: error.message} if field else error.message) from None
        return data


class BookingInline(admin.TabularInline):
    model = Booking
    extra = 0
    can_delete = False
    show_change_link = True
    fields = ["student", "status", "message", "meeting_link", "decision_note", "created_at"]
    readonly_fields = fields

    def has_add_permission(self, request, obj=None) -> bool:
        return False


class OpenFilter(admin.SimpleListFilter):
    title = "state"
    parameter_name = "state"

    def lookups(self, request, model_admin):
        return [("open", "Open"), ("past", "Started"), ("withdrawn", "Withdrawn")]

    def queryset(self, request, queryset):
        if self.value() == "open":
            return queryset.open()
        if self.value() == "past":
            return queryset.filter(withdrawn_at__isnull=True).exclude(pk__in=queryset.open())
        if self.value() == "withdrawn":
            return queryset.filter(withdrawn_at__isnull=False)
        return queryset


@admin.register(Slot)
class SlotAdmin(admin.ModelAdmin):
    form = SlotAdminForm
    list_display = [
        "starts_at",
        "ends_at",
        "educator",
        "course",
        "capacity",
        "seats_taken",
        "requires_approval",
        "withdrawn_at",
    ]
    list_filter = [
        OpenFilter,
        "requires_approval",
        ("course", admin.RelatedOnlyFieldListFilter),
        ("educator", admin.RelatedOnlyFieldListFilter),
    ]
    search_fields = ["educator__username", "educator__first_name", "course__title", "note"]
    list_select_related = ["educator", "course"]
    autocomplete_fields = ["educator", "course"]
    date_hierarchy = "starts_at"
    readonly_fields = ["seats_taken", "withdrawn_at", "withdraw_reason", "created_at"]
    inlines = [BookingInline]
    actions = ["withdraw"]

    def get_readonly_fields(self, request, obj=None):
        # The owner of an existing slot is fixed; its bookings were made with them.
        return [*self.readonly_fields, "educator"] if obj else self.readonly_fields

    def save_model(self, request, obj, form, change):
        data = {name: form.cleaned_data.get(name) for name in SlotAdminForm.Meta.fields}
        educator = data.pop("educator") or obj.educator
        try:
            if change:
                saved = services.slot_update(slot=obj, by=request.user, **data)
            else:
                saved = services.slot_create(educator=educator, **data)
        except BookingError as error:  # lost a race since the form checked
            self.message_user(request, error.message, messages.ERROR)
            return
        obj.pk, obj.seats_taken = saved.pk, saved.seats_taken

    def has_delete_permission(self, request, obj=None) -> bool:
        return False  # withdraw instead: nothing a user did is hard-deleted

    @admin.action(description="Withdraw selected slots (cancels their bookings)")
    def withdraw(self, request, queryset):
        return with_reason(
            self,
            request,
            queryset,
            title="Withdrawn",
            required=False,
            apply=lambda slot, reason: services.slot_withdraw(
                slot=slot, by=request.user, reason=reason
            ),
        )


# ---------------------------------------------------------------- bookings
