"""`make screenshots`: PNGs of every main page, with the demo data, at desktop and phone width.

Migrates a throwaway SQLite database, loads seed_demo, serves it with runserver on a free
port, logs in as the right demo user and saves docs/screenshots/<page>-<width>.png.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

from playwright.sync_api import sync_playwright

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "docs" / "screenshots"
WIDTHS = {"desktop": (1280, 900), "phone": (375, 812)}
PAGES = {
    None: [
        ("home", "/"),
        ("catalog", "/courses/"),
        ("mentors", "/mentors/"),
        ("login", "/accounts/login/"),
        ("signup", "/accounts/signup/"),
    ],
    "student1": [
        ("course", "/course/1/"),
        ("book-session", "/course/1/book-session"),
        ("my-requests", "/session-requests"),
        ("mentor", "/mentors/2/"),
        ("session", "/sessions/8/"),  # seed_demo's completed session of student1
    ],
    "mentor1": [
        ("educator-dashboard", "/educator/"),
        ("availability", "/educator/availability"),
        ("calendar", "/educator/calendar"),
        ("new-slot", "/educator/availability/new"),
        ("session-requests", "/educator/session-requests"),
        ("courses", "/educator/courses"),
        ("insights", "/educator/insights"),
    ],
}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def main() -> None:
    chromium = shutil.which("chromium")
    if not chromium:
        sys.exit("Chromium is needed: apt-get install chromium")
    workdir = Path(tempfile.mkdtemp(prefix="mentoring-shots-"))
    env = {**os.environ, "DEBUG": "true", "DATABASE_URL": f"sqlite:///{workdir / 'db.sqlite3'}"}
    manage = [sys.executable, str(ROOT / "manage.py")]
    for command in (["migrate", "-v0"], ["seed_demo"]):
        subprocess.run(manage + command, env=env, check=True, stdout=subprocess.DEVNULL)
    port = free_port()
    server = subprocess.Popen(
        [*manage, "runserver", f"127.0.0.1:{port}", "--noreload"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(50):
            try:
                urllib.request.urlopen(base + "/", timeout=1)
                break
            except OSError:
                time.sleep(0.2)
        OUT.mkdir(parents=True, exist_ok=True)
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(
                executable_path=chromium,
                args=["--no-sandbox", "--disable-gpu", "--disable-background-networking"],
            )
            for label, (width, height) in WIDTHS.items():
                for user, pages in PAGES.items():
                    context = browser.new_context(viewport={"width": width, "height": height})
                    page = context.new_page()
                    if user:
                        page.goto(base + "/accounts/login/")
                        page.get_by_label("Username").fill(user)
                        page.get_by_label("Password").fill("mentoring-demo")
                        page.get_by_role("button", name="Log in").click()
                        page.wait_for_load_state()
                    for name, path in pages:
                        page.goto(base + path)
                        page.wait_for_timeout(400)  # let htmx fill the badge
                        target = OUT / f"{name}-{label}.png"
                        page.screenshot(path=str(target), full_page=True)
                        print(target.relative_to(ROOT))
                    context.close()
            browser.close()
    finally:
        server.terminate()
        server.wait(timeout=10)
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
