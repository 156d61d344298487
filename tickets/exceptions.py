"""Errors a ticket service raises for a user; the middleware turns them into an HTTP 409 page."""

from __future__ import annotations


class TicketActionError(Exception):
    """A move the rules refuse. `message` is translated and safe to show."""

    def __init__(self, message: str, *, ticket=None) -> None:
        super().__init__(str(message))
        self.message = message
        self.ticket = ticket


class TransitionRefused(TicketActionError):
    """The state machine, a guard or a permission refuses the move."""


class TicketChanged(TicketActionError):
    """Someone changed the ticket since the form was loaded; `ticket` is the fresh row."""
