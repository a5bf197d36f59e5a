"""One row per outgoing email: the truth about what was, or still must be, sent.

Tasks only deliver rows. A row is claimed atomically (pending → sending) before its send,
so two workers never send it twice; a row left in `sending` by a dead worker, or pending
without a task, is found again by the periodic sweep (services.sweep).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone


class Kind(models.TextChoices):
    REQUEST_CREATED = "request_created", "Request created (to the educator)"
    BOOKED = "booked", "Booked without approval (to the educator)"
    APPROVED = "approved", "Approved"
    REJECTED = "rejected", "Rejected"
    CANCELLED = "cancelled", "Cancelled by the student"
    WITHDRAWN = "withdrawn", "Cancelled by the educator (slot withdrawn)"
    COMPLETED = "completed", "Completed"
    REMINDER_24H = "reminder_24h", "Reminder, 24 hours before"
    REMINDER_1H = "reminder_1h", "Reminder, 1 hour before"
    PASSWORD_RESET = "password_reset", "Password reset"
    RESCHEDULED = "rescheduled", "Rescheduled by the student (to the educator)"
    WAITLIST_OFFER = "waitlist_offer", "A waitlist seat offered (to the student)"


class State(models.TextChoices):
    PENDING = "pending", "Pending"
    SENDING = "sending", "Sending"
    SENT = "sent", "Sent"
    FAILED = "failed", "Failed"
    SKIPPED = "skipped", "Skipped (no longer relevant)"


class IcsMethod(models.TextChoices):
    NONE = "", "None"
    REQUEST = "REQUEST", "Invite (REQUEST)"
    CANCEL = "CANCEL", "Cancellation (CANCEL)"


class Message(models.Model):
    kind = models.CharField(max_length=32, choices=Kind.choices)
    booking = models.ForeignKey(
        "scheduling.Booking",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        db_index=False,  # the unique constraint's index starts with it
    )
    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    # Tells apart legitimate repeats of one kind (a booking approved twice, two reset
    # requests); the same change never produces two rows.
    discriminator = models.CharField(max_length=64, blank=True, default="")
    # Which calendar object to attach, built when the mail is sent.
    ics_method = models.CharField(
        "calendar attachment", max_length=8, blank=True, default="", choices=IcsMethod.choices
    )
    state = models.CharField(max_length=16, choices=State.choices, default=State.PENDING)
    attempts = models.PositiveSmallIntegerField(default=0)
    last_error = models.TextField(blank=True)
    next_attempt_at = models.DateTimeField(default=timezone.now)
    claimed_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    # What went out (filled in when sent), for staff reading the admin.
    to_address = models.EmailField(blank=True)
    subject = models.CharField(max_length=255, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["booking", "kind", "recipient", "discriminator"],
                name="outbox_message_once",
            ),
            # NULLs are distinct in a unique index: mail without a booking needs its own.
            models.UniqueConstraint(
                fields=["kind", "recipient", "discriminator"],
                condition=Q(booking__isnull=True),
                name="outbox_message_once_without_booking",
            ),
            models.CheckConstraint(
                condition=Q(state__in=State.values), name="outbox_message_state_valid"
            ),
        ]
        indexes = [
            models.Index(fields=["state", "next_attempt_at"], name="outbox_due_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} → {self.recipient} ({self.get_state_display()})"


class Chain(models.Model):
    """A periodic task that re-enqueues itself: only the run whose id is `task_id` goes on."""

    name = models.CharField(max_length=200, unique=True)
    task_id = models.CharField(max_length=64, blank=True)
    next_run_at = models.DateTimeField(null=True, blank=True)
    last_run_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = "periodic chain"

    def __str__(self) -> str:
        return self.name
