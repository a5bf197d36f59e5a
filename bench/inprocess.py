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


def add_profiler_options(parser) -> None:
    parser.add_argument("--repeat", type=int, default=200)
    parser.add_argument("--sort", default="tottime", help="cProfile's sort order")
    parser.add_argument("--lines", type=int, default=35)
    parser.add_argument("--time-only", action="store_true", help="no profiler: ms per request")
    parser.add_argument(
        "--pyinstrument",
        action="store_true",
        help="a sampling profile's call tree (pip install pyinstrument) instead of cProfile",
    )


def profile(name: str, request, args) -> None:
    """Run `request()` args.repeat times under the profiler the options chose; print the
    figures (`--time-only`: the best of three unprofiled rounds, in ms per request)."""
    import cProfile
    import pstats
    import time

    if args.time_only:
        best = []
        for _ in range(3):
            started = time.perf_counter()
            for _ in range(args.repeat):
                request()
            best.append((time.perf_counter() - started) / args.repeat * 1000)
        print(f"{name}: {min(best):.2f} ms per request (best of 3 x {args.repeat})")
        return
    if args.pyinstrument:
        from pyinstrument import Profiler

        profiler = Profiler(interval=float(os.environ.get("PYI_INTERVAL", "0.0001")))
        profiler.start()
        for _ in range(args.repeat):
            request()
        profiler.stop()
        print(profiler.output_text(unicode=False, show_all=bool(os.environ.get("PYI_ALL"))))
        return
    profiler = cProfile.Profile()
    started = time.perf_counter()
    profiler.enable()
    for _ in range(args.repeat):
        request()
    profiler.disable()
    took = time.perf_counter() - started
    print(f"{name}: {took / args.repeat * 1000:.2f} ms per request (profiled)")
    pstats.Stats(profiler).sort_stats(args.sort).print_stats(args.lines)
