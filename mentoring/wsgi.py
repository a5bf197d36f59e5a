"""WSGI entry point: `gunicorn mentoring.wsgi`.

A process refuses to start on a database that is not ready (unapplied migrations, no cache
table): it prints one line and exits, instead of answering 500 to its first user. Under
gunicorn the master already asked once (gunicorn.conf.py); this covers every other server.
"""

import os

from django.core.wsgi import get_wsgi_application

from mentoring.readiness import exit_unless_ready

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "mentoring.settings")

application = get_wsgi_application()
exit_unless_ready()
