"""Workspace panels other apps add to the agent workspace, so `tickets` never imports them.

An app registers a panel in its AppConfig.ready(): a template and a function that builds its
context from (request, ticket, bound), where `bound` holds forms re-shown with their errors.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class Panel:
    name: str
    template: str
    context: Callable
    order: int = 100


_registry: dict[str, Panel] = {}


def register(panel: Panel) -> None:
    _registry[panel.name] = panel


def panels_for(request, ticket, bound: dict | None = None) -> list[dict]:
    bound = bound or {}
    rendered = []
    for panel in sorted(_registry.values(), key=lambda p: p.order):
        context = panel.context(request, ticket, bound)
        if context is not None:
            rendered.append({"name": panel.name, "template": panel.template, "context": context})
    return rendered
