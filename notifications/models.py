"""In-app notifications, and the secret token of each user's calendar feed."""

from __future__ import annotations

import secrets

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

TEXT_MAX_LENGTH = 500


class NotificationKind(models.TextChoices):
    REQUESTED = "requested", "Session requested"
    BOOKED = "booked", "Session booked"
    APPROVED = "approved", "Request approved"
    REJECTED = "rejected", "Request rejected"
    CANCELLED = "cancelled", "Session cancelled"
    COMPLETED = "completed", "Session completed"
    RESCHEDULED = "rescheduled", "Session rescheduled"
    WAITLIST_OFFER = "waitlist_offer", "Seat from the waitlist"


class NotificationQuerySet(models.QuerySet):
    def for_user(self, user) -> NotificationQuerySet:
        return self.filter(recipient=user)

    def unread(self) -> NotificationQuerySet:
        return self.filter(read_at__isnull=True)

    def newest_first(self) -> NotificationQuerySet:
        return self.order_by("-created_at", "-id")


class Notification(models.Model):
    """One thing a user should know about, shown in the bell until they mark it read."""

    Kind = NotificationKind

    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications"
    )
    kind = models.CharField(max_length=32, choices=NotificationKind.choices)
    text = models.CharField(max_length=TEXT_MAX_LENGTH)
    url = models.CharField(max_length=500, blank=True, help_text="Where the notification leads.")
    booking = models.ForeignKey(
        "scheduling.Booking",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="notifications",
    )
    created_at = models.DateTimeField(default=timezone.now)
    read_at = models.DateTimeField(null=True, blank=True)

    objects = NotificationQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            # The bell: a user's unread ones, newest first (a small partial index).
            models.Index(
                fields=["recipient", "-created_at", "-id"],
                condition=Q(read_at__isnull=True),
                name="notification_unread_idx",
            ),
            # The list page and the API: all of a user's, newest first.
            models.Index(fields=["recipient", "-created_at", "-id"], name="notification_user_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.recipient}: {self.text[:60]}"

    @property
    def is_read(self) -> bool:
        return self.read_at is not None


def new_feed_token() -> str:
    return secrets.token_urlsafe(32)


class CalendarFeed(models.Model):
    """The secret in a user's private calendar URL; regenerating it retires the old URL."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="calendar_feed"
    )
    token = models.CharField(max_length=64, unique=True, default=new_feed_token)
    created_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return f"Calendar feed of {self.user}"
