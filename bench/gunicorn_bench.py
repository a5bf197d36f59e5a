"""gunicorn settings of the page benchmark: 2 sync workers, no access log."""

workers = 2
worker_class = "sync"
accesslog = None
errorlog = "-"
loglevel = "warning"
preload_app = False
