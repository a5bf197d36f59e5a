"""Settings for Mentoring, read from the environment (and an optional `.env` file).

Every variable is optional for a local run; see README.md ("Configuration").
"""

import sys
from datetime import timedelta
from pathlib import Path

import environ
from csp.constants import NONE, SELF
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()
environ.Env.read_env(BASE_DIR / ".env", overwrite=False)

# pytest imports settings before any test runs; tests run without TLS and need a key.
TESTING = "pytest" in sys.modules or env.bool("TESTING", default=False)

DEBUG = env.bool("DEBUG", default=False)

SECRET_KEY = env("SECRET_KEY", default="")
if not SECRET_KEY:
    if not (DEBUG or TESTING):
        raise ImproperlyConfigured(
            "SECRET_KEY must be set when DEBUG is off (for example: "
            "SECRET_KEY=$(python -c 'import secrets; print(secrets.token_urlsafe(50))'))."
        )
    SECRET_KEY = "django-insecure-local-development-key-not-for-production-use"

ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["localhost", "127.0.0.1", "[::1]", "testserver"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "accounts",
    "scheduling",
    "notifications",
    # Before django_tasks_db: outbox's `db_worker` (which also starts the periodic chain)
    # extends the library's command of the same name, as staticfiles does with runserver.
    "outbox",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "axes",
    "crispy_forms",
    "crispy_bootstrap5",
    "django_htmx",
    "template_partials",
    "bootstrap",
    "ninja",
    "csp",
    "django_tasks",
    "django_tasks_db",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "scheduling.api.core.ApiEnvelopeMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "accounts.middleware.UserTimezoneMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "mentoring.middleware.CSPMiddleware",  # django-csp's, the policy built once
    "axes.middleware.AxesMiddleware",  # turns a lockout no view explained into a 429 page
]

ROOT_URLCONF = "mentoring.urls"
WSGI_APPLICATION = "mentoring.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

DATABASES = {
    "default": env.db("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}"),
}
DATABASES["default"]["ATOMIC_REQUESTS"] = False
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # Several processes share one file: writers must queue, never fail with "database is
    # locked". IMMEDIATE takes the write lock at BEGIN, so a transaction that reads and then
    # writes cannot be refused mid-way (SQLite ignores the busy timeout for that upgrade);
    # WAL lets readers go on while one writer works; the timeout (seconds) is how long a
    # writer waits for its turn. synchronous stays FULL: a confirmed booking survives a
    # power cut.
    # Options given in DATABASE_URL (?timeout=5) win.
    sqlite_options = DATABASES["default"].setdefault("OPTIONS", {})
    sqlite_options.setdefault("transaction_mode", "IMMEDIATE")
    sqlite_options.setdefault("timeout", 20)
    sqlite_options.setdefault("init_command", "PRAGMA journal_mode=WAL")
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql" and env.bool(
    "PG_PREPARED_STATEMENTS", default=True
):
    # Server-side binding, and psycopg prepares a statement on a connection from its second
    # run on: PostgreSQL then skips parsing, and planning once it settles on a generic
    # plan (planning a page's four-table join cost as much as running it). Connections are
    # kept (CONN_MAX_AGE), so the prepared statements are too. Behind a pooler in
    # transaction mode that cannot keep them (PgBouncer before 1.21), set
    # PG_PREPARED_STATEMENTS=0.
    pg_options = DATABASES["default"].setdefault("OPTIONS", {})
    pg_options.setdefault("server_side_binding", True)
    pg_options.setdefault("prepare_threshold", 2)
# Keep connections between requests: opening one (and, on SQLite, running its PRAGMA) cost
# more than a whole small request did.
DATABASES["default"]["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=60)
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "accounts.User"

# A shared cache (the database by default), so nothing cached lives in one process only.
CACHES = {"default": env.cache("CACHE_URL", default="dbcache://mentoring_cache")}

# One protection for every way in (page, API and admin logins, password reset requests):
# django-axes' database tables, shared by every process and host. See accounts/login_guard.py.
AUTHENTICATION_BACKENDS = [
    "accounts.login_guard.LoginGuardBackend",  # counts the attempt first, or refuses it
    "django.contrib.auth.backends.ModelBackend",
]
AXES_HANDLER = "accounts.login_guard.LoginGuardHandler"
AXES_FAILURE_LIMIT = 10
AXES_COOLOFF_TIME = timedelta(minutes=15)
# Account AND client address: an attacker locks out only their own address, never the owner.
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_USERNAME_CALLABLE = "accounts.login_guard.axes_username"
AXES_CLIENT_IP_CALLABLE = "accounts.login_guard.client_ip"
AXES_LOCKOUT_CALLABLE = "accounts.login_guard.lockout_response"
AXES_RESET_ON_SUCCESS = True
AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT = False  # the wait is what the message says
AXES_DISABLE_ACCESS_LOG = True  # count failures; do not keep every login for ever
AXES_VERBOSE = False
# The client address behind a proxy: the header it sets (e.g. X-Forwarded-For) and how many
# trusted proxies append to it. Off by default: only trust a header your own proxy writes.
TRUSTED_PROXY_HEADER = env("TRUSTED_PROXY_HEADER", default="")
TRUSTED_PROXY_COUNT = env("TRUSTED_PROXY_COUNT", default="1")
if not (TRUSTED_PROXY_COUNT.isdigit() and int(TRUSTED_PROXY_COUNT) >= 1):
    raise ImproperlyConfigured("TRUSTED_PROXY_COUNT must be a whole number, 1 or more.")
TRUSTED_PROXY_COUNT = int(TRUSTED_PROXY_COUNT)

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "scheduling:home"  # which sends each role to its own home
LOGOUT_REDIRECT_URL = "scheduling:home"

LANGUAGE_CODE = "en-us"
# Default timezone for new users; times are stored in UTC and shown in each viewer's zone.
TIME_ZONE = env("TIME_ZONE", default="UTC")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if TESTING
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}

# Email: console by default, SMTP (or any backend) through EMAIL_URL, e.g. smtp+tls://user:pw@host:587
vars().update(env.email_url("EMAIL_URL", default="consolemail://"))
DEFAULT_FROM_EMAIL = env("DEFAULT_FROM_EMAIL", default="Mentoring <noreply@mentoring.local>")
# A mail server that hangs must not hold a request (and its worker) for ever.
EMAIL_TIMEOUT = env.int("EMAIL_TIMEOUT", default=10)

# Absolute links in mail (and calendars) point here: the address users reach the site at.
SITE_URL = env("SITE_URL", default="http://127.0.0.1:8000").rstrip("/")

# Background work on Django's tasks API (django-tasks, the backport of Django 6's
# django.tasks). The database backend needs no extra service (django-tasks-db's); moving
# to Django 6's `django.tasks` or another backend (e.g. RQ) changes only this setting.
TASKS = {"default": {"BACKEND": env("TASKS_BACKEND", default="django_tasks_db.DatabaseBackend")}}
# A failed send is tried again after these many seconds (so 5 tries over about 80
# minutes), then marked failed for staff to see in the admin.
OUTBOX_RETRY_DELAYS = [60, 300, 900, 3600]
# A message claimed this long ago without an outcome belongs to a dead worker: send again.
OUTBOX_STUCK_AFTER = env.int("OUTBOX_STUCK_AFTER", default=300)
# Periodic tasks (each re-enqueues itself every PERIODIC_SECONDS; a worker starts them):
# close past sessions, queue due reminders, re-deliver mail a dead worker left behind.
PERIODIC_TASKS = ["scheduling.tasks.every_minute"]
PERIODIC_SECONDS = 60
# The calendar attachment of approval and cancellation mail: `(booking, *, method) -> bytes`.
OUTBOX_ICS_BUILDER = "scheduling.calendars.booking_ics"

CRISPY_ALLOWED_TEMPLATE_PACKS = "bootstrap5"
CRISPY_TEMPLATE_PACK = "bootstrap5"

# Strict Content-Security-Policy: every script and style is a local static file.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "img-src": [SELF, "data:"],
        "font-src": [SELF],
        "connect-src": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
        "base-uri": [SELF],
        "object-src": [NONE],
    }
}

# Security. Behind a TLS proxy that sets X-Forwarded-Proto (see README, "Deploying").
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=not (DEBUG or TESTING))
# Flash messages ride in a signed cookie only. Ours are a line each, far below the cookie's
# 2 KB; Django's default falls back to the session for longer ones, which would make a
# page's message a session write (on SQLite, a turn at the one write lock) and builds both
# stores on every request (about 4 us of a 110 us bare request).
MESSAGE_STORAGE = "django.contrib.messages.storage.cookie.CookieStorage"
SESSION_COOKIE_SECURE = not (DEBUG or TESTING)
CSRF_COOKIE_SECURE = not (DEBUG or TESTING)
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=0 if DEBUG else 31536000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = not DEBUG
SECURE_HSTS_PRELOAD = not DEBUG
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env("LOG_LEVEL", default="INFO")},
    "loggers": {
        "django.db.backends": {"level": "INFO"},
        "axes": {"level": "WARNING"},  # not a line for every successful login
    },
}
