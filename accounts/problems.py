"""The page that tells a person why signing in with the organisation's directory did not work, and what
to do about it (docs/sso.md): used by the OpenID Connect views and the login form, never a 500."""

from __future__ import annotations

from django.conf import settings
from django.shortcuts import render
from django.utils.translation import gettext_lazy as _

from .directory import DirectoryAccessDenied

CHECK_FAILED = _("The answer of the identity provider could not be verified, so you were not signed in. "
                 "Start again from the login page; if it keeps happening, tell your administrator.")
CLOCK = _("The answer of the identity provider was not valid at this server's time: the clocks of this "
          "server and of the provider probably differ. Try again; if it keeps happening, tell your "
          "administrator (the server's clock must be synchronised).")

# reason -> (HTTP status, title, explanation)
PROBLEMS = {
    "no_role": (403, _("No access to the support"), None),
    "no_email": (403, _("No access to the support"), None),
    "ambiguous": (403, _("No access to the support"), None),
    "inactive": (403, _("No access to the support"), None),
    "unavailable": (503, _("The identity provider does not answer"),
                    _("We could not reach %(provider)s. Try again in a few minutes.")),
    "expired": (400, _("Sign-in expired"), CLOCK),
    "clock": (400, _("Sign-in refused: clock difference"), CLOCK),
    "audience": (400, _("Sign-in refused"), CHECK_FAILED),
    "issuer": (400, _("Sign-in refused"), CHECK_FAILED),
    "signature": (400, _("Sign-in refused"), CHECK_FAILED),
    "nonce": (400, _("Sign-in refused"), CHECK_FAILED),
    "state": (400, _("Sign-in refused"), CHECK_FAILED),
    "failed": (400, _("Sign-in did not complete"),
               _("Signing in with %(provider)s did not complete. Start again from the login page.")),
}


def provider_label() -> str:
    """The provider's name on the login button and these pages ("Microsoft", "Google", "Keycloak")."""
    return settings.HELPDESK_OIDC_BUTTON_LABEL or "OpenID Connect"


def sign_in_problem(request, reason: str, *, provider_error: str = ""):
    status, title, explanation = PROBLEMS[reason]
    if reason in DirectoryAccessDenied.MESSAGES:
        explanation = DirectoryAccessDenied.MESSAGES[reason]
    return render(request, "registration/sign_in_problem.html", {
        "reason": reason,
        "title": title,
        "explanation": explanation % {"provider": provider_label()} if "%(provider)s" in str(explanation)
        else explanation,
        "refused": status == 403,
        "contact": settings.HELPDESK_SSO_CONTACT,
        "provider_error": provider_error[:100],
    }, status=status)
