"""Who is acting, for the entries recorded during a request (audit.middleware sets it): the person signed
in, their address (accounts.client_ip, behind the trusted proxies) and their browser. Outside a request
(a worker, beat, a management command) there is none: the entry's actor is the system."""

from __future__ import annotations

from contextvars import ContextVar

from django.http import HttpRequest

_request: ContextVar[HttpRequest | None] = ContextVar("audit_request", default=None)


def current_request() -> HttpRequest | None:
    return _request.get()


def bind(request: HttpRequest | None):
    return _request.set(request)


def unbind(token) -> None:
    _request.reset(token)
