"""Staff oversee everything here. Changes with a rule go through the services, so the
admin can no more overfill a slot or skip a status than a student or educator can."""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Count, Q
from django.shortcuts import render

from . import services
from .errors import BookingError
from .models import (
    ACTIVE_STATUSES,
    POLICY_LIMITS,
    Booking,
    BookingEvent,
    BookingPolicy,
    Course,
    Enrollment,
    Slot,
    WaitlistEntry,
    WeeklyPattern,
)
from .templatetags.scheduling_tags import when

# Short, zoned times for change lists ("Mon 23 Nov, 10:00 GMT"): the staff member's own
# timezone is active, and the zone is said, so a time is never ambiguous.
SHORT = "D j M, H:i"


def _run_each(modeladmin, request, objects, action, label: str) -> None:
    """Apply a service to each object; report what worked and each refusal."""
    done = 0
    for obj in objects:
        try:
            action(obj)
        except BookingError as error:
            modeladmin.message_user(request, f"{obj}: {error.message}", messages.ERROR)
        else:
            done += 1
    if done:
        modeladmin.message_user(request, f"{label}: {done}.", messages.SUCCESS)


class ReasonForm(forms.Form):
    reason = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), required=False)


def _with_reason(modeladmin, request, queryset, *, title: str, required: bool, apply):
    """Ask for a reason on an intermediate page, then apply the action with it."""
    form = ReasonForm(request.POST if "apply" in request.POST else None)
    form.fields["reason"].required = required
    if form.is_valid():
        reason = form.cleaned_data["reason"]
        _run_each(modeladmin, request, queryset, lambda obj: apply(obj, reason), title)
        return None
    return render(
        request,
        "admin/scheduling/reason_action.html",
        {
            **modeladmin.admin_site.each_context(request),
            "title": title,
            "objects": queryset,
            "form": form,
            "action": request.POST.get("action"),
            "opts": modeladmin.model._meta,
        },
    )


# ---------------------------------------------------------------- courses


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


@admin.register(Enrollment)
class EnrollmentAdmin(admin.ModelAdmin):
    list_display = ["student", "course", "created_at"]
    list_filter = [("course", admin.RelatedOnlyFieldListFilter)]
    search_fields = ["student__username", "student__email", "course__title"]
    list_select_related = ["student", "course"]
    autocomplete_fields = ["student", "course"]
    date_hierarchy = "created_at"


# ---------------------------------------------------------------- slots


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
        return _with_reason(
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


class BookingEventInline(admin.TabularInline):
    model = BookingEvent
    extra = 0
    can_delete = False
    fields = ["created_at", "actor", "from_status", "to_status", "note"]
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

    list_display = ["student", "session", "educator", "course", "status", "requested"]
    list_filter = [
        "status",
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
    ]
    inlines = [BookingEventInline]
    actions = ["approve", "reject", "cancel", "complete"]

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

    @admin.display(ordering="slot__educator__username")
    def educator(self, booking):
        return booking.slot.educator

    @admin.display(ordering="slot__course__title")
    def course(self, booking):
        return booking.slot.course

    @admin.action(description="Approve (with the slot's meeting link)")
    def approve(self, request, queryset):
        _run_each(
            self,
            request,
            queryset,
            lambda booking: services.booking_approve(booking=booking, by=request.user),
            "Approved",
        )

    @admin.action(description="Reject with a reason")
    def reject(self, request, queryset):
        return _with_reason(
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
        return _with_reason(
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
        _run_each(
            self,
            request,
            queryset,
            lambda booking: services.booking_complete(booking=booking, by=request.user),
            "Completed",
        )


@admin.register(BookingEvent)
class BookingEventAdmin(admin.ModelAdmin):
    """The history is a record: readable, never edited."""

    list_display = ["created_at", "booking", "actor", "from_status", "to_status", "note"]
    list_filter = ["to_status", "from_status"]
    search_fields = ["booking__student__username", "actor__username", "note"]
    list_select_related = ["booking__student", "booking__slot__educator", "actor"]
    date_hierarchy = "created_at"

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


# ---------------------------------------------------------------- planning ahead


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
        fields = [
            "educator",
            "weekdays",
            "start_time",
            "end_time",
            "session_minutes",
            "capacity",
            "course",
            "requires_approval",
            "meeting_link",
            "note",
            "horizon_weeks",
        ]

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
        _run_each(
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
        _run_each(
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
