"""The names the ticket code used before core.exceptions; kept while other branches still import them."""

from core.exceptions import ActionRefused as TicketActionError  # noqa: F401
from core.exceptions import StaleForm as TicketChanged  # noqa: F401
from core.exceptions import TransitionRefused  # noqa: F401
