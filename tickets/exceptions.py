"""Errors a ticket service raises for a user; the middleware turns them into an HTTP 409 page."""

from __future__ import annotations


class TicketActionError(Exception):
    """A move the rules refuse. `message` is translated and safe to show.

    `current` names hidden form fields and their values as they are now (e.g. an article's revision):
    the 409 page offers the typed form again with these, so sending it again acts on what is current.
    A ticket's `version` is refreshed from `ticket` without being named here.
    """

    # True when the refusal is about a form loaded before someone else's change.
    stale = False

    def __init__(self, message: str, *, ticket=None, current: dict | None = None) -> None:
        super().__init__(str(message))
        self.message = message
        self.ticket = ticket
        self.current = current or {}


class TransitionRefused(TicketActionError):
    """The state machine, a guard or a permission refuses the move."""


class TicketChanged(TicketActionError):
    """Someone changed the ticket since the form was loaded; `ticket` is the fresh row."""

    stale = True
