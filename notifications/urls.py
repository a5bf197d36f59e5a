"""Notification pages and the private calendar feed."""

from django.urls import path

from . import views

app_name = "notifications"

urlpatterns = [
    path("notifications", views.notification_list, name="list"),
    path("notifications/unread-count", views.unread_badge, name="unread-count"),
    path("notifications/<int:notification_id>/read", views.mark_read, name="read"),
    path("notifications/read-all", views.mark_all_read, name="read-all"),
    path("calendar/<str:token>.ics", views.calendar_feed, name="calendar-feed"),
    path("calendar/regenerate", views.calendar_feed_regenerate, name="calendar-regenerate"),
]
