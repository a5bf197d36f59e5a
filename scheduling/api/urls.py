"""API URL patterns; the API issue fills these in."""

urlpatterns: list = []
