"""Settle sessions time has decided; run it from cron every minute (see README)."""

from django.core.management.base import BaseCommand
from django.db import connection

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
        refresh_planner_statistics()


def refresh_planner_statistics() -> None:
    """SQLite plans queries from statistics only ANALYZE writes, and nothing else writes
    them: without, Session Requests walks every pending request of the site instead of the
    educator's slots, and grows with the data. A sampled ANALYZE (bounded work, ~15 ms at
    130,000 slots) from this minute job keeps them fresh. PostgreSQL's autovacuum does this
    by itself."""
    if connection.vendor == "sqlite":
        with connection.cursor() as cursor:
            cursor.execute("PRAGMA analysis_limit=1000")
            cursor.execute("ANALYZE")
