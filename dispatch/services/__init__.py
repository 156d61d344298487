"""Every change of the dispatch (docs/architecture.md, "Services"): assignment and availability, the
observed handling times and the breach forecast."""

from .assignment import (
    agent_dispatch_save,
    agent_set_availability,
    assignment_refuse,
    dispatch_sweep,
    ticket_dispatch,
    tickets_dispatch,
)
from .forecast import forecasts_refresh, handling_stats_recompute

__all__ = [
    "agent_dispatch_save",
    "agent_set_availability",
    "assignment_refuse",
    "dispatch_sweep",
    "forecasts_refresh",
    "handling_stats_recompute",
    "ticket_dispatch",
    "tickets_dispatch",
]
