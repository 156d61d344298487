"""The ticket, its followups, attachments and append-only history."""

from __future__ import annotations

from collections.abc import Iterable

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_fsm import ConcurrentTransitionMixin, FSMField, transition

from accounts.models import Organisation
from accounts.roles import Level, group_names, is_agent
from core.db import insert_rows

from .signals import events_recorded


class Status(models.TextChoices):
    NEW = "new", _("Nouveau")
    IN_PROGRESS = "in_progress", _("En cours")
    WAITING = "waiting", _("En attente")
    RESOLVED = "resolved", _("Résolu")
    CLOSED = "closed", _("Clos")


OPEN_STATUSES = (Status.NEW, Status.IN_PROGRESS, Status.WAITING)


class Phase(models.TextChoices):
    RECEPTION = "reception", _("Réception")
    DIAGNOSTIC = "diagnostic", _("Diagnostic")
    RESOLUTION = "resolution", _("Résolution")
    CLOSURE = "closure", _("Clôture")


class TicketType(models.TextChoices):
    SUPPORT_REQUEST = "support_request", _("Support request")
    INCIDENT = "incident", _("Incident")
    INFORMATION_REQUEST = "information_request", _("Information request")
    BUG_REPORT = "bug_report", _("Bug report")
    COMPLAINT = "complaint", _("Complaint")


class Channel(models.TextChoices):
    WEB = "web", _("Web form")
    EMAIL = "email", _("Email")
    PHONE = "phone", _("Phone")
    CHAT = "chat", _("Chat")


class Scale(models.TextChoices):
    HIGH = "high", _("High")
    MEDIUM = "medium", _("Medium")
    LOW = "low", _("Low")


class Priority(models.TextChoices):
    P1 = "P1", _("P1 – Critique")
    P2 = "P2", _("P2 – Majeur")
    P3 = "P3", _("P3 – Modéré")
    P4 = "P4", _("P4 – Mineur")


# The ITIL matrix of the specification: PRIORITY_MATRIX[impact][urgency].
PRIORITY_MATRIX = {
    Scale.HIGH: {Scale.HIGH: Priority.P1, Scale.MEDIUM: Priority.P2, Scale.LOW: Priority.P3},
    Scale.MEDIUM: {Scale.HIGH: Priority.P2, Scale.MEDIUM: Priority.P3, Scale.LOW: Priority.P4},
    Scale.LOW: {Scale.HIGH: Priority.P3, Scale.MEDIUM: Priority.P4, Scale.LOW: Priority.P4},
}


def priority_for(*, urgency: str, impact: str) -> str:
    return PRIORITY_MATRIX[Scale(impact)][Scale(urgency)].value


class SlaState(models.TextChoices):
    """The worst SLA stage recorded while the ticket ran, kept on the ticket for the queue filter."""

    ON_TIME = "on_time", _("On time")
    WARNING = "warning", _("Due soon")
    BREACHED = "breached", _("Breached")


class Category(models.Model):
    """A node of the category tree, managed by managers."""

    name = models.CharField(_("name"), max_length=120)
    parent = models.ForeignKey(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="children",
        verbose_name=_("parent"),
    )
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["parent_id", "name"]
        verbose_name = _("category")
        verbose_name_plural = _("categories")
        constraints = [models.UniqueConstraint(fields=["parent", "name"], name="category_unique_name_per_parent")]

    def __str__(self) -> str:
        return self.full_name

    @property
    def full_name(self) -> str:
        names, node, seen = [], self, set()
        while node is not None and node.pk not in seen:
            seen.add(node.pk)
            names.append(node.name)
            node = node.parent
        return " › ".join(reversed(names))


class TicketSequence(models.Model):
    """One row per year; the row lock serialises reference allocation (see services.allocate_reference)."""

    year = models.PositiveIntegerField(primary_key=True)
    last_number = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name = _("reference sequence")

    def __str__(self) -> str:
        return f"{self.year}: {self.last_number}"


# --- Transition permissions: (ticket, user) -> bool. None of them does I/O beyond the user's groups.


def _is_agent(ticket: Ticket, user) -> bool:
    return is_agent(user)


def _is_assignee(ticket: Ticket, user) -> bool:
    return is_agent(user) and ticket.assignee_id == user.pk


def can_take_over(ticket: Ticket, user) -> bool:
    """An agent of the ticket's level who is not its assignee may take it over, e.g. to resolve it:
    the service assigns them first (two events), then the assignee-only transition applies."""
    return is_agent(user) and ticket.assignee_id != user.pk and ticket.level in group_names(user)


def _is_requester(ticket: Ticket, user) -> bool:
    return ticket.requester_id == user.pk


def _is_agent_or_requester(ticket: Ticket, user) -> bool:
    return is_agent(user) or _is_requester(ticket, user)


# --- Transition conditions: the guards of the specification's table.


def _is_qualified(ticket: Ticket) -> bool:
    return bool(ticket.ticket_type and ticket.category_id and ticket.priority)


def _has_solution(ticket: Ticket) -> bool:
    return bool(ticket.solution.strip())


def _below_top_level(ticket: Ticket) -> bool:
    return ticket.level != Level.N4


class TicketQuerySet(models.QuerySet):
    def visible_to(self, user) -> TicketQuerySet:
        """Agents see every ticket; a requester their own, and their organisation's where it shares."""
        if not user.is_authenticated:
            return self.none()
        if is_agent(user):
            return self
        condition = Q(requester_id=user.pk)
        profile = getattr(user, "profile", None) if hasattr(user, "profile") else None
        if profile is not None and profile.organisation_id and profile.organisation.share_tickets:
            condition |= Q(organisation_id=profile.organisation_id)
        return self.filter(condition)

    def open(self) -> TicketQuerySet:
        return self.filter(status__in=OPEN_STATUSES)


class Ticket(ConcurrentTransitionMixin, models.Model):
    """A support ticket. Its status changes only through tickets.services (docs/architecture.md, "Services")."""

    reference = models.CharField(_("reference"), max_length=11, unique=True, editable=False)
    ticket_type = models.CharField(
        _("type"), max_length=30, choices=TicketType.choices, default=TicketType.SUPPORT_REQUEST
    )
    channel = models.CharField(_("channel"), max_length=10, choices=Channel.choices, default=Channel.WEB)
    category = models.ForeignKey(
        Category, on_delete=models.PROTECT, null=True, blank=True, related_name="tickets",
        verbose_name=_("category"),
    )
    title = models.CharField(_("title"), max_length=200)
    description = models.TextField(_("description"))
    urgency = models.CharField(_("urgency"), max_length=10, choices=Scale.choices, default=Scale.MEDIUM)
    impact = models.CharField(_("impact"), max_length=10, choices=Scale.choices, default=Scale.MEDIUM)
    priority = models.CharField(_("priority"), max_length=2, choices=Priority.choices, default=Priority.P3)
    priority_overridden = models.BooleanField(_("priority overridden by an agent"), default=False)
    level = models.CharField(_("support level"), max_length=2, choices=Level.choices, default=Level.N1)
    status = FSMField(
        _("status"), max_length=20, choices=Status.choices, default=Status.NEW, protected=True
    )
    requester = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="requested_tickets",
        verbose_name=_("requester"),
    )
    organisation = models.ForeignKey(
        Organisation, on_delete=models.SET_NULL, null=True, blank=True, related_name="tickets",
        verbose_name=_("organisation"),
    )
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
        related_name="assigned_tickets", verbose_name=_("assigned agent"),
    )
    solution = models.TextField(_("solution"), blank=True)
    root_cause = models.TextField(_("root cause"), blank=True)
    parent = models.ForeignKey(
        "self", on_delete=models.SET_NULL, null=True, blank=True, related_name="follow_on_tickets",
        verbose_name=_("follows closed ticket"),
    )
    reopen_count = models.PositiveIntegerField(_("times reopened"), default=0)
    sla_state = models.CharField(_("SLA state"), max_length=10, choices=SlaState.choices,
                                 default=SlaState.ON_TIME)
    is_recurring = models.BooleanField(
        _("recurring problem"), default=False,
        help_text=_("Set by the escalation rule when a requester reports the same kind of problem again."),
    )
    participants = models.ManyToManyField(
        settings.AUTH_USER_MODEL, blank=True, related_name="participating_tickets",
        verbose_name=_("participants"), help_text=_("Agents who follow the ticket and receive its notifications."),
    )
    # Time spent in each phase of the template, for the dashboard's bands (see services._rows.track_phase).
    current_phase = models.CharField(_("phase"), max_length=12, choices=Phase.choices, default=Phase.RECEPTION)
    phase_started_at = models.DateTimeField(null=True, blank=True)
    reception_seconds = models.PositiveIntegerField(default=0)
    diagnostic_seconds = models.PositiveIntegerField(default=0)
    resolution_seconds = models.PositiveIntegerField(default=0)
    closure_seconds = models.PositiveIntegerField(default=0)
    # Bumped by every service that changes the ticket: forms carry it so a stale form is refused.
    version = models.PositiveIntegerField(default=1, editable=False)

    created_at = models.DateTimeField(_("created at"), default=timezone.now, editable=False)
    updated_at = models.DateTimeField(_("updated at"), default=timezone.now)
    first_response_at = models.DateTimeField(_("first response at"), null=True, blank=True)
    waiting_since = models.DateTimeField(_("waiting since"), null=True, blank=True)
    resolved_at = models.DateTimeField(_("resolved at"), null=True, blank=True)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    # Deadlines are set by the sla app through tickets.services; indexed for the beat sweeps.
    response_due_at = models.DateTimeField(_("response due at"), null=True, blank=True, db_index=True)
    resolution_due_at = models.DateTimeField(_("resolution due at"), null=True, blank=True, db_index=True)

    objects = TicketQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("ticket")
        verbose_name_plural = _("tickets")
        indexes = [
            # Requester portal: "my tickets, newest first".
            models.Index(fields=["requester", "-created_at"], name="ticket_requester_created"),
            # Agent queue: open tickets by status, then newest; and the assignee's own queue.
            models.Index(fields=["status", "-created_at"], name="ticket_status_created"),
            models.Index(fields=["assignee", "status"], name="ticket_assignee_status"),
            # Auto-close sweep: resolved tickets by resolution time.
            models.Index(fields=["status", "resolved_at"], name="ticket_status_resolved"),
            # Stalled-diagnostic sweep (escalation) and "sort by last update" in the queue.
            models.Index(fields=["status", "updated_at"], name="ticket_status_updated"),
            # Queue filters that combine with the open statuses.
            models.Index(fields=["status", "sla_state", "-created_at"], name="ticket_status_sla"),
            models.Index(fields=["status", "priority", "-created_at"], name="ticket_status_priority"),
            models.Index(fields=["status", "level", "-created_at"], name="ticket_status_level"),
            # Agent queue (tickets.queue), open tickets only: a few percent of the rows, so small and
            # cheap to keep. `status IN (open) ORDER BY created_at DESC, id DESC LIMIT 26` (the default
            # queue, its keyset pages and every filter that keeps the open statuses) reads the first
            # rows of this index instead of sorting all open tickets; an IN list on the leading
            # column of ticket_status_created cannot give that order.
            models.Index(fields=["-created_at", "-id"], condition=Q(status__in=OPEN_STATUSES),
                         name="ticket_open_created"),
            # Agent queue sorted by deadline: `status IN (open) ORDER BY resolution_due_at ASC NULLS
            # LAST, id LIMIT 26` (a B-tree ascending order puts NULLs last, as the queue does).
            models.Index(fields=["resolution_due_at", "id"], condition=Q(status__in=OPEN_STATUSES),
                         name="ticket_open_deadline"),
            # Agent queue, "Unassigned" view: `assignee_id IS NULL AND status IN (open) ORDER BY
            # created_at DESC, id DESC LIMIT 26`. The planner takes unassigned for rare (NULL is rare
            # over all tickets) and picked a bitmap of every unassigned open ticket plus a sort.
            models.Index(fields=["-created_at", "-id"], condition=Q(status__in=OPEN_STATUSES, assignee__isnull=True),
                         name="ticket_open_unassigned"),
            # Agent queue search by requester: `requester_id = ANY(ARRAY(matching users)) AND status IN
            # (open)`, the requester branch of the search's BitmapOr (tickets.queue.filter_search).
            models.Index(fields=["requester"], condition=Q(status__in=OPEN_STATUSES), name="ticket_open_requester"),
        ]

    def __str__(self) -> str:
        return f"{self.reference} – {self.title}"

    def get_absolute_url(self) -> str:
        return reverse("tickets:detail", args=[self.reference])

    def get_agent_url(self) -> str:
        return reverse("agent:ticket", args=[self.reference])

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES

    @property
    def phase(self) -> str:
        if self.status == Status.NEW:
            return Phase.RECEPTION
        if self.status in (Status.IN_PROGRESS, Status.WAITING):
            return Phase.RESOLUTION if self.root_cause.strip() else Phase.DIAGNOSTIC
        return Phase.CLOSURE

    def get_phase_display(self) -> str:
        return Phase(self.phase).label

    # --- The state machine. Transitions only move the status; services do the rest.

    @transition(field=status, source=Status.NEW, target=Status.IN_PROGRESS,
                conditions=[_is_qualified], permission=_is_agent)
    def take(self) -> None:
        """Qualify and take: counts as the first response."""

    @transition(field=status, source=Status.IN_PROGRESS, target=Status.WAITING, permission=_is_agent)
    def wait(self) -> None:
        """Wait for the requester or a third party; the resolution clock pauses."""

    @transition(field=status, source=Status.WAITING, target=Status.IN_PROGRESS,
                permission=_is_agent_or_requester)
    def resume(self) -> None:
        """Back to work; the clock resumes."""

    @transition(field=status, source=Status.IN_PROGRESS, target=Status.RESOLVED,
                conditions=[_has_solution], permission=_is_assignee)
    def resolve(self) -> None:
        """A documented solution; the requester is informed."""

    @transition(field=status, source=Status.RESOLVED, target=Status.IN_PROGRESS,
                permission=_is_agent_or_requester)
    def reopen(self) -> None:
        """The solution is rejected; counted for the reopening rate."""

    @transition(field=status, source=Status.RESOLVED, target=Status.CLOSED, permission=_is_requester)
    def close(self) -> None:
        """The requester confirms (the auto-close job closes as the system, without a user)."""

    @transition(field=status, source=Status.IN_PROGRESS, target=Status.IN_PROGRESS,
                conditions=[_below_top_level], permission=_is_agent)
    def escalate(self) -> None:
        """The level goes up; the status stays."""

    @transition(field=status, source=[Status.NEW, Status.IN_PROGRESS, Status.WAITING], target=Status.CLOSED,
                permission=_is_agent)
    def merge(self) -> None:
        """A duplicate is closed into the ticket it duplicates (its followups are copied there)."""


class ChecklistItem(models.Model):
    """An agent ticked (or unticked) a deliverable of the template's checklist on a ticket.
    Items the system knows are computed (tickets.checklists) and never stored here."""

    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="checklist_items")
    code = models.CharField(max_length=40)
    done_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+")
    done_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("checklist item")
        verbose_name_plural = _("checklist items")
        constraints = [models.UniqueConstraint(fields=["ticket", "code"], name="checklist_item_once")]

    def __str__(self) -> str:
        return f"{self.ticket_id} {self.code}"


class LinkKind(models.TextChoices):
    RELATES = "relates", _("related to")
    DUPLICATE_OF = "duplicate_of", _("duplicate of")


class TicketLink(models.Model):
    """`source` relates to, or duplicates, `target`. Shown on both tickets."""

    source = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="links_out")
    target = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="links_in")
    kind = models.CharField(max_length=15, choices=LinkKind.choices)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("ticket link")
        verbose_name_plural = _("ticket links")
        constraints = [
            models.UniqueConstraint(fields=["source", "target"], name="ticket_link_once"),
            models.CheckConstraint(condition=~models.Q(source=models.F("target")), name="ticket_link_not_self"),
        ]

    def __str__(self) -> str:
        return f"{self.source_id} {self.kind} {self.target_id}"


class CannedReply(models.Model):
    """A ready-made answer agents insert into a reply; managed by managers."""

    title = models.CharField(_("title"), max_length=120, unique=True)
    body = models.TextField(_("text"))
    is_active = models.BooleanField(_("active"), default=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["title"]
        verbose_name = _("canned reply")
        verbose_name_plural = _("canned replies")

    def __str__(self) -> str:
        return self.title


class Survey(models.Model):
    """The satisfaction survey of a closed ticket: sent once, answered once (1–5 and a comment)."""

    ticket = models.OneToOneField(Ticket, on_delete=models.CASCADE, related_name="survey")
    sent_at = models.DateTimeField(_("sent at"), default=timezone.now)
    score = models.PositiveSmallIntegerField(
        _("score"), null=True, blank=True,
        validators=[MinValueValidator(1), MaxValueValidator(5)],
    )
    comment = models.TextField(_("comment"), blank=True)
    answered_at = models.DateTimeField(_("answered at"), null=True, blank=True, db_index=True)

    class Meta:
        verbose_name = _("satisfaction survey")
        verbose_name_plural = _("satisfaction surveys")
        constraints = [
            models.CheckConstraint(condition=models.Q(score__isnull=True) | models.Q(score__gte=1, score__lte=5),
                                   name="survey_score_1_to_5"),
        ]

    def __str__(self) -> str:
        return f"{self.ticket_id}: {self.score or '—'}"


class InboundStatus(models.TextChoices):
    CREATED = "created", _("Ticket created")
    FOLLOWUP = "followup", _("Added to a ticket")
    UNMATCHED = "unmatched", _("To review")
    HANDLED = "handled", _("Handled by an agent")


class InboundEmail(models.Model):
    """Every message received on the support address, kept whatever became of it: nothing is lost.
    Message-ID is unique, so a message delivered twice (webhook retry, IMAP re-poll) counts once."""

    message_id = models.CharField(max_length=500, unique=True)
    from_address = models.EmailField(_("from"), max_length=254)
    subject = models.CharField(_("subject"), max_length=500, blank=True)
    body = models.TextField(_("text"), blank=True)
    received_at = models.DateTimeField(_("received at"), default=timezone.now, db_index=True)
    status = models.CharField(_("status"), max_length=10, choices=InboundStatus.choices, db_index=True)
    ticket = models.ForeignKey(Ticket, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    note = models.CharField(_("why"), max_length=300, blank=True)
    raw = models.BinaryField(editable=False)

    class Meta:
        ordering = ["-received_at", "-id"]
        verbose_name = _("inbound email")
        verbose_name_plural = _("inbound emails")

    def __str__(self) -> str:
        return f"{self.from_address}: {self.subject}"


class SavedView(models.Model):
    """An agent's named queue filter: the query string of /agent/ they want back in one click."""

    agent = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="saved_views")
    name = models.CharField(_("name"), max_length=60)
    query = models.CharField(_("filters"), max_length=2000, blank=True)
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering = ["name"]
        verbose_name = _("saved view")
        verbose_name_plural = _("saved views")
        constraints = [models.UniqueConstraint(fields=["agent", "name"], name="saved_view_unique_name")]

    def __str__(self) -> str:
        return self.name


class Followup(models.Model):
    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="followups")
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("author")
    )
    body = models.TextField(_("message"))
    is_public = models.BooleanField(
        _("public"), default=True, help_text=_("Public replies are shown and emailed to the requester.")
    )
    created_at = models.DateTimeField(_("created at"), default=timezone.now, editable=False)

    class Meta:
        ordering = ["created_at", "id"]
        verbose_name = _("followup")
        verbose_name_plural = _("followups")
        indexes = [models.Index(fields=["ticket", "created_at"], name="followup_ticket_created")]

    def __str__(self) -> str:
        return f"{self.ticket.reference} #{self.pk}"


def attachment_path(instance: Attachment, filename: str) -> str:
    # A random name on disk: the original name is kept in the row and never used as a path.
    import uuid

    return f"attachments/{timezone.now():%Y/%m}/{uuid.uuid4().hex}"


class Attachment(models.Model):
    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="attachments")
    followup = models.ForeignKey(
        Followup, on_delete=models.CASCADE, null=True, blank=True, related_name="attachments"
    )
    file = models.FileField(upload_to=attachment_path, max_length=200)
    original_name = models.CharField(_("file name"), max_length=255)
    content_type = models.CharField(max_length=100)
    size = models.PositiveIntegerField(_("size"))
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering = ["created_at", "id"]
        verbose_name = _("attachment")
        verbose_name_plural = _("attachments")

    def __str__(self) -> str:
        return self.original_name

    def get_absolute_url(self) -> str:
        return reverse("tickets:attachment", args=[self.ticket.reference, self.pk])

    @property
    def is_public(self) -> bool:
        return self.followup_id is None or self.followup.is_public


class EventKind(models.TextChoices):
    CREATED = "created", _("Ticket created")
    TRANSITION = "transition", _("Status changed")
    ASSIGNED = "assigned", _("Assigned")
    PRIORITY_CHANGED = "priority_changed", _("Priority changed")
    LEVEL_CHANGED = "level_changed", _("Level changed")
    FOLLOWUP = "followup", _("Reply")
    NOTE = "note", _("Private note")
    SOLUTION = "solution", _("Solution")
    SLA = "sla", _("SLA")
    ESCALATION = "escalation", _("Escalation")
    SURVEY = "survey", _("Satisfaction survey")
    LINKED = "linked", _("Linked ticket")
    PARTICIPANTS = "participants", _("Participants")
    CHECKLIST = "checklist", _("Checklist")
    ROOT_CAUSE = "root_cause", _("Root cause")
    FLAGGED = "flagged", _("Flagged")
    NOTIFICATION = "notification", _("Notification sent")
    INCIDENT = "incident", _("Major incident")


class TicketEventQuerySet(models.QuerySet):
    def public(self) -> TicketEventQuerySet:
        return self.filter(is_public=True)


class TicketEventManager(models.Manager.from_queryset(TicketEventQuerySet)):
    """The one way to write history, for one event or many (as Django's LogEntry.objects.log_actions):
    services call it inside their transaction."""

    def record_many(self, rows: Iterable[tuple[Ticket, str, dict]], *, actor=None, public: bool = True,
                    followup: Followup | None = None, now=None) -> list[TicketEvent]:
        """One INSERT for the (ticket, kind, data) rows; the events, in the order of `rows`."""
        actor = actor if getattr(actor, "pk", None) else None
        now = now or timezone.now()
        events = insert_rows([
            TicketEvent(ticket=ticket, kind=kind, actor=actor, is_public=public, data=data or {},
                        followup=followup, created_at=now)
            for ticket, kind, data in rows
        ])
        if events:
            events_recorded.send(sender=TicketEvent, events=events)
        return events

    def record(self, *, ticket: Ticket, kind: str, actor=None, public: bool = True,
               data: dict | None = None, followup: Followup | None = None) -> TicketEvent:
        return self.record_many([(ticket, kind, data or {})], actor=actor, public=public, followup=followup)[0]


class TicketEvent(models.Model):
    """Append-only history of a ticket: its timeline. Rows are never updated nor deleted."""

    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="events")
    kind = models.CharField(_("kind"), max_length=20, choices=EventKind.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+",
        verbose_name=_("by"),
    )
    is_public = models.BooleanField(_("visible to the requester"), default=True)
    data = models.JSONField(default=dict, blank=True)
    followup = models.ForeignKey(Followup, on_delete=models.CASCADE, null=True, blank=True, related_name="+")
    created_at = models.DateTimeField(_("at"), default=timezone.now, editable=False)

    objects = TicketEventManager()

    class Meta:
        ordering = ["created_at", "id"]
        verbose_name = _("history event")
        verbose_name_plural = _("history events")
        indexes = [models.Index(fields=["ticket", "created_at"], name="event_ticket_created")]

    def __str__(self) -> str:
        return f"{self.ticket_id} {self.kind} {self.created_at:%Y-%m-%d %H:%M}"

    def save(self, *args, **kwargs) -> None:
        if self.pk is not None and not kwargs.get("force_insert"):
            raise ValueError("Ticket history is append-only.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise ValueError("Ticket history is append-only.")


class Notification(models.Model):
    """An email owed to someone, written in the same transaction as its cause (an outbox).

    The task that sends it claims it by a conditional update, so a retried or duplicated task
    never sends twice, and a broker outage loses nothing: a beat job re-enqueues the unsent.
    """

    event = models.ForeignKey(TicketEvent, on_delete=models.CASCADE, related_name="notifications")
    recipient = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    template = models.CharField(max_length=60)
    created_at = models.DateTimeField(default=timezone.now)
    claimed_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True, db_index=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    last_error = models.TextField(blank=True)

    class Meta:
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")
        constraints = [
            models.UniqueConstraint(fields=["event", "recipient", "template"], name="notification_once")
        ]

    def __str__(self) -> str:
        return f"{self.template} → {self.recipient_id}"
