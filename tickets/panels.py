"""Panels other apps add to a ticket's pages, so `tickets` never imports them.

An app registers a panel in its AppConfig.ready(): a template and a function that builds its
context from (request, ticket, bound), where `bound` holds forms re-shown with their errors; the
function returns None to show nothing. A panel goes on one page: the agent workspace (the default)
or the requester's ticket page, where it must show only what is meant for requesters.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

WORKSPACE = "workspace"
REQUESTER = "requester"


@dataclass(frozen=True)
class Panel:
    name: str
    template: str
    context: Callable
    order: int = 100
    page: str = WORKSPACE


_registry: dict[tuple[str, str], Panel] = {}


def register(panel: Panel) -> None:
    _registry[(panel.page, panel.name)] = panel


def panels_for(request, ticket, bound: dict | None = None, *, page: str = WORKSPACE) -> list[dict]:
    bound = bound or {}
    rendered = []
    for panel in sorted((p for p in _registry.values() if p.page == page), key=lambda p: p.order):
        context = panel.context(request, ticket, bound)
        if context is not None:
            rendered.append({"name": panel.name, "template": panel.template, "context": context})
    return rendered


# The queue's SLA column, one cell per row: the sla app registers its compact badges (a function of the
# ticket returning safe HTML) in its AppConfig.ready(); the rows are written in Python
# (tickets.templatetags.rows), so the cell cannot be a template tag of the sla app.
_queue_sla_cell: list[Callable] = []


def register_queue_sla_cell(render: Callable) -> None:
    _queue_sla_cell[:] = [render]


def queue_sla_cell(ticket) -> str:
    return _queue_sla_cell[0](ticket) if _queue_sla_cell else ""
