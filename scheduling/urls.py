"""Page URLs, at the paths of the original product's front end (DESIGN.md, "Pages")."""

from django.urls import path

from .views import educator, public, student  # noqa: F401 - each section uses its module

app_name = "scheduling"

# --- public pages
public_urls = [
    path("", public.home, name="home"),
]

# --- student pages
student_urls = []

# --- educator pages
educator_urls = []

urlpatterns = public_urls + student_urls + educator_urls
