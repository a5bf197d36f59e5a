"""Booking throughput and latency, as ratios against a baseline measured in the same run.

The baseline is the same inserts with no rules (a bare `Booking.objects.create` and seat
update in a transaction); the service adds locking and checks. Run on PostgreSQL:

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/mentoring_bench \\
        .venv/bin/python bench/booking_throughput.py [--requests 400] [--threads 8]

It creates (and drops) its own database `<name>_bench`. Results also go to
bench/results/ as JSON.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import threading
import time
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "mentoring.settings")
os.environ.setdefault("DEBUG", "true")

import django  # noqa: E402

django.setup()

from django.db import connection, connections, transaction  # noqa: E402
from django.db.models import F  # noqa: E402
from django.test.utils import setup_test_environment  # noqa: E402
from django.utils import timezone  # noqa: E402

from accounts.models import User  # noqa: E402
from scheduling import services  # noqa: E402
from scheduling.models import Booking, Slot  # noqa: E402


def make_people(n: int, tag: str) -> tuple[list[User], list[Slot]]:
    educators = User.objects.bulk_create(
        User(username=f"{tag}-e{i}", role="educator") for i in range(n)
    )
    students = User.objects.bulk_create(
        User(username=f"{tag}-s{i}", role="student") for i in range(n)
    )
    start = timezone.now().replace(microsecond=0) + timedelta(days=3)
    slots = [services.slot_create(educator=e, starts_at=start, capacity=1) for e in educators]
    return students, slots


def baseline(student: User, slot: Slot) -> None:
    with transaction.atomic():
        Booking.objects.create(slot=slot, student=student)
        Slot.objects.filter(pk=slot.pk).update(seats_taken=F("seats_taken") + 1)


def service(student: User, slot: Slot) -> None:
    services.booking_request(student=student, slot=slot)


def run(label: str, call, pairs, threads: int) -> dict:
    latencies: list[float] = []
    lock = threading.Lock()
    chunks = [pairs[i::threads] for i in range(threads)]

    def worker(chunk):
        mine = []
        for student, slot in chunk:
            began = time.perf_counter()
            call(student, slot)
            mine.append(time.perf_counter() - began)
        with lock:
            latencies.extend(mine)
        connections.close_all()

    began = time.perf_counter()
    workers = [threading.Thread(target=worker, args=(c,)) for c in chunks]
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    elapsed = time.perf_counter() - began
    latencies.sort()
    return {
        "label": label,
        "threads": threads,
        "requests": len(pairs),
        "per_second": len(pairs) / elapsed,
        "p50_ms": statistics.median(latencies) * 1000,
        "p95_ms": latencies[int(len(latencies) * 0.95) - 1] * 1000,
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--requests", type=int, default=400)
    parser.add_argument("--threads", type=int, default=8)
    args = parser.parse_args()
    if connection.vendor != "postgresql":
        sys.exit("Run with DATABASE_URL pointing at PostgreSQL: SQLite serialises all writers.")

    setup_test_environment()
    old_name = connection.creation.create_test_db(verbosity=0, serialize=False)
    try:
        rows = []
        for threads in (1, args.threads):
            for label, call in (("baseline (no rules)", baseline), ("booking_request", service)):
                students, slots = make_people(args.requests, f"{label[:4]}{threads}")
                rows.append(run(label, call, list(zip(students, slots, strict=True)), threads))
    finally:
        connection.creation.destroy_test_db(old_name, verbosity=0)

    print(f"{'case':<22}{'threads':>8}{'req/s':>10}{'p50 ms':>9}{'p95 ms':>9}{'vs base':>9}")
    for row in rows:
        base = next(
            r for r in rows if r["threads"] == row["threads"] and r["label"].startswith("base")
        )
        row["throughput_ratio"] = row["per_second"] / base["per_second"]
        print(
            f"{row['label']:<22}{row['threads']:>8}{row['per_second']:>10.0f}"
            f"{row['p50_ms']:>9.2f}{row['p95_ms']:>9.2f}{row['throughput_ratio']:>9.2f}"
        )
    out = ROOT / "bench" / "results"
    out.mkdir(exist_ok=True)
    (out / "booking_throughput.json").write_text(json.dumps(rows, indent=2))


if __name__ == "__main__":
    main()
