"""Settings for the page benchmark only: the app's settings plus a floor view (bench/urls.py).

The app exactly as deployed (DEBUG off, every middleware), without the TLS redirect: the
load generator speaks plain HTTP on 127.0.0.1.
"""

from mentoring.settings import *  # noqa: F403

ROOT_URLCONF = "bench.urls"
SECURE_SSL_REDIRECT = False
# Collected static files go beside the results (git-ignored), not into the work tree's
# STATIC_ROOT: WhiteNoise scans that folder whenever a test client builds its middleware.
STATIC_ROOT = BASE_DIR / "bench" / "results" / "static"  # noqa: F405
