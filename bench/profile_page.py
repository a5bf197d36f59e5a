"""Profile one endpoint in-process (cProfile over the Django test client).

Uses the data a `bench/pages.py` run left in bench/results/bench.sqlite3 (or DATABASE_URL):

    .venv/bin/python bench/profile_page.py booking_page [--repeat 200] [--sort tottime]
        [--time-only | --pyinstrument]
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from bench.inprocess import add_profiler_options, profile, use_bench_data  # noqa: E402

use_bench_data()


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("endpoint")
    add_profiler_options(parser)
    args = parser.parse_args()
    import django

    django.setup()
    from django.test import Client

    from accounts.models import User
    from bench import dataset
    from bench.pages import paths
    from scheduling.models import Course

    educator = User.objects.get(username=dataset.BUSY_EDUCATOR)
    student = User.objects.get(username=dataset.BUSY_STUDENT)
    course = Course.objects.filter(educator=educator).order_by("pk").first()
    fixture = {"course": course.pk, "educator": educator.pk, "post_course": None}
    path, who = paths(fixture)[args.endpoint]
    client = Client()
    if who in ("student", "educator"):
        client.force_login(student if who == "student" else educator)
    for _ in range(5):
        assert client.get(path).status_code == 200
    if os.environ.get("BENCH_GC_FREEZE"):
        import gc

        gc.freeze()
    profile(args.endpoint, lambda: client.get(path), args)
    return 0


if __name__ == "__main__":
    sys.exit(main())
