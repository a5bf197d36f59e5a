"""The custom user: roles, timezone, display name."""

from __future__ import annotations

import zoneinfo

import pytest
from django.core.exceptions import ValidationError

from accounts.models import User, validate_timezone

pytestmark = pytest.mark.django_db


def test_new_users_start_in_the_site_timezone(settings):
    settings.TIME_ZONE = "Europe/Paris"
    user = User.objects.create_user("newcomer", password="x-y-z-123")
    assert user.timezone == "Europe/Paris"
    assert user.role == User.Role.STUDENT and user.is_student and not user.is_educator


def test_timezone_must_be_an_iana_name():
    validate_timezone("America/New_York")
    with pytest.raises(ValidationError):
        validate_timezone("Mars/Olympus_Mons")
    user = User(username="t", timezone="Nowhere/Land")
    with pytest.raises(ValidationError) as info:
        user.full_clean(exclude=["password"])
    assert "timezone" in info.value.message_dict


def test_display_name_prefers_the_full_name():
    assert User(username="sam", first_name="Sam", last_name="Lee").display_name == "Sam Lee"
    assert User(username="sam").display_name == "sam"


def test_zoneinfo_falls_back_to_the_site_zone_for_a_bad_value(settings):
    settings.TIME_ZONE = "UTC"
    assert User(timezone="Nowhere/Land").zoneinfo == zoneinfo.ZoneInfo("UTC")
    assert User(timezone="Asia/Tokyo").zoneinfo == zoneinfo.ZoneInfo("Asia/Tokyo")
