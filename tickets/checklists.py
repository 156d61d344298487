"""The template's deliverables per phase. Items the system knows tick themselves (`auto`);
agents tick the others (stored as ChecklistItem rows through services.ticket_check_item)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from django.db.models import Exists, OuterRef
from django.utils.translation import gettext_lazy as _

from core.db import object_compiled_once, objects_compiled_once

from .models import ChecklistItem, EventKind, Phase, Status, Survey, Ticket, TicketEvent


@dataclass(frozen=True)
class Deliverable:
    code: str
    label: str
    auto: Callable[[Ticket, dict], bool] | None = None  # (ticket, facts) -> done


def _acknowledged(ticket: Ticket, facts: dict) -> bool:
    return facts.get("acknowledged", False)


CHECKLISTS: dict[str, list[Deliverable]] = {
    Phase.RECEPTION: [
        Deliverable("ticket_created", _("Ticket created"), lambda t, f: True),
        Deliverable("priority_assigned", _("Priority assigned"), lambda t, f: bool(t.priority)),
        Deliverable("category_defined", _("Category defined"), lambda t, f: bool(t.category_id)),
        Deliverable("acknowledgement_sent", _("Acknowledgement sent"), _acknowledged),
    ],
    Phase.DIAGNOSTIC: [
        Deliverable("reproduced", _("Problem reproduced (or documented as not reproducible)")),
        Deliverable("cause_identified", _("Cause identified"), lambda t, f: bool(t.root_cause.strip())),
        Deliverable("options_listed", _("Solution options listed")),
        Deliverable("time_estimated", _("Time estimate given")),
    ],
    Phase.RESOLUTION: [
        Deliverable("fix_applied", _("Fix applied")),
        Deliverable("non_regression_ok", _("Non-regression tests OK")),
        Deliverable("requester_informed", _("Requester informed"),
                    lambda t, f: t.status in (Status.RESOLVED, Status.CLOSED)),
        Deliverable("solution_documented", _("Solution documented"), lambda t, f: bool(t.solution.strip())),
    ],
    Phase.CLOSURE: [
        Deliverable("ticket_closed", _("Ticket closed"), lambda t, f: t.status == Status.CLOSED),
        Deliverable("feedback_collected", _("Feedback collected"), lambda t, f: f.get("survey_answered", False)),
        Deliverable("kb_article", _("KB article written if relevant")),
        Deliverable("postmortem", _("Postmortem if major incident")),
    ],
}
MANUAL_CODES = {d.code for items in CHECKLISTS.values() for d in items if d.auto is None}


def _facts_of(ticket_id: int):
    # The status too: building a ticket reads it (the state machine's initial state).
    return Ticket.objects.filter(pk=ticket_id).only("pk", "status").annotate(
        survey_answered=Exists(Survey.objects.filter(ticket=OuterRef("pk"), answered_at__isnull=False)),
        acknowledged=Exists(TicketEvent.objects.filter(
            ticket=OuterRef("pk"), kind=EventKind.CREATED, notifications__template="ticket_created",
            notifications__sent_at__isnull=False)),
    )


def _facts(ticket: Ticket) -> dict:
    """What the self-ticking deliverables read, both in one statement (compiled once per connection, core.db):
    the survey answered, the acknowledgement of receipt sent."""
    found = object_compiled_once("tickets.checklist_facts", _facts_of, ticket.pk, bound=True)
    return {"survey_answered": found.survey_answered, "acknowledged": found.acknowledged} if found else {}


def _ticked_of(ticket_id: int):
    return ChecklistItem.objects.filter(ticket_id=ticket_id).select_related("done_by")


def ticket_checklists(ticket: Ticket) -> list[dict]:
    """Each phase with its deliverables and whether each is done (two queries, each compiled once per
    connection: every workspace reads them)."""
    ticked = {item.code: item for item in objects_compiled_once("tickets.checklist_items", _ticked_of, ticket.pk,
                                                                 bound=True)}
    facts = _facts(ticket)
    order = list(Phase.values)
    current = order.index(ticket.phase)
    phases = []
    for index, phase in enumerate(order):
        items = []
        for deliverable in CHECKLISTS[phase]:
            item = ticked.get(deliverable.code)
            done = deliverable.auto(ticket, facts) if deliverable.auto else item is not None
            items.append({"code": deliverable.code, "label": deliverable.label, "auto": deliverable.auto is not None,
                          "done": done, "by": item.done_by if item else None, "at": item.done_at if item else None})
        phases.append({
            "code": phase, "label": Phase(phase).label, "items": items,
            "state": "current" if index == current else ("done" if index < current else "todo"),
            "seconds": getattr(ticket, f"{phase}_seconds"),
        })
    return phases
