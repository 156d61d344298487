"""The ticket, what is said on it and its append-only history, by module (docs/architecture.md)."""

from .choices import (
    ACTIVE_STATUSES,
    OPEN_STATUSES,
    PRIORITY_MATRIX,
    Channel,
    EventKind,
    InboundStatus,
    LinkKind,
    Phase,
    Priority,
    Scale,
    SlaState,
    Status,
    TicketType,
    priority_for,
)
from .conversation import (
    Attachment,
    CannedReply,
    Followup,
    InboundEmail,
    SavedView,
    Survey,
    attachment_path,
)
from .history import Notification, TicketEvent, TicketEventManager, TicketEventQuerySet
from .ticket import Category, ChecklistItem, Ticket, TicketLink, TicketQuerySet, TicketSequence, can_take_over

__all__ = [
    "ACTIVE_STATUSES", "OPEN_STATUSES", "PRIORITY_MATRIX", "Attachment", "CannedReply", "Category", "Channel", "ChecklistItem",
    "EventKind", "Followup", "InboundEmail", "InboundStatus", "LinkKind", "Notification", "Phase", "Priority",
    "SavedView", "Scale", "SlaState", "Status", "Survey", "Ticket", "TicketEvent", "TicketEventManager",
    "TicketEventQuerySet", "TicketLink", "TicketQuerySet", "TicketSequence", "TicketType", "attachment_path",
    "can_take_over", "priority_for",
]
