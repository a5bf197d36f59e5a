"""A bare Django project for the benchmark: the same floor view, no app, no middleware.

What the app's floor is compared with (same gunicorn, same database).
"""

import environ

env = environ.Env()
SECRET_KEY = "bench-bare-project"
DEBUG = False
ALLOWED_HOSTS = ["127.0.0.1", "localhost"]
INSTALLED_APPS: list[str] = []
MIDDLEWARE: list[str] = []
ROOT_URLCONF = "bench.bare_urls"
DATABASES = {"default": env.db("DATABASE_URL")}
if DATABASES["default"]["ENGINE"] != "django.db.backends.sqlite3":
    DATABASES["default"]["CONN_MAX_AGE"] = 60
USE_TZ = True
