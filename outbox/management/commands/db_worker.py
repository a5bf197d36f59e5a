"""django-tasks-db's worker, which also starts the periodic chain when none is alive.

It extends the library's command of the same name (as staticfiles extends runserver), so
`manage.py db_worker` with all its options is the one command a worker host runs.
"""

from django_tasks_db.management.commands import db_worker

from outbox import periodic


class Command(db_worker.Command):
    help = db_worker.Command.help + " (and start the periodic tasks if none is running)"

    def handle(self, *args, **options) -> None:
        started = periodic.ensure_all()
        if started and options.get("verbosity", 1):
            self.stdout.write("Started periodic task(s): " + ", ".join(started))
        super().handle(*args, **options)
