"""Views other apps add to the agent queue (next to "Mine", "Unassigned"…), so `tickets` never
imports them: the dispatch's "À risque" (tickets whose forecast passes a deadline, riskiest first).

An app registers a view in its AppConfig.ready(): its code (the `view=` of the query string), its
label, a function (queryset, agent) → queryset that filters (and may annotate what it sorts on), and,
when the view imposes its order, the sort keys: (name, descending) pairs ending with ("id", …) so the
keyset pagination stays total, with the names that can be NULL (sorted last). The filter must keep the
queue's query count: joins and annotations, no query of its own per row.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class QueueView:
    code: str
    label: str
    filter: Callable
    sort_keys: tuple[tuple[str, bool], ...] = ()
    nullable: frozenset[str] = frozenset()


_registry: dict[str, QueueView] = {}


def register(view: QueueView) -> None:
    _registry[view.code] = view


def registered() -> list[QueueView]:
    return list(_registry.values())


def get(code: str | None) -> QueueView | None:
    return _registry.get(code) if code else None
