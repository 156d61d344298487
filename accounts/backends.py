"""The local (username and password in our database) sign-in, and what django-axes leaves alone.

With HELPDESK_LOCAL_LOGIN=0 the organisation's directory is the only way in, except for superusers on the
break-glass form (/accounts/login/local/, accounts.views.BreakGlassLoginView), for the day the directory is
down. Directory accounts have an unusable password, so this backend never signs them in.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth.backends import ModelBackend


def is_break_glass(request) -> bool:
    return bool(getattr(request, "helpdesk_break_glass", False))


class LocalBackend(ModelBackend):
    def authenticate(self, request, username=None, password=None, **kwargs):
        break_glass = is_break_glass(request)
        if not (settings.HELPDESK_LOCAL_LOGIN or break_glass):
            return None
        user = super().authenticate(request, username=username, password=password, **kwargs)
        if user is not None and break_glass and not user.is_superuser:
            return None
        return user


def is_oidc_attempt(request, credentials) -> bool:
    """AXES_WHITELIST_CALLABLE: an OpenID Connect callback (accounts.oidc.CallbackView marks it) is neither
    counted nor locked out; a password typed in our form always is."""
    return bool(getattr(request, "helpdesk_oidc", False))
