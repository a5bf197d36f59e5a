"""After a session: its educator marks it attended or a no-show, once, after it started;
staff correct; the student answers a no-show with "I was there", once. Services, pages, the
API and the admin action, and concurrent marks ending with exactly one."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from scheduling import errors, services
from scheduling.models import Booking, BookingEvent, Outcome
from scheduling.tests.factories import BookingFactory, SlotFactory, StudentFactory
from scheduling.tests.test_races import race
from scheduling.tests.test_services import move_to_past, refused

pytestmark = pytest.mark.django_db

LINK = "https://meet.example.com/room"


def held(educator, student=None, *, started: bool = True) -> Booking:
    """An approved session of `educator` that started (or not yet)."""
    slot = SlotFactory(educator=educator)
    booking = BookingFactory(slot=slot, **({"student": student} if student else {}))
    booking = services.booking_approve(booking=booking, by=educator, meeting_link=LINK)
    if started:
        move_to_past(slot)
    return Booking.objects.get(pk=booking.pk)


def test_the_educator_marks_a_started_session_once_and_the_history_says_who(educator):
    booking = held(educator)
    marked = services.booking_mark_outcome(booking=booking, by=educator, outcome="no_show")
    assert (marked.outcome, marked.outcome_by, marked.status) == ("no_show", educator, "approved")
    assert marked.outcome_at is not None
    event = BookingEvent.objects.filter(booking=booking).last()
    assert (event.actor, event.note) == (educator, "Marked as a no-show")
    with refused(errors.CONFLICT, errors.OUTCOME_ALREADY.format(outcome="no-show")):
        services.booking_mark_outcome(booking=booking, by=educator, outcome="attended")
    with refused(errors.CONFLICT, errors.OUTCOME_SAME.format(outcome="no-show")):
        services.booking_mark_outcome(booking=booking, by=educator, outcome="no_show")


def test_marks_are_refused_before_the_start_for_other_statuses_and_other_people(
    educator, other_educator, student
):
    upcoming = held(educator, started=False)
    with refused(errors.CONFLICT, errors.OUTCOME_BEFORE_START):
        services.booking_mark_outcome(booking=upcoming, by=educator, outcome="attended")
    pending = BookingFactory(slot=SlotFactory(educator=educator))
    move_to_past(pending.slot)
    with refused(errors.CONFLICT, errors.OUTCOME_STATUS.format(status="pending")):
        services.booking_mark_outcome(booking=pending, by=educator, outcome="attended")
    booking = held(educator)
    for outsider in (other_educator, booking.student):
        with refused(errors.FORBIDDEN, errors.OUTCOME_NOT_EDUCATOR):
            services.booking_mark_outcome(booking=booking, by=outsider, outcome="attended")
    with refused(errors.INVALID, errors.OUTCOME_INVALID):
        services.booking_mark_outcome(booking=booking, by=educator, outcome="late")
    assert Booking.objects.get(pk=booking.pk).outcome == ""


def test_a_completed_session_can_be_marked_and_completion_keeps_the_mark(educator):
    booking = held(educator)
    services.booking_mark_outcome(booking=booking, by=educator, outcome="attended")
    services.close_past_sessions(now=timezone.now() + timedelta(hours=2))
    booking.refresh_from_db()
    assert (booking.status, booking.outcome) == ("completed", "attended")
    other = held(educator)
    services.booking_complete(booking=other, by=educator)
    marked = services.booking_mark_outcome(booking=other, by=educator, outcome="no_show")
    assert (marked.status, marked.outcome) == ("completed", "no_show")


def test_the_student_disputes_a_no_show_once_and_staff_settle_it(educator, staff):
    booking = held(educator)
    student = booking.student
    with refused(errors.CONFLICT, errors.DISPUTE_NOT_NO_SHOW):
        services.booking_dispute_no_show(booking=booking, by=student)
    services.booking_mark_outcome(booking=booking, by=educator, outcome="no_show")
    with refused(errors.FORBIDDEN, errors.DISPUTE_NOT_STUDENT):
        services.booking_dispute_no_show(booking=booking, by=educator)
    disputed = services.booking_dispute_no_show(booking=booking, by=student)
    assert disputed.disputed_at is not None
    with refused(errors.CONFLICT, errors.DISPUTE_ALREADY):
        services.booking_dispute_no_show(booking=booking, by=student)
    corrected = services.booking_mark_outcome(booking=booking, by=staff, outcome="attended")
    assert (corrected.outcome, corrected.outcome_by, corrected.disputed_at) == (
        "attended",
        staff,
        None,
    )
    notes = list(BookingEvent.objects.filter(booking=booking).values_list("note", flat=True))
    assert notes[-3:] == [
        "Marked as a no-show",
        "The student says they attended",
        "Marked attended",
    ]


# ---------------------------------------------------------------- pages


def test_session_requests_offers_the_marks_after_the_start_and_counts_missed_sessions(
    client, educator
):
    student = StudentFactory(first_name="Noa", last_name="Vale")
    first, second = held(educator, student), held(educator, student)
    client.force_login(educator)
    page = client.get("/educator/session-requests", {"status": "approved"}).content.decode()
    assert page.count(">No-show</button>") == 2 and "Did Noa Vale attend?" in page
    response = client.post(
        f"/educator/session-requests/{first.pk}/outcome",
        {"outcome": "no_show", "next": "/educator/session-requests?status=approved"},
    )
    assert response.status_code == 302
    page = client.get(response.url).content.decode()
    assert "Marked no-show." in page and "Noa Vale missed 1 of 2 sessions with you." in page
    assert page.count(">No-show</button>") == 1  # the marked one shows its mark instead
    # htmx: the card comes back in place, with the count.
    card = client.post(
        f"/educator/session-requests/{second.pk}/outcome",
        {"outcome": "attended"},
        headers={"HX-Request": "true"},
    ).content.decode()
    assert ">Attended</span>" in card and "missed 1 of 2 sessions" in card


def test_an_upcoming_session_offers_no_marks_and_a_refusal_says_why(client, educator):
    booking = held(educator, started=False)
    client.force_login(educator)
    page = client.get("/educator/session-requests", {"status": "approved"}).content.decode()
    assert ">No-show</button>" not in page
    response = client.post(
        f"/educator/session-requests/{booking.pk}/outcome", {"outcome": "no_show"}, follow=True
    )
    assert errors.OUTCOME_BEFORE_START in response.content.decode()


def test_my_requests_shows_the_no_show_and_takes_i_was_there_once(client, educator):
    booking = held(educator)
    services.booking_mark_outcome(booking=booking, by=educator, outcome="no_show")
    client.force_login(booking.student)
    page = client.get("/session-requests").content.decode()
    assert ">No-show</span>" in page and ">I was there</button>" in page
    response = client.post(f"/session-requests/{booking.pk}/dispute", follow=True)
    page = response.content.decode()
    assert "Noted: you said you attended." in page and ">I was there</button>" not in page
    assert "You said you were there" in page
    again = client.post(f"/session-requests/{booking.pk}/dispute", follow=True)
    assert errors.DISPUTE_ALREADY in again.content.decode()
    client.force_login(educator)
    page = client.get("/educator/session-requests", {"status": "approved"}).content.decode()
    assert "says they attended." in page


# ---------------------------------------------------------------- API and admin


def test_the_api_marks_and_disputes_with_the_envelope_and_the_services_messages(client, educator):
    booking = held(educator)
    client.force_login(educator)
    url = f"/api/session/outcome/{booking.pk}"
    response = client.put(url, {"outcome": "no_show"}, content_type="application/json")
    assert response.status_code == 200
    body = response.json()
    assert body["success"] is True and body["message"] == "Session outcome recorded"
    assert body["data"]["outcome"] == "no_show" and body["data"]["id"] == booking.pk
    again = client.put(url, {"outcome": "attended"}, content_type="application/json")
    assert again.status_code == 409
    assert again.json()["message"] == errors.OUTCOME_ALREADY.format(outcome="no-show")
    bad = client.put(url, {"outcome": 5}, content_type="application/json")
    assert bad.status_code == 400 and bad.json()["success"] is False
    client.force_login(booking.student)
    response = client.put(f"/api/session/dispute/{booking.pk}")
    assert response.status_code == 200 and response.json()["data"]["disputedAt"]
    assert client.put(f"/api/session/dispute/{booking.pk}").status_code == 409
    assert (
        client.put(url, {"outcome": "attended"}, content_type="application/json").status_code == 403
    )


def test_staff_correct_a_mark_from_the_admin(client, educator, staff):
    booking = held(educator)
    services.booking_mark_outcome(booking=booking, by=educator, outcome="no_show")
    client.force_login(staff)
    response = client.post(
        "/admin/scheduling/booking/",
        {"action": "mark_attended", "_selected_action": [booking.pk]},
        follow=True,
    )
    assert "Marked attended: 1." in response.content.decode()
    booking.refresh_from_db()
    assert (booking.outcome, booking.outcome_by) == (Outcome.ATTENDED, staff)


# ---------------------------------------------------------------- concurrency


@pytest.mark.django_db(transaction=True)
def test_concurrent_marks_of_one_session_end_with_exactly_one(educator):
    booking = held(educator)
    results = race(
        [
            lambda outcome=outcome: services.booking_mark_outcome(
                booking=booking, by=educator, outcome=outcome
            )
            for outcome in ("attended", "no_show") * 4
        ]
    )
    booking.refresh_from_db()
    winners = [r for r in results if isinstance(r, Booking)]
    assert len(winners) == 1 and booking.outcome == winners[0].outcome
    assert all(isinstance(r, services.BookingError) for r in results if r not in winners)
    marks = BookingEvent.objects.filter(booking=booking, note__startswith="Marked")
    assert marks.count() == 1


def test_an_educator_who_is_staff_marks_their_own_sessions_once_too(educator):
    educator.is_staff = True
    educator.save()
    booking = held(educator)
    services.booking_mark_outcome(booking=booking, by=educator, outcome="no_show")
    with refused(errors.CONFLICT, errors.OUTCOME_ALREADY.format(outcome="no-show")):
        services.booking_mark_outcome(booking=booking, by=educator, outcome="attended")


def test_the_card_goes_back_only_to_this_site(client, educator):
    booking = held(educator)
    client.force_login(educator)
    for evil in ("//evil.example/x", "/\\evil.example/x", "https://evil.example/"):
        response = client.post(
            f"/educator/session-requests/{booking.pk}/outcome", {"outcome": "x", "next": evil}
        )
        assert response.status_code == 302 and response.url == "/educator/session-requests"
