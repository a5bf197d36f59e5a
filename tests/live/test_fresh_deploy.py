"""A fresh deploy needs only `migrate`; a server on a database that is not ready refuses to
start with one clear line, instead of answering 500 at the first login."""

from __future__ import annotations

import re
import subprocess

from tests.live.deployment import ROOT

PASSWORD = "fresh-deploy-Pass-42"
REFUSAL = "refusing to start: the database is not ready"
FIX = "run `python manage.py migrate`"


def follow(client, path: str) -> tuple[int, str]:
    """GET `path`, following redirects on this server, as a browser would."""
    for _ in range(5):
        status, headers, text = client.request("GET", path)
        if status not in (301, 302, 303):
            return status, text
        path = headers["Location"]
    raise AssertionError(f"too many redirects, last {path}")


def test_migrate_alone_lets_people_log_in_through_the_page_and_the_api(deployment):
    """The deployment's database had `migrate` and nothing else (no createcachetable)."""
    deployment.seed("user", username="ada", password=PASSWORD)
    # DEBUG on, as `make run` serves: pages need collected static files when it is off,
    # which is not what this test is about.
    with deployment.gunicorn(workers=1, debug=True) as server:
        page = server.client()
        status, _, form = page.request("GET", "/accounts/login/")
        assert status == 200
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', form).group(1)
        status, headers, _ = page.request(
            "POST",
            "/accounts/login/",
            form={"username": "ada", "password": PASSWORD, "csrfmiddlewaretoken": token},
        )
        assert status == 302, server.log
        status, landing = follow(page, headers["Location"])
        assert status == 200
        assert "Welcome back" in landing
        assert page.api("GET", "/api/auth/me")[1]["data"]["username"] == "ada"

        api = server.client()
        api.csrf()
        # A wrong password is counted in shared state (the database cache): 401, not 500.
        wrong = api.api("POST", "/api/auth/login", {"username": "ada", "password": "nope"})
        assert wrong[0] == 401, wrong
        status, body = api.api("POST", "/api/auth/login", {"username": "ada", "password": PASSWORD})
        assert (status, body["message"]) == (200, "Logged in"), body
        assert api.api("GET", "/api/auth/me")[1]["data"]["username"] == "ada"
    assert "Traceback" not in server.log, server.log


def refusals(result: subprocess.CompletedProcess) -> list[str]:
    return [line for line in result.stderr.splitlines() if "refusing to start" in line]


def import_wsgi(deployment) -> subprocess.CompletedProcess:
    """What every WSGI server does first: import the application."""
    return deployment.run("-c", "import mentoring.wsgi")


def test_gunicorn_on_an_unmigrated_database_stops_with_one_clear_line(blank_deployment):
    server = blank_deployment.gunicorn(workers=2)
    result = subprocess.run(
        server.command(),
        cwd=ROOT,
        env=blank_deployment.env(),
        capture_output=True,
        text=True,
        timeout=120,
    )
    # Refused by the master (gunicorn.conf.py) before it binds a port or starts a worker.
    assert result.returncode == 4, result.stderr
    assert "Listening at" not in result.stderr and "Booting worker" not in result.stderr
    (line,) = refusals(result)
    assert "unapplied migration(s)" in line and "no cache table 'mentoring_cache'" in line
    assert line.endswith(f"{FIX}.")
    assert "Traceback" not in result.stderr


def test_runserver_on_an_unmigrated_database_refuses_to_start(blank_deployment):
    result = blank_deployment.run("manage.py", "runserver", "127.0.0.1:0", "--noreload")
    assert result.returncode == 1
    (line,) = refusals(result)
    assert line.startswith(f"CommandError: {REFUSAL}: ") and line.endswith(f"{FIX}.")
    assert "Traceback" not in result.stderr


def test_a_lost_cache_table_is_named_and_migrate_brings_it_back(blank_deployment):
    blank_deployment.manage("migrate", "--noinput")
    assert import_wsgi(blank_deployment).returncode == 0

    blank_deployment.seed("drop-cache-tables")
    refused = import_wsgi(blank_deployment)
    assert refused.returncode == 4
    assert refusals(refused) == [f"mentoring: {REFUSAL}: no cache table 'mentoring_cache'; {FIX}."]

    # Nothing is left to migrate, yet `migrate` puts the table back.
    blank_deployment.manage("migrate", "--noinput")
    ready = import_wsgi(blank_deployment)
    assert (ready.returncode, refusals(ready)) == (0, [])


def test_an_unreachable_database_is_one_clear_line_too(blank_deployment):
    blank_deployment.database.url = "postgres://nobody@127.0.0.1:1/none"
    refused = import_wsgi(blank_deployment)
    assert refused.returncode == 4
    (line,) = refusals(refused)
    assert line.startswith("mentoring: refusing to start: cannot use the database: ")
    assert "Traceback" not in refused.stderr
