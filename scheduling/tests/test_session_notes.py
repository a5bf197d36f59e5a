"""A session's own page: its student and educator write notes (edited, never deleted) and
action items with an owner and a done box; everyone else is told there is no such session.
Services and pages, the open items on both dashboards, and a constant query count."""

from __future__ import annotations

import pytest

from scheduling import errors, services
from scheduling.models import ActionItem, SessionNote
from scheduling.tests.factories import BookingFactory, SlotFactory, StudentFactory
from scheduling.tests.test_services import refused

pytestmark = pytest.mark.django_db


@pytest.fixture
def booking(educator, student):
    return BookingFactory(slot=SlotFactory(educator=educator), student=student)


def test_notes_are_the_two_parties_and_an_edit_keeps_the_earlier_text(
    booking, student, educator, other_student
):
    note = services.note_add(booking=booking, by=student, text="  Bring the graph exercise  ")
    assert note.text == "Bring the graph exercise"
    services.note_add(booking=booking, by=educator, text="<b>Will do</b>")
    with refused(errors.NOT_FOUND, errors.SESSION_NOT_FOUND):
        services.note_add(booking=booking, by=other_student, text="Hi")
    with refused(errors.FORBIDDEN, errors.NOTE_NOT_AUTHOR):
        services.note_edit(note=note, by=educator, text="Changed")
    with refused(errors.INVALID, errors.NOTE_EMPTY):
        services.note_add(booking=booking, by=student, text="   ")
    with refused(errors.INVALID, errors.NOTE_TOO_LONG):
        services.note_add(booking=booking, by=student, text="x" * 5001)
    edited = services.note_edit(note=note, by=student, text="Bring exercises 3 and 4")
    assert edited.text == "Bring exercises 3 and 4" and edited.edited_at is not None
    assert list(note.revisions.values_list("text", flat=True)) == ["Bring the graph exercise"]
    assert SessionNote.objects.filter(booking=booking).count() == 2


def test_action_items_belong_to_a_party_and_either_ticks_them(booking, student, educator):
    item = services.action_item_add(booking=booking, by=educator, text="Read ch. 2", owner=student)
    assert (item.owner, item.created_by, item.is_done) == (student, educator, False)
    with refused(errors.INVALID, errors.ITEM_OWNER):
        services.action_item_add(booking=booking, by=educator, text="x", owner=StudentFactory())
    with refused(errors.INVALID, errors.ITEM_EMPTY):
        services.action_item_add(booking=booking, by=educator, text="", owner=student)
    assert services.action_item_set_done(item=item, by=student, done=True).is_done
    first_tick = ActionItem.objects.get(pk=item.pk).done_at
    assert services.action_item_set_done(item=item, by=educator, done=True).done_at == first_tick
    assert not services.action_item_set_done(item=item, by=educator, done=False).is_done


@pytest.mark.parametrize("who", ["other_student", "other_educator", "staff"])
def test_the_page_is_no_one_elses(client, booking, who, request):
    client.force_login(request.getfixturevalue(who))
    assert client.get(f"/sessions/{booking.pk}/").status_code == 404
    response = client.post(f"/sessions/{booking.pk}/", {"action": "note", "text": "Hi"})
    assert response.status_code == 404 and not SessionNote.objects.exists()


def test_both_parties_write_notes_and_items_on_the_page(client, booking, student, educator):
    client.force_login(student)
    url = f"/sessions/{booking.pk}/"
    page = client.get(url).content.decode()
    assert "No notes yet." in page and "Requested" in page  # the timeline's first line
    response = client.post(url, {"action": "note", "text": "<script>alert(1)</script>"})
    assert response.status_code == 302 and response.url.endswith("#notes")
    client.post(url, {"action": "item", "text": "Send the repo link", "owner": "student"})
    client.force_login(educator)
    page = client.get(url).content.decode()
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page and "<script>alert" not in page
    assert "Send the repo link" in page
    item = ActionItem.objects.get()
    response = client.post(url, {"action": "item-done", "item": item.pk, "done": "1"}, follow=True)
    assert "“Send the repo link” is done." in response.content.decode()
    note = SessionNote.objects.get()
    response = client.post(url, {"action": "note", "note": note.pk, "text": "Mine now"})
    assert response.status_code == 200  # refused: shown again with the reason
    assert errors.NOTE_NOT_AUTHOR in response.content.decode()
    assert SessionNote.objects.get().text == "<script>alert(1)</script>"


def test_bad_input_is_a_form_error_and_loses_nothing(client, booking, student):
    client.force_login(student)
    url = f"/sessions/{booking.pk}/"
    page = client.post(url, {"action": "note", "text": ""}).content.decode()
    assert errors.NOTE_EMPTY in page
    page = client.post(url, {"action": "item", "text": "Plan", "owner": "boss"}).content.decode()
    assert errors.ITEM_OWNER in page and 'value="Plan"' in page
    other = BookingFactory(slot=SlotFactory(educator=booking.educator))
    stranger = services.action_item_add(
        booking=other, by=other.student, text="Theirs", owner=other.student
    )
    response = client.post(
        url, {"action": "item-done", "item": stranger.pk, "done": "1"}, follow=True
    )
    assert errors.ITEM_NOT_FOUND in response.content.decode()
    assert not ActionItem.objects.get(pk=stranger.pk).is_done


def test_open_items_show_on_my_requests_and_the_educator_dashboard(
    client, booking, student, educator
):
    services.action_item_add(booking=booking, by=student, text="Draft the essay", owner=student)
    services.action_item_add(booking=booking, by=student, text="Review the essay", owner=educator)
    client.force_login(student)
    page = client.get("/session-requests").content.decode()
    assert "Your open action items" in page and "Draft the essay" in page
    assert "Review the essay" not in page and f"/sessions/{booking.pk}/" in page
    client.force_login(educator)
    page = client.get("/educator/").content.decode()
    assert "Review the essay" in page and "Draft the essay" not in page


@pytest.mark.parametrize("rows", [2, 30])
def test_the_page_has_constant_queries(
    client, booking, student, educator, rows, django_assert_num_queries
):
    for n in range(rows):
        services.note_add(booking=booking, by=student if n % 2 else educator, text=f"Note {n}")
        services.action_item_add(booking=booking, by=student, text=f"Item {n}", owner=educator)
    client.force_login(student)
    # session, user, booking, history, notes (with their revision counts), items
    with django_assert_num_queries(6):
        assert client.get(f"/sessions/{booking.pk}/").status_code == 200


def test_the_api_reads_and_writes_a_sessions_notes_items_and_feedback(
    client, educator, other_student
):
    from scheduling.tests.test_feedback import completed

    booking = completed(educator)
    base = f"/api/sessions/{booking.pk}"
    client.force_login(booking.student)
    note = client.post(f"{base}/notes", {"text": "Agenda"}, content_type="application/json")
    assert note.status_code == 201 and note.json()["data"]["text"] == "Agenda"
    note_id = note.json()["data"]["id"]
    edited = client.put(
        f"{base}/notes/{note_id}", {"text": "New agenda"}, content_type="application/json"
    )
    assert edited.json()["data"]["editedAt"]
    item = client.post(
        f"{base}/items", {"text": "Read", "owner": "educator"}, content_type="application/json"
    )
    assert item.status_code == 201 and item.json()["data"]["ownerId"] == educator.pk
    empty = client.post(f"{base}/notes", {"text": " "}, content_type="application/json")
    assert empty.status_code == 400 and empty.json()["message"] == errors.NOTE_EMPTY
    rated = client.put(
        f"{base}/feedback", {"rating": 4, "comment": "Good"}, content_type="application/json"
    )
    assert rated.status_code == 200 and rated.json()["data"]["rating"] == 4
    client.force_login(educator)
    item_id = item.json()["data"]["id"]
    done = client.put(f"{base}/items/{item_id}", {"done": True}, content_type="application/json")
    assert done.json()["data"]["done"] is True
    reply = client.put(
        f"{base}/feedback/reply", {"reply": "Thanks"}, content_type="application/json"
    )
    assert reply.json()["data"]["reply"] == "Thanks"
    detail = client.get(base).json()["data"]
    assert [n["text"] for n in detail["notes"]] == ["New agenda"]
    assert detail["feedback"]["rating"] == 4 and detail["request"]["status"] == "completed"
    client.force_login(other_student)
    assert client.get(base).status_code == 404
