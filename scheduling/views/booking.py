"""What the pages that offer times share: the course a viewer may see, whether they are
enrolled, and sending the booking form through the service.

Book a Session (student.py) and a mentor's page (public.py) both use these; keeping them
here lets neither of the two modules import the other.
"""

from __future__ import annotations

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect

from .. import selectors, services
from ..errors import BookingError
from ..forms import BookingRequestForm
from ..models import BookingStatus, Course, Enrollment


def visible_course(request: HttpRequest, course_id: int) -> Course:
    """Published courses for everyone; an unpublished one only for its educator."""
    course = selectors.course_page_course(course_id)
    if course is None or not course.is_visible_to(request.user):
        raise Http404("No such course.")
    return course


def is_enrolled(user, course: Course) -> bool:
    if not user.is_authenticated:
        return False
    return Enrollment.objects.filter(student=user, course=course).exists()


def handle_booking_form(request: HttpRequest, form: BookingRequestForm) -> HttpResponse | None:
    """Send the request if the form and the rules allow; else None (form has the errors)."""
    if not form.is_valid():
        return None
    try:
        booking = services.booking_request(
            student=request.user,
            slot=form.cleaned_data["slot"],
            message=form.cleaned_data["message"],
        )
    except BookingError as error:
        form.add_service_error(error)
        return None
    if booking.status == BookingStatus.APPROVED:
        messages.success(request, "You're booked: the session is confirmed.")
    else:
        messages.success(request, "Request sent. You'll see the educator's answer here.")
    return redirect("scheduling:my-requests")
