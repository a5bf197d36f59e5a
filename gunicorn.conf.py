"""gunicorn reads this file from the working directory: `gunicorn mentoring.wsgi ...`.

Options given on the command line still apply; this file only adds two hooks.
"""

import os


def on_starting(server) -> None:
    """Refuse to start, once and before binding a port, when the database is not ready.

    Prints one line (what is missing, what to run) and exits with status 4.
    """
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "mentoring.settings")
    from mentoring.readiness import exit_unless_ready

    exit_unless_ready(setup=True)


def post_worker_init(worker) -> None:
    """Say when a worker has loaded the app and can serve (booting is logged before that).

    The objects loaded so far (modules, URL patterns, settings) live as long as the worker:
    frozen, the garbage collector stops walking them again on every full collection.
    """
    import gc

    gc.freeze()
    worker.log.info("Worker ready (pid: %s)", worker.pid)
