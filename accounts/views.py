from __future__ import annotations

import unicodedata
from collections.abc import Callable

from celery import current_app
from django.conf import settings
from django.contrib.auth import logout as auth_logout
from django.contrib.auth import views as auth_views
from django.db import connection
from django.http import HttpRequest, JsonResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext_lazy as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST
from django.views.i18n import set_language as django_set_language
from django_ratelimit.core import get_usage
from django_ratelimit.exceptions import Ratelimited

from . import oidc, services
from .client_ip import client_ip
from .problems import provider_label, sign_in_problem
from .roles import is_agent


def home(request):
    """Send each role to its own start page."""
    if not request.user.is_authenticated:
        return redirect("login")
    return redirect("agent:queue" if is_agent(request.user) else "tickets:list")


def _database_ok() -> tuple[bool, str]:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
        return True, "ok"
    except Exception as exc:  # noqa: BLE001 - any failure means unhealthy
        return False, exc.__class__.__name__


def _broker_ok() -> tuple[bool, str]:
    try:
        with current_app.connection_for_write() as conn:
            conn.ensure_connection(max_retries=1, timeout=2)
        return True, "ok"
    except Exception as exc:  # noqa: BLE001
        return False, exc.__class__.__name__


@never_cache
@require_GET
def healthz(request):
    """For load balancers: 200 with JSON when the database and the broker answer, 503 otherwise."""
    database_ok, database = _database_ok()
    broker_ok, broker = _broker_ok()
    healthy = database_ok and broker_ok
    return JsonResponse(
        {"status": "ok" if healthy else "unavailable", "database": database, "broker": broker},
        status=200 if healthy else 503,
    )


def rate(setting: str):
    """A django-ratelimit rate read from settings when the request comes (tests can change it)."""
    return lambda group, request: getattr(settings, setting)


def rate_limited(request, exception):
    """Too many tries: a page that says so, with HTTP 429 (RATELIMIT_VIEW)."""
    return render(request, "429.html", status=429)


class FailureLimit:
    """A django-ratelimit budget that only failures spend (a wrong password, a forged link), so people who
    get it right never run out of it, however many of them share an address.

    check() goes before the attempt: once the failures reached the rate it raises Ratelimited, which
    RatelimitMiddleware answers with rate_limited(), and the attempt is not even tried (no password or
    token oracle past the limit). record_failure() goes after a failed attempt.
    """

    def __init__(self, *, group: str, key: str | Callable[[str, HttpRequest], str], setting: str) -> None:
        self.group, self.key, self.rate = group, key, rate(setting)

    def check(self, request) -> None:
        usage = get_usage(request, group=self.group, key=self.key, rate=self.rate)
        # Reached, not exceeded: with "30/h", 30 failures refuse the 31st attempt.
        if usage is not None and usage["count"] >= usage["limit"]:
            raise Ratelimited

    def record_failure(self, request) -> None:
        get_usage(request, group=self.group, key=self.key, rate=self.rate, increment=True)


def _login_failure_key(group, request) -> str:
    # Normalised as AuthenticationForm's UsernameField does (NFKC, stripped), and case-folded, so that
    # "Alice " or "ALICE" is not a fresh budget for the same account.
    username = unicodedata.normalize("NFKC", request.POST.get("username", "")).strip().casefold()
    return f"{username}\n{client_ip(request)}"


LOGIN_FAILURES = FailureLimit(group="accounts.login_failures", key=_login_failure_key, setting="HELPDESK_RATE_LOGIN")


DIRECTORY_UNREACHABLE = _("The organisation's directory does not answer. Try again in a few minutes.")


class LoginView(auth_views.LoginView):
    """Django's login; wrong passwords are limited per username and client IP (HELPDESK_RATE_LOGIN), on top
    of django-axes' lockout of the same pair. A successful login spends nothing.

    The form signs in local accounts (unless HELPDESK_LOCAL_LOGIN=0) and LDAP / Active Directory ones
    (accounts.ldap); the "Se connecter avec …" button starts OpenID Connect (accounts.oidc). A directory
    user the mapping gives no role sees why instead of "wrong password" (accounts.problems)."""

    redirect_authenticated_user = True
    break_glass = False

    def dispatch(self, request, *args, **kwargs):
        request.helpdesk_break_glass = self.break_glass
        return super().dispatch(request, *args, **kwargs)

    def post(self, request, *args, **kwargs):
        if not self.form_shown():
            return self.get(request, *args, **kwargs)
        LOGIN_FAILURES.check(request)
        return super().post(request, *args, **kwargs)

    def form_invalid(self, form):
        refusal = getattr(self.request, "directory_refusal", None)
        if refusal is not None:
            return sign_in_problem(self.request, refusal.reason)
        if getattr(self.request, "directory_unreachable", False):
            form.errors.clear()
            form.add_error(None, DIRECTORY_UNREACHABLE)
        LOGIN_FAILURES.record_failure(self.request)
        return super().form_invalid(form)

    def form_shown(self) -> bool:
        """The password form: for local accounts, for the LDAP directory's, or for break-glass."""
        return self.break_glass or settings.HELPDESK_LOCAL_LOGIN or bool(settings.HELPDESK_LDAP_SERVER_URI)

    def get_context_data(self, **kwargs):
        return super().get_context_data(
            **kwargs,
            form_shown=self.form_shown(),
            break_glass=self.break_glass,
            oidc_enabled=oidc.oidc_enabled() and not self.break_glass,
            oidc_label=provider_label(),
        )


class BreakGlassLoginView(LoginView):
    """/accounts/login/local/: superusers' own password when the directory is the only way in and is down
    (accounts.backends.LocalBackend admits no one else here)."""

    break_glass = True


def set_language(request):
    """Django's set_language (on a POST the cookie, and the redirect), and for a signed-in person the language
    kept on their profile: the emails they get are written in it."""
    response = django_set_language(request)
    language = request.POST.get("language", "") if request.method == "POST" else ""
    if request.user.is_authenticated and language in dict(settings.LANGUAGES):
        services.language_remember(user=request.user, language=language)
    return response


@never_cache
@require_POST
def logout(request):
    """End the local session; after an OpenID Connect sign-in, offer the provider's end-session endpoint
    (signing out of the provider too, which the person may not want for their other applications)."""
    signed_in_with_oidc = request.session.get("helpdesk_sign_in") == "oidc"
    id_token = request.session.get("oidc_id_token", "")
    auth_logout(request)
    if signed_in_with_oidc and oidc.oidc_enabled():
        end_session = oidc.end_session_url(request, id_token)
        if end_session:
            return render(request, "registration/logged_out_sso.html",
                          {"end_session_url": end_session, "oidc_label": provider_label()})
    return redirect(settings.LOGOUT_REDIRECT_URL)
