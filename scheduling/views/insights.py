"""An educator's insights page and its CSV export (scheduling/insights.py computes them)."""

from __future__ import annotations

import csv

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from accounts.decorators import educator_required

from ..insights import educator_insights, remembered_insights


def insights_context(educator) -> dict:
    """What templates/scheduling/educator/insights.html shows; `None`: every educator."""
    insights = educator_insights(None) if educator is None else remembered_insights(educator)
    return {"insights": insights, "charts": insights.figures}


@educator_required
def insights(request: HttpRequest) -> HttpResponse:
    return render(request, "scheduling/educator/insights.html", insights_context(request.user))


@educator_required
def insights_csv(request: HttpRequest) -> HttpResponse:
    """Every figure's rows: figure, label, value (a spreadsheet opens it as it is)."""
    data = remembered_insights(request.user)
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="mentoring-insights.csv"'
    writer = csv.writer(response)
    writer.writerow(["figure", "label", "value"])
    summary = [
        ("Sessions held", data.held),
        ("No-show rate (%)", data.no_show_rate if data.no_show_rate is not None else ""),
        ("Average rating", data.rating_avg if data.rating_avg is not None else ""),
        ("Ratings", data.rating_count),
        (
            "Median hours to answer a request",
            "" if data.answer_hours is None else data.answer_hours,
        ),
    ]
    for label, value in summary:
        writer.writerow(["Summary", label, value])
    for figure in data.figures:
        for label, value in figure.rows:
            writer.writerow([figure.title, label, value])
    return response
