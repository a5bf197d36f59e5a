"""Show every time in the viewer's own timezone."""

from django.conf import settings
from django.utils import timezone


class UserTimezoneMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        # No session cookie: an anonymous visitor, known without loading the user (which
        # costs an anonymous request a tenth of its time).
        if settings.SESSION_COOKIE_NAME not in request.COOKIES:
            timezone.deactivate()
            return self.get_response(request)
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            timezone.activate(user.zoneinfo)
        else:
            timezone.deactivate()
        try:
            return self.get_response(request)
        finally:
            timezone.deactivate()
