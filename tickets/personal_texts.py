"""Text columns other apps keep about a ticket, typed by a person (the dispatch's refusal reasons), so
that the anonymisation of a requester (privacy), which may not import those apps, rewrites their first
and last names alone in them as it does in the requester's own tickets, replies and surveys. (Full
names, emails and phone numbers are found in every text column of every model anyway.)

An app registers its model in its AppConfig.ready(): the model's label, the name of its foreign key
to the ticket, and the text fields.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class TicketText:
    model: str  # "app_label.ModelName"
    ticket_field: str
    fields: tuple[str, ...]


_registry: dict[str, TicketText] = {}


def register(text: TicketText) -> None:
    _registry[text.model] = text


def registered() -> list[TicketText]:
    return list(_registry.values())
