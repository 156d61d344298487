"""The domain errors every app raises; the conflict middleware (tickets.middleware) turns them into a
page and HTTP 409, in one place."""

from __future__ import annotations


class ActionRefused(Exception):
    """A move the rules refuse. `message` is translated and safe to show; `ticket` is the ticket the
    refusal is about, if any (the 409 page shows it as it is now).

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


class TransitionRefused(ActionRefused):
    """A state machine refuses the move: not from this state, not by this person, or its guard fails."""


class StaleForm(ActionRefused):
    """The object changed since the form was loaded; `ticket` is the fresh row."""

    stale = True
