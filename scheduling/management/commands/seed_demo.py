"""Demo data so every page has something to show on first run (see DESIGN.md)."""

from __future__ import annotations

import time as time_module
from datetime import UTC, datetime, time, timedelta

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.utils import timezone

from accounts.models import User
from notifications.models import Notification
from outbox.models import Message, State
from scheduling import services
from scheduling.models import Course, Slot

PASSWORD = "mentoring-demo"

USERS = [
    # username, role, first, last, field, timezone, staff
    ("admin", "educator", "Ada", "Admin", "", "UTC", True),
    ("mentor1", "educator", "Maya", "Santos", "Web Development", "Europe/London", False),
    ("mentor2", "educator", "Daniel", "Okafor", "Data Science", "America/New_York", False),
    ("student1", "student", "Sam", "Lee", "", "Europe/Berlin", False),
    ("student2", "student", "Priya", "Nair", "", "Asia/Kolkata", False),
    ("student3", "student", "Tom", "Becker", "", "UTC", False),
]

COURSES = {
    "mentor1": (
        "Django for Beginners",
        "Build and deploy your first Django application: models, views, templates, forms.",
    ),
    "mentor2": (
        "Intro to Machine Learning",
        "From linear regression to decision trees, with scikit-learn and real data sets.",
    ),
}


class Command(BaseCommand):
    help = "Create the demo accounts, courses, slots and bookings (safe to run again)."

    def add_arguments(self, parser) -> None:
        parser.add_argument(
            "--scale",
            type=int,
            default=0,
            help="Instead of the demo data: the load data set of bench/dataset.py at N times "
            "its base size (N=1: 20 educators, 200 students, 13,000 slots, 2,000 requests).",
        )

    def handle(self, *args, **options) -> None:
        if options["scale"]:
            self._load_data_set(options["scale"])
            return
        with transaction.atomic():
            users = {row[0]: self._user(*row) for row in USERS}
            courses = {
                name: Course.objects.get_or_create(
                    educator=users[name],
                    title=title,
                    defaults={"description": text, "field": users[name].field},
                )[0]
                for name, (title, text) in COURSES.items()
            }
            for student in ("student1", "student2"):
                services.enroll(student=users[student], course=courses["mentor1"])
        demo_educators = [users["mentor1"], users["mentor2"]]
        if not Slot.objects.filter(educator__in=demo_educators).exists():
            # One transaction, so a failure leaves no half-made sessions that would stop a
            # rerun from adding them. Demo people have example.com addresses: the history's
            # mail is recorded in the outbox as not sent, before any worker could send it.
            with transaction.atomic():
                self._sessions(users, courses)
                Message.objects.filter(state=State.PENDING).update(
                    state=State.SKIPPED, last_error="Demo data: not sent."
                )
        self.stdout.write(self.style.SUCCESS("Demo data ready. Every password: " + PASSWORD))
        for username, role, *_rest, staff in USERS:
            self.stdout.write(f"  {username:<9} {'staff' if staff else role}")

    def _load_data_set(self, scale: int) -> None:
        from bench import dataset

        if scale < 1:
            raise CommandError("--scale must be 1 or more.")
        if dataset.exists():
            self.stdout.write("The load data set is already there; nothing to do.")
            return
        started = time_module.monotonic()
        counts = dataset.build(scale)
        took = time_module.monotonic() - started
        summary = ", ".join(f"{n:,} {name}" for name, n in counts.items())
        self.stdout.write(
            self.style.SUCCESS(f"Load data set (scale {scale}): {summary} in {took:.1f} s.")
        )
        self.stdout.write(f"  every password: {dataset.PASSWORD}")

    def _user(self, username, role, first, last, field, tz, staff) -> User:
        user, created = User.objects.get_or_create(
            username=username,
            defaults={
                "role": role,
                "first_name": first,
                "last_name": last,
                "field": field,
                "timezone": tz,
                "email": f"{username}@example.com",
                "is_staff": staff,
                "is_superuser": staff,
            },
        )
        if created:
            user.set_password(PASSWORD)
            user.save(update_fields=["password"])
        return user

    def _sessions(self, users, courses) -> None:
        """Slots and bookings in every status, made through the services like real ones."""
        m1, m2 = users["mentor1"], users["mentor2"]
        s1, s2, s3 = users["student1"], users["student2"], users["student3"]
        django_course, ml_course = courses["mentor1"], courses["mentor2"]
        midnight = datetime.combine(timezone.now().date(), time(0), tzinfo=UTC)

        def at(days: int, hour: int) -> datetime:
            return midnight + timedelta(days=days, hours=hour)

        def slot(educator, when, **kwargs) -> Slot:
            return services.slot_create(educator=educator, starts_at=when, **kwargs)

        link1 = "https://meet.example.com/maya-santos"
        link2 = "https://meet.example.com/daniel-okafor"
        models_review = slot(
            m1,
            at(1, 10),
            course=django_course,
            capacity=3,
            meeting_link=link1,
            note="Bring your models.py: we review data modelling together.",
        )
        office_hour = slot(m1, at(1, 14), note="Open office hour: any web question.")
        deploy = slot(
            m1,
            at(2, 9),
            course=django_course,
            capacity=2,
            meeting_link=link1,
            requires_approval=False,
            note="Deploying with gunicorn behind a proxy.",
        )
        slot(
            m1,
            at(3, 16),
            capacity=5,
            duration=90,
            meeting_link=link1,
            note="Group code review, up to five people.",
        )
        slot(m1, at(5, 11), course=django_course, capacity=2, meeting_link=link1)
        pairing = slot(
            m2, at(1, 15), capacity=2, meeting_link=link2, note="Career chat about data science."
        )
        slot(
            m2,
            at(2, 13),
            course=ml_course,
            capacity=4,
            meeting_link=link2,
            note="Linear regression from scratch.",
        )
        slot(m2, at(4, 17), duration=45)
        cancelled_day = slot(m2, at(6, 12), capacity=2)
        history = slot(m1, at(8, 10), capacity=2, meeting_link=link1)

        request = services.booking_request
        request(
            student=s1,
            slot=models_review,
            message="I'd like help with ForeignKey vs ManyToMany for my blog project.",
        )
        approved = request(student=s2, slot=models_review, message="Can we look at my signals?")
        services.booking_approve(booking=approved, by=m1)
        rejected = request(student=s1, slot=office_hour, message="Quick question about CSS.")
        services.booking_reject(
            booking=rejected,
            by=m1,
            reason="This hour is for Django questions; please book Thursday.",
        )
        request(student=s2, slot=deploy, message="I have a Heroku app to move.")
        request(student=s3, slot=pairing, message="Thinking about switching careers.")
        changed_mind = request(student=s1, slot=pairing)
        services.booking_cancel(booking=changed_mind, by=s1, reason="Found a clash with class.")
        request(student=s2, slot=cancelled_day, message="Pandas questions.")
        services.slot_withdraw(slot=cancelled_day, by=m2, reason="Conference travel, sorry!")

        # A session that already happened: booked while it was upcoming, then moved back in
        # time (demo data only) and settled by the same job that runs from cron.
        done = request(student=s1, slot=history, message="Code review of my first app.")
        services.booking_approve(booking=done, by=m1)
        request(student=s2, slot=history, message="Also keen to join.")
        Slot.objects.filter(pk=history.pk).update(starts_at=at(-3, 10), ends_at=at(-3, 11))
        # Their texts named the time before the move; the job below tells the new one.
        Notification.objects.filter(booking__slot=history).delete()
        services.close_past_sessions()
