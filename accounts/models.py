"""Users and their roles: a custom user model from the first migration."""

import unicodedata
import zoneinfo

from django.conf import settings
from django.contrib.auth.models import AbstractUser
from django.core.exceptions import ValidationError
from django.db import models

from scheduling.schedule_cache import PROFILE_KEY, VERSION_KEY, forget


def default_timezone() -> str:
    """New users start in the site's TIME_ZONE; they change it on their profile."""
    return settings.TIME_ZONE


def validate_timezone(value: str) -> None:
    if value not in zoneinfo.available_timezones():
        raise ValidationError(f"“{value}” is not a known IANA timezone name.", code="invalid")


ONE_LINE = "Enter this on one line, without line breaks, tabs or other control characters."


def validate_one_line(value: str) -> None:
    """Names and other one-line fields end up in email subjects and headers: a line break
    there breaks every mail that carries it (BadHeaderError), so none may be stored."""
    if any(unicodedata.category(char) in {"Cc", "Zl", "Zp"} for char in value):
        raise ValidationError(ONE_LINE, code="control_characters")


def timezone_choices() -> list[tuple[str, str]]:
    return [(name, name.replace("_", " ")) for name in sorted(zoneinfo.available_timezones())]


class User(AbstractUser):
    class Role(models.TextChoices):
        STUDENT = "student", "Student"
        EDUCATOR = "educator", "Educator"

    # AbstractUser's names, with the one-line rule every form (sign-up, profile, admin) runs.
    first_name = models.CharField(
        "first name", max_length=150, blank=True, validators=[validate_one_line]
    )
    last_name = models.CharField(
        "last name", max_length=150, blank=True, validators=[validate_one_line]
    )
    role = models.CharField(max_length=16, choices=Role.choices, default=Role.STUDENT)
    field = models.CharField(
        max_length=100,
        blank=True,
        validators=[validate_one_line],
        help_text="An educator's subject, e.g. “Web Development”.",
    )
    bio = models.TextField(blank=True)
    timezone = models.CharField(
        max_length=64, default=default_timezone, validators=[validate_timezone]
    )
    # When a student last opened My Requests: changes after it make the navigation badge.
    requests_seen_at = models.DateTimeField(null=True, blank=True, editable=False)

    class Meta:
        ordering = ["username"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(role__in=["student", "educator"]), name="user_role_valid"
            ),
        ]

    def __str__(self) -> str:
        return self.display_name

    # Saved on their own, these change nothing another page shows of the user.
    NOT_SHOWN = frozenset({"last_login", "password", "requests_seen_at"})

    def save(self, *args, **kwargs):
        """An educator's name, timezone or profile is on their course and mentor pages,
        which are remembered under their profile version; a student's name is on the
        Session Requests of every educator they asked (their schedule versions): saving
        forgets those versions."""
        new = self._state.adding
        super().save(*args, **kwargs)
        update_fields = kwargs.get("update_fields")
        if update_fields is None or not self.NOT_SHOWN.issuperset(update_fields):
            self._forget_shown(self.pk, [] if new else self.educators_asked())

    def delete(self, *args, **kwargs):
        user_id, educators = self.pk, self.educators_asked()
        deleted = super().delete(*args, **kwargs)
        self._forget_shown(user_id, educators)
        return deleted

    def educators_asked(self) -> list[int]:
        """The educators who have requests of this user's (a student's)."""
        return list(self.bookings.values_list("educator_id", flat=True).distinct().order_by())

    @staticmethod
    def _forget_shown(user_id: int, educators: list[int]) -> None:
        versions = [VERSION_KEY.format(educator_id) for educator_id in educators]
        forget(PROFILE_KEY.format(user_id), VERSION_KEY.format(user_id), *versions)

    @property
    def display_name(self) -> str:
        return self.name_from(self.first_name, self.last_name, self.username)

    @staticmethod
    def name_from(first_name: str, last_name: str, username: str) -> str:
        """`display_name` from the three columns, for rows read with `.values()`."""
        return f"{first_name} {last_name}".strip() or username

    @property
    def is_student(self) -> bool:
        return self.role == self.Role.STUDENT

    @property
    def is_educator(self) -> bool:
        return self.role == self.Role.EDUCATOR

    @property
    def zoneinfo(self) -> zoneinfo.ZoneInfo:
        try:
            return zoneinfo.ZoneInfo(self.timezone)
        except (zoneinfo.ZoneInfoNotFoundError, ValueError):
            return zoneinfo.ZoneInfo(settings.TIME_ZONE)
