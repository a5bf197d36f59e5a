"""Page benchmark: what each page costs, as a multiple of the app's floor in the same run.

One command (`make bench`) per database: a fresh database, the load data set
(`seed_demo --scale N`), gunicorn (2 sync workers) serving bench.settings on 127.0.0.1, and
`wrk` (8 connections, 10 s per endpoint by default) on each endpoint. The floor is a view
that runs one `SELECT 1` and returns a tiny JSON through every middleware; a bare Django
project (same gunicorn, no app, no middleware) serves the same view, to show what the
middleware costs. Queries per request come from the Django test client on the same data.

    .venv/bin/python bench/pages.py                       # SQLite, scale 1
    .venv/bin/python bench/pages.py --databases sqlite,postgres --scale 10
    BENCH_POSTGRES_URL=postgres://postgres@127.0.0.1:5432/mentoring_bench ...

The PostgreSQL database named by --postgres-url is DROPPED and made again: give it a
database of its own. Results: a table on stdout and JSON in bench/results/.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import urlencode, urlparse

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results"
LUA = ROOT / "bench" / "wrk.lua"
PYTHON = sys.executable
GUNICORN = str(Path(PYTHON).with_name("gunicorn"))
DEFAULT_PG = "postgres://postgres@127.0.0.1:5432/mentoring_bench"

# name, kind (what target it has), label
ENDPOINTS = [
    ("floor", "floor", "floor (SELECT 1, every middleware)"),
    ("booking_page", "html", "booking page of the busy course"),
    ("my_requests", "html", "My Requests (student, 70 requests)"),
    ("session_requests", "html", "Session Requests (educator, ~100)"),
    ("availability", "html", "availability page (educator)"),
    ("mentor_page", "html", "mentor page of the busy educator (student)"),
    ("insights", "html", "Insights (educator)"),
    ("api_course_slots", "json", "GET /api/availability/course/<id>"),
    ("get_session", "json", "GET /session/getSession/<mentorId>"),
    ("booking_post", "post", "booking POST (new student and slot each)"),
]
TARGETS = {"html": 8.0, "json": 6.0, "post": 10.0}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--databases", default="sqlite", help="sqlite,postgres (comma list)")
    parser.add_argument("--postgres-url", default=os.environ.get("BENCH_POSTGRES_URL", DEFAULT_PG))
    parser.add_argument("--scale", type=int, default=1)
    parser.add_argument("--duration", type=int, default=10, help="seconds per endpoint")
    parser.add_argument("--connections", type=int, default=8)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--warmup", type=int, default=2, help="seconds of warm-up per endpoint")
    parser.add_argument(
        "--port", type=int, default=8700, help="app; the bare project +1 (0: free ports)"
    )
    parser.add_argument("--tiny", action="store_true", help="a few rows only (smoke test)")
    parser.add_argument("--results", default=str(RESULTS), help="folder for JSON and SQLite")
    parser.add_argument("--only", default="", help="endpoint names (comma list); floor always")
    parser.add_argument("--output", default="", help="JSON file (default: bench/results/...)")
    parser.add_argument("--child", default="", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if not shutil.which("wrk"):
        print("bench needs wrk: apt-get install wrk (or run `make bench`)", file=sys.stderr)
        return 2
    results_dir = Path(args.results)
    results_dir.mkdir(parents=True, exist_ok=True)
    if args.child:
        return run_one(args, args.child, results_dir)
    results = []
    for db in [d.strip() for d in args.databases.split(",") if d.strip()]:
        if db not in ("sqlite", "postgres"):
            print(f"unknown database {db!r}: sqlite or postgres", file=sys.stderr)
            return 2
        if db == "postgres" and not postgres_answers(args.postgres_url):
            print(f"\nPostgreSQL at {args.postgres_url} does not answer: skipped.", flush=True)
            continue
        sqlite = f"sqlite:///{results_dir / 'bench.sqlite3'}"
        url = sqlite if db == "sqlite" else args.postgres_url
        out = results_dir / f".child-{db}.json"
        child = [PYTHON, __file__, "--child", url, "--output", str(out)]
        for name in ("scale", "duration", "warmup", "connections", "threads", "port", "results"):
            child += [f"--{name}", str(getattr(args, name))]
        child += ["--only", args.only] if args.only else []
        child += ["--tiny"] if args.tiny else []
        code = subprocess.call(child)
        if code:
            return code
        results.append(json.loads(out.read_text()))
        out.unlink()
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    path = Path(args.output) if args.output else results_dir / f"pages-{stamp}.json"
    path.write_text(json.dumps({"machine": machine(), "runs": results}, indent=2))
    print(f"\nJSON: {path}")
    return 0


def postgres_answers(url: str) -> bool:
    import psycopg

    try:
        with psycopg.connect(urlparse(url)._replace(path="/postgres").geturl(), connect_timeout=3):
            return True
    except psycopg.Error:
        return False


def machine() -> dict:
    cpu = ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return {
        "cpus": os.cpu_count(),
        "cpu": cpu,
        "python": platform.python_version(),
        "system": platform.platform(),
    }


# --- one database, in a child process (Django is set up once per database)


def run_one(args, database_url: str, results_dir: Path) -> int:
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "bench.settings",
        "DATABASE_URL": database_url,
        "DEBUG": "false",
        "SECRET_KEY": os.environ.get("SECRET_KEY") or secrets.token_urlsafe(40),
        "SECURE_SSL_REDIRECT": "false",
        "LOG_LEVEL": "WARNING",
        "EMAIL_URL": "dummymail://",  # the load data set's people have no real addresses
    }
    env.pop("TESTING", None)
    os.environ.update(env)
    sys.path.insert(0, str(ROOT))
    vendor = fresh_database(database_url)
    import django

    django.setup()
    from django.conf import settings
    from django.core.management import call_command

    started = time.monotonic()
    call_command("migrate", verbosity=0, interactive=False)
    call_command("createcachetable", verbosity=0)
    from bench import dataset  # what `seed_demo --scale N` writes

    dataset.build(args.scale, tiny=args.tiny)
    call_command("close_past_sessions", stdout=open(os.devnull, "w"))  # noqa: SIM115  as cron
    seeded = time.monotonic() - started
    if not (Path(settings.STATIC_ROOT) / "staticfiles.json").exists():
        call_command("collectstatic", verbosity=0, interactive=False)
    only = {n for n in args.only.split(",") if n} | {"floor"}
    endpoints = [e for e in ENDPOINTS if not args.only or e[0] in only]
    # Booking POSTs wrk may send (4/3: a quarter of them are for the warm-up): twice what
    # 2 cores served (~600/s on SQLite, more on the tiny data set).
    budget = int(max(1500, 1200 * args.duration) * 4 / 3)
    fixture = prepare(budget, results_dir)
    from django.db import connection

    if connection.vendor == "postgresql":
        # What autovacuum does within a minute or two of a bulk load (the data set, then
        # the POSTs' students and sessions): measured before it, plans come from stale
        # statistics (the course's first 50 open slots were found by joining and sorting
        # all ~4,000 of them: 10 ms instead of 0.8 ms; Session Requests hashed every user
        # for ten cards), and counts read every row because no page is marked all-visible
        # yet (Manage Availability's count: 2.5 -> 1.4 ms as an index-only scan).
        with connection.cursor() as cursor:
            cursor.execute("VACUUM ANALYZE")
    queries = count_queries(fixture)
    from django.db import connections

    connections.close_all()

    rows = []
    ports = (args.port, args.port + 1) if args.port else free_ports(2)
    app = Server(env, ports[0], "bench.settings")
    bare = Server(env, ports[1], "bench.bare_settings")
    # The machine's load drifts (other work shares the cores): each endpoint is measured
    # between two bursts of the floor, and its multiple is taken against their mean.
    floors: list[float] = []

    def floor_burst(server: Server) -> float:
        rps = load(args, server.port, fixture, "floor", seconds=max(1, args.duration // 2))["rps"]
        floors.append(rps)
        return rps

    try:
        app.start()
        bare.start()
        for name, kind, label in endpoints:
            row = {"name": name, "kind": kind, "label": label, "queries": queries.get(name)}
            before = floor_burst(app)
            row.update(load(args, app.port, fixture, name))
            row["local_floor_rps"] = round((before + floor_burst(app)) / 2, 1)
            rows.append(row)
            print(f"  {name:<18} {row['rps']:>8.1f} req/s", flush=True)
        bare_row = {"name": "bare_floor", "kind": "bare", "label": "bare Django floor"}
        before = floor_burst(app)
        bare_row.update(load(args, bare.port, fixture, "floor"))
        bare_row["local_floor_rps"] = round((before + floor_burst(app)) / 2, 1)
        bare_row["queries"] = 1
    finally:
        app.stop()
        bare.stop()
    booked = booked_by_bench(fixture)
    floor = sum(floors) / len(floors)
    for row in rows + [bare_row]:
        local = row["local_floor_rps"]
        row["multiple"] = round(local / row["rps"], 2) if row["rps"] else None
        target = TARGETS.get(row["kind"])
        row["target"] = target
        row["holds"] = None if target is None else row["multiple"] <= target
    post = next((r for r in rows if r["name"] == "booking_post"), None)
    if post is not None:
        post["booked"] = booked
        post["all_booked"] = booked >= post["requests_total"]
    floor_vs_bare = round(bare_row["rps"] / bare_row["local_floor_rps"], 3)
    result_floor = round(floor, 1)
    result = {
        "database": vendor,
        "scale": args.scale,
        "seed_seconds": round(seeded, 1),
        "duration": args.duration,
        "connections": args.connections,
        "threads": args.threads,
        "workers": 2,
        "queries": queries,
        "endpoints": rows,
        "bare_floor": bare_row,
        "floor_rps": result_floor,
        "floor_vs_bare": floor_vs_bare,
        "floor_within_10pct_of_bare": floor_vs_bare is not None and floor_vs_bare <= 1.10,
    }
    print_table(result)
    Path(args.output).write_text(json.dumps(result, indent=2))
    return 0


def fresh_database(url: str) -> str:
    parsed = urlparse(url)
    if parsed.scheme.startswith("sqlite"):
        path = Path(parsed.path)
        for suffix in ("", "-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
        return "sqlite"
    import psycopg

    name = parsed.path.lstrip("/")
    admin = parsed._replace(path="/postgres").geturl()
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')
    return "postgresql"


def free_ports(count: int) -> list[int]:
    sockets = [socket.socket() for _ in range(count)]
    for s in sockets:
        s.bind(("127.0.0.1", 0))
    ports = [s.getsockname()[1] for s in sockets]
    for s in sockets:
        s.close()
    return ports


def prepare(budget: int, results_dir: Path) -> dict:
    """Who the benchmark is, their cookies, and `budget` (student, slot) pairs for the POSTs."""
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from django.contrib.sessions.backends.db import SessionStore
    from django.contrib.sessions.models import Session

    from accounts.models import User
    from bench import dataset
    from scheduling.models import Course, Enrollment, Slot

    educator = User.objects.get(username=dataset.BUSY_EDUCATOR)
    student = User.objects.get(username=dataset.BUSY_STUDENT)
    course = Course.objects.filter(educator=educator).order_by("pk").first()
    csrf = secrets.token_hex(16)  # a 32-character secret: cookie and form field alike
    backend = "django.contrib.auth.backends.ModelBackend"

    def session_for(user, store=None) -> tuple[str, Session | None]:
        data = {
            SESSION_KEY: str(user.pk),
            BACKEND_SESSION_KEY: backend,
            HASH_SESSION_KEY: user.get_session_auth_hash(),
        }
        if store is None:
            s = SessionStore()
            s.update(data)
            s.create()
            return s.session_key, None
        key = secrets.token_hex(16)
        expire = datetime.now(UTC) + timedelta(days=1)
        return key, Session(session_key=key, session_data=store.encode(data), expire_date=expire)

    # The POSTs: new students, each enrolled, each with a slot of its own far ahead, in a
    # course of an educator of their own: the thousands of slots wrk may need would
    # otherwise be the busy course's and educator's, and the lists measured (course slots,
    # getSession) would count them. Like the busy educator, this one has an address and a
    # timezone: each booking writes its notification, email and delivery task.
    start = datetime.now(UTC).replace(minute=0, second=0, microsecond=0) + timedelta(days=200)
    post_educator = User.objects.create(
        username="bench-post-educator",
        role=User.Role.EDUCATOR,
        first_name="Poster",
        last_name="Educator",
        email="bench-post-educator@example.com",
        timezone=educator.timezone,
        password="!",
    )
    post_course = Course.objects.create(
        educator=post_educator, title="Booking POST course", is_published=True
    )
    posters = User.objects.bulk_create(
        User(username=f"bench-post-{i:05d}", role=User.Role.STUDENT, password="!")
        for i in range(budget + 1)
    )
    Enrollment.objects.bulk_create(Enrollment(student=u, course=post_course) for u in posters)
    slots = Slot.objects.bulk_create(
        Slot(
            educator=post_educator,
            course=post_course,
            starts_at=start + timedelta(hours=i),
            ends_at=start + timedelta(hours=i, minutes=30),
            capacity=1,
        )
        for i in range(budget + 1)
    )
    store = SessionStore()
    sessions = [session_for(u, store) for u in posters]
    Session.objects.bulk_create(s for _, s in sessions)
    pairs = [
        (
            f"sessionid={key}; csrftoken={csrf}",
            urlencode({"csrfmiddlewaretoken": csrf, "slot": slot.pk, "message": "Bench"}),
        )
        for (key, _), slot in zip(sessions, slots, strict=True)
    ]
    post_file = results_dir / ".posts.tsv"
    # The first pair is the test client's (queries per request); wrk gets the rest.
    post_file.write_text("".join(f"{c}\t{b}\n" for c, b in pairs[1:]))
    return {
        "course": course.pk,
        "post_course": post_course.pk,
        "educator": educator.pk,
        "student_cookie": f"sessionid={session_for(student)[0]}; csrftoken={csrf}",
        "educator_cookie": f"sessionid={session_for(educator)[0]}; csrftoken={csrf}",
        "student": student,
        "educator_user": educator,
        "posters": [u.pk for u in posters],
        "first_pair": (posters[0], slots[0]),
        "post_file": str(post_file),
        "posts_sent": 0,
    }


def paths(fixture: dict) -> dict[str, tuple[str, str]]:
    """endpoint -> (path, who: student/educator/anonymous)."""
    course, educator = fixture["course"], fixture["educator"]
    return {
        "floor": ("/bench/floor", "anonymous"),
        "booking_page": (f"/course/{course}/book-session", "student"),
        "my_requests": ("/session-requests", "student"),
        "session_requests": ("/educator/session-requests", "educator"),
        "availability": ("/educator/availability", "educator"),
        "mentor_page": (f"/mentors/{educator}/", "student"),
        "insights": ("/educator/insights", "educator"),
        "api_course_slots": (f"/api/availability/course/{course}", "student"),
        "get_session": (f"/session/getSession/{educator}", "anonymous"),
        "booking_post": (f"/course/{fixture['post_course']}/book-session", "poster"),
    }


def count_queries(fixture: dict) -> dict[str, int]:
    """Queries per request of each endpoint, through the test client (and a status check):
    of a page, its second view, as under load (the first view after a change also
    remembers what every viewer sees: pinned in scheduling/tests/test_schedule_cache.py)."""
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    counts = {}
    for name, (path, who) in paths(fixture).items():
        client = Client()
        if who == "student":
            client.force_login(fixture["student"])
        elif who == "educator":
            client.force_login(fixture["educator_user"])
        elif who == "poster":
            client.force_login(fixture["first_pair"][0])
        # A first view remembers what later ones read (schedule_cache); a student posts
        # the booking form from the page they loaded.
        client.get(path)
        with CaptureQueriesContext(connection) as captured:
            if who == "poster":
                data = {"slot": fixture["first_pair"][1].pk, "message": "Bench"}
                response = client.post(path, data)
                expected = 302
            else:
                response = client.get(path)
                expected = 200
        if response.status_code != expected:
            raise SystemExit(f"{name}: {path} answered {response.status_code}, not {expected}")
        counts[name] = len(captured.captured_queries)
    return counts


def load(args, port: int, fixture: dict, name: str, seconds: int | None = None) -> dict:
    path, who = paths(fixture)[name]
    url = f"http://127.0.0.1:{port}{path}"
    cmd = ["wrk", "-t", str(args.threads), "-c", str(args.connections), "-s", str(LUA)]
    cookie = {"student": "student_cookie", "educator": "educator_cookie"}.get(who)
    if cookie:
        cmd += ["-H", f"Cookie: {fixture[cookie]}"]
    seconds = seconds or args.duration
    warm = args.warmup if seconds == args.duration else 0
    if who == "poster":
        # Each request is the next unused line: the warm-up starts at line 0, the run after.
        lines = Path(fixture["post_file"]).read_text().splitlines(keepends=True)
        warm_lines, run_lines = lines[: len(lines) // 4], lines[len(lines) // 4 :]
        files = []
        for part, chunk in (("warm", warm_lines), ("run", run_lines)):
            f = Path(fixture["post_file"] + f".{part}")
            f.write_text("".join(chunk))
            files.append(f)
        warm_out = {"requests": 0}
        if warm:
            warm_out = wrk(cmd + [f"-d{warm}s", url, "--", str(files[0]), str(args.threads)])
        out = wrk(cmd + [f"-d{seconds}s", url, "--", str(files[1]), str(args.threads)])
        out["requests_total"] = warm_out["requests"] + out["requests"]
        if out["requests"] > len(run_lines) or warm_out["requests"] > len(warm_lines):
            raise SystemExit("booking POST: wrk sent more requests than prepared pairs")
    else:
        if warm:
            wrk(cmd + [f"-d{warm}s", url])
        out = wrk(cmd + [f"-d{seconds}s", url])
    seconds = out["duration_us"] / 1e6
    out["rps"] = round(out["requests"] / seconds, 1) if seconds else 0.0
    out["p50_ms"] = round(out.pop("p50_us") / 1000, 2)
    out["p99_ms"] = round(out.pop("p99_us") / 1000, 2)
    if out["socket_errors"] or out["http_errors"]:
        print(f"  {name}: {out['socket_errors']} socket / {out['http_errors']} HTTP errors")
    return out


def wrk(cmd: list[str]) -> dict:
    run = subprocess.run(cmd, capture_output=True, text=True, check=True)
    for line in run.stdout.splitlines():
        if line.startswith("BENCH "):
            return json.loads(line[6:])
    raise SystemExit(f"wrk printed no figures:\n{run.stdout}\n{run.stderr}")


def booked_by_bench(fixture: dict) -> int:
    from scheduling.models import Booking

    return Booking.objects.filter(student_id__in=fixture["posters"][1:]).count()


class Server:
    """gunicorn, 2 sync workers, on 127.0.0.1:port with the given settings."""

    def __init__(self, env: dict, port: int, settings: str):
        self.env = {**env, "DJANGO_SETTINGS_MODULE": settings}
        self.port = port
        self.process: subprocess.Popen | None = None

    def start(self) -> None:
        with socket.socket() as probe:
            if probe.connect_ex(("127.0.0.1", self.port)) == 0:
                raise SystemExit(f"port {self.port} is taken: pass --port")
        self.process = subprocess.Popen(
            [GUNICORN, "-c", "bench/gunicorn_bench.py", "-b", f"127.0.0.1:{self.port}"]
            + ["bench.wsgi:application"],
            cwd=ROOT,
            env=self.env,
            start_new_session=True,
        )
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{self.port}/bench/floor") as r:
                    if r.status == 200:
                        break
            except OSError:
                time.sleep(0.2)
        else:
            raise SystemExit(f"gunicorn did not answer on port {self.port}")
        time.sleep(1.5)  # the second worker boots too

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()


def print_table(result: dict) -> None:
    print(
        f"\n{result['database']}, scale {result['scale']}: gunicorn 2 sync workers, wrk "
        f"{result['threads']} threads, {result['connections']} connections, "
        f"{result['duration']:g} s per endpoint"
    )
    heads = ("req/s", "p50 ms", "p99 ms", "queries", "floor/s", "× floor")
    print(f"{'endpoint':<44} " + " ".join(f"{h:>8}" for h in heads) + "  target")
    for row in result["endpoints"] + [result["bare_floor"]]:
        target = (
            ""
            if row["target"] is None
            else f"≤{row['target']:g}× " + ("holds" if row["holds"] else "MISSED")
        )
        queries = "" if row["queries"] is None else row["queries"]
        print(
            f"{row['label']:<44} {row['rps']:>8.1f} {row['p50_ms']:>8.2f} {row['p99_ms']:>8.2f} "
            f"{queries:>8} {row['local_floor_rps']:>8.0f} {row['multiple']:>7.2f}×  {target}"
        )
    print("(floor/s: the app's floor just before and after that endpoint; × floor: its multiple)")
    ratio = result["floor_vs_bare"]
    verdict = "holds" if result["floor_within_10pct_of_bare"] else "MISSED"
    print(f"bare Django floor / app floor: {ratio:.2f} (≤ 1.10: {verdict})")
    post = next((r for r in result["endpoints"] if r["name"] == "booking_post"), None)
    if post:
        print(f"booking POSTs sent {post['requests_total']}, bookings made {post['booked']}")


if __name__ == "__main__":
    sys.exit(main())
