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


def client_field(request: HttpRequest, field: str) -> str:
    names = SESSION_API if request.path.startswith("/session/") else AVAILABILITY_API
    return names.get(field, field)
