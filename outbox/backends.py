"""The task queue: django-tasks-db's, with its INSERT built once.

Mail is enqueued inside the change's transaction (outbox/tasks.py), and a booking's
transaction holds SQLite's one write lock: there, building the ORM's INSERT and the
task's result twice cost as much as the booking's own rows. The row written is the
library's (`tests` check it against `DatabaseBackend._task_to_db_task`).
"""

from __future__ import annotations

from django_tasks_db import DatabaseBackend as LibraryBackend
from django_tasks_db.compat import normalize_json, task_enqueued
from django_tasks_db.models import DBTaskResult

from mentoring.rows import RowWriter

_ROWS = RowWriter(DBTaskResult, signals=True)  # the library's pre_save sets run_after


class DatabaseBackend(LibraryBackend):
    def _task_to_db_task(self, task, args, kwargs) -> DBTaskResult:
        result = DBTaskResult(
            id=self._get_id(),
            args_kwargs=normalize_json({"args": args, "kwargs": kwargs}),
            priority=task.priority,
            task_path=task.module_path,
            queue_name=task.queue_name,
            run_after=task.run_after,
            backend_name=self.alias,
        )
        _ROWS.insert([result])
        return result

    def enqueue(self, task, args, kwargs):
        self.validate_task(task)
        result = self._task_to_db_task(task, args, kwargs).task_result  # built once
        task_enqueued.send(type(self), task_result=result)
        return result
