"""Settle sessions time has decided; run it from cron every minute (see README)."""

from django.core.management.base import BaseCommand

from scheduling import services


class Command(BaseCommand):
    help = (
        "Reject pending requests whose session has started and complete approved sessions "
        "that have ended. Idempotent."
    )

    def handle(self, *args, **options) -> None:
        counts = services.close_past_sessions()
        self.stdout.write(
            f"Rejected {counts['rejected']} unanswered request(s); "
            f"completed {counts['completed']} session(s)."
        )
