"""Courses, availability slots, bookings and their history.

Invariants that must hold even when two requests race are written here as database
constraints; the service layer (scheduling/services/) checks them first to give friendly errors.
"""

from .bookings import (  # noqa: F401
    ACTIVE_STATUSES,
    OUTCOME_STATUSES,
    Booking,
    BookingEvent,
    BookingQuerySet,
    BookingStatus,
    Outcome,
)
from .courses import (  # noqa: F401
    MAX_CAPACITY,
    MESSAGE_MAX_LENGTH,
    MIN_CAPACITY,
    Course,
    Enrollment,
)
from .planning import (  # noqa: F401
    DEFAULT_HORIZON_WEEKS,
    MAX_HORIZON_WEEKS,
    MAX_SESSION_MINUTES,
    MIN_SESSION_MINUTES,
    POLICY_LIMITS,
    BookingPolicy,
    WaitlistEntry,
    WaitlistStatus,
    WeeklyPattern,
)
from .sessions import (  # noqa: F401
    FEEDBACK_COMMENT_MAX_LENGTH,
    FEEDBACK_EDIT_DAYS,
    ITEM_MAX_LENGTH,
    NOTE_MAX_LENGTH,
    PUBLIC_RATINGS_MIN,
    ActionItem,
    InsightsReport,
    SessionFeedback,
    SessionNote,
    SessionNoteRevision,
)
from .slots import (  # noqa: F401
    Slot,
    SlotQuerySet,
)
