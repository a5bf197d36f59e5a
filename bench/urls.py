"""The app's URLs plus /bench/floor, which exists only under bench.settings."""

from django.urls import path

from bench.floor import floor
from mentoring.urls import handler400, handler403, handler404, handler500  # noqa: F401
from mentoring.urls import urlpatterns as app_urlpatterns

urlpatterns = [path("bench/floor", floor, name="bench-floor"), *app_urlpatterns]
