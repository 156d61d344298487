"""`Authorization: Bearer <token>`: a personal API token acts as its user (docs/api.md, "Tokens")."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework import authentication, exceptions

from .selectors import token_from_raw
from .services import api_token_touch


class BearerTokenAuthentication(authentication.BaseAuthentication):
    """A token sent as `Authorization: Bearer hd_…`; `request.auth` is then the ApiToken. A request
    without the header falls through to the session (the browser)."""

    keyword = "Bearer"

    def authenticate(self, request):
        header = authentication.get_authorization_header(request).split()
        if not header or header[0].lower() != self.keyword.lower().encode():
            return None
        if len(header) != 2:
            raise exceptions.AuthenticationFailed(_("Send the token as “Authorization: Bearer <token>”."))
        try:
            raw = header[1].decode()
        except UnicodeError:
            raise exceptions.AuthenticationFailed(_("This token is not valid.")) from None
        token = token_from_raw(raw)
        # Unknown, revoked and expired tokens get the same answer: no oracle on which it is.
        if token is None or not token.user.is_active:
            raise exceptions.AuthenticationFailed(_("This token is not valid, has expired or was revoked."))
        api_token_touch(token=token)
        return token.user, token

    def authenticate_header(self, request) -> str:
        return f'{self.keyword} realm="api"'


class BearerTokenScheme(OpenApiAuthenticationExtension):
    target_class = BearerTokenAuthentication
    name = "bearerAuth"

    def get_security_definition(self, auto_schema):
        return {"type": "http", "scheme": "bearer", "description": "A personal API token (hd_…)."}
