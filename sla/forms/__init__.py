"""Forms of the managers' SLA pages: they validate, crispy lays them out, sla.services saves.

A page is one main form plus inline formsets; `PolicyForms` and `CalendarForms` bundle them so the
view validates the whole page at once and hands plain values to `sla_policy_save` /
`sla_calendar_save`, which replace the rows in one transaction.
"""

from .calendars import CalendarForms
from .policies import PolicyForms

__all__ = ["CalendarForms", "PolicyForms"]
