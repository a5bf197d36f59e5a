"""Django's ModelBackend, with the read every logged-in request makes written out."""

from __future__ import annotations

from django.contrib.auth.backends import ModelBackend
from django.core.exceptions import ValidationError
from django.db import connections, router

from mentoring.rows import RowReader, fields_of, pk_in_range

from .models import User

_USER = RowReader((User, fields_of(User)))
_USER_SQL = (
    f"SELECT {_USER.select_list()} FROM {User._meta.db_table} WHERE {User._meta.pk.column} = %s"
)


class UserBackend(ModelBackend):
    """Logs in as ModelBackend does. `get_user` (every request with a session) reads the
    user with the same SELECT the ORM would send, without building and compiling it each
    time: that cost a logged-in request more than a whole anonymous request costs."""

    def get_user(self, user_id):
        connection = connections[router.db_for_read(User)]
        try:
            pk = User._meta.pk.to_python(user_id)
        except ValidationError:
            return None
        if pk is None or not pk_in_range(User, pk, connection):
            return None
        with connection.cursor() as cursor:
            cursor.execute(_USER_SQL, [pk])
            row = cursor.fetchone()
        if row is None:
            return None
        (user,) = _USER.read(row, connection)
        return user if self.user_can_authenticate(user) else None
