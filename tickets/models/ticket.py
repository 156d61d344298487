"""The ticket and its state machine, its category tree, reference sequence, checklist and links."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_fsm import ConcurrentTransitionMixin, FSMField, transition

from accounts.models import Organisation
from accounts.roles import Level, group_names, is_agent
from core.fsm import ThreadSafeRefreshMixin

from .choices import (
    ACTIVE_STATUSES,
    OPEN_STATUSES,
    Channel,
    LinkKind,
    Phase,
    Priority,
    Scale,
    SlaState,
    Status,
    TicketType,
)


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
    """One row per year: the last number given. SQLite allocates references from it, its row lock
    serialising them (services.allocate_reference); PostgreSQL from a sequence per year
    (`tickets_reference_YYYY`, lifecycle.new_reference), which starts after this row's number."""

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


def _shared_organisation_id(user) -> int | None:
    """The requester's organisation, where it shares its tickets among its people; else None."""
    profile = getattr(user, "profile", None) if hasattr(user, "profile") else None
    if profile is not None and profile.organisation_id and profile.organisation.share_tickets:
        return profile.organisation_id
    return None


class TicketQuerySet(models.QuerySet):
    def visible_to(self, user) -> TicketQuerySet:
        """Agents see every ticket; a requester their own, and their organisation's where it shares
        (Ticket.is_visible_to says it of one ticket)."""
        if not user.is_authenticated:
            return self.none()
        if is_agent(user):
            return self
        condition = Q(requester_id=user.pk)
        organisation_id = _shared_organisation_id(user)
        if organisation_id is not None:
            condition |= Q(organisation_id=organisation_id)
        return self.filter(condition)

    def open(self) -> TicketQuerySet:
        return self.filter(status__in=OPEN_STATUSES)


class Ticket(ThreadSafeRefreshMixin, ConcurrentTransitionMixin, models.Model):
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
    # The three foreign keys below have no index of their own: each is the first column of composite
    # indexes (Meta.indexes) that serve its lookups, and every index costs each write of a ticket.
    requester = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="requested_tickets",
        verbose_name=_("requester"), db_index=False,
    )
    organisation = models.ForeignKey(
        Organisation, on_delete=models.SET_NULL, null=True, blank=True, related_name="tickets",
        verbose_name=_("organisation"), db_index=False,
    )
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
        related_name="assigned_tickets", verbose_name=_("assigned agent"), db_index=False,
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
            # Requester portal: "my tickets, newest first" and "my organisation's, newest first", each read
            # from its cursor by one index range scan (tickets.portal: two scans merged, not an OR).
            models.Index(fields=["requester", "-created_at", "-id"], name="ticket_requester_keyset"),
            models.Index(fields=["organisation", "-created_at", "-id"], name="ticket_organisation_keyset"),
            # Its default tab, the tickets under way (open, or resolved awaiting confirmation): the same two
            # orders over those rows only, so a requester with 100,000 closed tickets and 3 open ones reads 3
            # index entries instead of filtering 100,000 (a few percent of the rows: small to keep).
            models.Index(fields=["requester", "-created_at", "-id"], condition=Q(status__in=ACTIVE_STATUSES),
                         name="ticket_requester_active"),
            # It includes the status, level and priority for the dashboard's backlog of one organisation
            # (dashboard.metrics.backlog), an index-only scan of it: it was a bitmap AND of this index with
            # every open ticket's entry in ticket_open_requester, then the heap (25 ms at 1 M, against 1).
            models.Index(fields=["organisation", "-created_at", "-id"], include=["status", "level", "priority"],
                         condition=Q(status__in=ACTIVE_STATUSES), name="ticket_organisation_active"),
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
            # The same order for the queue filters that the open tickets' newest rows rarely match: the
            # priority (P1 is a few percent of the open tickets), the assignee ("Mine": one agent's share)
            # and a breached SLA (the newest tickets are not breached yet). From ticket_open_created their
            # pages passed over hundreds to thousands of entries for 26 rows (5,401 for "breached" once a
            # bench run's submissions were the newest: 12 ms); each reads 26 here. The breached tickets'
            # index is partial on the state too: with the state as a column, PostgreSQL still preferred
            # ticket_open_created, which it takes for 70 % breached throughout.
            models.Index(fields=["priority", "-created_at", "-id"], include=["status", "level"],
                         condition=Q(status__in=OPEN_STATUSES), name="ticket_open_priority"),
            models.Index(fields=["assignee", "-created_at", "-id"], condition=Q(status__in=OPEN_STATUSES),
                         name="ticket_open_assignee"),
            models.Index(fields=["-created_at", "-id"], condition=Q(status__in=OPEN_STATUSES, sla_state=SlaState.BREACHED),
                         name="ticket_open_breached"),
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
            # Storm detection (storms app): every ticket of the last hours, whatever its status, by
            # `created_at` range; without it PostgreSQL walked ticket_requester_created (90 ms at 1 M).
            models.Index(fields=["created_at"], name="ticket_created"),
            # The recurring rule (escalation.services._recent_in_category), on every submission: the
            # requester's and the organisation's tickets of one category in the last days, each one range.
            models.Index(fields=["requester", "category", "created_at"], name="ticket_requester_category"),
            models.Index(fields=["organisation", "category", "created_at"], name="ticket_organisation_category"),
        ]

    def __str__(self) -> str:
        return f"{self.reference} – {self.title}"

    def get_absolute_url(self) -> str:
        return reverse("tickets:detail", args=[self.reference])

    def get_agent_url(self) -> str:
        return reverse("agent:ticket", args=[self.reference])

    def is_visible_to(self, user) -> bool:
        """Whether TicketQuerySet.visible_to(user) holds this ticket."""
        if not user.is_authenticated:
            return False
        if is_agent(user) or self.requester_id == user.pk:
            return True
        organisation_id = _shared_organisation_id(user)
        return organisation_id is not None and self.organisation_id == organisation_id

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

    # Transitions whose guard checks what their own form collects (take: type and category; resolve: the
    # solution). Checked against the ticket as stored, the guard would hide the only form that can satisfy
    # it, so for these the button follows source and permission; the service re-checks the guard on submit.
    FORM_SUPPLIED_GUARDS = frozenset({"take", "resolve"})

    def transitions_offered(self, user) -> set[str]:
        """The status moves to offer `user` on the workspace: what the guards and permissions allow now,
        plus the FORM_SUPPLIED_GUARDS ones allowed from this status for this user, plus "resolve" for an
        agent who may take the ticket over (services.ticket_resolve assigns them first)."""
        names = {t.name for t in self.get_available_user_status_transitions(user)}
        for move in self.get_all_status_transitions():
            if move.name in self.FORM_SUPPLIED_GUARDS and move.source == self.status and move.has_perm(self, user):
                names.add(move.name)
        if self.status == Status.IN_PROGRESS and can_take_over(self, user):
            names.add("resolve")
        return names


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
