"""What the two parties of a booking keep together: a thread of notes (edited, never
deleted: each earlier text is kept) and action items with an owner and a done box."""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

from ..schedule_cache import ChangesSchedule, student_changed
from .bookings import Booking

NOTE_MAX_LENGTH = 5000
ITEM_MAX_LENGTH = 500


class SessionNote(models.Model):
    booking = models.ForeignKey(Booking, on_delete=models.PROTECT, related_name="notes")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    text = models.TextField(max_length=NOTE_MAX_LENGTH)
    created_at = models.DateTimeField(default=timezone.now)
    edited_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["created_at", "id"]
        indexes = [models.Index(fields=["booking", "created_at"], name="sessionnote_booking_idx")]
        constraints = [
            models.CheckConstraint(condition=~Q(text=""), name="sessionnote_text_not_empty")
        ]

    def __str__(self) -> str:
        return f"{self.author} on {self.booking_id}: {self.text[:40]}"


class SessionNoteRevision(models.Model):
    """A note's text before one of its edits."""

    note = models.ForeignKey(SessionNote, on_delete=models.PROTECT, related_name="revisions")
    text = models.TextField()
    replaced_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["replaced_at", "id"]

    def __str__(self) -> str:
        return f"{self.note_id} before {self.replaced_at:%Y-%m-%d %H:%M}"


class ActionItem(models.Model):
    booking = models.ForeignKey(Booking, on_delete=models.PROTECT, related_name="action_items")
    text = models.CharField(max_length=ITEM_MAX_LENGTH)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="action_items"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    done_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["created_at", "id"]
        indexes = [
            models.Index(fields=["owner", "done_at"], name="actionitem_owner_open_idx"),
            models.Index(fields=["booking", "created_at"], name="actionitem_booking_idx"),
        ]
        constraints = [
            models.CheckConstraint(condition=~Q(text=""), name="actionitem_text_not_empty")
        ]

    def __str__(self) -> str:
        return self.text

    def save(self, *args, **kwargs):
        """The owner's open items are on their My Requests, remembered with their student
        version (`action_item_set_done` forgets it on its update)."""
        super().save(*args, **kwargs)
        student_changed(self.owner_id)

    @property
    def is_done(self) -> bool:
        return self.done_at is not None


FEEDBACK_EDIT_DAYS = 14
FEEDBACK_COMMENT_MAX_LENGTH = 2000
PUBLIC_RATINGS_MIN = 3  # a mentor's page shows the average from this many ratings on


class SessionFeedback(ChangesSchedule):
    """The student's rating of a held session (one per booking), and the educator's
    private reply. The comment and the reply are for the two of them only. A mentor's
    page shows the ratings' count and average: it is remembered until one is saved."""

    changes_profile = True

    booking = models.OneToOneField(Booking, on_delete=models.PROTECT, related_name="feedback")
    rating = models.PositiveSmallIntegerField()
    comment = models.TextField(max_length=FEEDBACK_COMMENT_MAX_LENGTH, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)
    reply = models.TextField(max_length=FEEDBACK_COMMENT_MAX_LENGTH, blank=True)
    replied_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = "session feedback"
        verbose_name_plural = "session feedback"
        constraints = [
            models.CheckConstraint(
                condition=Q(rating__gte=1, rating__lte=5), name="feedback_rating_1_to_5"
            )
        ]

    def __str__(self) -> str:
        return f"{self.rating}/5 for booking {self.booking_id}"

    @property
    def educator_id(self) -> int:
        """The booking's educator, whose mentor page shows the ratings."""
        return self.booking.educator_id

    @property
    def editable_until(self):
        return self.created_at + timedelta(days=FEEDBACK_EDIT_DAYS)


class InsightsReport(Booking):
    """The admin's "Insights" page (all educators' figures): a name in the admin, no table."""

    class Meta:
        proxy = True
        verbose_name = "insights"
        verbose_name_plural = "insights"
