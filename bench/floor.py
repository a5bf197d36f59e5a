"""The benchmark's floor view, shared by bench.urls (the app) and bench.bare_urls."""

from django.db import connection
from django.http import JsonResponse


def floor(request):
    """The cheapest useful request: one `SELECT 1`, a tiny JSON, through every middleware."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        cursor.fetchone()
    return JsonResponse({"ok": True})
