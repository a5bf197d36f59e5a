"""The authorization matrix: every URL pattern × six kinds of visitor, with the answer each gets.

The resolver is walked, so every pattern of mentoring.urls (pages, API, admin) is checked,
and a pattern without a row fails `test_every_url_pattern_has_a_row`. Objects in paths are
owned by `student` (the booking) and `educator` (course, slot), so `other_student`,
`other_educator` and `staff` show what a non-owner gets.

To add a row for a new URL, add an entry to MATRIX keyed by the URL's name (`namespace:name`)
or, for an unnamed pattern, by its route; give the answer per HTTP method, with `who()`:

    "scheduling:my-thing": {
        "GET": who(anonymous=LOGIN, students=200, educators=403),
        "POST": who(anonymous=LOGIN, student=302, other_student=404, educators=403),
    },

Answers are a status code, LOGIN (redirect to the login page), ADMIN_LOGIN (redirect to the
admin's login page) or REDIRECT (any other redirect). List every unsafe method the view
accepts (POST/PUT/DELETE) with a BODIES entry when it needs one. Each cell runs in its own
rolled-back transaction, so cells never see each other's writes.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta

import pytest
from axes.models import AccessAttempt, AccessFailureLog, AccessLog
from django.apps import apps
from django.contrib import admin
from django.contrib.auth.models import Group
from django.contrib.auth.tokens import default_token_generator
from django.contrib.contenttypes.models import ContentType
from django.db import transaction
from django.test import Client, RequestFactory
from django.urls import URLPattern, URLResolver, get_resolver, resolve, reverse
from django.urls import path as url_path
from django.utils import timezone
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode
from django_tasks_db.models import DBTaskResult

from accounts.models import User
from notifications.models import Notification
from notifications.services import calendar_feed
from outbox.models import Chain
from scheduling import services
from scheduling.models import BookingEvent, Enrollment, WaitlistEntry
from scheduling.tests import factories

LOGIN, ADMIN_LOGIN, REDIRECT = "login", "admin-login", "redirect"
ROLES = ("anonymous", "student", "other_student", "educator", "other_educator", "staff")
GROUPS = {
    "everyone": ROLES,
    "users": ROLES[1:],
    "students": ("student", "other_student"),
    "educators": ("educator", "other_educator", "staff"),
}
LINK = "https://meet.example.com/room"
FIGURES: list[str] = []  # shown at the end of the run (conftest.py)


def who(**answers) -> dict[str, object]:
    """Answers per role; group names (everyone, users, students, educators) fill in first,
    single roles override them. Every role must end up with an answer."""
    table: dict[str, object] = {}
    for group, roles in GROUPS.items():
        if group in answers:
            table.update(dict.fromkeys(roles, answers.pop(group)))
    unknown = set(answers) - set(ROLES)
    assert not unknown, f"unknown roles {unknown}; use {ROLES} or {tuple(GROUPS)}"
    table.update(answers)
    missing = set(ROLES) - set(table)
    assert not missing, f"no answer for {missing}"
    return table


def staff_only(answer) -> dict[str, object]:
    """An admin page: outsiders go to the admin's login, staff get `answer`."""
    return who(
        anonymous=ADMIN_LOGIN,
        students=ADMIN_LOGIN,
        educator=ADMIN_LOGIN,
        other_educator=ADMIN_LOGIN,
        staff=answer,
    )


# Pages for one role: anonymous visitors go to login, the other role gets a 403.
STUDENT_PAGE = who(anonymous=LOGIN, students=200, educators=403)
EDUCATOR_PAGE = who(anonymous=LOGIN, students=403, educators=200)
PUBLIC = who(everyone=200)
API_PUBLIC = who(everyone=200)
API_STUDENT = who(anonymous=401, students=200, educators=403)
API_EDUCATOR = who(anonymous=401, students=403, educators=200)
NOT_ALLOWED = who(everyone=405)
# Only the owner of the booking's slot (or staff, through the API's services) may decide.
API_SLOT_OWNER = who(anonymous=401, students=403, educator=200, other_educator=403, staff=200)
# A booking's two parties (its student and its educator); no one else, staff neither.
API_PARTIES = who(anonymous=401, users=404, student=200, educator=200)


def _in_two_days() -> str:
    start = datetime.now(UTC).replace(minute=0, second=0, microsecond=0) + timedelta(days=2)
    return start.strftime("%Y-%m-%dT%H:%M:%SZ")


# What unsafe API calls send: a valid body, so the answer is about who asks, not the input.
BODIES = {
    "api:login_view": lambda w: {"username": "nobody-here", "password": "wrong"},
    "api:add_session": lambda w: {"scheduledAt": _in_two_days(), "duration": 30, "quota": 2},
    "api:update_session": lambda w: {"quota": 3},
    "api:book_session": lambda w: {"session_id": w.slot.pk},
    "api:create_slot": lambda w: {"startTime": _in_two_days(), "capacity": 2},
    "api:update_slot": lambda w: {"capacity": 3},
    "api:request_session": lambda w: {"slotId": w.slot.pk, "message": "Hello"},
    "api:approve": lambda w: {"meetingLink": LINK},
    "api:reject": lambda w: {"reason": "Not this week."},
    "api:cancel": lambda w: {"reason": "Clash."},
    "api:mark_read": lambda w: {"all": True},
    "api:weekly_create": lambda w: {"weekdays": [6], "startTime": "07:00", "endTime": "08:00"},
    "api:weekly_update": lambda w: {"capacity": 2},
    "api:policies_update": lambda w: {"minNoticeHours": 1},
    "api:reschedule": lambda w: {"slotId": w.later_slot.pk},
    "api:mark_outcome": lambda w: {"outcome": "attended"},
    "api:add_note": lambda w: {"text": "See you then"},
    "api:edit_note": lambda w: {"text": "New agenda"},
    "api:add_item": lambda w: {"text": "Bring questions", "owner": "student"},
    "api:set_item_done": lambda w: {"done": True},
    "api:give_feedback": lambda w: {"rating": 5},
    "api:reply_feedback": lambda w: {"reply": "Thanks"},
}

MATRIX: dict[str, dict[str, dict[str, object]]] = {
    # ------------------------------------------------------------ accounts
    "signup": {
        "GET": who(anonymous=200, users=REDIRECT),
        "POST": who(anonymous=200, users=REDIRECT),  # empty form: shown again with errors
    },
    "profile": {"GET": who(anonymous=LOGIN, users=200), "POST": who(anonymous=LOGIN, users=200)},
    "login": {
        "GET": who(anonymous=200, users=REDIRECT),
        # Logging in while logged in replaces the session: an empty form is shown again.
        "POST": who(anonymous=200, users=200),
    },
    "logout": {"GET": NOT_ALLOWED, "POST": who(everyone=REDIRECT)},
    "password_change": {
        "GET": who(anonymous=LOGIN, users=200),
        "POST": who(anonymous=LOGIN, users=200),
    },
    "password_change_done": {"GET": who(anonymous=LOGIN, users=200)},
    "password_reset": {"GET": PUBLIC, "POST": PUBLIC},
    "password_reset_done": {"GET": PUBLIC},
    # A valid link (of a user who is none of the six): whoever opens it goes on to set a
    # password. (Logging in changes a user's tokens, so it cannot be one of the six.)
    "password_reset_confirm": {"GET": who(everyone=REDIRECT), "POST": who(everyone=REDIRECT)},
    "password_reset_complete": {"GET": PUBLIC},
    # ------------------------------------------------------------ public pages
    "scheduling:home": {
        "GET": who(anonymous=200, users=REDIRECT),  # each role to its own home
        "POST": who(anonymous=200, users=REDIRECT),
    },
    "scheduling:catalog": {"GET": PUBLIC},
    "scheduling:course-detail": {"GET": PUBLIC},
    "scheduling:mentor-detail": {
        "GET": PUBLIC,
        # Students send a booking form (empty here: errors shown); others are sent to log in.
        "POST": who(anonymous=LOGIN, students=200, educators=LOGIN),
    },
    "scheduling:nav-badge": {"GET": PUBLIC},
    "scheduling:mentors": {"GET": PUBLIC},
    # ------------------------------------------------------------ student pages
    "scheduling:enroll": {
        "GET": who(anonymous=LOGIN, students=405, educators=403),
        "POST": who(anonymous=LOGIN, students=REDIRECT, educators=403),
    },
    "scheduling:book-session": {"GET": STUDENT_PAGE, "POST": STUDENT_PAGE},
    "scheduling:my-requests": {"GET": STUDENT_PAGE},
    "scheduling:cancel-request": {
        "GET": who(anonymous=LOGIN, student=200, other_student=404, educators=403),
        "POST": who(anonymous=LOGIN, student=REDIRECT, other_student=404, educators=403),
    },
    # Only a withdrawn session offers other times: the pending one sends its student back.
    "scheduling:rebook": {
        "GET": who(anonymous=LOGIN, student=REDIRECT, other_student=404, educators=403),
        "POST": who(anonymous=LOGIN, student=REDIRECT, other_student=404, educators=403),
    },
    "scheduling:dispute-no-show": {
        "GET": who(anonymous=LOGIN, students=405, educators=403),
        # The booking is pending, not a no-show: the student is refused by the rules.
        "POST": who(anonymous=LOGIN, student=REDIRECT, other_student=404, educators=403),
    },
    # A session's own page: its student and its educator; to everyone else there is none.
    # An empty POST shows the page again with the form's error.
    "scheduling:session-detail": {
        "GET": who(
            anonymous=LOGIN,
            student=200,
            other_student=404,
            educator=200,
            other_educator=404,
            staff=404,
        ),
        "POST": who(
            anonymous=LOGIN,
            student=REDIRECT,
            other_student=404,
            educator=REDIRECT,
            other_educator=404,
            staff=404,
        ),
    },
    "scheduling:reschedule-request": {
        "GET": who(anonymous=LOGIN, student=200, other_student=404, educators=403),
        "POST": who(anonymous=LOGIN, student=200, other_student=404, educators=403),
    },
    "scheduling:waitlist": {"GET": STUDENT_PAGE},
    # The world's slot has seats left: joining is refused by the rules, shown on the page.
    "scheduling:waitlist-join": {
        "GET": who(anonymous=LOGIN, students=405, educators=403),
        "POST": who(anonymous=LOGIN, students=REDIRECT, educators=403),
    },
    "scheduling:waitlist-leave": {
        "GET": who(anonymous=LOGIN, students=405, educators=403),
        "POST": who(anonymous=LOGIN, students=REDIRECT, educators=403),
    },
    # ------------------------------------------------------------ educator pages
    # Staff here is an educator too (like the demo's admin); pages show only one's own.
    "scheduling:educator-dashboard": {"GET": EDUCATOR_PAGE},
    "scheduling:availability": {"GET": EDUCATOR_PAGE},
    "scheduling:slot-new": {"GET": EDUCATOR_PAGE, "POST": EDUCATOR_PAGE},
    "scheduling:slot-edit": {
        "GET": who(anonymous=LOGIN, students=403, educator=200, other_educator=404, staff=404),
        "POST": who(anonymous=LOGIN, students=403, educator=200, other_educator=404, staff=404),
    },
    "scheduling:slot-withdraw": {
        "GET": who(anonymous=LOGIN, students=403, educator=200, other_educator=404, staff=404),
        "POST": who(
            anonymous=LOGIN, students=403, educator=REDIRECT, other_educator=404, staff=404
        ),
    },
    "scheduling:educator-requests": {"GET": EDUCATOR_PAGE},
    "scheduling:educator-calendar": {"GET": EDUCATOR_PAGE},
    "scheduling:policies": {"GET": EDUCATOR_PAGE, "POST": EDUCATOR_PAGE},
    "scheduling:weekly-hours": {"GET": EDUCATOR_PAGE, "POST": EDUCATOR_PAGE},
    "scheduling:weekly-hours-edit": {
        "GET": who(anonymous=LOGIN, students=403, educator=200, other_educator=404, staff=404),
        "POST": who(anonymous=LOGIN, students=403, educator=200, other_educator=404, staff=404),
    },
    "scheduling:weekly-hours-delete": {
        "GET": who(anonymous=LOGIN, students=403, educators=405),
        "POST": who(
            anonymous=LOGIN, students=403, educator=REDIRECT, other_educator=404, staff=404
        ),
    },
    **{
        f"scheduling:booking-{action}": {
            "GET": who(anonymous=LOGIN, students=403, educators=405),
            "POST": who(
                anonymous=LOGIN, students=403, educator=REDIRECT, other_educator=404, staff=404
            ),
        }
        for action in ("approve", "reject", "complete", "outcome")
    },
    "scheduling:educator-courses": {"GET": EDUCATOR_PAGE},
    "scheduling:educator-insights": {"GET": EDUCATOR_PAGE},
    "scheduling:educator-insights-csv": {"GET": EDUCATOR_PAGE},
    "scheduling:course-new": {"GET": EDUCATOR_PAGE, "POST": EDUCATOR_PAGE},
    "scheduling:course-edit": {
        "GET": who(anonymous=LOGIN, students=403, educator=200, other_educator=404, staff=404),
        "POST": who(anonymous=LOGIN, students=403, educator=200, other_educator=404, staff=404),
    },
    # ------------------------------------------------------------ notifications, calendars
    "notifications:list": {"GET": who(anonymous=LOGIN, users=200)},
    "notifications:unread-count": {"GET": PUBLIC},  # the bell's poll: empty for visitors
    # The request's notification belongs to `educator`; anyone else's id is unknown to them.
    "notifications:read": {
        "GET": who(anonymous=LOGIN, users=405),
        "POST": who(
            anonymous=LOGIN, educator=REDIRECT, students=404, other_educator=404, staff=404
        ),
    },
    "notifications:read-all": {
        "GET": who(anonymous=LOGIN, users=405),
        "POST": who(anonymous=LOGIN, users=REDIRECT),
    },
    # A feed is reached by its secret token only; a wrong one is unknown to everyone.
    "notifications:calendar-feed": {"GET": who(everyone=404)},
    "notifications:calendar-regenerate": {
        "GET": who(anonymous=LOGIN, users=405),
        "POST": who(anonymous=LOGIN, users=REDIRECT),
    },
    # The booking's calendar file exists once it is approved (the world's is pending), and
    # only for its student and its slot's educator (notifications/tests pin those).
    "scheduling:booking-ics": {"GET": who(anonymous=LOGIN, users=404)},
    # ------------------------------------------------------------ JSON API
    "api:openapi-json": {"GET": API_PUBLIC},
    "api:openapi-view": {"GET": API_PUBLIC},
    # Django's home page is first in the URL map, so "/" never reaches the API's root view.
    "api:api-root": {"shadowed_by": "scheduling:home"},
    "api:csrf": {"GET": API_PUBLIC},
    "api:login_view": {"GET": NOT_ALLOWED, "POST": who(everyone=401)},
    "api:logout_view": {"GET": NOT_ALLOWED, "POST": API_PUBLIC},
    "api:me": {"GET": who(anonymous=401, users=200)},
    "api:add_session": {
        "GET": NOT_ALLOWED,
        "POST": who(anonymous=401, students=403, educators=201),
    },
    "api:update_session": {
        "GET": NOT_ALLOWED,
        "PUT": who(anonymous=401, students=403, educator=200, other_educator=403, staff=403),
    },
    "api:get_sessions": {"GET": API_PUBLIC},
    "api:delete_session": {
        "GET": NOT_ALLOWED,
        "DELETE": who(anonymous=401, students=403, educator=200, other_educator=403, staff=403),
    },
    "api:book_session": {
        "GET": NOT_ALLOWED,
        # `student` already holds a seat in that session: a conflict, not a permission.
        "POST": who(anonymous=401, student=409, other_student=201, educators=403),
    },
    "api:create_slot": {
        "GET": NOT_ALLOWED,
        "POST": who(anonymous=401, students=403, educators=201),
    },
    "api:educator_slots": {"GET": API_EDUCATOR},
    "api:course_slots": {"GET": who(anonymous=401, users=200)},
    "api:update_slot": {"GET": NOT_ALLOWED, "PUT": API_SLOT_OWNER},
    "api:delete_slot": {"GET": NOT_ALLOWED, "DELETE": API_SLOT_OWNER},
    "api:request_session": {
        "GET": NOT_ALLOWED,
        "POST": who(anonymous=401, student=409, other_student=201, educators=403),
    },
    "api:my_requests": {"GET": API_STUDENT},
    "api:educator_requests": {"GET": API_EDUCATOR},
    "api:approve": {"GET": NOT_ALLOWED, "PUT": API_SLOT_OWNER},
    "api:reject": {"GET": NOT_ALLOWED, "PUT": API_SLOT_OWNER},
    "api:cancel": {
        "GET": NOT_ALLOWED,
        "PUT": who(anonymous=401, student=200, other_student=403, educators=403, staff=200),
    },
    # The booking is pending, so the owner is refused by the rules (409), not by role.
    "api:complete": {
        "GET": NOT_ALLOWED,
        "PUT": who(anonymous=401, students=403, educator=409, other_educator=403, staff=409),
    },
    # Pending, not started: its educator (and staff, who may correct) are refused by the
    # rules (409); a session's outcome is no one else's to mark (403).
    "api:mark_outcome": {
        "GET": NOT_ALLOWED,
        "PUT": who(anonymous=401, students=403, educator=409, other_educator=403, staff=409),
    },
    "api:dispute_no_show": {
        "GET": NOT_ALLOWED,
        "PUT": who(anonymous=401, student=409, other_student=403, educators=403),
    },
    # A session's own API: its student and its educator; to everyone else there is none.
    "api:session_detail": {"GET": API_PARTIES},
    "api:educator_insights": {"GET": API_EDUCATOR},
    "api:add_note": {"GET": NOT_ALLOWED, "POST": {**API_PARTIES, "student": 201, "educator": 201}},
    # The note is the student's: only its author edits it.
    "api:edit_note": {"GET": NOT_ALLOWED, "PUT": {**API_PARTIES, "educator": 403}},
    "api:add_item": {"GET": NOT_ALLOWED, "POST": {**API_PARTIES, "student": 201, "educator": 201}},
    "api:set_item_done": {"GET": NOT_ALLOWED, "PUT": API_PARTIES},
    # Pending, not held: its student is refused by the rules; the educator by role.
    "api:give_feedback": {
        "GET": NOT_ALLOWED,
        "PUT": {**API_PARTIES, "student": 409, "educator": 403},
    },
    "api:reply_feedback": {
        "GET": NOT_ALLOWED,
        "PUT": {**API_PARTIES, "student": 404, "educator": 404},
    },
    "api:courses": {"GET": API_PUBLIC},
    "api:weekly_list": {"GET": API_EDUCATOR},
    "api:weekly_create": {"POST": who(anonymous=401, students=403, educators=201)},
    "api:weekly_update": {"PUT": API_SLOT_OWNER},
    "api:weekly_delete": {"DELETE": API_SLOT_OWNER},
    "api:policies_get": {"GET": API_EDUCATOR},
    "api:policies_update": {"PUT": API_EDUCATOR},
    "api:reschedule": {
        "PUT": who(anonymous=401, student=200, other_student=403, educators=403, staff=200),
    },
    "api:waitlist_get": {"GET": who(anonymous=401, users=200)},
    # The world's slot has seats left: a student's join is refused by the rules (409).
    "api:waitlist_join": {"POST": who(anonymous=401, students=409, educators=403)},
    # Nobody is waiting for the world's slot, so there is no place to leave.
    "api:waitlist_leave": {"DELETE": who(anonymous=401, users=404)},
    "api:notification_list": {"GET": who(anonymous=401, users=200)},
    "api:mark_read": {"GET": NOT_ALLOWED, "PUT": who(anonymous=401, users=200)},
    "api:enroll": {
        "GET": NOT_ALLOWED,
        # `student` is enrolled already (200), `other_student` becomes enrolled (201).
        "POST": who(anonymous=401, student=200, other_student=201, educators=403),
    },
    # Any other path under /api/ or /session/: a JSON 404 whatever the method.
    "^(?:api|session)(?:/|$)": {
        "path": "/api/no-such-endpoint",
        "GET": who(everyone=404),
        "POST": who(everyone=404),
        "PUT": who(everyone=404),
        "DELETE": who(everyone=404),
    },
    # ------------------------------------------------------------ admin (special pages)
    "admin:login": {
        "GET": who(anonymous=200, students=200, educator=200, other_educator=200, staff=REDIRECT),
    },
    # Logging out of the admin: outsiders are sent to its index (and on to its login).
    "admin:logout": {
        "GET": who(
            anonymous=REDIRECT,
            students=REDIRECT,
            educator=REDIRECT,
            other_educator=REDIRECT,
            staff=405,
        ),
        "POST": who(everyone=REDIRECT),
    },
    "admin/(?P<url>.*)$": {
        "path": "/admin/no-such-admin-page/",
        "GET": who(
            anonymous=ADMIN_LOGIN,
            students=ADMIN_LOGIN,
            educator=ADMIN_LOGIN,
            other_educator=ADMIN_LOGIN,
            staff=404,
        ),
    },
    "admin:view_on_site": {
        # No model here has a public page, so staff learn there is none (404).
        "GET": who(
            anonymous=ADMIN_LOGIN,
            students=ADMIN_LOGIN,
            educator=ADMIN_LOGIN,
            other_educator=ADMIN_LOGIN,
            staff=404,
        ),
    },
    # Records nobody edits by hand (sent mail, the periodic chain, login attempts, places
    # in a queue, changed through its actions): every
    # field is read-only, so saving changes nothing and goes back to the list.
    **{
        f"admin:{model}_change": {
            "GET": staff_only(200),
            "POST": staff_only(REDIRECT),
        }
        for model in (
            "outbox_message",
            "outbox_chain",
            "axes_accessattempt",
            "axes_accesslog",
            "axes_accessfailurelog",
            "scheduling_waitlistentry",
        )
    },
    "admin:autocomplete": {
        # Without the admin's own parameters even staff are refused.
        "GET": who(
            anonymous=ADMIN_LOGIN,
            students=ADMIN_LOGIN,
            educator=ADMIN_LOGIN,
            other_educator=ADMIN_LOGIN,
            staff=403,
        ),
    },
}


def admin_rule(key: str, pattern: URLPattern) -> dict[str, dict[str, object]]:
    """Every other admin page: only staff get in; everyone else goes to the admin's login.

    Staff see each page (200) and are sent on by the old object URL (302); where a model's
    admin forbids adding, changing or deleting (history is read-only, nothing a user did is
    hard-deleted) staff get a 403, read from that ModelAdmin's own permissions. POST with
    an empty form shows the page again.
    """
    outsiders = dict.fromkeys(ROLES[:-1], ADMIN_LOGIN)
    kind = key.rsplit("_", 1)[-1]
    if pattern.name is None:  # admin/<app>/<model>/<id>/: the old URL of the change page
        return {"GET": {**outsiders, "staff": REDIRECT}}
    if key in {"admin:index", "admin:app_list", "admin:jsi18n"}:
        return {"GET": {**outsiders, "staff": 200}}
    if key == "admin:password_change":
        return {"GET": {**outsiders, "staff": 200}, "POST": {**outsiders, "staff": 200}}
    model_admin = admin.site._registry.get(_admin_model(key))
    if model_admin is None:
        return {"GET": {**outsiders, "staff": 200}}
    staff = _superuser_request()
    if kind == "delete":
        answer = 200 if model_admin.has_delete_permission(staff) else 403
        return {"GET": {**outsiders, "staff": answer}}
    if kind == "add":
        answer = 200 if model_admin.has_add_permission(staff) else 403
        return {"GET": {**outsiders, "staff": answer}, "POST": {**outsiders, "staff": answer}}
    if kind == "change":
        saves = 200 if model_admin.has_change_permission(staff) else 403
        return {"GET": {**outsiders, "staff": 200}, "POST": {**outsiders, "staff": saves}}
    # changelist (POST without an action shows the list again), history, password
    return {"GET": {**outsiders, "staff": 200}, "POST": {**outsiders, "staff": 200}}


def _superuser_request():
    """Just enough of a request for a ModelAdmin's has_*_permission checks."""
    request = RequestFactory().get("/admin/")
    request.user = User(is_active=True, is_staff=True, is_superuser=True)
    return request


def _admin_model(name: str):
    """The model of an admin URL name like "admin:scheduling_slot_change"."""
    for model in admin.site._registry:
        prefix = f"admin:{model._meta.app_label}_{model._meta.model_name}_"
        if name.startswith(prefix):
            return model
    return None


# ---------------------------------------------------------------- walking the resolver


@dataclass
class Route:
    key: str  # the URL name with its namespace, or the route when unnamed
    route: str
    pattern: URLPattern


def all_routes() -> list[Route]:
    routes: list[Route] = []

    def walk(patterns, prefix: str, namespace: str) -> None:
        for entry in patterns:
            if isinstance(entry, URLResolver):
                ns = f"{namespace}{entry.namespace}:" if entry.namespace else namespace
                walk(entry.url_patterns, prefix + str(entry.pattern), ns)
            else:
                route = prefix + str(entry.pattern)
                key = f"{namespace}{entry.name}" if entry.name else route
                routes.append(Route(key, route, entry))

    walk(get_resolver().url_patterns, "", "")
    return routes


def row_for(route: Route) -> dict | None:
    if route.key in MATRIX:
        return MATRIX[route.key]
    if route.route.startswith("admin/") and route.key not in MATRIX:
        return admin_rule(route.key, route.pattern)
    return None


def rows_missing(routes: list[Route]) -> str:
    """What to tell the author of URL patterns without a row ("" when all have one)."""
    missing = [route for route in routes if row_for(route) is None]
    if not missing:
        return ""
    return "\n".join(
        [f"{len(missing)} URL pattern(s) have no row in the authorization matrix:"]
        + [f"  {r.key!r} (route {r.route!r})" for r in missing]
        + [
            "Add an entry to MATRIX in tests/test_authorization.py keyed by that name, with "
            "the answer per method and role, e.g.",
            '  "ns:name": {"GET": who(anonymous=LOGIN, students=200, educators=403)},',
        ]
    )


def test_every_url_pattern_has_a_row():
    problem = rows_missing(all_routes())
    assert not problem, problem
    stale = set(MATRIX) - {route.key for route in all_routes()}
    assert not stale, f"rows for URL patterns that no longer exist: {sorted(stale)}"


def test_a_new_url_pattern_without_a_row_is_named():
    new = url_path("educator/calendar.ics", lambda request: None, name="calendar-feed")
    problem = rows_missing([*all_routes(), Route("scheduling:calendar-feed", "x", new)])
    assert "'scheduling:calendar-feed'" in problem and "Add an entry to MATRIX" in problem


# ---------------------------------------------------------------- the world the cells see


class World:
    """student (enrolled, with a pending request) and educator (course, slot) own the
    objects in the paths; the others are the same kinds of user who own none of them."""

    def __init__(self) -> None:
        self.users = {
            "anonymous": None,
            "student": factories.StudentFactory(),
            "other_student": factories.StudentFactory(),
            "educator": factories.EducatorFactory(),
            "other_educator": factories.EducatorFactory(),
            "staff": factories.EducatorFactory(is_staff=True, is_superuser=True),
        }
        student, educator = self.users["student"], self.users["educator"]
        self.course = factories.CourseFactory(educator=educator)
        services.enroll(student=student, course=self.course)
        self.slot = factories.SlotFactory(educator=educator, capacity=3, meeting_link=LINK)
        self.booking = services.booking_request(student=student, slot=self.slot)
        # Somewhere to move the request to, and weekly hours of the educator's own.
        self.later_slot = factories.SlotFactory(
            educator=educator,
            starts_at=self.slot.ends_at + timedelta(days=1),
            ends_at=self.slot.ends_at + timedelta(days=1, hours=1),
        )
        services.policy_update(educator=educator, by=educator, buffer_minutes=0)
        self.pattern = services.pattern_create(
            educator=educator, weekdays=[7], start_time=time(6), end_time=time(7)
        )
        self.note = services.note_add(booking=self.booking, by=student, text="Agenda")
        self.item = services.action_item_add(
            booking=self.booking, by=student, text="Read up", owner=student
        )
        self.group = Group.objects.create(name="Helpers")
        forgetful = factories.StudentFactory()
        self.values = {
            "course_id": self.course.pk,
            "courseId": self.course.pk,
            "mentor_id": educator.pk,
            "mentorId": educator.pk,
            "booking_id": self.booking.pk,
            "requestId": self.booking.pk,
            "noteId": self.note.pk,
            "itemId": self.item.pk,
            "slot_id": self.slot.pk,
            "slotId": self.slot.pk,
            "sessionId": self.slot.pk,
            "uidb64": urlsafe_base64_encode(force_bytes(forgetful.pk)),
            "token": default_token_generator.make_token(forgetful),
            "app_label": "scheduling",
            "content_type_id": ContentType.objects.get_for_model(self.course).pk,
            "url": "no-such-admin-page/",
            "pattern_id": self.pattern.pk,
            "patternId": self.pattern.pk,
            "notification_id": Notification.objects.get(booking=self.booking).pk,
        }
        # One object of every model the admin shows, for its object pages.
        self.objects = {
            Group: self.group,
            self.course.__class__: self.course,
            self.slot.__class__: self.slot,
            self.booking.__class__: self.booking,
            Enrollment: Enrollment.objects.first(),
            BookingEvent: BookingEvent.objects.first(),
            student.__class__: student,
        }
        self._admin_objects()

    def _admin_objects(self) -> None:
        """One row of every other model the admin shows, so its object pages have one."""
        calendar_feed(self.users["student"])
        Chain.objects.create(name="authorization-matrix")
        attempt = dict(user_agent="", ip_address="127.0.0.1", username="nobody-here")
        AccessAttempt.objects.create(
            **attempt,
            http_accept="",
            path_info="/",
            get_data="",
            post_data="",
            failures_since_start=1,
        )
        AccessLog.objects.create(**attempt, http_accept="", path_info="/")
        AccessFailureLog.objects.create(**attempt, http_accept="", path_info="/")
        DBTaskResult.objects.create(
            args_kwargs={"args": [], "kwargs": {}},
            task_path="scheduling.tasks.every_minute",
            backend_name="default",
            run_after=timezone.now(),
            exception_class_path="",
            traceback="",
        )
        WaitlistEntry.objects.create(slot=self.later_slot, student=factories.StudentFactory())
        for model in admin.site._registry:
            if model not in self.objects:
                found = model.objects.order_by("pk").first()
                assert found is not None, f"no {model.__name__} for its admin pages: make one"
                self.objects[model] = found

    def path(self, route: Route, row: dict) -> str:
        if "path" in row:
            return row["path"]
        names = route.pattern.pattern.regex.groupindex
        kwargs = {}
        for name in names:
            if name == "object_id" or name == "id":
                model = _admin_model(route.key) or _model_from_route(route.route)
                kwargs[name] = self.objects.get(model, None).pk if model in self.objects else 1
            elif name in self.values:
                kwargs[name] = self.values[name]
            else:
                raise AssertionError(
                    f"no value for path parameter {name!r} of {route.key!r}: add it to "
                    "World.values in tests/test_authorization.py"
                )
        if route.pattern.name:
            return reverse(route.key, kwargs=kwargs)
        path = "/" + route.route
        for name, value in kwargs.items():
            path = path.replace(f"<path:{name}>", str(value)).replace(f"<{name}>", str(value))
        return path


def _model_from_route(route: str):
    """admin/<app>/<model>/<path:object_id>/ → the model."""
    parts = route.split("/")
    try:
        return apps.get_model(parts[1], parts[2])
    except (LookupError, IndexError):
        return None


def _answer_matches(response, expected, login_url: str, admin_login_url: str) -> bool:
    location = response.get("Location", "")
    if expected == LOGIN:
        return response.status_code == 302 and location.startswith(login_url)
    if expected == ADMIN_LOGIN:
        return response.status_code == 302 and location.startswith(admin_login_url)
    if expected == REDIRECT:
        return response.status_code in (301, 302, 303, 307, 308) and not location.startswith(
            (login_url, admin_login_url)
        )
    return response.status_code == expected


def _describe(response) -> str:
    location = response.get("Location")
    return f"{response.status_code}" + (f" → {location}" if location else "")


@pytest.mark.django_db
def test_authorization_matrix(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    # The real queue, as deployed: the admin's task pages read their backend's abilities.
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    world = World()
    login_url, admin_login_url = reverse("login"), reverse("admin:login")
    wrong: list[str] = []
    cells = 0
    for route in all_routes():
        row = row_for(route)
        assert row is not None, f"{route.key!r} has no row (see test_every_url_pattern_has_a_row)"
        if "shadowed_by" in row:
            # The pattern is listed, but another answers its path: pin which one.
            assert resolve(reverse(route.key)).view_name == row["shadowed_by"], route.key
            continue
        path = world.path(route, row)
        for method, answers in row.items():
            if method == "path":
                continue
            body = BODIES.get(route.key)
            data = json.dumps(body(world)) if body and method != "GET" else None
            for role, expected in answers.items():
                cells += 1
                with transaction.atomic():
                    client = Client()
                    if world.users[role] is not None:
                        client.force_login(world.users[role])
                    if data is not None:
                        response = client.generic(
                            method, path, data, content_type="application/json"
                        )
                    else:
                        response = client.generic(method, path)
                    transaction.set_rollback(True)
                if not _answer_matches(response, expected, login_url, admin_login_url):
                    wrong.append(
                        f"{route.key} {method} {path} as {role}: expected {expected}, "
                        f"got {_describe(response)}"
                    )
    FIGURES.append(f"{cells} cells ({len(all_routes())} URL patterns × methods × 6 visitors)")
    assert not wrong, f"{len(wrong)} of {cells} cells differ:\n" + "\n".join(wrong)
