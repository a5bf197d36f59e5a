"""WSGI entry for the benchmark's gunicorn (DJANGO_SETTINGS_MODULE picks app or bare)."""

from django.core.wsgi import get_wsgi_application

application = get_wsgi_application()
