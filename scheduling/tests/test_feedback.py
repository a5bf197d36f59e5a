"""Feedback on a held session: its student rates it 1–5 once (changeable for 14 days), its
educator replies privately, a mentor's page shows the average from three ratings on, the
completion notice asks for it, and concurrent ratings of one booking leave exactly one."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from notifications.models import Notification
from scheduling import errors, services
from scheduling.models import SessionFeedback
from scheduling.tests.factories import StudentFactory
from scheduling.tests.test_outcomes import held
from scheduling.tests.test_races import race
from scheduling.tests.test_services import refused

pytestmark = pytest.mark.django_db


def completed(educator, student=None):
    booking = held(educator, student)
    return services.booking_complete(booking=booking, by=educator)


def test_a_student_rates_a_held_session_once_and_may_change_it_for_14_days(educator):
    booking = completed(educator)
    student = booking.student
    feedback = services.feedback_give(booking=booking, by=student, rating=4, comment=" Clear ")
    assert (feedback.rating, feedback.comment) == (4, "Clear")
    services.feedback_give(booking=booking, by=student, rating=5)
    assert SessionFeedback.objects.get(booking=booking).rating == 5  # still one
    SessionFeedback.objects.filter(pk=feedback.pk).update(
        created_at=timezone.now() - timedelta(days=15)
    )
    with refused(errors.CONFLICT, errors.FEEDBACK_CLOSED):
        services.feedback_give(booking=booking, by=student, rating=1)


def test_ratings_are_refused_for_others_bad_values_and_sessions_not_held(educator):
    upcoming = held(educator, started=False)
    with refused(errors.CONFLICT, errors.FEEDBACK_NOT_HELD):
        services.feedback_give(booking=upcoming, by=upcoming.student, rating=5)
    missed = held(educator)
    services.booking_mark_outcome(booking=missed, by=educator, outcome="no_show")
    services.booking_complete(booking=missed, by=educator)
    with refused(errors.CONFLICT, errors.FEEDBACK_NOT_HELD):
        services.feedback_give(booking=missed, by=missed.student, rating=5)
    attended = held(educator)  # marked attended: rateable before it is completed
    services.booking_mark_outcome(booking=attended, by=educator, outcome="attended")
    assert services.feedback_give(booking=attended, by=attended.student, rating=3)
    booking = completed(educator)
    with refused(errors.FORBIDDEN, errors.FEEDBACK_NOT_STUDENT):
        services.feedback_give(booking=booking, by=StudentFactory(), rating=5)
    for bad in (0, 6, "5", True, None):
        with refused(errors.INVALID, errors.FEEDBACK_RATING):
            services.feedback_give(booking=booking, by=booking.student, rating=bad)
    with refused(errors.INVALID, errors.FEEDBACK_TOO_LONG):
        services.feedback_give(booking=booking, by=booking.student, rating=5, comment="x" * 2001)


def test_the_educator_replies_privately_and_the_pages_show_it_to_the_two(client, educator):
    booking = completed(educator)
    client.force_login(booking.student)
    url = f"/sessions/{booking.pk}/"
    page = client.get(url).content.decode()
    assert "How did the session go?" in page
    page = client.post(url, {"action": "feedback", "rating": "9"}).content.decode()
    assert errors.FEEDBACK_RATING in page
    response = client.post(url, {"action": "feedback", "rating": "4", "comment": "Useful"})
    assert response.status_code == 302
    client.force_login(educator)
    page = client.get(url).content.decode()
    assert "4 out of 5" in page and "Useful" in page and "Reply to" in page
    client.post(url, {"action": "reply", "reply": "Thanks, see you soon"})
    client.force_login(booking.student)
    page = client.get(url).content.decode()
    assert "replied:" in page and "Thanks, see you soon" in page
    with refused(errors.FORBIDDEN, errors.FEEDBACK_NOT_EDUCATOR):
        services.feedback_reply(feedback=booking.feedback, by=booking.student, text="Hi")


def test_a_mentor_page_shows_the_average_from_three_ratings_and_never_the_comments(
    client, educator
):
    for rating in (5, 4):
        booking = completed(educator)
        services.feedback_give(booking=booking, by=booking.student, rating=rating, comment="Secret")
    page = client.get(f"/mentors/{educator.pk}/").content.decode()
    assert "out of 5" not in page
    booking = completed(educator)
    services.feedback_give(booking=booking, by=booking.student, rating=3)
    page = client.get(f"/mentors/{educator.pk}/").content.decode()
    assert "4.0 out of 5" in page and "from 3 ratings" in page and "Secret" not in page


def test_completion_asks_the_student_once_in_the_app_and_by_email(educator):
    booking = held(educator)
    services.booking_complete(booking=booking, by=educator)
    asks = Notification.objects.filter(recipient=booking.student, text__contains="Rate it")
    assert asks.count() == 1 and f"/sessions/{booking.pk}/" in asks.get().url
    services.close_past_sessions(now=timezone.now() + timedelta(days=1))
    assert asks.count() == 1  # completion happens once, so does the ask


@pytest.mark.django_db(transaction=True)
def test_concurrent_ratings_of_one_booking_leave_exactly_one(educator):
    booking = completed(educator)
    results = race(
        [
            lambda rating=rating: services.feedback_give(
                booking=booking, by=booking.student, rating=rating
            )
            for rating in (1, 2, 3, 4, 5, 1, 2, 3)
        ]
    )
    assert all(isinstance(result, SessionFeedback) for result in results), results
    assert SessionFeedback.objects.filter(booking=booking).count() == 1


@pytest.mark.django_db(transaction=True)
def test_several_workers_closing_past_sessions_ask_for_feedback_once(educator):
    """The periodic task may run in several workers at once: the session completes once,
    so its student is asked once, in the app and by email."""
    from outbox.models import Message

    booking = held(educator)
    later = timezone.now() + timedelta(days=1)
    race([lambda: services.close_past_sessions(now=later) for _ in range(6)])
    booking.refresh_from_db()
    assert booking.status == "completed"
    asks = Notification.objects.filter(recipient=booking.student, text__contains="Rate it")
    assert asks.count() == 1
    assert Message.objects.filter(booking=booking, kind="completed").count() == 1


def test_the_api_takes_a_whole_number_rating_only(client, educator):
    booking = completed(educator)
    client.force_login(booking.student)
    url = f"/api/sessions/{booking.pk}/feedback"
    for bad in (True, 5.0, "5"):
        response = client.put(url, {"rating": bad}, content_type="application/json")
        assert response.status_code == 400, bad
    assert not SessionFeedback.objects.exists()
