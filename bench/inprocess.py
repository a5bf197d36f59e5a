"""The environment of the in-process profilers (profile_page.py, profile_post.py): the data
a `bench/pages.py` run left (bench/results/bench.sqlite3, or DATABASE_URL) under the
benchmark's settings."""

from __future__ import annotations

import os
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def use_bench_data() -> None:
    os.environ.setdefault(
        "DATABASE_URL", f"sqlite:///{ROOT / 'bench' / 'results' / 'bench.sqlite3'}"
    )
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bench.settings")
    os.environ.setdefault("SECRET_KEY", "bench-profile")
    os.environ.setdefault("EMAIL_URL", "dummymail://")
    os.environ["DEBUG"] = "false"
