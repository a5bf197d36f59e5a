"""Booking policies, weekly patterns and waitlists."""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.db import transaction

from .. import services
from ..errors import BookingError
from ..models import (
    POLICY_LIMITS,
    BookingPolicy,
    WaitlistEntry,
    WeeklyPattern,
)
from .actions import run_each


@admin.register(BookingPolicy)
class BookingPolicyAdmin(admin.ModelAdmin):
    """Policies are saved through policy_update, with the ranges every front end has."""

    list_display = ["educator", *POLICY_LIMITS, "updated_at"]
    search_fields = ["educator__username", "educator__email"]
    list_select_related = ["educator"]
    autocomplete_fields = ["educator"]

    def get_readonly_fields(self, request, obj=None):
        return ["educator"] if obj else []

    def get_form(self, request, obj=None, **kwargs):
        form = super().get_form(request, obj, **kwargs)

        def clean(self):
            data = forms.ModelForm.clean(self)
            try:
                services.check_policy_values(**{n: data[n] for n in POLICY_LIMITS if n in data})
            except BookingError as error:
                raise ValidationError({error.field: error.message}) from None
            return data

        form.clean = clean
        return form

    def save_model(self, request, obj, form, change):
        values = {name: form.cleaned_data[name] for name in POLICY_LIMITS}
        educator = obj.educator
        try:
            saved = services.policy_update(educator=educator, by=request.user, **values)
        except BookingError as error:
            self.message_user(request, error.message, messages.ERROR)
            return
        obj.pk = saved.pk


class WeeklyPatternAdminForm(forms.ModelForm):
    weekdays = forms.CharField(
        help_text="ISO weekday digits, Monday=1 … Sunday=7; e.g. 13 for Monday and Wednesday."
    )

    class Meta:
        model = WeeklyPattern
        fields = ["educator", *services.PATTERN_FIELDS]

    def clean(self):
        data = super().clean()
        if self.errors:
            return data
        educator = data.get("educator") or self.instance.educator
        try:
            services.check_pattern(educator, {n: data.get(n) for n in services.PATTERN_FIELDS})
        except BookingError as error:
            field = error.field if error.field in self.fields else None
            raise ValidationError({field: error.message} if field else error.message) from None
        return data


@admin.register(WeeklyPattern)
class WeeklyPatternAdmin(admin.ModelAdmin):
    """Weekly hours; saving publishes through the services, deleting keeps booked slots."""

    form = WeeklyPatternAdminForm
    list_display = [
        "educator",
        "days_label",
        "start_time",
        "end_time",
        "session_minutes",
        "timezone",
        "horizon_weeks",
        "published_until",
        "skipped_count",
    ]
    list_select_related = ["educator", "course"]
    search_fields = ["educator__username", "educator__email"]
    readonly_fields = ["timezone", "published_until", "skipped"]
    actions = ["publish_now"]

    def get_readonly_fields(self, request, obj=None):
        return [*self.readonly_fields, "educator"] if obj else self.readonly_fields

    @admin.display(description="skipped")
    def skipped_count(self, pattern) -> int:
        return len(pattern.skipped)

    def save_model(self, request, obj, form, change):
        data = {name: form.cleaned_data.get(name) for name in services.PATTERN_FIELDS}
        try:
            if change:
                saved = services.pattern_update(pattern=obj, by=request.user, **data)
            else:
                educator = form.cleaned_data["educator"]
                saved = services.pattern_create(educator=educator, **data)
        except BookingError as error:
            self.message_user(request, error.message, messages.ERROR)
            return
        obj.pk = saved.pk

    def delete_model(self, request, obj):
        services.pattern_delete(pattern=obj, by=request.user)

    def delete_queryset(self, request, queryset):
        for pattern in queryset:
            services.pattern_delete(pattern=pattern, by=request.user)

    @admin.action(description="Publish the selected weekly hours up to their horizon now")
    def publish_now(self, request, queryset):
        run_each(
            self,
            request,
            queryset,
            lambda pattern: services.pattern_publish(pattern=pattern),
            "Published",
        )


class WaitlistAdminForm(forms.ModelForm):
    class Meta:
        model = WaitlistEntry
        fields = ["slot", "student"]

    def clean(self):
        data = super().clean()
        if not self.errors and not self.instance.pk:
            try:
                with transaction.atomic():
                    services.waitlist_join(student=data["student"], slot=data["slot"])
                    transaction.set_rollback(True)  # a dry run: save_model joins for real
            except BookingError as error:
                raise ValidationError(error.message) from None
        return data


@admin.register(WaitlistEntry)
class WaitlistEntryAdmin(admin.ModelAdmin):
    """Waitlists; joining, leaving and offering go through the services."""

    form = WaitlistAdminForm
    list_display = ["slot", "student", "status", "created_at", "resolved_at", "booking"]
    list_filter = ["status"]
    list_select_related = ["slot", "slot__educator", "slot__course", "student"]
    search_fields = ["student__username", "student__email", "slot__educator__username"]
    raw_id_fields = ["slot", "student"]
    actions = ["leave", "offer_seats"]

    def get_readonly_fields(self, request, obj=None):
        return ["slot", "student", "status", "booking", "resolved_at"] if obj else []

    def has_delete_permission(self, request, obj=None) -> bool:
        return False  # remove from the waitlist instead: the history stays

    def save_model(self, request, obj, form, change):
        if change:
            return
        try:
            entry = services.waitlist_join(student=obj.student, slot=obj.slot)
        except BookingError as error:
            self.message_user(request, error.message, messages.ERROR)
            return
        obj.pk = entry.pk

    @admin.action(description="Take the selected students off the waitlist")
    def leave(self, request, queryset):
        run_each(
            self,
            request,
            queryset.filter(status="waiting"),
            lambda entry: services.waitlist_leave(student=entry.student, slot=entry.slot),
            "Removed",
        )

    @admin.action(description="Offer the free seats of the selected entries' slots now")
    def offer_seats(self, request, queryset):
        offered = sum(
            services.waitlist_offer_seats(slot_id=pk)
            for pk in set(queryset.values_list("slot_id", flat=True))
        )
        self.message_user(request, f"Seats offered: {offered}.", messages.SUCCESS)
