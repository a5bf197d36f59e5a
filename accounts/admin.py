from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin

from .models import User


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    list_display = ["username", "email", "first_name", "last_name", "role", "field", "is_staff"]
    list_filter = ["role", "is_staff", "is_active", "field"]
    search_fields = ["username", "email", "first_name", "last_name", "field"]
    fieldsets = DjangoUserAdmin.fieldsets + (
        ("Mentoring", {"fields": ("role", "field", "bio", "timezone")}),
    )
    add_fieldsets = DjangoUserAdmin.add_fieldsets + (
        ("Mentoring", {"fields": ("role", "field", "timezone")}),
    )

    def delete_queryset(self, request, queryset):
        """Row by row, so each deletion forgets what was remembered of the user's pages
        (`User.delete`): a bulk delete would leave a mentor's page showing."""
        for user in queryset:
            user.delete()
