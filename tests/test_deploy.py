"""Production settings: safe by default, and explicit about what they need."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
KEY = "k" * 20 + "Q9x!v#2LmZp7@rT5wYb8&nC4"  # 44 varied chars, like a real key


def manage(*args: str, **env: str) -> subprocess.CompletedProcess:
    unwanted = {
        "DEBUG",
        "SECRET_KEY",
        "TESTING",
        "DJANGO_ALLOW_ASYNC_UNSAFE",
    }  # browser tests set it
    clean = {k: v for k, v in os.environ.items() if k not in unwanted}
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env={**clean, **env},
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_check_deploy_is_clean_with_a_real_secret_key():
    result = manage(
        "check",
        "--deploy",
        "--fail-level",
        "WARNING",
        DEBUG="false",
        SECRET_KEY=KEY * 2,
        ALLOWED_HOSTS="example.com",
    )
    assert result.returncode == 0, result.stderr + result.stdout
    assert "no issues" in result.stdout


def test_missing_secret_key_fails_fast_when_debug_is_off():
    result = manage("check", DEBUG="false")
    assert result.returncode != 0
    assert "SECRET_KEY must be set" in result.stderr
    assert "Traceback" not in result.stderr  # one clear line, not a stack
