"""gunicorn settings of the page benchmark: 2 sync workers, no access log.

The same for the app and the bare project; the worker hook is the app's (gunicorn.conf.py).
"""

import gc

workers = 2
worker_class = "sync"
accesslog = None
errorlog = "-"
loglevel = "warning"
preload_app = False


def post_worker_init(worker) -> None:
    gc.freeze()  # as gunicorn.conf.py does for the app in production
