"""`{% memo %}`: remembered fragments are never stale and never share a CSRF token.

The tag's promise is that a fragment's key holds everything the fragment shows. These tests
change each input of the memoised fragments (navigation, a booking week's cards) between
two loads of the same page in the same process and look for the change.
"""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.template import Context, Template
from django.test import RequestFactory
from django.utils import timezone

from scheduling import services
from scheduling.models import Slot
from scheduling.templatetags import memo
from scheduling.tests.factories import BookingFactory, CourseFactory, SlotFactory, StudentFactory

pytestmark = pytest.mark.django_db

TOKEN = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')


def render(source: str, **context) -> str:
    return Template("{% load memo %}" + source).render(Context(context))


def test_a_fragment_is_rendered_once_per_key():
    calls = []

    class Counter:
        def __str__(self):
            calls.append(1)
            return "body"

    source = '{% memo "t" key %}{{ counter }}{% endmemo %}'
    counter = Counter()
    assert render(source, key=1, counter=counter, csrf_token="t") == "body"
    assert render(source, key=1, counter=counter, csrf_token="t") == "body"
    assert len(calls) == 1
    render(source, key=2, counter=counter, csrf_token="t")
    assert len(calls) == 2


def test_without_a_request_or_with_the_memo_off_nothing_is_remembered(settings):
    source = '{% memo "t" key %}{{ text }}{% endmemo %}'
    assert render(source, key=1, text="a") == "a"
    assert render(source, key=1, text="b") == "b"  # no csrf_token: no request, no memo
    settings.FRAGMENT_MEMO = False
    assert render(source, key=1, text="c", csrf_token="t") == "c"
    assert render(source, key=1, text="d", csrf_token="t") == "d"


def test_unhashable_keys_render_without_the_memo():
    source = '{% memo "t" key %}{{ text }}{% endmemo %}'
    assert render(source, key=[1], text="a", csrf_token="t") == "a"
    assert render(source, key=[1], text="b", csrf_token="t") == "b"


def test_dotted_keys_read_attributes_and_dict_keys():
    class Thing:
        inner = {"n": 3}

    node = memo.Lookup("thing.inner.n")
    assert node.resolve(Context({"thing": Thing()})) == 3
    assert memo.Lookup("thing.missing.n").resolve(Context({"thing": Thing()})) is None
    assert memo.Lookup("True").resolve(Context({})) is True


def test_each_response_gets_its_own_csrf_token_inside_a_remembered_form(rf_user_request):
    source = '{% memo "form" 1 %}<form>{% csrf_token %}</form>{% endmemo %}'
    template = Template("{% load memo %}" + source)
    first = TOKEN.findall(template.render(Context({"csrf_token": "token-one"})))
    second = TOKEN.findall(template.render(Context({"csrf_token": "token-two"})))
    assert first == ["token-one"] and second == ["token-two"]


@pytest.fixture
def rf_user_request():
    return RequestFactory().get("/")


@pytest.fixture
def as_student(client, student):
    client.force_login(student)
    return client


def test_the_navigation_follows_the_users_name(as_student, student):
    assert student.display_name in as_student.get("/courses/").content.decode()
    student.first_name, student.last_name = "Renamed", "Person"
    student.save()
    page = as_student.get("/courses/").content.decode()
    assert "Renamed Person" in page


def test_forms_in_remembered_navigation_post_with_a_valid_token(client, student):
    client.force_login(student)
    client.handler.enforce_csrf_checks = True
    tokens = [TOKEN.findall(client.get("/courses/").content.decode()) for _ in range(2)]
    assert tokens[0] and tokens[1] and tokens[0] != tokens[1]  # masked anew every response
    assert client.post("/accounts/logout/", {"csrfmiddlewaretoken": tokens[1][0]}).status_code in (
        200,
        302,
    )


def week_page(client, course) -> str:
    return client.get(f"/course/{course.pk}/book-session").content.decode()


def test_the_booking_week_shows_every_change_of_its_slots(as_student, student, educator):
    course = CourseFactory(educator=educator, title="Algebra")
    services.enroll(student=student, course=course)
    slot = SlotFactory(educator=educator, course=course, capacity=3, note="Bring notes")
    page = week_page(as_student, course)
    assert "3 seats left" in page and "Bring notes" in page

    other = StudentFactory()
    services.enroll(student=other, course=course)
    BookingFactory(slot=slot, student=other)
    assert "2 seats left" in week_page(as_student, course)

    services.slot_update(slot=slot, by=educator, note="Bring questions")
    assert "Bring questions" in week_page(as_student, course)

    services.slot_update(slot=slot, by=educator, requires_approval=False)
    assert "Instant" in week_page(as_student, course)

    BookingFactory(slot=slot, student=student)
    assert "You requested this" in week_page(as_student, course)


def test_the_booking_week_follows_a_moved_slot_and_the_viewers_timezone(
    as_student, student, educator
):
    course = CourseFactory(educator=educator)
    services.enroll(student=student, course=course)
    slot = SlotFactory(educator=educator, course=course)
    start = slot.starts_at.strftime("%H:%M")
    assert start in week_page(as_student, course)
    moved = slot.starts_at + timedelta(minutes=30)
    services.slot_update(
        slot=slot, by=educator, starts_at=moved, ends_at=moved + timedelta(hours=1)
    )
    assert moved.strftime("%H:%M") in week_page(as_student, course)
    student.timezone = "Asia/Kolkata"  # +05:30: every time on the page moves
    student.save()
    page = week_page(as_student, course)
    assert "Asia/Kolkata" in page and "IST" in page


def test_a_refused_booking_keeps_the_chosen_time_checked(as_student, student, educator):
    course = CourseFactory(educator=educator)
    services.enroll(student=student, course=course)
    slots = [SlotFactory(educator=educator, course=course) for _ in range(2)]
    week_page(as_student, course)  # both cards remembered unchecked
    response = as_student.post(
        f"/course/{course.pk}/book-session", {"slot": slots[1].pk, "message": "x" * 1001}
    )
    page = response.content.decode()
    assert re.search(rf'id="slot-{slots[1].pk}" value="{slots[1].pk}"\s+checked', page)
    assert not re.search(rf'id="slot-{slots[0].pk}" value="{slots[0].pk}"\s+checked', page)


def test_a_withdrawn_slot_leaves_the_remembered_week(as_student, student, educator):
    course = CourseFactory(educator=educator)
    services.enroll(student=student, course=course)
    keep, gone = (SlotFactory(educator=educator, course=course) for _ in range(2))
    assert f'id="slot-{gone.pk}"' in week_page(as_student, course)
    services.slot_withdraw(slot=Slot.objects.get(pk=gone.pk), by=educator, reason="Ill")
    page = week_page(as_student, course)
    assert f'id="slot-{gone.pk}"' not in page and f'id="slot-{keep.pk}"' in page


def test_the_remembered_month_follows_its_days_and_the_page_it_is_on(
    as_student, student, educator, settings
):
    """The month overview shows what the same page shows without the memo after every
    change: a day filling up, a day opening, the next open time, another page's path."""
    course = CourseFactory(educator=educator)
    services.enroll(student=student, course=course)
    morning = timezone.localtime() + timedelta(days=3)  # 09:00 and 12:00: one local day
    morning = morning.replace(hour=9, minute=0, second=0, microsecond=0)
    slot = SlotFactory(educator=educator, course=course, capacity=1, starts_at=morning)

    def month(path=f"/course/{course.pk}/book-session") -> str:
        html = as_student.get(path).content.decode()
        return html[
            html.index('<section id="month"') : html.index(
                "</section>", html.index('<section id="month"')
            )
        ]

    def plain(path=f"/course/{course.pk}/book-session") -> str:
        settings.FRAGMENT_MEMO = False
        try:
            return month(path)
        finally:
            settings.FRAGMENT_MEMO = True

    assert month() == plain() and "1 open time" in month()
    SlotFactory(educator=educator, course=course, starts_at=slot.starts_at + timedelta(hours=3))
    assert month() == plain() and "2 open times" in month()
    BookingFactory(slot=slot)
    assert month() == plain() and "1 open time" in month()
    SlotFactory(educator=educator, course=course, starts_at=slot.starts_at + timedelta(days=300))
    assert month() == plain() and "Next open time after" in month()
    mentor_page = f"/mentors/{educator.pk}/"
    assert month(mentor_page) == plain(mentor_page) and f'action="{mentor_page}"' in month(
        mentor_page
    )


def test_a_model_instance_or_a_method_is_refused_as_a_key(educator):
    """Instances compare by primary key alone: a changed one would find the old text."""
    for key in (educator, educator.get_full_name):
        with pytest.raises(TypeError, match="not plain data"):
            render('{% memo "t" key %}x{% endmemo %}', key=key, csrf_token="t")


def test_the_remembered_insight_charts_follow_each_mark_and_rating(client, educator, settings):
    """Each chart on /educator/insights is what the page draws without the memo after a
    no-show is marked and after a rating comes in."""
    from scheduling.tests.test_outcomes import held

    client.force_login(educator)
    sessions = [held(educator) for _ in range(2)]

    def charts() -> str:
        html = client.get("/educator/insights").content.decode()
        return html[html.index('<div class="row g-4">') :]

    def plain() -> str:
        settings.FRAGMENT_MEMO = False
        try:
            return charts()
        finally:
            settings.FRAGMENT_MEMO = True

    # Each check: the served page (memo filled by the last load) equals the plain render,
    # and the load after it fills the memo again (changing a setting empties it).
    assert charts() == plain() and "<title>No-show: 0</title>" in charts()
    services.booking_mark_outcome(booking=sessions[0], by=educator, outcome="no_show")
    assert charts() == plain() and "<title>No-show: 1</title>" in charts()
    services.booking_mark_outcome(booking=sessions[1], by=educator, outcome="attended")
    services.feedback_give(booking=sessions[1], by=sessions[1].student, rating=4)
    assert charts() == plain() and ">4.0<" in charts()
