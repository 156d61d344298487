from __future__ import annotations

from django.conf import settings
from django.contrib.auth import views as auth_views
from django.db import connection
from django.http import JsonResponse
from django.shortcuts import redirect, render
from django.utils.decorators import method_decorator
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET
from django_ratelimit.decorators import ratelimit

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
    from helpdesk.celery import app

    try:
        with app.connection_for_write() as conn:
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


@method_decorator(ratelimit(key="ip", rate=rate("HELPDESK_RATE_LOGIN"), method="POST", block=True), name="post")
class LoginView(auth_views.LoginView):
    redirect_authenticated_user = True
