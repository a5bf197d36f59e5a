"""Every write that has a rule. Pages, the JSON API and admin actions all call these.

By topic: checks.py (what they share: permission checks, locks in their order, a booking's
rows), slots, courses, bookings, outcomes (attended or no-show), notes (notes and action
items), feedback (ratings), policies, reschedule, waitlist, patterns (weekly hours).
Callers use `from scheduling import services` and `services.<name>`: every public name is
here, and the private ones tests call (_create_booking, _lock_slot_to_book, _move_seats).

Locking order, to keep concurrent writers from deadlocking: a user row (the student who
books, or the educator whose slots change) first, then the slot row, then booking rows.
"""

from ..errors import BookingError
from .bookings import (
    booking_approve,
    booking_cancel,
    booking_complete,
    booking_reject,
    booking_request,
    close_past_sessions,
)
from .checks import (
    DEFAULT_DURATION,
    LATEST,
    MAX_DURATION,
    MIN_DURATION,
    _create_booking,
    _lock_slot_to_book,
    _move_seats,
    validate_meeting_link,
)
from .courses import course_create, course_update, enroll
from .feedback import can_rate, feedback_give, feedback_reply
from .notes import (
    action_item_add,
    action_item_set_done,
    item_of,
    note_add,
    note_edit,
    note_of,
    party,
    require_party,
)
from .outcomes import booking_dispute_no_show, booking_mark_outcome
from .patterns import (
    PATTERN_FIELDS,
    check_pattern,
    pattern_create,
    pattern_delete,
    pattern_publish,
    pattern_update,
    patterns_roll,
)
from .policies import (
    cancel_notice_refusal,
    check_policies,
    check_policy_values,
    policy_update,
)
from .reschedule import booking_reschedule
from .slots import (
    check_slot,
    slot_create,
    slot_update,
    slot_withdraw,
)
from .waitlist import (
    waitlist_fill_all,
    waitlist_join,
    waitlist_leave,
    waitlist_offer_seats,
    waitlist_position,
)

__all__ = [
    "DEFAULT_DURATION",
    "LATEST",
    "MAX_DURATION",
    "MIN_DURATION",
    "PATTERN_FIELDS",
    "BookingError",
    "_create_booking",
    "_lock_slot_to_book",
    "_move_seats",
    "action_item_add",
    "action_item_set_done",
    "booking_approve",
    "booking_cancel",
    "booking_complete",
    "booking_dispute_no_show",
    "booking_mark_outcome",
    "booking_reject",
    "booking_request",
    "booking_reschedule",
    "can_rate",
    "cancel_notice_refusal",
    "check_pattern",
    "check_policies",
    "check_policy_values",
    "check_slot",
    "close_past_sessions",
    "course_create",
    "course_update",
    "enroll",
    "feedback_give",
    "feedback_reply",
    "item_of",
    "note_add",
    "note_edit",
    "note_of",
    "party",
    "pattern_create",
    "pattern_delete",
    "pattern_publish",
    "pattern_update",
    "patterns_roll",
    "policy_update",
    "require_party",
    "slot_create",
    "slot_update",
    "slot_withdraw",
    "validate_meeting_link",
    "waitlist_fill_all",
    "waitlist_join",
    "waitlist_leave",
    "waitlist_offer_seats",
    "waitlist_position",
]
