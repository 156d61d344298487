"""The one place where refused moves and stale forms become a message and HTTP 409 (docs/architecture.md, "Refusals and stale forms").

A refusal never throws away what was typed: the 409 page (or its htmx partial) shows the ticket as it
is now with its latest events, and offers the refused POST again in a form that posts to the same URL
with every field kept, the typed text editable and the ticket's `version` brought up to date, so that
sending it again is a deliberate act on the ticket as it is now.
"""

from __future__ import annotations

from django import forms
from django.forms.widgets import Input
from django.shortcuts import render
from django.utils.translation import gettext as _
from django_fsm import ConcurrentTransition, TransitionNotAllowed

from core.exceptions import ActionRefused

# The latest events shown above the kept form: enough to see what a colleague just did.
CONFLICT_TIMELINE_LATEST = 20
# Rendered fresh by {% csrf_token %}: the posted one is never echoed back.
CSRF_FIELD = "csrfmiddlewaretoken"
# <input> types whose value the person typed: offered again as editable inputs under their label.
TYPED_INPUTS = frozenset({"text", "search", "email", "url", "date", "time", "datetime-local"})


def keep_typed_text(request, form) -> None:
    """Name the bound form this POST filled: if the action is refused, the 409 page shows its typed
    fields under their labels. Call it after the access check, before the service."""
    request.conflict_form = form


def _typed_kind(form, name: str, values: list[str]) -> str | None:
    """How to offer a posted field again: "textarea", an <input> type, or None to keep it hidden."""
    if len(values) != 1:
        return None  # Multiple choices (checkboxes, multi-selects): kept as they were, hidden.
    if form is None:
        # No form named by the view: prose (a space or a line break inside) is shown, the rest kept hidden.
        return "textarea" if any(char.isspace() for char in values[0].strip()) else None
    field = form.fields.get(name)
    widget = field.widget if field is not None else None
    if isinstance(widget, forms.Textarea):
        return "textarea"
    if isinstance(widget, Input):
        input_type = widget.attrs.get("type", widget.input_type)  # e.g. a DateInput shown as type="date"
        return input_type if input_type in TYPED_INPUTS else None
    return None


def kept_form(request, current: dict) -> dict | None:
    """The refused POST as a form to send again: `current` replaces hidden values (the version)."""
    if request.method != "POST":
        return None
    form = getattr(request, "conflict_form", None)
    hidden, typed = [], []
    for name, values in request.POST.lists():
        if name == CSRF_FIELD:
            continue
        if name in current:
            hidden.append({"name": name, "value": current[name]})
            continue
        kind = _typed_kind(form, name, values)
        if kind is None:
            hidden.extend({"name": name, "value": value} for value in values)
            continue
        field = form.fields[name] if form is not None else None
        typed.append({
            "name": name,
            "value": values[0],
            "label": form[name].label if form is not None else name,
            "kind": kind,
            "rows": field.widget.attrs.get("rows", 4) if kind == "textarea" and field is not None else 4,
        })
    files = []
    if form is not None:
        for name, field in form.fields.items():
            if isinstance(field, forms.FileField):
                files.append({"name": name, "label": form[name].label,
                              "multiple": getattr(field.widget, "allow_multiple_selected", False)})
    return {"action": request.path, "hidden": hidden, "typed": typed, "files": files,
            "lost_files": bool(request.FILES)}


def _visible_ticket(request, ticket):
    """The ticket as it is now, if `request.user` may see it (never a ticket the refusal named but the
    person cannot open)."""
    if ticket is None or not ticket.pk:
        return None
    from .models import Ticket

    return (Ticket.objects.visible_to(request.user).select_related("assignee", "category")
            .filter(pk=ticket.pk).first())


class ConflictMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        current: dict = {}
        if isinstance(exception, ActionRefused):
            message, ticket, stale = exception.message, exception.ticket, exception.stale
            current = dict(exception.current)
        elif isinstance(exception, ConcurrentTransition):
            message, ticket, stale = _("This ticket was changed by someone else at the same moment. "
                                       "Reload it to see it as it is now."), None, True
        elif isinstance(exception, TransitionNotAllowed):
            message, ticket, stale = _("This move is not allowed for the ticket in its current status."), None, False
        else:
            return None
        ticket = _visible_ticket(request, ticket)
        timeline, timeline_has_earlier = [], False
        if ticket is not None:
            current.setdefault("version", ticket.version)
            from .selectors import ticket_timeline

            # Filtered for request.user: a requester never sees private notes here either.
            timeline = ticket_timeline(ticket=ticket, user=request.user, latest=CONFLICT_TIMELINE_LATEST)
            timeline_has_earlier = len(timeline) > CONFLICT_TIMELINE_LATEST
            timeline = timeline[-CONFLICT_TIMELINE_LATEST:]
        context = {
            "message": message,
            "ticket": ticket,
            "stale": stale,
            "timeline": timeline,
            "timeline_has_earlier": timeline_has_earlier,
            "kept": kept_form(request, current),
        }
        template = "tickets/partials/conflict.html" if getattr(request, "htmx", False) else "409.html"
        return render(request, template, context, status=409)
