"""django-csp's middleware, without rebuilding an unchanging policy on every response."""

from __future__ import annotations

from functools import cache

from csp.constants import HEADER, HEADER_REPORT_ONLY
from csp.middleware import CheckableLazyObject
from csp.middleware import CSPMiddleware as BaseCSPMiddleware
from csp.utils import build_policy
from django.conf import settings
from django.core.signals import setting_changed
from django.dispatch import receiver

# What a view can change per response (django-csp's decorators set these).
PER_RESPONSE = (
    "_csp_config",
    "_csp_update",
    "_csp_replace",
    "_csp_config_ro",
    "_csp_update_ro",
    "_csp_replace_ro",
)
POLICY_SETTINGS = {"CONTENT_SECURITY_POLICY", "CONTENT_SECURITY_POLICY_REPORT_ONLY", "DEBUG"}
# A JSON body is data, never a page: nothing in it may load or frame anything (OWASP's
# header for APIs). Stricter than the pages' policy, and 180 bytes shorter on every API
# response.
JSON_POLICY = "default-src 'none'; frame-ancestors 'none'"


@cache
def _policies() -> tuple[tuple[str, str, str, tuple[str, ...]], ...]:
    """(header, value, exemption attribute, excluded prefixes) for each header the settings make.

    django-csp 4 builds both headers from the settings twice on every response (about a
    fifth of a bare request's time); they only change when the settings do.
    """
    made = []
    for header, setting, exempt, report_only in (
        (HEADER, "CONTENT_SECURITY_POLICY", "_csp_exempt", False),
        (HEADER_REPORT_ONLY, "CONTENT_SECURITY_POLICY_REPORT_ONLY", "_csp_exempt_ro", True),
    ):
        value = build_policy(report_only=report_only)
        if value:
            prefixes = (getattr(settings, setting, None) or {}).get("EXCLUDE_URL_PREFIXES")
            made.append((header, value, exempt, tuple(prefixes or ())))
    return tuple(made)


@receiver(setting_changed)
def _forget_policies(*, setting, **kwargs) -> None:
    if setting in POLICY_SETTINGS:
        _policies.cache_clear()


class CSPMiddleware(BaseCSPMiddleware):
    """Same headers as django-csp's; the settings' policy is built once per process, and a
    JSON response gets JSON_POLICY instead.

    A response that asks for its own policy (django-csp's decorators) or a request that used
    a nonce goes through django-csp unchanged.
    """

    def process_response(self, request, response):
        if getattr(request, "_csp_nonce", None) is not None or any(
            getattr(response, name, None) is not None for name in PER_RESPONSE
        ):
            return super().process_response(request, response)
        if response.status_code in (404, 500) and settings.DEBUG:
            return response  # Django's debug pages, as django-csp leaves them
        path = request.path_info
        json = response.get("Content-Type", "").startswith("application/json")
        for header, value, exempt, prefixes in _policies():
            if (
                header not in response
                and not getattr(response, exempt, False)
                and not path.startswith(prefixes)
            ):
                response[header] = JSON_POLICY if json and header == HEADER else value
        request.csp_nonce = _NONCE_AFTER_RESPONSE
        return response


# What django-csp puts on a request once its response is made: reading the nonce then
# raises. It never holds a value, so one object serves every request.
_NONCE_AFTER_RESPONSE = CheckableLazyObject(BaseCSPMiddleware._csp_nonce_post_response)
