"""Show every time in the viewer's own timezone."""

from django.conf import settings
from django.utils import timezone


class UserTimezoneMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        # No zone is active between requests: this is the only place that activates one,
        # and it deactivates it when the response is made (elsewhere, emails use
        # `timezone.override`). So an anonymous visitor, or a user without an account,
        # needs nothing done: the default zone is already the one in force.
        # No session cookie: an anonymous visitor, known without loading the user (which
        # costs an anonymous request a tenth of its time).
        if settings.SESSION_COOKIE_NAME not in request.COOKIES:
            return self.get_response(request)
        user = getattr(request, "user", None)
        if user is None or not user.is_authenticated:
            return self.get_response(request)
        timezone.activate(user.zoneinfo)
        try:
            return self.get_response(request)
        finally:
            timezone.deactivate()
