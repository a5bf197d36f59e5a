"""Background tasks for mail, on Django's tasks API (django-tasks; django.tasks in 6.0).

Tasks hold no rule: they call outbox.services. outbox/enqueue.py hands messages to them.
"""

from __future__ import annotations

try:  # Django 6 ships the tasks API as django.tasks; django-tasks backports it to 5.2
    from django.tasks import task
except ImportError:
    from django_tasks import task

from . import services


@task()
def deliver_message(message_id: int) -> str:
    return services.deliver(message_id)


@task()
def send_password_reset(email: str, request_id: str) -> int:
    return services.queue_password_reset(email=email, request_id=request_id)
