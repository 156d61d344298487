"""The rate limit per token (per user for the session), with django-ratelimit and the project's cache.

When the cache is down, django-ratelimit answers nothing and RATELIMIT_FAIL_OPEN lets the request
through (docs/architecture.md, "When a part fails")."""

from __future__ import annotations

from django.conf import settings
from django_ratelimit.core import get_usage
from rest_framework.throttling import BaseThrottle

from .models import ApiToken


def _key(group, request) -> str:
    token = getattr(request, "auth", None)
    if isinstance(token, ApiToken):
        return f"token:{token.pk}"
    return f"user:{request.user.pk}" if request.user.is_authenticated else "anonymous"


class PerTokenRateLimit(BaseThrottle):
    def allow_request(self, request, view) -> bool:
        usage = get_usage(request, group="api", key=_key, rate=lambda group, req: settings.HELPDESK_RATE_API,
                          increment=True)
        self.usage = usage
        return usage is None or not usage["should_limit"]

    def wait(self):
        usage = getattr(self, "usage", None)
        return max(1, usage["time_left"]) if usage else None
