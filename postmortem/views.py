"""Major incidents and postmortems under /postmortems/: the list, the war room, the postmortem page,
its Markdown export, and the workspace panel. Views are adapters: parse a form, call one service,
redirect or re-render with errors (400); refused moves become 409 in TicketConflictMiddleware."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from accounts.decorators import agent_required
from accounts.roles import is_agent
from core.keyset import keyset_page
from tickets.middleware import keep_typed_text
from tickets.models import Status
from tickets.selectors import get_ticket_for
from tickets.views.agent import render_workspace

from . import services
from .forms import (
    CorrectiveActionForm,
    DeclareForm,
    DismissForm,
    EntryForm,
    IncidentFilter,
    LinkTicketForm,
    PostmortemForm,
    ShareForm,
    StatusUpdateForm,
)
from .models import PROCEDURE_STATES, IncidentState, Trigger
from .selectors import (
    get_followed_incident_for,
    get_incident_for,
    get_postmortem_for,
    incident_for_ticket,
    incident_links_page,
    incident_notice_for_requester,
    incidents_for_list,
    postmortem_for_requester,
    war_room_timeline,
)

# --- The panels of the ticket pages (registered in apps.py)


def workspace_panel(request, ticket, bound):
    """The incident's state and a link to its war room, or the "declare" form for an open ticket."""
    incident = incident_for_ticket(ticket)
    if incident is None and ticket.status not in (Status.NEW, Status.IN_PROGRESS, Status.WAITING):
        return None
    is_main = incident is not None and incident.ticket_id == ticket.pk
    return {
        "ticket": ticket,
        "incident": incident,
        "is_main": is_main,
        "is_dismissed": incident is not None and incident.state == IncidentState.DISMISSED,
        "can_dismiss": is_main and _can_dismiss(incident, request.user, has_links=incident.has_links),
        "postmortem": getattr(incident, "postmortem", None) if incident else None,
        "declare_form": bound.get("declare_incident") or DeclareForm(),
        "dismiss_form": bound.get("dismiss_incident") or DismissForm(initial={"origin": "workspace"}),
    }


def _can_dismiss(incident, user, *, has_links: bool) -> bool:
    """Only an automatic alert that no other ticket is linked to ("dismiss" checks state, trigger, role)."""
    return not has_links and any(t.name == "dismiss" for t in incident.get_available_user_state_transitions(user))


def requester_panel(request, ticket, bound):
    """On the requester's ticket page: the incident under way and its latest status update, if any."""
    notice = incident_notice_for_requester(ticket=ticket, user=request.user)
    return None if notice is None else {"notice": notice}


@agent_required
@require_POST
def declare(request, reference: str):
    ticket = get_ticket_for(request.user, reference)
    form = DeclareForm(request.POST)
    keep_typed_text(request, form)
    if not form.is_valid():
        return render_workspace(request, ticket, bound={"declare_incident": form}, status=400)
    incident = services.incident_declare(ticket=ticket, actor=request.user, trigger=Trigger.MANUAL,
                                         reason=form.cleaned_data["reason"])
    if incident is None:
        messages.info(request, _("This ticket already is a major incident."))
        incident = incident_for_ticket(ticket)
    else:
        messages.success(request, _("Major incident declared: the stakeholders are being alerted."))
    return redirect(incident.get_absolute_url())


# --- The list


@agent_required
@require_GET
def incident_list(request):
    """Newest first by keyset on (declared_at, id) ("plus anciens" / "plus récents"), no count."""
    filterset = IncidentFilter(request.GET or None, queryset=incidents_for_list())
    page = keyset_page(filterset.qs, field="declared_at", after=request.GET.get("older"),
                       before=request.GET.get("newer"), size=settings.HELPDESK_PAGE_SIZE)
    query = request.GET.copy()
    for cursor in ("older", "newer", "page"):
        query.pop(cursor, None)
    return render(request, "postmortem/list.html", {
        "filter": filterset, "page": page, "incidents": page.rows, "querystring": query.urlencode(),
    })


# --- The war room


def _render_war_room(request, incident, *, bound: dict | None = None, status: int = 200):
    bound = bound or {}
    participants = list(incident.participants.order_by("last_name", "first_name", "username"))
    links = incident_links_page(incident=incident, after=request.GET.get("links_after"),
                                before=request.GET.get("links_before"))
    context = {
        "incident": incident,
        "ticket": incident.ticket,
        "states": [(state.value, state.label) for state in PROCEDURE_STATES],
        "state_index": PROCEDURE_STATES.index(incident.state) if incident.state in PROCEDURE_STATES else -1,
        "is_dismissed": incident.state == IncidentState.DISMISSED,
        "can_dismiss": _can_dismiss(incident, request.user, has_links=bool(links.count)),
        "dismiss_form": bound.get("dismiss") or DismissForm(initial={"origin": "war_room"}),
        "postmortem": getattr(incident, "postmortem", None),
        "timeline": war_room_timeline(incident=incident),
        "participants": participants,
        "links": links,
        "updates": list(incident.status_updates.select_related("author")[:10]),
        "is_participant": any(user.pk == request.user.pk for user in participants),
        "transitions": {t.name for t in incident.get_available_user_state_transitions(request.user)},
        "entry_form": bound.get("entry") or EntryForm(),
        "update_form": bound.get("update") or StatusUpdateForm(),
        "link_form": bound.get("link") or LinkTicketForm(),
    }
    return render(request, "postmortem/war_room.html", context, status=status)


@agent_required
@require_GET
def war_room(request, pk: int):
    return _render_war_room(request, get_incident_for(request.user, pk))


@login_required
@require_GET
def incident_status(request, pk: int):
    """The status page of an incident a requester follows ("me too"): under way or over, and its status
    updates. Never the war room, its people or the tickets."""
    incident = get_followed_incident_for(request.user, pk)
    return render(request, "postmortem/status.html", {
        "incident": incident, "updates": list(incident.status_updates.order_by("-created_at", "-id")),
        "about": incident.ticket.category.name if incident.ticket.category_id else incident.ticket.title,
    })


@agent_required
@require_GET
def war_room_timeline_partial(request, pk: int):
    """Polled by htmx every 10 s: only the timeline list."""
    incident = get_incident_for(request.user, pk)
    return render(request, "postmortem/partials/war_room_timeline.html",
                  {"incident": incident, "timeline": war_room_timeline(incident=incident)})


@agent_required
@require_POST
def join(request, pk: int):
    incident = services.incident_join(incident=get_incident_for(request.user, pk), user=request.user)
    messages.success(request, _("You joined the war room."))
    return redirect(incident.get_absolute_url())


@agent_required
@require_POST
def mobilise(request, pk: int):
    incident = services.incident_mobilise(incident=get_incident_for(request.user, pk), actor=request.user)
    messages.success(request, _("The war room is mobilised."))
    return redirect(incident.get_absolute_url())


@agent_required
@require_POST
def add_entry(request, pk: int):
    incident = get_incident_for(request.user, pk)
    form = EntryForm(request.POST)
    keep_typed_text(request, form)
    if not form.is_valid():
        return _render_war_room(request, incident, bound={"entry": form}, status=400)
    services.incident_add_entry(incident=incident, author=request.user, at=form.cleaned_data["at"],
                                text=form.cleaned_data["text"], date_explicit=form.cleaned_data["date_explicit"])
    messages.success(request, _("Added to the timeline."))
    return redirect(incident.get_absolute_url())


@agent_required
@require_POST
def dismiss(request, pk: int):
    """"Not a major incident": an agent dismisses an automatic alert, with a reason."""
    incident = get_incident_for(request.user, pk)
    form = DismissForm(request.POST)
    if not form.is_valid():
        if form.cleaned_data.get("origin") == "workspace":
            ticket = get_ticket_for(request.user, incident.ticket.reference)
            return render_workspace(request, ticket, bound={"dismiss_incident": form}, status=400)
        return _render_war_room(request, incident, bound={"dismiss": form}, status=400)
    services.incident_dismiss(incident=incident, actor=request.user, reason=form.cleaned_data["reason"])
    messages.success(request, _("Not a major incident: the alert is dismissed and recorded in the ticket's "
                                "history."))
    return redirect(incident.ticket.get_agent_url())


@agent_required
@require_POST
def post_update(request, pk: int):
    incident = get_incident_for(request.user, pk)
    form = StatusUpdateForm(request.POST)
    keep_typed_text(request, form)
    if not form.is_valid():
        return _render_war_room(request, incident, bound={"update": form}, status=400)
    services.incident_post_update(incident=incident, author=request.user, body=form.cleaned_data["body"])
    messages.success(request, _("The status update is being sent to the stakeholders."))
    return redirect(incident.get_absolute_url())


@agent_required
@require_POST
def link_ticket(request, pk: int):
    incident = get_incident_for(request.user, pk)
    form = LinkTicketForm(request.POST)
    keep_typed_text(request, form)
    if not form.is_valid():
        return _render_war_room(request, incident, bound={"link": form}, status=400)
    link = services.incident_link_ticket(incident=incident, actor=request.user, ticket=form.cleaned_data["reference"])
    messages.success(request, _("Ticket %(reference)s is linked to the incident.") % {
        "reference": link.ticket.reference})
    return redirect(incident.get_absolute_url())


# --- The postmortem


def _postmortem_form(postmortem) -> PostmortemForm:
    return PostmortemForm(initial={
        "title": postmortem.title,
        "started_at": timezone.localtime(postmortem.started_at),
        "ended_at": timezone.localtime(postmortem.ended_at),
        "impact_users": postmortem.impact_users,
        "business_loss": postmortem.business_loss,
        "timeline": postmortem.timeline,
        "root_cause": postmortem.root_cause,
        "lessons_learned": postmortem.lessons_learned,
        "internal_notes": postmortem.internal_notes,
        "owner": postmortem.owner_id,
    })


def _render_postmortem(request, postmortem, *, bound: dict | None = None, status: int = 200):
    bound = bound or {}
    if not is_agent(request.user):
        # The requester version: built from what is meant for them only (no names, no internal records).
        return render(request, "postmortem/shared.html", {"report": postmortem_for_requester(postmortem)},
                      status=status)
    actions = list(postmortem.actions.select_related("owner", "done_by", "recurrence_category",
                                                     "recurrence_organisation"))
    context = {
        "recurrences": list(postmortem.recurrences.select_related("incident__ticket", "action")),
        "postmortem": postmortem,
        "incident": postmortem.incident,
        "ticket": postmortem.incident.ticket,
        "actions": actions,
        "events": list(postmortem.events.select_related("actor")),
        "transitions": {t.name for t in postmortem.get_available_user_state_transitions(request.user)},
        "form": bound.get("edit") or _postmortem_form(postmortem),
        "action_form": bound.get("action") or CorrectiveActionForm(),
        "share_form": bound.get("share") or ShareForm(initial={
            "users": list(postmortem.shared_with_users.values_list("pk", flat=True)),
            "organisations": list(postmortem.shared_with_organisations.values_list("pk", flat=True)),
        }),
    }
    return render(request, "postmortem/postmortem.html", context, status=status)


@login_required
@require_GET
def postmortem_detail(request, pk: int):
    return _render_postmortem(request, get_postmortem_for(request.user, pk))


@agent_required
@require_POST
def postmortem_edit(request, pk: int):
    postmortem = get_postmortem_for(request.user, pk, write=True)
    form = PostmortemForm(request.POST)
    keep_typed_text(request, form)
    if not form.is_valid():
        return _render_postmortem(request, postmortem, bound={"edit": form}, status=400)
    services.postmortem_update(postmortem=postmortem, actor=request.user, **form.cleaned_data)
    messages.success(request, _("The postmortem is saved."))
    return redirect(postmortem.get_absolute_url())


MOVES = {
    "submit": (services.postmortem_submit, lambda: _("The postmortem is submitted for review.")),
    "publish": (services.postmortem_publish, lambda: _("The postmortem is published.")),
    "back_to_draft": (services.postmortem_back_to_draft, lambda: _("The postmortem is back to draft.")),
}


@agent_required
@require_POST
def postmortem_move(request, pk: int, name: str):
    if name not in MOVES:
        raise Http404
    postmortem = get_postmortem_for(request.user, pk, write=True)
    perform, message = MOVES[name]
    perform(postmortem=postmortem, actor=request.user)
    messages.success(request, message())
    return redirect(postmortem.get_absolute_url())


@agent_required
@require_POST
def action_add(request, pk: int):
    postmortem = get_postmortem_for(request.user, pk, write=True)
    form = CorrectiveActionForm(request.POST)
    keep_typed_text(request, form)
    if not form.is_valid():
        return _render_postmortem(request, postmortem, bound={"action": form}, status=400)
    services.corrective_action_add(postmortem=postmortem, actor=request.user, **form.cleaned_data)
    messages.success(request, _("The corrective action is added."))
    return redirect(postmortem.get_absolute_url() + "#actions")


@agent_required
@require_POST
def action_toggle(request, pk: int, action_id: int):
    postmortem = get_postmortem_for(request.user, pk, write=True)
    action = postmortem.actions.filter(pk=action_id).select_related("postmortem__incident__ticket").first()
    if action is None:
        raise Http404
    services.corrective_action_complete(action=action, actor=request.user, done=request.POST.get("done") == "1")
    return redirect(postmortem.get_absolute_url() + "#actions")


@agent_required
@require_POST
def share(request, pk: int):
    postmortem = get_postmortem_for(request.user, pk, write=True)
    form = ShareForm(request.POST)
    keep_typed_text(request, form)
    if not form.is_valid():
        return _render_postmortem(request, postmortem, bound={"share": form}, status=400)
    services.postmortem_share(postmortem=postmortem, actor=request.user, users=form.cleaned_data["users"],
                              organisations=form.cleaned_data["organisations"])
    messages.success(request, _("Sharing saved. Requesters can read the postmortem once it is published."))
    return redirect(postmortem.get_absolute_url())


@agent_required
@require_GET
def export_markdown(request, pk: int):
    postmortem = get_postmortem_for(request.user, pk, write=True)
    content = render_to_string("postmortem/export.md", {
        "postmortem": postmortem, "actions": list(postmortem.actions.select_related("owner")),
    })
    response = HttpResponse(content, content_type="text/markdown; charset=utf-8")
    filename = f"postmortem-{postmortem.incident.ticket.reference}.md"
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response
