"""Profile one endpoint in-process (cProfile over the Django test client).

Uses the data a `bench/pages.py` run left in bench/results/bench.sqlite3 (or DATABASE_URL):

    .venv/bin/python bench/profile_page.py booking_page [--repeat 200] [--sort tottime]
"""

from __future__ import annotations

import argparse
import cProfile
import os
import pstats
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from bench.inprocess import use_bench_data  # noqa: E402

use_bench_data()


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("endpoint")
    parser.add_argument("--repeat", type=int, default=200)
    parser.add_argument("--sort", default="tottime")
    parser.add_argument("--lines", type=int, default=35)
    parser.add_argument("--time-only", action="store_true", help="no profiler: ms per request")
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
    path, who = paths({"course": course.pk, "educator": educator.pk})[args.endpoint]
    client = Client()
    if who in ("student", "educator"):
        client.force_login(student if who == "student" else educator)
    for _ in range(5):
        assert client.get(path).status_code == 200
    if os.environ.get("BENCH_GC_FREEZE"):
        import gc

        gc.freeze()
    if args.time_only:
        best = []
        for _ in range(3):
            started = time.perf_counter()
            for _ in range(args.repeat):
                client.get(path)
            best.append((time.perf_counter() - started) / args.repeat * 1000)
        print(f"{args.endpoint}: {min(best):.2f} ms per request (best of 3 x {args.repeat})")
        return 0
    profiler = cProfile.Profile()
    started = time.perf_counter()
    profiler.enable()
    for _ in range(args.repeat):
        client.get(path)
    profiler.disable()
    took = time.perf_counter() - started
    print(f"{args.endpoint}: {took / args.repeat * 1000:.2f} ms per request (profiled)")
    pstats.Stats(profiler).sort_stats(args.sort).print_stats(args.lines)
    return 0


if __name__ == "__main__":
    sys.exit(main())
