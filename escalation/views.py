"""Manual escalation from the workspace, the escalation log and the rules page."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.core.paginator import Paginator
from django.db import transaction
from django.forms import modelformset_factory
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from accounts.decorators import agent_required, manager_required
from accounts.roles import next_level
from core.db import objects_compiled_once
from tickets.middleware import keep_typed_text
from tickets.models import Status
from tickets.selectors import get_ticket_for
from tickets.views.agent import render_workspace

from . import services
from .forms import EscalationFilter, EscalationRuleForm, HandoverForm
from .models import Escalation, EscalationRule


def workspace_panel(request, ticket, bound):
    """Context of the escalation panel in the agent workspace (registered in apps.py)."""
    if ticket.status == Status.CLOSED:
        return None
    up, down = next_level(ticket.level), services.previous_level(ticket.level)
    initial = {"version": ticket.version}
    return {
        "ticket": ticket,
        "up_level": up,
        "down_level": down,
        "up_form": bound.get("escalate") or (HandoverForm(initial=initial, to_level=up) if up else None),
        "down_form": bound.get("deescalate") or (
            HandoverForm(initial=initial, to_level=down, down=True) if down else None
        ),
        # Compiled once per connection (core.db): the workspace shows it for every ticket.
        "history": objects_compiled_once("escalation.panel_history", _history, ticket.pk, bound=True),
    }


def _history(ticket_id: int):
    return Escalation.objects.filter(ticket_id=ticket_id).select_related("actor", "rule", "assignee")[:10]


def _handover(request, reference: str, *, down: bool):
    ticket = get_ticket_for(request.user, reference)
    to_level = services.previous_level(ticket.level) if down else next_level(ticket.level)
    form = HandoverForm(request.POST, to_level=to_level, down=down)
    keep_typed_text(request, form)
    if not form.is_valid():
        return render_workspace(request, ticket, bound={"deescalate" if down else "escalate": form}, status=400)
    data = form.cleaned_data
    if down:
        services.escalation_deescalate(ticket=ticket, actor=request.user, followup=data["followup"],
                                       assignee=data["assignee"], expected_version=data["version"])
        message = _("The ticket went back to %(level)s.") % {"level": to_level}
        if ticket.assignee_id == request.user.pk and data["assignee"] != request.user:
            message += " " + _("You are no longer assigned to it.")
        messages.success(request, message)
    else:
        services.escalation_escalate(ticket=ticket, actor=request.user, reason=data["reason"],
                                     followup=data["followup"], assignee=data["assignee"],
                                     expected_version=data["version"])
        messages.success(request, _("The ticket was escalated to %(level)s.") % {"level": to_level})
    return redirect("agent:ticket", reference=ticket.reference)


@agent_required
@require_POST
def escalate(request, reference: str):
    return _handover(request, reference, down=False)


@agent_required
@require_POST
def deescalate(request, reference: str):
    return _handover(request, reference, down=True)


@manager_required
def escalation_log(request):
    queryset = Escalation.objects.select_related("ticket", "actor", "rule", "assignee")
    filterset = EscalationFilter(request.GET or None, queryset=queryset)
    page = Paginator(filterset.qs, settings.HELPDESK_PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(request, "escalation/log.html", {
        "filter": filterset, "page": page, "escalations": page.object_list, "querystring": query.urlencode(),
    })


RuleFormSet = modelformset_factory(EscalationRule, form=EscalationRuleForm, extra=0, can_delete=False)


@manager_required
@require_http_methods(["GET", "POST"])
def rules(request):
    formset = RuleFormSet(request.POST or None, queryset=EscalationRule.objects.all())
    if request.method == "POST":
        if formset.is_valid():
            with transaction.atomic():
                formset.save()
            messages.success(request, _("The escalation rules are saved."))
            return redirect("escalation:rules")
        return render(request, "escalation/rules.html", {"formset": formset}, status=400)
    return render(request, "escalation/rules.html", {"formset": formset})
