from django.urls import path

from bench.floor import floor

urlpatterns = [path("bench/floor", floor)]
