"""axe-core (bundled by axe-playwright-python, no CDN) over every main page, at desktop and
phone width, as a visitor, a student and an educator: zero violations of any impact."""

from __future__ import annotations

import pytest
from axe_playwright_python.sync_playwright import Axe
from django.core.management import call_command

from accounts.models import User
from scheduling.models import Booking, Course, Slot

pytestmark = pytest.mark.django_db(transaction=True)

WIDTHS = {"desktop": (1280, 900), "phone": (375, 812)}
# WCAG 2.1 A and AA, plus axe's best practices (heading order, landmarks, ...).
AXE_OPTIONS = {
    "runOnly": {
        "type": "tag",
        "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "best-practice"],
    },
    "resultTypes": ["violations"],
}


def pages_for(role: str) -> list[str]:
    course = Course.objects.get(title="Django for Beginners")
    mentor = course.educator
    if role == "anonymous":
        return [
            "/",
            "/courses/",
            "/courses/?q=zzz-nothing",
            f"/course/{course.pk}/",
            "/mentors/",
            f"/mentors/{mentor.pk}/",
            "/accounts/login/",
            "/accounts/signup/",
            "/accounts/password_reset/",
            "/no-such-page/",
        ]
    if role == "student":
        student = User.objects.get(username="student1")
        active = Booking.objects.filter(student=student, status__in=["pending", "approved"])
        return [
            "/courses/",
            f"/course/{course.pk}/",
            f"/course/{course.pk}/book-session",
            f"/course/{Course.objects.get(title='Intro to Machine Learning').pk}/book-session",
            "/session-requests",
            "/session-requests?status=cancelled",
            "/session-requests?status=completed",
            f"/session-requests/{active.first().pk}/cancel",
            f"/session-requests/{active.first().pk}/reschedule",
            f"/waitlist?mentor={mentor.pk}",
            f"/mentors/{mentor.pk}/",
            "/mentors/",
            "/accounts/profile/",
            "/accounts/password_change/",
        ]
    slot = Slot.objects.filter(educator__username="mentor1", withdrawn_at__isnull=True).last()
    return [
        "/educator/",
        "/educator/availability",
        "/educator/availability?show=past",
        "/educator/availability?show=withdrawn",
        "/educator/availability/new",
        f"/educator/availability/{slot.pk}/edit",
        f"/educator/availability/{slot.pk}/withdraw",
        "/educator/calendar",
        "/educator/session-requests",
        "/educator/session-requests?status=approved",
        "/educator/session-requests?status=cancelled",
        "/educator/courses",
        "/educator/courses/new",
        "/educator/weekly-hours",
        "/educator/policies",
        "/educator/insights",
        "/accounts/profile/",
    ]


def log_in(page, username: str) -> None:
    page.goto(page.base + "/accounts/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill("mentoring-demo")
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(lambda url: "/login" not in url)


def describe(path: str, violations: list[dict]) -> list[str]:
    lines = []
    for violation in violations:
        targets = [", ".join(map(str, node["target"])) for node in violation["nodes"][:4]]
        summaries = [node.get("failureSummary", "")[:160] for node in violation["nodes"][:2]]
        lines.append(f"{path}: {violation['id']} ({violation['impact']}) at {targets} {summaries}")
    return lines


@pytest.mark.parametrize("width", list(WIDTHS))
@pytest.mark.parametrize("role", ["anonymous", "student", "educator"])
def test_every_main_page_passes_axe(make_page, role, width):
    call_command("seed_demo", verbosity=0)
    w, h = WIDTHS[width]
    page = make_page(width=w, height=h)
    if role != "anonymous":
        log_in(page, {"student": "student1", "educator": "mentor1"}[role])
    axe = Axe()
    found: list[str] = []
    paths = pages_for(role)
    for path in paths:
        response = page.goto(page.base + path)
        assert response.status < 500, path
        page.wait_for_load_state("networkidle")
        found += describe(path, axe.run(page, options=AXE_OPTIONS).response["violations"])
    # A 404 logs a console error of its own; that is the page under test, not a problem.
    page.problems[:] = [p for p in page.problems if "404" not in p]
    assert found == [], "\n".join(found)
