"""Request and response shapes; the OpenAPI document is generated from these."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from ninja import Field, Query, Schema
from pydantic import AfterValidator, BeforeValidator, StrictBool, StrictInt, StrictStr, create_model


def storable(value: str) -> str:
    """Refuse text no database column can hold: a NUL (PostgreSQL) or a lone surrogate."""
    if "\x00" in value:
        raise ValueError("Text cannot contain NUL characters.")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise ValueError("Text must be valid Unicode.") from None
    return value


Text = Annotated[StrictStr, AfterValidator(storable)]


def whole_id(value: Any) -> Any:
    """An id is a JSON integer, or a string of digits as clients of string-id APIs send.

    `true` or `1.0` are not ids, although pydantic's lax mode would read them as 1.
    """
    if isinstance(value, str) and value.isascii() and value.isdigit():
        return int(value)
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValueError("Give the id as a whole number.")
    return value


Id = Annotated[int, BeforeValidator(whole_id), Field(ge=1, le=2**63 - 1)]
WhenText = Annotated[
    Text,
    Field(
        description="ISO 8601 with an offset or Z (a naive value is UTC), "
        "or 'YYYY-MM-DD HH:MM:SS' in UTC",
        examples=["2030-01-15T10:00:00Z"],
    ),
]
Page = Annotated[int, Query(ge=1, description="Page number; 50 items a page")]
Status = Literal["pending", "approved", "rejected", "completed", "cancelled"]


class ErrorOut(Schema):
    success: bool = False
    message: str
    errors: dict[str, list[str]] | None = None


class Meta(Schema):
    page: int
    pages: int
    total: int


# ---------------------------------------------------------------- auth


class LoginIn(Schema):
    username: Text | None = None
    email: Text | None = None
    password: Text


class UserOut(Schema):
    id: int
    username: str
    name: str
    email: str
    role: str
    field: str
    timezone: str


class CsrfOut(Schema):
    csrfToken: str


# ---------------------------------------------------------------- Session API


class SessionIn(Schema):
    scheduledAt: WhenText
    quota: StrictInt = 1
    duration: StrictInt | None = Field(None, description="minutes, default 60")


class SessionUpdateIn(Schema):
    scheduledAt: WhenText | None = None
    quota: StrictInt | None = None
    duration: StrictInt | None = None


class SessionOut(Schema):
    id: int
    mentor_id: int
    scheduledAt: str = Field(examples=["2030-01-15 10:00:00"])
    quota: int
    remaining: int
    duration: int


class BookSessionIn(Schema):
    session_id: Id


class SessionBookingOut(Schema):
    id: int
    status: Status
    scheduledAt: str
    mentor_name: str
    student_name: str
    field: str
    bookedAt: str


# ---------------------------------------------------------------- Availability API


class SlotIn(Schema):
    courseId: Id | None = None
    startTime: WhenText
    endTime: WhenText | None = None
    capacity: StrictInt = 1
    requiresApproval: StrictBool = True
    meetingLink: Text | None = None
    note: Text | None = None


class SlotUpdateIn(Schema):
    courseId: Id | None = None
    startTime: WhenText | None = None
    endTime: WhenText | None = None
    capacity: StrictInt | None = None
    requiresApproval: StrictBool | None = None
    meetingLink: Text | None = None
    note: Text | None = None


class SlotOut(Schema):
    id: int
    educatorId: int
    educatorName: str
    courseId: int | None
    courseTitle: str | None
    startTime: str
    endTime: str
    capacity: int
    seatsTaken: int
    seatsLeft: int
    requiresApproval: bool
    meetingLink: str | None
    note: str
    withdrawn: bool


class RequestIn(Schema):
    slotId: Id
    message: Text | None = None


class ApproveIn(Schema):
    meetingLink: Text | None = None


class RejectIn(Schema):
    reason: Text | None = None


class CancelIn(Schema):
    reason: Text | None = None


class RequestOut(Schema):
    id: int
    slotId: int
    studentId: int
    studentName: str
    educatorId: int
    educatorName: str
    courseId: int | None
    courseTitle: str | None
    startTime: str
    endTime: str
    message: str
    status: Status
    meetingLink: str | None
    rejectionReason: str | None
    createdAt: str
    updatedAt: str


class OutcomeIn(Schema):
    outcome: Text | None = None  # "attended" or "no_show": the service says when it is not


class OutcomeOut(RequestOut):
    outcome: Literal["attended", "no_show"] | None
    outcomeMarkedAt: str | None
    disputedAt: str | None


class NoteIn(Schema):
    text: Text


class ItemIn(Schema):
    text: Text
    owner: Literal["student", "educator"]


class ItemDoneIn(Schema):
    done: bool


class FeedbackIn(Schema):
    rating: StrictInt  # true or 5.0 is not a rating
    comment: Text | None = None


class ReplyIn(Schema):
    reply: Text


class NoteOut(Schema):
    id: int
    authorId: int
    authorName: str
    text: str
    createdAt: str
    editedAt: str | None


class ItemOut(Schema):
    id: int
    text: str
    ownerId: int
    ownerName: str
    done: bool
    doneAt: str | None
    createdAt: str


class FeedbackOut(Schema):
    rating: int
    comment: str
    reply: str
    createdAt: str
    updatedAt: str
    repliedAt: str | None


class SessionDetailOut(Schema):
    request: OutcomeOut
    notes: list[NoteOut]
    actionItems: list[ItemOut]
    feedback: FeedbackOut | None


class InsightRowOut(Schema):
    label: str
    value: float


class InsightFigureOut(Schema):
    key: str
    title: str
    unit: str
    rows: list[InsightRowOut]


class InsightsOut(Schema):
    held: int
    attended: int
    noShows: int
    unmarked: int
    noShowRate: int | None
    ratingAverage: float | None
    ratingCount: int
    medianAnswerHours: float | None
    figures: list[InsightFigureOut]


class CourseOut(Schema):
    id: int
    title: str
    field: str
    educatorId: int
    educatorName: str
    enrolled: bool


class Empty(Schema):
    pass


def envelope_of(name: str, data: Any, *, paginated: bool = False) -> type[Schema]:
    """`{"success", "message", "data"}` (+ `"meta"` for lists) around `data`."""
    fields: dict[str, Any] = {"success": (bool, True), "message": (str, ...), "data": (data, ...)}
    if paginated:
        fields["data"] = (list[data], ...)
        fields["meta"] = (Meta, ...)
    return create_model(name, __base__=Schema, **fields)


UserEnvelope = envelope_of("UserEnvelope", UserOut)
CsrfEnvelope = envelope_of("CsrfEnvelope", CsrfOut)
EmptyEnvelope = envelope_of("EmptyEnvelope", Empty)
SessionEnvelope = envelope_of("SessionEnvelope", SessionOut)
SessionListEnvelope = envelope_of("SessionListEnvelope", SessionOut, paginated=True)
SessionBookingEnvelope = envelope_of("SessionBookingEnvelope", SessionBookingOut)
SlotEnvelope = envelope_of("SlotEnvelope", SlotOut)
SlotListEnvelope = envelope_of("SlotListEnvelope", SlotOut, paginated=True)
RequestEnvelope = envelope_of("RequestEnvelope", RequestOut)
OutcomeEnvelope = envelope_of("OutcomeEnvelope", OutcomeOut)
NoteEnvelope = envelope_of("NoteEnvelope", NoteOut)
ItemEnvelope = envelope_of("ItemEnvelope", ItemOut)
FeedbackEnvelope = envelope_of("FeedbackEnvelope", FeedbackOut)
SessionDetailEnvelope = envelope_of("SessionDetailEnvelope", SessionDetailOut)
InsightsEnvelope = envelope_of("InsightsEnvelope", InsightsOut)
RequestListEnvelope = envelope_of("RequestListEnvelope", RequestOut, paginated=True)
CourseListEnvelope = envelope_of("CourseListEnvelope", CourseOut, paginated=True)
EnrollmentEnvelope = envelope_of("EnrollmentEnvelope", CourseOut)

ERRORS = {frozenset({400, 401, 403, 404, 405, 409, 429}): ErrorOut}
