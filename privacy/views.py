from django.contrib import messages
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from accounts.decorators import agent_required
from tickets.selectors import get_ticket_for

from . import services
from .detect import find_personal_data


def _found(ticket, *, followups: bool) -> list[dict]:
    texts = [("description", _("Description"), ticket.description)]
    if followups:
        texts += [(f"followup:{pk}", _("Message of %(date)s") % {"date": f"{created:%d/%m/%Y %H:%M}"}, body)
                  for pk, body, created in ticket.followups.order_by("created_at", "pk")
                  .values_list("pk", "body", "created_at")]
    return [{"target": target, "where": where, "findings": findings}
            for target, where, text in texts if (findings := find_personal_data(text))]


def workspace_panel(request, ticket, bound):
    """The panel of the agent workspace (apps.py): the description is checked at once (no query), the
    messages by the findings view, loaded after the page so the workspace keeps its query budget."""
    return {"ticket": ticket, "found": _found(ticket, followups=False)}


@agent_required
@require_GET
def ticket_findings(request, reference: str):
    """Every text of the ticket with personal data in it: the panel's content (htmx) or a page."""
    ticket = get_ticket_for(request.user, reference)
    context = {"panel": {"ticket": ticket, "found": _found(ticket, followups=True)}}
    template = "privacy/partials/findings.html" if request.htmx else "privacy/findings.html"
    return render(request, template, context)


@agent_required
@require_POST
def ticket_redact(request, reference: str):
    ticket = get_ticket_for(request.user, reference)
    kinds = services.ticket_redact(ticket=ticket, actor=request.user, target=request.POST.get("target", ""))
    if kinds:
        messages.success(request, _("Personal data masked."))
    return redirect("agent:ticket", ticket.reference)
