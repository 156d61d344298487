"""Who may call what. A token sees exactly what its user sees (the selectors decide); a read token
cannot write; agent and manager endpoints answer 404 to others, as the web pages do."""

from __future__ import annotations

from django.http import Http404
from django.utils.translation import gettext_lazy as _
from rest_framework import permissions

from accounts.roles import is_agent, is_manager

from .models import ApiToken


class TokenScope(permissions.BasePermission):
    """A read-only token may only read (403 on any write); the session and write tokens may write."""

    message = _("This token is read-only: create a token with the write scope to change anything.")

    def has_permission(self, request, view) -> bool:
        if request.method in permissions.SAFE_METHODS:
            return True
        token = request.auth
        return not isinstance(token, ApiToken) or token.can_write


class _RoleOr404(permissions.BasePermission):
    check = staticmethod(lambda user: False)

    def has_permission(self, request, view) -> bool:
        if request.user and request.user.is_authenticated and not self.check(request.user):
            # A 404, not a 403: as on the web, a requester does not learn that the endpoint exists.
            raise Http404
        return True


class IsAgent(_RoleOr404):
    check = staticmethod(is_agent)


class IsManager(_RoleOr404):
    check = staticmethod(is_manager)
