"""`runserver` that refuses to start on a database that is not ready, with one clear line.

It wraps whichever `runserver` comes next in INSTALLED_APPS (WhiteNoise's, then Django's).
"""

from __future__ import annotations

from importlib import import_module

from django.apps import apps
from django.core.management.base import CommandError

from mentoring.readiness import NotReady, ensure_ready


def _next_runserver_command() -> type:
    names = [config.name for config in apps.get_app_configs()]
    below = names[names.index("scheduling") + 1 :]
    for name in [*below, "django.core"]:
        try:
            return import_module(f"{name}.management.commands.runserver").Command
        except ImportError:
            continue
    raise ImportError("no runserver command")  # django.core always has one


class Command(_next_runserver_command()):
    def handle(self, *args, **options):
        try:
            ensure_ready()
        except NotReady as problem:
            raise CommandError(f"refusing to start: {problem}") from None
        return super().handle(*args, **options)
