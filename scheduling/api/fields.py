"""Service field names (starts_at) as each API surface's clients call them (scheduledAt)."""

from django.http import HttpRequest

SESSION_API = {
    "starts_at": "scheduledAt",
    "ends_at": "duration",
    "duration": "duration",
    "capacity": "quota",
}

AVAILABILITY_API = {
    "starts_at": "startTime",
    "ends_at": "endTime",
    "duration": "endTime",
    "capacity": "capacity",
    "course": "courseId",
    "meeting_link": "meetingLink",
    "requires_approval": "requiresApproval",
    "reason": "reason",
    "message": "message",
    "note": "note",
    "title": "title",
}

WEEKLY_HOURS = {
    "weekdays": "weekdays",
    "start_time": "startTime",
    "end_time": "endTime",
    "session_minutes": "sessionMinutes",
    "horizon_weeks": "horizonWeeks",
    "capacity": "capacity",
    "course": "courseId",
    "meeting_link": "meetingLink",
}
POLICY_NAMES = {
    "min_notice_hours": "minNoticeHours",
    "horizon_days": "horizonDays",
    "buffer_minutes": "bufferMinutes",
    "daily_max": "dailyMax",
    "cancel_notice_hours": "cancelNoticeHours",
}


def client_field(request: HttpRequest, field: str) -> str:
    """The name a client sent `field` under, on the surface the request came through."""
    path = request.path
    if path.startswith("/session/"):
        names = SESSION_API
    elif path.startswith("/api/availability/weekly"):
        names = WEEKLY_HOURS
    elif path.startswith("/api/educator/policies"):
        names = POLICY_NAMES
    else:
        names = AVAILABILITY_API
    return names.get(field, field)
