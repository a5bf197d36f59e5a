"""Booking throughput and latency, as ratios against a baseline measured in the same run.

The baseline is the same inserts with no rules (a bare `Booking.objects.create` and seat
update in a transaction); the service adds locking and checks. The service is timed twice:
with its email as it is sent today (an outbox row, and a task enqueued on commit for the
worker), and with the email sent inside the request to the console backend, as before the
task queue (`legacy console email`). Run on PostgreSQL:

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/mentoring_bench \\
        .venv/bin/python bench/booking_throughput.py [--requests 400] [--threads 8]

It creates (and drops) its own database `<name>_bench`. Results also go to
bench/results/ as JSON.
"""

from __future__ import annotations

import argparse
import contextlib
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

from django.conf import settings  # noqa: E402
from django.core.mail import send_mail  # noqa: E402
from django.db import connection, connections, transaction  # noqa: E402
from django.db.models import F  # noqa: E402
from django.test.utils import setup_test_environment  # noqa: E402
from django.utils import timezone  # noqa: E402

from accounts.models import User  # noqa: E402
from scheduling import notifications, services  # noqa: E402
from scheduling.models import Booking, Slot  # noqa: E402


def make_people(n: int, tag: str) -> tuple[list[User], list[Slot]]:
    educators = User.objects.bulk_create(
        User(username=f"{tag}-e{i}", role="educator", email=f"{tag}-e{i}@example.com")
        for i in range(n)
    )
    students = User.objects.bulk_create(
        User(username=f"{tag}-s{i}", role="student", email=f"{tag}-s{i}@example.com")
        for i in range(n)
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


def legacy_booking_changed(booking, *, actor, from_status: str) -> None:
    """The email as sent before the task queue: rendered in the request, sent on commit
    to the console backend, inside the request (scheduling/notifications.py until then)."""
    educator = booking.slot.educator
    when = booking.slot.starts_at.astimezone(educator.zoneinfo)
    body = "\n".join(
        [
            f"Hello {educator.display_name},",
            "",
            f"Session: {when:%A %d %B %Y, %H:%M} ({educator.timezone})",
            f"Student: {booking.student.display_name}",
            f"Educator: {educator.display_name}",
            f"Status: {booking.get_status_display()}",
        ]
    )
    subject = f"New session request from {booking.student.display_name}"

    def send() -> None:
        send_mail(subject, body, settings.DEFAULT_FROM_EMAIL, [educator.email])

    transaction.on_commit(send)


def legacy(student: User, slot: Slot) -> None:
    services.booking_request(student=student, slot=slot)


def run(call, pairs, threads: int) -> tuple[list[float], float]:
    """Book every (student, slot) pair over `threads` threads: latencies and elapsed time."""
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
    return latencies, time.perf_counter() - began


def summary(label: str, threads: int, latencies: list[float], elapsed: float) -> dict:
    latencies = sorted(latencies)
    return {
        "label": label,
        "threads": threads,
        "requests": len(latencies),
        "per_second": len(latencies) / elapsed,
        "p50_ms": statistics.median(latencies) * 1000,
        "p95_ms": latencies[int(len(latencies) * 0.95) - 1] * 1000,
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--requests", type=int, default=400)
    parser.add_argument("--threads", type=int, default=8)
    parser.add_argument(
        "--rounds", type=int, default=4, help="cases take turns, so load drift hits all alike"
    )
    args = parser.parse_args()
    if connection.vendor != "postgresql":
        sys.exit("Run with DATABASE_URL pointing at PostgreSQL: SQLite serialises all writers.")

    setup_test_environment()
    settings.EMAIL_BACKEND = "django.core.mail.backends.console.EmailBackend"
    current = notifications.booking_changed
    cases = (
        ("baseline (no rules)", baseline, current),
        ("booking_request", service, current),  # outbox row + task enqueued on commit
        ("legacy console email", legacy, legacy_booking_changed),
    )
    old_name = connection.creation.create_test_db(verbosity=0, serialize=False)
    try:
        rows = []
        with open(os.devnull, "w") as sink, contextlib.redirect_stdout(sink):
            for threads in (1, args.threads):
                measured = {label: ([], 0.0) for label, *_ in cases}
                for round_ in range(args.rounds):
                    for label, call, notify in cases:
                        notifications.booking_changed = notify
                        tag = f"{label[:4]}{threads}r{round_}"
                        students, slots = make_people(args.requests // args.rounds, tag)
                        pairs = list(zip(students, slots, strict=True))
                        latencies, elapsed = run(call, pairs, threads)
                        total, seconds = measured[label]
                        measured[label] = (total + latencies, seconds + elapsed)
                rows += [summary(label, threads, *measured[label]) for label, *_ in cases]
    finally:
        notifications.booking_changed = current
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
