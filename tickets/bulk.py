"""Bulk actions other apps add to the queue's bulk bar, so that `tickets` never imports them and each
change keeps the one door its app owns (the escalation app's rules for a level change, say).

An app registers an action in its AppConfig.ready(): its code and label, the reasons to choose from,
what it checks in the bar's fields (errors by field name) and what it does to one ticket.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field


@dataclass(frozen=True)
class BulkAction:
    code: str
    label: str
    # (ticket, actor, data) → None; raises core.exceptions.ActionRefused to refuse this ticket.
    perform: Callable
    # data → {field name: error message}, checked once for the whole batch.
    check: Callable[[dict], dict[str, str]] = lambda data: {}
    reasons: list = field(default_factory=list)


_registry: dict[str, BulkAction] = {}


def register(action: BulkAction) -> None:
    _registry[action.code] = action


def registered() -> list[BulkAction]:
    return list(_registry.values())


def get(code: str) -> BulkAction | None:
    return _registry.get(code)
