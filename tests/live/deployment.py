"""A real deployment for tests: a database of its own, prepared by `migrate` alone, served
by gunicorn processes on 127.0.0.1, and HTTP clients that carry session and CSRF cookies.

The database is of the run's kind: a SQLite file, or (when the run is on PostgreSQL) a
database created next to the test database and dropped at the end, named after this process
so that parallel runs never collide.
"""

from __future__ import annotations

import http.client
import json
import os
import re
import secrets
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import quote, urlencode

from tests.live.seed import MARK

ROOT = Path(__file__).resolve().parents[2]
# Variables of the test run that must not leak into the deployment.
UNWANTED = {
    "DEBUG",
    "SECRET_KEY",
    "TESTING",
    "DJANGO_ALLOW_ASYNC_UNSAFE",
    "DATABASE_URL",
    "CACHE_URL",
    "EMAIL_URL",
    "DJANGO_SETTINGS_MODULE",
}
START_TIMEOUT = 60  # seconds for gunicorn to bind and boot every worker
STOP_TIMEOUT = 15


@dataclass
class Database:
    """A database of the run's kind that nobody else uses; `drop()` removes it."""

    url: str
    drop: Callable[[], None] = field(repr=False)


def new_database(folder: Path, label: str) -> Database:
    from django.conf import settings

    config = settings.DATABASES["default"]
    if config["ENGINE"].endswith("sqlite3"):
        path = folder / f"{label}.sqlite3"
        return Database(url=f"sqlite:///{path}", drop=lambda: None)

    import psycopg

    name = f"{config['NAME']}_{label}_{os.getpid()}"[-63:].lstrip("_")
    server = {
        "host": config.get("HOST") or "127.0.0.1",
        "port": str(config.get("PORT") or 5432),
        "user": config.get("USER") or "postgres",
        "password": config.get("PASSWORD") or "",
    }

    def admin(sql: str) -> None:
        with psycopg.connect(dbname="postgres", autocommit=True, **server) as conn:
            conn.execute(sql)

    admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    admin(f'CREATE DATABASE "{name}"')
    password = f":{quote(server['password'], safe='')}" if server["password"] else ""
    url = (
        f"postgres://{quote(server['user'], safe='')}{password}"
        f"@{server['host']}:{server['port']}/{name}"
    )
    return Database(url=url, drop=lambda: admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


@dataclass
class Deployment:
    """Runs manage.py, seeding and gunicorn against one database, as an operator would."""

    database: Database
    folder: Path
    secret_key: str = field(default_factory=lambda: secrets.token_urlsafe(50))

    def env(self, *, debug: bool = False) -> dict[str, str]:
        clean = {k: v for k, v in os.environ.items() if k not in UNWANTED}
        return {
            **clean,
            "DATABASE_URL": self.database.url,
            "SECRET_KEY": self.secret_key,
            "DEBUG": "true" if debug else "false",
            "SECURE_SSL_REDIRECT": "false",  # no TLS proxy in front of these servers
            "ALLOWED_HOSTS": "127.0.0.1",
            "EMAIL_URL": "memorymail://",
            "LOG_LEVEL": "WARNING",
        }

    def run(self, *args: str, timeout: int = 120) -> subprocess.CompletedProcess:
        return subprocess.run(
            [sys.executable, *args],
            cwd=ROOT,
            env=self.env(),
            capture_output=True,
            text=True,
            timeout=timeout,
        )

    def manage(self, *args: str) -> subprocess.CompletedProcess:
        result = self.run("manage.py", *args)
        assert result.returncode == 0, result.stdout + result.stderr
        return result

    def seed(self, command: str, **arguments) -> dict:
        result = self.run("-m", "tests.live.seed", command, json.dumps(arguments))
        answer = [line for line in result.stdout.splitlines() if line.startswith(MARK)]
        assert result.returncode == 0 and answer, result.stdout + result.stderr
        return json.loads(answer[-1][len(MARK) :])

    def gunicorn(self, *, workers: int, threads: int = 1, debug: bool = False) -> Gunicorn:
        return Gunicorn(self, workers=workers, threads=threads, debug=debug)


class Gunicorn:
    """`with deployment.gunicorn(workers=4) as server:` serves until the block ends."""

    def __init__(self, deployment: Deployment, *, workers: int, threads: int, debug: bool):
        self.deployment = deployment
        self.workers = workers
        self.threads = threads
        self.debug = debug
        self.log_path = deployment.folder / f"gunicorn-{secrets.token_hex(4)}.log"
        self.process: subprocess.Popen | None = None
        self.port = 0

    def command(self) -> list[str]:
        return [
            sys.executable,
            "-m",
            "gunicorn",
            "mentoring.wsgi",  # with the project's gunicorn.conf.py, read from ROOT
            "--bind",
            "127.0.0.1:0",  # the kernel picks a free port; read back from the log
            "--workers",
            str(self.workers),
            "--worker-class",
            "gthread" if self.threads > 1 else "sync",
            "--threads",
            str(self.threads),
            "--timeout",
            "60",
            "--graceful-timeout",
            "5",
            "--no-control-socket",
            "--log-level",
            "info",
        ]

    @property
    def log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    def start(self) -> Gunicorn:
        with self.log_path.open("wb") as log:
            self.process = subprocess.Popen(
                self.command(),
                cwd=ROOT,
                env=self.deployment.env(debug=self.debug),
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,  # its own process group, stopped as one below
            )
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline:
            log = self.log
            if self.process.poll() is not None:
                raise RuntimeError(f"gunicorn exited with {self.process.returncode}:\n{log}")
            bound = re.search(r"Listening at: http://127\.0\.0\.1:(\d+)", log)
            if bound and log.count("Worker ready") >= self.workers:
                self.port = int(bound.group(1))
                return self
            time.sleep(0.1)
        self.stop()
        raise RuntimeError(f"gunicorn did not boot {self.workers} workers in time:\n{self.log}")

    def stop(self) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(STOP_TIMEOUT)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(STOP_TIMEOUT)

    def __enter__(self) -> Gunicorn:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    def client(self, session: str = "") -> HttpClient:
        return HttpClient(self.port, session=session)


class HttpClient:
    """One browser's worth of cookies (session and CSRF), speaking plain HTTP/1.1."""

    def __init__(self, port: int, *, session: str = "") -> None:
        self.port = port
        self.cookies: dict[str, str] = {"sessionid": session} if session else {}

    def request(
        self, method: str, path: str, *, json_body=None, form=None, timeout: float = 60
    ) -> tuple[int, dict[str, str], str]:
        headers = {}
        body = None
        if json_body is not None:
            body = json.dumps(json_body)
            headers["Content-Type"] = "application/json"
        elif form is not None:
            body = urlencode(form)
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        if method not in ("GET", "HEAD") and "csrftoken" in self.cookies:
            headers["X-CSRFToken"] = self.cookies["csrftoken"]
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=timeout)
        try:
            connection.request(method, path, body=body, headers=headers)
            response = connection.getresponse()
            text = response.read().decode(errors="replace")
            for header in response.headers.get_all("Set-Cookie") or []:
                name, _, rest = header.partition("=")
                self.cookies[name.strip()] = rest.split(";", 1)[0]
            return response.status, dict(response.headers), text
        finally:
            connection.close()

    def api(self, method: str, path: str, body=None) -> tuple[int, dict]:
        status, _, text = self.request(method, path, json_body=body)
        try:
            return status, json.loads(text)
        except ValueError:
            return status, {"unparsed": text[:300]}

    def csrf(self) -> None:
        status, _ = self.api("GET", "/api/auth/csrf")
        assert status == 200 and "csrftoken" in self.cookies


def at_once(calls: list, *, timeout: float = 120) -> list:
    """Run each call in its own thread, all released together; what each returned or raised."""
    barrier = threading.Barrier(len(calls))
    results: list = [None] * len(calls)

    def run(index: int) -> None:
        try:
            barrier.wait(timeout)
            results[index] = calls[index]()
        except Exception as exc:  # the outcome is what the test inspects
            results[index] = exc

    threads = [threading.Thread(target=run, args=(i,), daemon=True) for i in range(len(calls))]
    for thread in threads:
        thread.start()
    deadline = time.monotonic() + timeout
    for thread in threads:
        thread.join(max(deadline - time.monotonic(), 0))
    return results
