#!/usr/bin/env python
"""Django's command-line utility for administrative tasks."""

import os
import sys


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "mentoring.settings")
    from django.core.exceptions import ImproperlyConfigured
    from django.core.management import execute_from_command_line

    try:
        execute_from_command_line(sys.argv)
    except ImproperlyConfigured as problem:
        # A configuration mistake (say, no SECRET_KEY with DEBUG off) deserves one clear
        # line, not a forty-line traceback that buries it.
        sys.exit(f"manage.py: {problem}")


if __name__ == "__main__":
    main()
