"""Staff oversee everything here. Changes with a rule go through the services, so the
admin can no more overfill a slot or skip a status than a student or educator can."""

from . import bookings, courses, planning, slots  # noqa: F401 - each registers its models
