"""One exception handler turns every error into an RFC 9457 problem (application/problem+json):
a refused move 409, a stale If-Match 412, an unknown or forbidden object 404 exactly as on the web
(docs/api.md, "Errors"). The web's equivalent is tickets.middleware.ConflictMiddleware."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404
from django.utils.translation import gettext as _
from django_fsm import ConcurrentTransition, TransitionNotAllowed
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import exception_handler

from core.exceptions import ActionRefused, StaleForm

PROBLEM_TYPE = "https://helpdesk.invalid/problems/"
CONTENT_TYPE = "application/problem+json"


def problem(status_code: int, code: str, title: str, detail: str = "", **extra) -> Response:
    body = {"type": PROBLEM_TYPE + code, "title": str(title), "status": status_code}
    if detail:
        body["detail"] = str(detail)
    body.update(extra)
    return Response(body, status=status_code, content_type=CONTENT_TYPE)


def _refusal(exc: ActionRefused, request) -> Response:
    ticket = exc.ticket
    extra = {}
    if ticket is not None and getattr(ticket, "pk", None):
        # The ticket is only named to whoever may see it; the service refused on a ticket the caller
        # reached through get_ticket_for, so it is theirs to see.
        extra = {"ticket": ticket.reference, "version": ticket.version}
    if exc.current:
        extra["current"] = {key: value for key, value in exc.current.items()}
    if isinstance(exc, StaleForm):
        response = problem(status.HTTP_412_PRECONDITION_FAILED, "stale", _("The object changed"), exc.message,
                           **extra)
        if "version" in extra:
            response["ETag"] = f'"{extra["version"]}"'
        return response
    return problem(status.HTTP_409_CONFLICT, "refused", _("Action refused"), exc.message, **extra)


def problem_exception_handler(exc, context):
    request = context.get("request")
    if isinstance(exc, ActionRefused):
        return _refusal(exc, request)
    if isinstance(exc, ConcurrentTransition):
        return problem(status.HTTP_409_CONFLICT, "concurrent", _("Action refused"),
                       _("This ticket was changed by someone else at the same moment. Read it again."))
    if isinstance(exc, TransitionNotAllowed):
        return problem(status.HTTP_409_CONFLICT, "refused", _("Action refused"),
                       _("This move is not allowed for the ticket in its current status."))
    if isinstance(exc, DjangoValidationError):
        return problem(status.HTTP_400_BAD_REQUEST, "invalid", _("Invalid request"), " ".join(exc.messages),
                       errors={"non_field_errors": exc.messages})
    if isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, PermissionDenied):
        exc = exceptions.PermissionDenied()
    response = exception_handler(exc, context)
    if response is None:
        return None
    if isinstance(exc, exceptions.ValidationError):
        errors = response.data if isinstance(response.data, dict) else {"non_field_errors": response.data}
        result = problem(response.status_code, "invalid", _("Invalid request"),
                         _("Some fields are missing or wrong: see errors."), errors=errors)
    else:
        detail = response.data.get("detail", "") if isinstance(response.data, dict) else ""
        code = getattr(getattr(exc, "detail", None), "code", None) or exc.default_code
        titles = {
            status.HTTP_401_UNAUTHORIZED: _("Authentication required"),
            status.HTTP_403_FORBIDDEN: _("Forbidden"),
            status.HTTP_404_NOT_FOUND: _("Not found"),
            status.HTTP_405_METHOD_NOT_ALLOWED: _("Method not allowed"),
            status.HTTP_429_TOO_MANY_REQUESTS: _("Too many requests"),
        }
        result = problem(response.status_code, str(code).replace("_", "-"),
                         titles.get(response.status_code, _("Error")), detail)
    for header in ("WWW-Authenticate", "Retry-After", "Allow"):
        if header in response:
            result[header] = response[header]
    return result
