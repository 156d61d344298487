"""django-csp's middleware with the policy built once per setting, not on every response.

django-csp 4 rebuilds the Content-Security-Policy header (and the report-only one) from the settings for every
response: two dataclass copies and two passes over its thirty directives, the largest cost of our middleware
stack. Only a nonce or a view's own policy (@csp_update, @csp_replace, @csp) make a response's header differ
from the setting's; every other response gets the header built once per setting and kept, as django-csp
would build it. Those responses, and any the fast path does not know, go through django-csp's own code.
"""

from __future__ import annotations

import http.client

from csp.constants import HEADER, HEADER_REPORT_ONLY
from csp.middleware import CheckableLazyObject
from csp.middleware import CSPMiddleware as BaseCSPMiddleware
from csp.utils import build_policy
from django.conf import settings
from django.core.signals import setting_changed

# What a view's decorators leave on its response; with any of them the response's policy is its own.
RESPONSE_POLICIES = ("_csp_config", "_csp_update", "_csp_replace", "_csp_config_ro", "_csp_update_ro",
                     "_csp_replace_ro")
SETTINGS = ("CONTENT_SECURITY_POLICY", "CONTENT_SECURITY_POLICY_REPORT_ONLY")
DEBUG_EXEMPT = (http.client.INTERNAL_SERVER_ERROR, http.client.NOT_FOUND)

_headers: list[tuple[str, str, str, tuple[str, ...]]] | None = None


def settings_headers() -> list[tuple[str, str, str, tuple[str, ...]]]:
    """(header, policy, the response's exemption attribute, excluded URL prefixes) of the enforced and
    the report-only policy, as the settings give them (the policy "" when there is none)."""
    global _headers  # noqa: PLW0603 - built once, forgotten when the settings change
    if _headers is None:
        _headers = [
            (header, build_policy(report_only=report_only), exempt,
             tuple((getattr(settings, setting, None) or {}).get("EXCLUDE_URL_PREFIXES", None) or ()))
            for header, setting, exempt, report_only in (
                (HEADER, SETTINGS[0], "_csp_exempt", False),
                (HEADER_REPORT_ONLY, SETTINGS[1], "_csp_exempt_ro", True),
            )
        ]
    return _headers


def _forget(setting, **kwargs) -> None:
    global _headers  # noqa: PLW0603
    if setting in SETTINGS:
        _headers = None


setting_changed.connect(_forget)


class CSPMiddleware(BaseCSPMiddleware):
    def process_response(self, request, response):
        if getattr(request, "_csp_nonce", None) is not None or any(
                getattr(response, name, None) is not None for name in RESPONSE_POLICIES):
            return super().process_response(request, response)
        if response.status_code in DEBUG_EXEMPT and settings.DEBUG:
            return response
        for header, policy, exempt, prefixes in settings_headers():
            if (policy and header not in response and getattr(response, exempt, False) is False
                    and not request.path_info.startswith(prefixes)):
                response[header] = policy
        # As django-csp: a nonce asked for once the header is written could not be in it.
        request.csp_nonce = CheckableLazyObject(self._csp_nonce_post_response)
        return response
