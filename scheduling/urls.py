"""Page URLs, at the paths of the original product's front end (DESIGN.md, "Pages")."""

from django.urls import path

from .views import educator, ics, insights, planning, public, sessions, student

app_name = "scheduling"

# --- public pages
public_urls = [
    path("", public.home, name="home"),
    path("courses/", public.catalog, name="catalog"),
    path("course/<int:course_id>/", public.course_detail, name="course-detail"),
    path("mentors/", public.mentors, name="mentors"),
    path("mentors/<int:mentor_id>/", public.mentor_detail, name="mentor-detail"),
    path("nav/badge", public.nav_badge, name="nav-badge"),
]

# --- student pages
student_urls = [
    path("course/<int:course_id>/enroll", student.enroll, name="enroll"),
    path("course/<int:course_id>/book-session", student.book_session, name="book-session"),
    path("session-requests", student.my_requests, name="my-requests"),
    path(
        "session-requests/<int:booking_id>/cancel",
        student.cancel_request,
        name="cancel-request",
    ),
    path("session-requests/<int:booking_id>/rebook", student.rebook, name="rebook"),
    path(
        "session-requests/<int:booking_id>/dispute",
        student.dispute_no_show,
        name="dispute-no-show",
    ),
    path("session-requests/<int:booking_id>/calendar.ics", ics.booking_ics, name="booking-ics"),
    # a session's own page: its student and its educator
    path("sessions/<int:booking_id>/", sessions.session_detail, name="session-detail"),
]

# --- educator pages
educator_urls = [
    path("educator/", educator.dashboard, name="educator-dashboard"),
    path("educator/availability", educator.availability, name="availability"),
    path("educator/calendar", educator.calendar, name="educator-calendar"),
    path("educator/availability/new", educator.slot_new, name="slot-new"),
    path("educator/availability/<int:slot_id>/edit", educator.slot_edit, name="slot-edit"),
    path(
        "educator/availability/<int:slot_id>/withdraw",
        educator.slot_withdraw,
        name="slot-withdraw",
    ),
    path("educator/session-requests", educator.session_requests, name="educator-requests"),
    path(
        "educator/session-requests/<int:booking_id>/approve",
        educator.approve,
        name="booking-approve",
    ),
    path(
        "educator/session-requests/<int:booking_id>/reject",
        educator.reject,
        name="booking-reject",
    ),
    path(
        "educator/session-requests/<int:booking_id>/complete",
        educator.complete,
        name="booking-complete",
    ),
    path(
        "educator/session-requests/<int:booking_id>/outcome",
        educator.mark_outcome,
        name="booking-outcome",
    ),
    path("educator/insights", insights.insights, name="educator-insights"),
    path("educator/insights.csv", insights.insights_csv, name="educator-insights-csv"),
    path("educator/courses", educator.courses, name="educator-courses"),
    path("educator/courses/new", educator.course_new, name="course-new"),
    path("educator/courses/<int:course_id>/edit", educator.course_edit, name="course-edit"),
]

# --- planning ahead: policies, weekly hours, reschedule, waitlists
planning_urls = [
    path("educator/policies", planning.policies, name="policies"),
    path("educator/weekly-hours", planning.weekly_hours, name="weekly-hours"),
    path(
        "educator/weekly-hours/<int:pattern_id>/edit",
        planning.weekly_hours_edit,
        name="weekly-hours-edit",
    ),
    path(
        "educator/weekly-hours/<int:pattern_id>/delete",
        planning.weekly_hours_delete,
        name="weekly-hours-delete",
    ),
    path(
        "session-requests/<int:booking_id>/reschedule",
        planning.reschedule,
        name="reschedule-request",
    ),
    path("waitlist", planning.waitlist, name="waitlist"),
    path("slot/<int:slot_id>/waitlist/join", planning.waitlist_join, name="waitlist-join"),
    path("slot/<int:slot_id>/waitlist/leave", planning.waitlist_leave, name="waitlist-leave"),
]

urlpatterns = public_urls + student_urls + educator_urls + planning_urls
