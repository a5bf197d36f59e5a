"""Pages anyone may see, the navigation badge, and the error pages."""

from __future__ import annotations

from django.db.models import Count, Exists, OuterRef, Q, Value
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone

from accounts.models import User

from .. import follow_up, schedule_cache, selectors
from ..forms import BookingRequestForm
from ..models import PUBLIC_RATINGS_MIN, Booking, BookingEvent, Enrollment
from .booking import handle_booking_form, is_enrolled, visible_course
from .month import find_time_context
from .utils import group_by_day, paginate


def _courses_for(request: HttpRequest, *, counted: bool = True):
    """Published courses with the viewer's enrolment and (`counted`) their open-slot count."""
    now = timezone.now()
    courses = selectors.published_courses()
    if counted:
        courses = courses.annotate(
            open_slots=Count(
                "slots",
                filter=Q(slots__withdrawn_at__isnull=True, slots__starts_at__gt=now),
            )
        )
    if request.user.is_authenticated:
        mine = Enrollment.objects.filter(course=OuterRef("pk"), student=request.user)
        return courses.annotate(enrolled=Exists(mine))
    return courses.annotate(enrolled=Value(False))


def home(request: HttpRequest) -> HttpResponse:
    """Logged-in users go to their own home; visitors see what Mentoring is."""
    user = request.user
    if user.is_authenticated:
        if user.is_educator:
            return redirect("scheduling:educator-dashboard")
        if Booking.objects.for_student(user).exists():
            return redirect("scheduling:my-requests")
        return redirect("scheduling:catalog")
    featured = _courses_for(request).order_by("-open_slots", "title")[:6]
    return render(request, "home.html", {"featured": featured})


def catalog(request: HttpRequest) -> HttpResponse:
    query = request.GET.get("q", "").strip()
    courses = _courses_for(request).order_by("title", "id")
    if query:
        courses = courses.filter(Q(title__icontains=query) | Q(field__icontains=query))
    page, query_string = paginate(request, courses, per_page=12)
    return render(
        request,
        "scheduling/public/catalog.html",
        {"page_obj": page, "query": query, "query_string": query_string},
    )


def mentors(request: HttpRequest) -> HttpResponse:
    """Educators, searchable by field (or name), with their open-slot and course counts."""
    query = request.GET.get("q", "").strip()
    now = timezone.now()
    educators = (
        User.objects.filter(role=User.Role.EDUCATOR, is_active=True)
        .annotate(
            open_slots=Count(
                "slots",
                filter=Q(slots__withdrawn_at__isnull=True, slots__starts_at__gt=now),
                distinct=True,
            ),
            course_count=Count("courses", filter=Q(courses__is_published=True), distinct=True),
        )
        .order_by("-open_slots", "first_name", "username", "id")
    )
    if query:
        educators = educators.filter(
            Q(field__icontains=query)
            | Q(first_name__icontains=query)
            | Q(last_name__icontains=query)
            | Q(username__icontains=query)
        )
    fields = (
        User.objects.filter(role=User.Role.EDUCATOR, is_active=True)
        .exclude(field="")
        .values_list("field", flat=True)
        .distinct()
        .order_by("field")[:30]
    )
    page, query_string = paginate(request, educators, per_page=12)
    return render(
        request,
        "scheduling/public/mentors.html",
        {"page_obj": page, "query": query, "query_string": query_string, "fields": fields},
    )


def course_detail(request: HttpRequest, course_id: int) -> HttpResponse:
    course = visible_course(request, course_id)
    slots = selectors.open_slots(course=course)[:10]
    return render(
        request,
        "scheduling/public/course_detail.html",
        {
            "course": course,
            "enrolled": is_enrolled(request.user, course),
            "days": group_by_day(slots),
        },
    )


def _mentor_page(mentor_id: int) -> tuple[User, list, str]:
    """The mentor with their policy and ratings, and their published courses (by title
    only: counting each course's slots would read all of the mentor's), remembered under
    the mentor's profile version (their profile, policy, a course or a rating saved
    forgets it), and the mentor's schedule version. 404 when there is no such educator."""
    profile, version = schedule_cache.versions(mentor_id)
    page = schedule_cache.Remembered(mentor_id, ("mentor-page",), version=profile)
    mentor = page.answer(
        "mentor",
        lambda: (
            follow_up.with_ratings(User.objects.select_related("booking_policy"))
            .filter(pk=mentor_id, role=User.Role.EDUCATOR)
            .defer("password")
            .first()
        ),
    )
    if mentor is None:
        raise Http404("No such mentor.")
    courses = page.answer(
        "courses",
        lambda: list(
            selectors.published_courses()
            .filter(educator_id=mentor_id)
            .select_related(None)
            .only("id", "title", "educator")
            .order_by("title", "id")
        ),
    )
    page.save()
    return mentor, courses, version


def mentor_detail(request: HttpRequest, mentor_id: int) -> HttpResponse:
    """An educator's profile and open slots; students book course-less slots right here."""
    mentor, courses, version = _mentor_page(mentor_id)
    is_student = request.user.is_authenticated and request.user.is_student
    form = None
    if is_student:
        form = BookingRequestForm(  # any of the mentor's slots: the service checks enrolment
            request.POST if request.method == "POST" else None, within={"educator_id": mentor.pk}
        )
        if request.method == "POST":
            response = handle_booking_form(request, form)
            if response is not None:
                return response
            version = schedule_cache.schedule_version(mentor.pk)  # after a refusal: now
    elif request.method == "POST":
        return redirect("login")
    policy = selectors.policy_of(mentor)
    week = find_time_context(
        request,
        lambda: selectors.offered_slots(educator=mentor, policy=policy),
        educator=mentor,
        policy=policy,
        student=request.user if is_student else None,
        version=version,
        waitlist_url=f"{reverse('scheduling:waitlist')}?mentor={mentor.pk}" if is_student else "",
    )
    standing = week["student_standing"]
    for course in courses:
        course.enrolled = standing is not None and course.pk in standing[1]
    return render(
        request,
        "scheduling/public/mentor_detail.html",
        {
            **week,
            "mentor": mentor,
            "courses": courses,
            "form": form,
            "show_rating": mentor.rating_count >= PUBLIC_RATINGS_MIN,
            # The head's memo key: what it shows of the courses and the policy.
            "course_rows": tuple((course.pk, course.title, course.enrolled) for course in courses),
            "policy_summary": policy.summary(),
        },
    )


def nav_badge(request: HttpRequest) -> HttpResponse:
    """The number shown beside Session Requests (educators: pending) or My Requests
    (students: requests someone else changed since they last looked)."""
    user = request.user
    count = 0
    if user.is_authenticated and user.is_educator:
        count = Booking.objects.for_educator(user).filter(status="pending").count()
    elif user.is_authenticated:
        changes = BookingEvent.objects.filter(booking__student=user).exclude(actor=user)
        if user.requests_seen_at:
            changes = changes.filter(created_at__gt=user.requests_seen_at)
        count = changes.values("booking").distinct().count()
    label = str(count) if count else ""
    return HttpResponse(label)


def bad_request(request, exception=None):
    return render(request, "errors/400.html", status=400)


def permission_denied(request, exception=None):
    return render(request, "errors/403.html", status=403)


def page_not_found(request, exception=None):
    return render(request, "errors/404.html", status=404)


def server_error(request):
    return render(request, "errors/500.html", status=500)
