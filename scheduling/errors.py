"""The one family of errors the services raise, and their human messages.

Every front end shows `error.message`; the API turns `error.http_status` into its status
code. Messages are constants so tests compare against them instead of copying text.
"""

from __future__ import annotations

# Who may do what (403)
NOT_A_STUDENT = "Only students can request sessions."
NOT_A_STUDENT_ENROL = "Only students can enrol in courses."
NOT_AN_EDUCATOR = "Only educators can do this."
NOT_SLOT_OWNER = "Only the educator who owns this slot can do this."
NOT_COURSE_OWNER = "Only the educator who owns this course can do this."
NOT_BOOKING_STUDENT = "Only the student who made this request can cancel it."
NOT_ENROLLED = "Enrol in this course before booking its sessions."

# Invalid input (400)
START_IN_PAST = "A session must start in the future."
ENDS_BEFORE_START = "The end must be after the start."
CAPACITY_RANGE = "Capacity must be between 1 and 50."
DURATION_RANGE = "Duration must be between 5 minutes and 24 hours."
TOO_FAR_AHEAD = "Enter a date and time before the year 9999."
LOCAL_TIME_MISSING = (
    "{time} does not exist on {day} in {zone}: the clocks skip that hour. Pick another time."
)
MEETING_LINK_INVALID = "Meeting links must be http:// or https:// URLs."
MEETING_LINK_REQUIRED = "A meeting link is required to approve a request."
REASON_REQUIRED = "Give a reason for rejecting the request."
MESSAGE_TOO_LONG = "The message can be at most 1000 characters."
TITLE_REQUIRED = "A course needs a title."

# Refused by a rule (409)
SLOT_WITHDRAWN = "This slot has been withdrawn."
SLOT_STARTED = "This slot has already started."
SLOT_FULL = "This slot is full."
ALREADY_BOOKED = "You already have an active request for this slot."
BOOKING_OVERLAP = "You already have a session at that time."
SLOT_OVERLAP = "This time overlaps another of your open slots."
CAPACITY_BELOW_SEATS = "Capacity cannot be lower than the {seats} seats already taken."
TIME_LOCKED = (
    "The time cannot change while students hold seats; cancel their requests or ask them first."
)
COURSE_LOCKED = "The course cannot change while students hold seats."
SLOT_ALREADY_WITHDRAWN = "This slot is already withdrawn."
WITHDRAW_STARTED = "A slot that has already started cannot be withdrawn."
MOVE_STARTED = "A slot that has already started cannot be moved: its sessions are history."
ILLEGAL_TRANSITION = "This request is {status}, so it cannot be {action}."
APPROVE_STARTED = "This session has already started; the request can no longer be approved."
CANCEL_STARTED = "This session has already started; the request can no longer be cancelled."
COMPLETE_BEFORE_START = "A session can be marked completed only once it has started."
COURSE_NOT_PUBLISHED = "This course is not open for enrolment."

# Booking policies (409 when a policy refuses; 400 for a policy value out of range)
POLICY_MIN_NOTICE = (
    "This session starts in less than {hours} hours: the educator asks for at least "
    "{hours} hours' notice."
)
POLICY_HORIZON = (
    "This session is more than {days} days ahead: the educator takes requests up to "
    "{days} days ahead."
)
POLICY_BUFFER = (
    "This session is less than {minutes} minutes from another session: the educator keeps "
    "{minutes} minutes between sessions."
)
POLICY_DAILY_MAX = "The educator takes at most {count} sessions a day, and that day is full."
POLICY_CANCEL_NOTICE = (
    "This session starts in less than {hours} hours, so it can no longer be cancelled or "
    "moved here. Write to {educator} at {email} about it."
)
POLICY_RANGE = "{label} must be a whole number from {low} to {high}."

# Reschedule and waitlist
NOT_BOOKING_STUDENT_MOVE = "Only the student who made this request can reschedule it."
RESCHEDULE_SAME_SLOT = "This request is already for that slot."
RESCHEDULE_OTHER_EDUCATOR = (
    "A request can move only to another slot of the same educator and course."
)
RESCHEDULE_STARTED = "This session has already started; it can no longer be rescheduled."
RESCHEDULE_MOVED_MEANWHILE = (
    "This request was moved to another slot meanwhile: reload it and choose again."
)
WAITLIST_NOT_FULL = "This slot still has a seat: book it instead of waiting."
WAITLIST_ALREADY = "You are already on this slot's waitlist."
WAITLIST_NOT_ON = "You are not on this slot's waitlist."

# After a session: attended or no-show
OUTCOME_INVALID = "Choose attended or no-show."
OUTCOME_NOT_EDUCATOR = "Only the educator of this session can mark whether it took place."
OUTCOME_STATUS = "This request is {status}: only an approved or completed session has an outcome."
OUTCOME_BEFORE_START = "A session can be marked attended or a no-show only once it has started."
OUTCOME_SAME = "This session is already marked {outcome}."
OUTCOME_ALREADY = "This session is already marked {outcome}; staff can correct the mark."
DISPUTE_NOT_STUDENT = "Only the student of this session can answer its no-show mark."
DISPUTE_NOT_NO_SHOW = "Only a session marked as a no-show can be disputed."
DISPUTE_ALREADY = "You already said you attended this session."

# A session's notes and action items
SESSION_NOT_FOUND = "No such session."
NOTE_EMPTY = "Write something in the note."
NOTE_TOO_LONG = "A note can be at most 5000 characters."
NOTE_NOT_AUTHOR = "Only the author of a note can edit it."
NOTE_NOT_FOUND = "That note is not part of this session."
ITEM_NOT_FOUND = "That action item is not part of this session."
ITEM_EMPTY = "Say what is to be done."
ITEM_TOO_LONG = "An action item can be at most 500 characters."
ITEM_OWNER = "An action item belongs to the student or the educator of this session."

# Rebooking a withdrawn session
REBOOK_NOT_OFFERED = "That time is not one of the other times of this session's educator."

# Feedback
FEEDBACK_NOT_STUDENT = "Only the student of this session can rate it."
FEEDBACK_NOT_EDUCATOR = "Only the educator of this session can reply to its feedback."
FEEDBACK_RATING = "Choose a rating from 1 to 5."
FEEDBACK_TOO_LONG = "Feedback can be at most 2000 characters."
FEEDBACK_REPLY_EMPTY = "Write a reply."
FEEDBACK_NOT_HELD = "Only a session that took place can be rated."
FEEDBACK_CLOSED = "Feedback can be changed for 14 days after it is given."
FEEDBACK_NONE = "This session has no feedback to reply to yet."

# Weekly availability
PATTERN_NO_DAYS = "Pick at least one weekday."
PATTERN_TIMES = "The hours must end after they start, with room for one session."
SESSION_LENGTH_RANGE = "A session must be 15 to 240 minutes long."
HORIZON_WEEKS_RANGE = "Publish 1 to 12 weeks ahead."
NOT_PATTERN_OWNER = "Only the educator who owns these weekly hours can change them."

# Reasons the system writes into a booking's history
NOT_ANSWERED_IN_TIME = "Not answered before the session started"
WITHDRAWN_DEFAULT_REASON = "The educator withdrew this session."

INVALID = "invalid"
FORBIDDEN = "forbidden"
NOT_FOUND = "not_found"
CONFLICT = "conflict"

HTTP_STATUS = {INVALID: 400, FORBIDDEN: 403, NOT_FOUND: 404, CONFLICT: 409}


class BookingError(Exception):
    """A rule refused the action. `kind` says why in HTTP terms; `field` names the input."""

    def __init__(self, kind: str, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.kind = kind
        self.message = message
        self.field = field

    @property
    def http_status(self) -> int:
        return HTTP_STATUS[self.kind]

    def __repr__(self) -> str:
        return f"BookingError({self.kind!r}, {self.message!r}, field={self.field!r})"
