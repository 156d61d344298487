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
# ticket, the page's moment, language and time zone, returning safe HTML) in its AppConfig.ready(), with the
# columns of the ticket's `sla_clocks` they read (the queue's table prefetches only those); the rows are written
# in Python (tickets.templatetags.rows), so the cell cannot be a template tag of the sla app.
_queue_sla_cell: list[Callable] = []
_queue_sla_columns: list[tuple[str, ...]] = []


def register_queue_sla_cell(render: Callable, columns: tuple[str, ...] = ()) -> None:
    _queue_sla_cell[:] = [render]
    _queue_sla_columns[:] = [columns]


def queue_sla_columns() -> tuple[str, ...]:
    """The columns of the clocks the SLA cell reads (empty: all of them, or no cell)."""
    return _queue_sla_columns[0] if _queue_sla_columns else ()


def queue_sla_cell(ticket, now=None, language: str | None = None, zone: str | None = None) -> str:
    """The cell of `ticket` at `now` (the page's moment, read once for its rows; the current time by default), in
    `language` and `zone` (the page's, read once for its rows; the active ones by default: each read of them is a
    lookup in asgiref's thread-and-task locals, a third of the cell's time when made per row)."""
    return _queue_sla_cell[0](ticket, now, language, zone) if _queue_sla_cell else ""
