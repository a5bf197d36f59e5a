"""Small helpers for API tests: JSON calls through Django's test client."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta


def call(client, method: str, path: str, body=None, *, raw: str | None = None):
    data = raw if raw is not None else (json.dumps(body) if body is not None else "")
    response = getattr(client, method.lower())(path, data, content_type="application/json")
    assert response["Content-Type"].startswith("application/json"), response.content[:200]
    return response.status_code, response.json()


def future(days: int = 2, hour: int = 10) -> datetime:
    base = datetime.now(UTC).replace(minute=0, second=0, microsecond=0)
    return base.replace(hour=hour) + timedelta(days=days)


def plain(value: datetime) -> str:
    return value.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S")


def iso(value: datetime) -> str:
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
