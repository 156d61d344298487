"""The one place where refused moves and stale forms become a message and HTTP 409 (STYLE.md §8)."""

from __future__ import annotations

from django.shortcuts import render
from django.utils.translation import gettext as _
from django_fsm import ConcurrentTransition, TransitionNotAllowed

from .exceptions import TicketActionError, TicketChanged


class TicketConflictMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        if isinstance(exception, TicketActionError):
            message, ticket = exception.message, exception.ticket
            stale = isinstance(exception, TicketChanged)
        elif isinstance(exception, ConcurrentTransition):
            message, ticket, stale = _("This ticket was changed by someone else at the same moment. "
                                       "Reload it to see it as it is now."), None, True
        elif isinstance(exception, TransitionNotAllowed):
            message, ticket, stale = _("This move is not allowed for the ticket in its current status."), None, False
        else:
            return None
        if ticket is not None and ticket.pk:
            from .models import Ticket

            ticket = Ticket.objects.select_related("assignee", "category").filter(pk=ticket.pk).first()
        context = {"message": message, "ticket": ticket, "stale": stale}
        template = "tickets/partials/conflict.html" if getattr(request, "htmx", False) else "409.html"
        return render(request, template, context, status=409)
