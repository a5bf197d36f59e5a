"""Django's database sessions, with the one read every logged-in request makes written out.

`SESSION_ENGINE = "accounts.sessions"`. Loading the session through the ORM cost a
logged-in request more than a whole anonymous request costs (building and compiling the
query, then the model); the SQL is the same `SELECT`, so nothing else changes: saving,
expiry, `clearsessions` and the admin are Django's.
"""

from __future__ import annotations

from django.contrib.sessions.backends import db
from django.db import connections, router
from django.utils import timezone


class SessionStore(db.SessionStore):
    def _get_session_from_db(self):
        if not self.session_key:  # no (valid) cookie: nothing to read
            self._session_key = None
            return None
        model = self.model
        connection = connections[router.db_for_read(model)]
        sql = (
            f"SELECT session_data FROM {model._meta.db_table}"
            " WHERE session_key = %s AND expire_date > %s"
        )
        now = connection.ops.adapt_datetimefield_value(timezone.now())
        with connection.cursor() as cursor:
            cursor.execute(sql, [self.session_key, now])
            row = cursor.fetchone()
        if row is None:
            self._session_key = None
            return None
        return model(session_key=self.session_key, session_data=row[0])
