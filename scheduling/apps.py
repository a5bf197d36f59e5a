from django.apps import AppConfig
from django.core.management import call_command
from django.db.models.signals import post_migrate


def create_cache_tables(*, using: str, verbosity: int = 1, **kwargs) -> None:
    """`migrate` prepares everything the app needs, the database cache's table included.

    Runs after every `migrate`, so a cache switched to the database later gets its table at
    the next `migrate`; createcachetable leaves an existing table alone.
    """
    call_command("createcachetable", database=using, verbosity=max(verbosity - 1, 0))


class SchedulingConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "scheduling"
    verbose_name = "Scheduling"

    def ready(self) -> None:
        post_migrate.connect(create_cache_tables, sender=self)
