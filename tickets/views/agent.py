"""The agent side: the queue at /agent/ and the ticket workspace at /agent/tickets/<reference>/."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.http import Http404, QueryDict
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.functional import SimpleLazyObject
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_http_methods, require_POST

from accounts.decorators import agent_required, manager_required
from core.db import objects_compiled_once
from core.exceptions import ActionRefused

from .. import bulk, services
from ..checklists import ticket_checklists
from ..forms import (
    AssignForm,
    BulkActionForm,
    CannedReplyForm,
    ChecklistForm,
    LinkForm,
    PriorityForm,
    QualifyForm,
    ReasonForm,
    ReplyForm,
    ResolveForm,
    RootCauseForm,
    SavedViewForm,
    VersionedForm,
    WaitForm,
)
from ..middleware import keep_typed_text
from ..models import CannedReply, Phase, SavedView, Ticket
from ..panels import panels_for
from ..presence import presence_touch
from ..queue import QueueFilter, queue_page, statement_key, view_choices
from ..selectors import (
    canned_replies,
    get_ticket_for,
    queue_table_rows,
    requester_recent_tickets,
    ticket_attachments,
    ticket_links,
    ticket_queue_for_agent,
    ticket_timeline,
)


def _ticket_url_prefix() -> str:
    placeholder = "0000-000000"
    return reverse("agent:ticket", args=[placeholder]).removesuffix(f"{placeholder}/")


# The filters under "More filters": the group is shown open when one of them is in the query string.
MORE_FILTERS = ("category", "organisation", "ticket_type", "channel", "created_after", "created_before",
                "updated_after", "updated_before")


def _filter_form_key(filterset, request) -> tuple | None:
    """What the filter form's markup shows besides the reference data and the language (queue.html keeps it per
    process, `{% fragment %}`): each field's value as read from the query string, and whether "More filters" is
    open. None (render it, keep nothing) if the form has errors."""
    form = filterset.form
    if form.errors:
        return None
    return (tuple(bound.data for bound in form), any(request.GET.get(name) for name in MORE_FILTERS))


def _saved_views(agent_id: int):
    return SavedView.objects.filter(agent_id=agent_id).only("name", "query")


@agent_required
def queue(request):
    """The queue: filters and sort from the query string; the table alone for htmx requests."""
    params = request.GET.copy()
    params.setdefault("view", "all")
    params.setdefault("sort", "newest")
    filterset = QueueFilter(params, agent=request.user, queryset=Ticket.objects.all())
    if not filterset.is_valid():
        params = QueryDict(mutable=True)
        params.update({"view": "all", "sort": "newest"})
        filterset = QueueFilter(params, agent=request.user, queryset=Ticket.objects.all())
    def rows():  # built only when the page's statement is not compiled already (queue_page)
        return ticket_queue_for_agent(agent=request.user, filters=params, filterset=filterset, table=True)

    page = queue_page(rows, sort_key=params["sort"], cursor=request.GET.get("after"),
                      size=settings.HELPDESK_PAGE_SIZE, view=params["view"], key=statement_key(filterset))
    queue_table_rows(page.tickets)
    query = params.copy()
    query.pop("after", None)
    context = {
        "filter": filterset,
        "page": page,
        "tickets": page.tickets,
        "current_view": params["view"],
        "querystring": query.urlencode(),
        # Read only when the bulk actions' markup is not kept already (queue_table.html, `{% fragment %}`).
        "bulk_form": SimpleLazyObject(BulkActionForm),
        "built_in_views": view_choices(),
        # Each row links to /agent/tickets/<reference>/: one reverse() for the page, not two per row.
        "ticket_url_prefix": _ticket_url_prefix(),
    }
    if request.htmx:
        return render(request, "tickets/agent/partials/queue_table.html", context)
    context["filter_form_key"] = _filter_form_key(filterset, request)
    # Compiled once per connection: the statement is the same for every agent but its id (core.db).
    context["saved_views"] = objects_compiled_once("tickets.saved_views", _saved_views, request.user.pk,
                                                     bound=True)
    return render(request, "tickets/agent/queue.html", context)


@agent_required
@require_POST
def saved_view_create(request):
    form = SavedViewForm(request.POST)
    if form.is_valid():
        SavedView.objects.update_or_create(
            agent=request.user, name=form.cleaned_data["name"],
            defaults={"query": form.cleaned_data["query"]},
        )
        messages.success(request, _("View “%(name)s” saved.") % {"name": form.cleaned_data["name"]})
        return redirect(reverse("agent:queue") + "?" + form.cleaned_data["query"])
    messages.error(request, _("Give the view a name."))
    return redirect("agent:queue")


@agent_required
@require_POST
def saved_view_delete(request, view_id: int):
    deleted, _rows = SavedView.objects.filter(agent=request.user, pk=view_id).delete()
    if not deleted:
        raise Http404
    messages.success(request, _("View deleted."))
    return redirect("agent:queue")


def _bulk_one(request, ticket: Ticket, data: dict) -> None:
    action = data["action"]
    if action == "take":
        services.ticket_take(ticket=ticket, actor=request.user)
    elif action == "assign":
        services.ticket_assign(ticket=ticket, actor=request.user, assignee=data["assignee"])
    elif action == "priority":
        services.ticket_change_priority(ticket=ticket, actor=request.user, priority=data["priority"],
                                        reason=data["reason"])
    else:
        bulk.get(action).perform(ticket, request.user, data)


@agent_required
@require_POST
def bulk_action(request):
    """Apply one action to many tickets, each through its own service call and transaction:
    tickets that refuse are listed with the reason, the others proceed."""
    form = BulkActionForm(request.POST)
    if not form.is_valid():
        return render(request, "tickets/agent/bulk_result.html", {"form": form, "done": [], "refused": []},
                      status=400)
    data = form.cleaned_data
    tickets = {t.reference: t for t in Ticket.objects.filter(reference__in=data["tickets"])}
    done, refused = [], []
    for reference in data["tickets"]:
        ticket = tickets.get(reference)
        if ticket is None:
            refused.append((reference, _("This ticket does not exist.")))
            continue
        try:
            _bulk_one(request, ticket, data)
        except ActionRefused as error:
            refused.append((reference, error.message))
        else:
            done.append(reference)
    next_url = data.get("next") or ""
    if not url_has_allowed_host_and_scheme(next_url, allowed_hosts={request.get_host()}):
        next_url = reverse("agent:queue")
    if not refused:
        messages.success(request, ngettext("%(count)d ticket updated.", "%(count)d tickets updated.", len(done))
                         % {"count": len(done)})
        return redirect(next_url or "agent:queue")
    return render(request, "tickets/agent/bulk_result.html",
                  {"form": form, "done": done, "refused": refused, "next_url": next_url})


def _workspace_forms(ticket, user, bound: dict | None = None) -> dict:
    initial = {"version": ticket.version}
    forms = {
        "take_form": QualifyForm(initial={**initial, "ticket_type": ticket.ticket_type,
                                          "category": ticket.category_id}),
        "wait_form": WaitForm(initial=initial),
        "resume_form": VersionedForm(initial=initial),
        "resolve_form": ResolveForm(initial={**initial, "solution": ticket.solution}),
        "reopen_form": ReasonForm(initial=initial),
        "assign_form": AssignForm(initial={**initial, "assignee": ticket.assignee_id}),
        "priority_form": PriorityForm(initial={**initial, "priority": ticket.priority}),
        "reply_form": ReplyForm(initial=initial, user=user),
        "root_cause_form": RootCauseForm(initial={**initial, "root_cause": ticket.root_cause}),
        "link_form": LinkForm(initial=initial),
    }
    forms.update(bound or {})
    return forms


# The workspace shows the latest events of a long ticket; "show the earlier events" loads them all.
TIMELINE_LATEST = 50


def render_workspace(request, ticket, *, bound: dict | None = None, status: int = 200):
    """The workspace page; `bound` holds forms re-shown with their errors (by form or panel name)."""
    transitions = ticket.transitions_offered(request.user)
    whole = request.GET.get("timeline") == "all"
    timeline = ticket_timeline(ticket=ticket, user=request.user, latest=None if whole else TIMELINE_LATEST)
    earlier = len(timeline) > TIMELINE_LATEST and not whole
    context = {
        "ticket": ticket,
        "phases": Phase.choices,
        "phase_index": Phase.values.index(ticket.phase),
        "timeline": timeline[1:] if earlier else timeline,
        "timeline_has_earlier": earlier,
        "attachments": ticket_attachments(ticket=ticket, user=request.user),
        "transitions": transitions,
        **_workspace_forms(ticket, request.user, bound),
        "panels": panels_for(request, ticket, bound),
        "checklists": ticket_checklists(ticket),
        "recent_tickets": requester_recent_tickets(ticket=ticket),
        "links": ticket_links(ticket=ticket),
        "canned_replies": canned_replies(),
    }
    return render(request, "tickets/agent/workspace.html", context, status=status)


@agent_required
def workspace(request, reference: str):
    return render_workspace(request, get_ticket_for(request.user, reference))


# Each action: (form class, form name in the workspace, the call into services, success message).
def _take(request, ticket, data):
    services.ticket_take(ticket=ticket, actor=request.user, ticket_type=data["ticket_type"],
                         category=data["category"], expected_version=data["version"])
    return _("You took the ticket.")


def _wait(request, ticket, data):
    services.ticket_wait(ticket=ticket, actor=request.user, message=data["message"],
                         expected_version=data["version"])
    return _("The ticket is on hold; the requester has been asked.")


def _resume(request, ticket, data):
    services.ticket_resume(ticket=ticket, actor=request.user, expected_version=data["version"])
    return _("The ticket is back in progress.")


def _resolve(request, ticket, data):
    services.ticket_resolve(ticket=ticket, actor=request.user, solution=data["solution"],
                            expected_version=data["version"])
    return _("The ticket is resolved; the requester will confirm or reject the solution.")


def _reopen(request, ticket, data):
    services.ticket_reopen(ticket=ticket, actor=request.user, reason=data["reason"],
                           expected_version=data["version"])
    return _("The ticket is reopened.")


def _assign(request, ticket, data):
    services.ticket_assign(ticket=ticket, actor=request.user, assignee=data["assignee"],
                           expected_version=data["version"])
    return _("The ticket is assigned.")


def _priority(request, ticket, data):
    services.ticket_change_priority(ticket=ticket, actor=request.user, priority=data["priority"],
                                    reason=data["reason"], expected_version=data["version"])
    return _("The priority has been changed.")


def _check(request, ticket, data):
    services.ticket_check_item(ticket=ticket, actor=request.user, code=data["code"], done=data["done"],
                               expected_version=data["version"])
    return _("Checklist updated.")


def _root_cause(request, ticket, data):
    services.ticket_record_root_cause(ticket=ticket, actor=request.user, root_cause=data["root_cause"],
                                      expected_version=data["version"])
    return _("Root cause recorded: the ticket is in the Résolution phase.")


def _link(request, ticket, data):
    other = Ticket.objects.filter(reference=data["reference"]).first()
    if other is None:
        raise ActionRefused(_("No ticket has the reference %(reference)s.") % {"reference": data["reference"]},
                                ticket=ticket)
    services.ticket_link(ticket=ticket, actor=request.user, other=other, kind=data["kind"])
    return _("Tickets linked.")


def _reply(request, ticket, data):
    # A reply or a note changes no state: it is added even from a page loaded before a colleague's
    # change (no expected_version), and the message points to that change in the timeline.
    services.followup_add(ticket=ticket, author=request.user, body=data["body"],
                          is_public=data.get("is_public", False), attachments=data["attachments"])
    done = _("Reply sent to the requester.") if data.get("is_public") else _("Private note added.")
    if data["version"] != ticket.version:
        done = _("%(done)s The ticket had changed since you opened it: see the timeline.") % {"done": done}
    return done


ACTIONS = {
    "take": (QualifyForm, "take_form", _take),
    "wait": (WaitForm, "wait_form", _wait),
    "resume": (VersionedForm, "resume_form", _resume),
    "resolve": (ResolveForm, "resolve_form", _resolve),
    "reopen": (ReasonForm, "reopen_form", _reopen),
    "assign": (AssignForm, "assign_form", _assign),
    "priority": (PriorityForm, "priority_form", _priority),
    "reply": (ReplyForm, "reply_form", _reply),
    "check": (ChecklistForm, "checklist_form", _check),
    "root-cause": (RootCauseForm, "root_cause_form", _root_cause),
    "link": (LinkForm, "link_form", _link),
}


@agent_required
@require_POST
def ticket_action(request, reference: str, action: str):
    """One POST endpoint per workspace action; refusals become HTTP 409 in TicketConflictMiddleware."""
    if action not in ACTIONS:
        raise Http404
    ticket = get_ticket_for(request.user, reference)
    form_class, form_name, perform = ACTIONS[action]
    kwargs = {"user": request.user} if form_class is ReplyForm else {}
    form = form_class(request.POST, request.FILES, **kwargs)
    keep_typed_text(request, form)
    if not form.is_valid():
        return render_workspace(request, ticket, bound={form_name: form}, status=400)
    messages.success(request, perform(request, ticket, form.cleaned_data))
    return redirect("agent:ticket", reference=ticket.reference)


@agent_required
def presence(request, reference: str):
    """Polled by the workspace: who else has the ticket open, and whether it changed since load."""
    ticket = get_ticket_for(request.user, reference)
    try:
        loaded_version = int(request.GET.get("version", ticket.version))
    except ValueError:
        loaded_version = ticket.version
    others = presence_touch(ticket_id=ticket.pk, user=request.user)
    return render(request, "tickets/agent/partials/presence.html", {
        "ticket": ticket, "others": others, "changed": ticket.version != loaded_version,
    })


@manager_required
@require_http_methods(["GET", "POST"])
def canned_reply_list(request, reply_id: int | None = None):
    """Managers keep the canned replies: the list, and one form to add or edit."""
    instance = get_object_or_404(CannedReply, pk=reply_id) if reply_id else None
    form = CannedReplyForm(request.POST or None, instance=instance)
    if request.method == "POST" and form.is_valid():
        form.save()
        messages.success(request, _("Canned reply saved."))
        return redirect("agent:canned_replies")
    return render(request, "tickets/agent/canned_replies.html", {
        "form": form, "instance": instance, "replies": CannedReply.objects.all(),
    }, status=400 if form.errors else 200)


@manager_required
@require_POST
def canned_reply_delete(request, reply_id: int):
    get_object_or_404(CannedReply, pk=reply_id).delete()
    messages.success(request, _("Canned reply deleted."))
    return redirect("agent:canned_replies")
