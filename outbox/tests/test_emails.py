"""Every notification path: who gets it, its subject, its link, the times in the
recipient's own zone, and both bodies rendered from the templates."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from django.core import mail
from django.utils import timezone

from outbox.models import Message
from scheduling import services
from scheduling.models import Slot
from scheduling.tests.factories import EducatorFactory, SlotFactory, StudentFactory

pytestmark = pytest.mark.django_db

SITE = "https://mentoring.example.org"
LINK = "https://meet.example.com/room"


@pytest.fixture(autouse=True)
def _site(settings):
    settings.SITE_URL = SITE


@pytest.fixture
def berlin_educator():
    return EducatorFactory(first_name="Eva", last_name="Berg", timezone="Europe/Berlin")


@pytest.fixture
def ny_student():
    return StudentFactory(first_name="Noah", last_name="York", timezone="America/New_York")


@pytest.fixture
def session(berlin_educator):
    """A slot at 14:00 UTC the day after tomorrow: 15:00 or 16:00 in Berlin, 09:00 or
    10:00 in New York, depending on the season."""
    day = (timezone.now() + timedelta(days=2)).date()
    start = datetime(day.year, day.month, day.day, 14, tzinfo=UTC)
    return SlotFactory(educator=berlin_educator, starts_at=start, meeting_link=LINK)


def sent_by(change, django_capture_on_commit_callbacks) -> list:
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        result = change()
    return result, list(mail.outbox)


def local(slot: Slot, user) -> str:
    return f"{timezone.localtime(slot.starts_at, user.zoneinfo):%H:%M}"


def check(message, *, to, subject_has: str, page: str, slot: Slot):
    """The common promises of every booking email."""
    assert message.to == [to.email]
    assert subject_has in message.subject
    assert "\n" not in message.subject and "\r" not in message.subject
    html = dict((mime, body) for body, mime in message.alternatives)["text/html"]
    link = SITE + page
    assert link in message.body and f'href="{link}"' in html
    when = local(slot, to)
    assert when in message.body and when in html
    assert to.timezone in message.body and to.timezone in html
    assert f"Hello {to.display_name}" in message.body and to.display_name in html
    return html


MY_REQUESTS, SESSION_REQUESTS = "/session-requests", "/educator/session-requests"


def test_request_created_tells_the_educator(
    session, berlin_educator, ny_student, django_capture_on_commit_callbacks
):
    _, sent = sent_by(
        lambda: services.booking_request(student=ny_student, slot=session, message="Help <me>"),
        django_capture_on_commit_callbacks,
    )
    [message] = sent
    html = check(
        message,
        to=berlin_educator,
        subject_has="New session request from Noah York",
        page=SESSION_REQUESTS,
        slot=session,
    )
    assert "Help <me>" in message.body and "Help &lt;me&gt;" in html
    assert local(session, berlin_educator) in message.subject


def test_booked_without_approval_tells_the_educator(
    berlin_educator, ny_student, django_capture_on_commit_callbacks
):
    slot = SlotFactory(educator=berlin_educator, requires_approval=False, meeting_link=LINK)
    _, [message] = sent_by(
        lambda: services.booking_request(student=ny_student, slot=slot),
        django_capture_on_commit_callbacks,
    )
    check(
        message,
        to=berlin_educator,
        subject_has="New booking from Noah York",
        page=SESSION_REQUESTS,
        slot=slot,
    )


def test_approved_tells_the_student_with_the_link(
    session, berlin_educator, ny_student, django_capture_on_commit_callbacks
):
    booking = services.booking_request(student=ny_student, slot=session)
    _, [message] = sent_by(
        lambda: services.booking_approve(booking=booking, by=berlin_educator),
        django_capture_on_commit_callbacks,
    )
    html = check(
        message,
        to=ny_student,
        subject_has="Your session with Eva Berg",
        page=MY_REQUESTS,
        slot=session,
    )
    assert "is confirmed" in message.subject and local(session, ny_student) in message.subject
    assert LINK in message.body and LINK in html


def test_rejected_tells_the_student_the_reason(
    session, berlin_educator, ny_student, django_capture_on_commit_callbacks
):
    booking = services.booking_request(student=ny_student, slot=session)
    _, [message] = sent_by(
        lambda: services.booking_reject(booking=booking, by=berlin_educator, reason="Away"),
        django_capture_on_commit_callbacks,
    )
    html = check(
        message,
        to=ny_student,
        subject_has="Your session request with Eva Berg",
        page=MY_REQUESTS,
        slot=session,
    )
    assert "Reason: Away" in message.body and "Away" in html
    assert "declined" in message.subject


def test_withdrawn_tells_the_student(
    session, berlin_educator, ny_student, django_capture_on_commit_callbacks
):
    services.booking_request(student=ny_student, slot=session)
    _, [message] = sent_by(
        lambda: services.slot_withdraw(slot=session, by=berlin_educator, reason="Ill"),
        django_capture_on_commit_callbacks,
    )
    check(
        message,
        to=ny_student,
        subject_has="Eva Berg cancelled the session on",
        page=MY_REQUESTS,
        slot=session,
    )
    assert "Reason: Ill" in message.body


def test_cancelled_by_the_student_tells_the_educator(
    session, berlin_educator, ny_student, django_capture_on_commit_callbacks
):
    booking = services.booking_request(student=ny_student, slot=session)
    services.booking_approve(booking=booking, by=berlin_educator)
    _, [message] = sent_by(
        lambda: services.booking_cancel(booking=booking, by=ny_student, reason="Clash"),
        django_capture_on_commit_callbacks,
    )
    check(
        message,
        to=berlin_educator,
        subject_has="Noah York cancelled the session on",
        page=SESSION_REQUESTS,
        slot=session,
    )
    assert "Reason: Clash" in message.body
    assert Message.objects.get(kind="cancelled").ics_method == "CANCEL"


def test_completed_tells_the_student(
    session, berlin_educator, ny_student, django_capture_on_commit_callbacks
):
    booking = services.booking_request(student=ny_student, slot=session)
    services.booking_approve(booking=booking, by=berlin_educator)
    start = timezone.now() - timedelta(minutes=90)
    Slot.objects.filter(pk=session.pk).update(starts_at=start, ends_at=start + timedelta(hours=1))
    session.refresh_from_db()
    _, [message] = sent_by(
        lambda: services.booking_complete(booking=booking, by=berlin_educator),
        django_capture_on_commit_callbacks,
    )
    check(
        message,
        to=ny_student,
        subject_has="Session with Eva Berg completed",
        page=MY_REQUESTS,
        slot=session,
    )


def test_unanswered_request_closed_by_time_tells_the_student(
    session, ny_student, django_capture_on_commit_callbacks
):
    services.booking_request(student=ny_student, slot=session)
    start = timezone.now() - timedelta(minutes=5)
    Slot.objects.filter(pk=session.pk).update(starts_at=start, ends_at=start + timedelta(hours=1))
    session.refresh_from_db()
    _, [message] = sent_by(services.close_past_sessions, django_capture_on_commit_callbacks)
    check(message, to=ny_student, subject_has="declined", page=MY_REQUESTS, slot=session)
    assert "not answered before the session started" in message.body


def test_a_name_with_a_line_break_cannot_add_a_header_or_stop_the_mail(
    session, berlin_educator, django_capture_on_commit_callbacks
):
    eve = StudentFactory(first_name="Eve\r\nBcc: spy@example.com\u2028X-Evil: 1", last_name="")
    _, [message] = sent_by(
        lambda: services.booking_request(student=eve, slot=session),
        django_capture_on_commit_callbacks,
    )
    assert message.subject.startswith("New session request from Eve Bcc: spy@example.com X-Evil")
    headers = message.message().as_bytes().split(b"\n\n", 1)[0]  # as sent on the wire
    assert b"\nBcc:" not in headers and b"\nX-Evil:" not in headers
    assert message.bcc == [] and message.to == [berlin_educator.email]
    assert Message.objects.get().state == "sent"


def test_the_dst_day_slot_shows_each_reader_their_own_clock(
    client, ny_student, django_capture_on_commit_callbacks
):
    """An educator in Berlin opens 09:00 on 28 March 2027, the morning the clocks go
    forward (CET → CEST): 07:00 UTC, and 03:00 in New York, already on summer time."""
    berlin = EducatorFactory(first_name="Eva", last_name="Berg", timezone="Europe/Berlin")
    client.force_login(berlin)
    response = client.post(
        "/educator/availability/new",
        {
            "date": "2027-03-28",
            "start_time": "09:00",
            "duration": "60",
            "capacity": "1",
            "requires_approval": "on",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    slot = Slot.objects.get(educator=berlin)
    assert slot.starts_at == datetime(2027, 3, 28, 7, 0, tzinfo=UTC)

    _, [to_educator] = sent_by(
        lambda: services.booking_request(student=ny_student, slot=slot),
        django_capture_on_commit_callbacks,
    )
    assert "09:00" in to_educator.body and "CEST" in to_educator.body
    booking = slot.bookings.get()
    _, [to_student] = sent_by(
        lambda: services.booking_approve(booking=booking, by=berlin, meeting_link=LINK),
        django_capture_on_commit_callbacks,
    )
    assert "Sunday 28 March 2027, 03:00–04:00" in to_student.body
    assert "EDT" in to_student.body and "Sun 28 Mar 2027, 03:00 EDT" in to_student.subject
    client.force_login(ny_student)
    page = client.get("/session-requests").content.decode()
    assert "03:00" in page


def make_ics(booking, *, method):
    """Stands in for the calendar builder (scheduling.calendars.booking_ics at merge)."""
    return f"BEGIN:VCALENDAR\r\nMETHOD:{method}\r\nUID:booking-{booking.pk}\r\nEND:VCALENDAR\r\n"


def test_approval_and_cancellation_carry_the_calendar_built_at_send_time(
    settings, session, berlin_educator, ny_student, django_capture_on_commit_callbacks
):
    settings.OUTBOX_ICS_BUILDER = "outbox.tests.test_emails.make_ics"
    booking = services.booking_request(student=ny_student, slot=session)
    _, [approved] = sent_by(
        lambda: services.booking_approve(booking=booking, by=berlin_educator),
        django_capture_on_commit_callbacks,
    )
    [(name, content, mime)] = approved.attachments
    assert (name, mime) == ("invite.ics", "text/calendar; method=REQUEST")
    assert "METHOD:REQUEST" in content
    assert b'Content-Type: text/calendar; method="REQUEST"' in approved.message().as_bytes()
    _, [cancelled] = sent_by(
        lambda: services.booking_cancel(booking=booking, by=ny_student),
        django_capture_on_commit_callbacks,
    )
    [(name, content, mime)] = cancelled.attachments
    assert name == "cancel.ics" and "METHOD:CANCEL" in content
