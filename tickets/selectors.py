"""Reads: each returns what a page needs in a fixed number of queries (docs/architecture.md, "Reads")."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.db.models import Prefetch, Q, QuerySet, prefetch_related_objects
from django.http import Http404

from accounts.roles import is_agent
from accounts.selectors import AGENTS, ORGANISATIONS, agent_list, agent_queryset, organisations
from core.cache import by_pk, reference
from core.cache import enabled as cache_enabled
from core.db import object_compiled_once, objects_compiled_for_ids, objects_compiled_once

from .models import Attachment, Category, Ticket, TicketEvent

User = get_user_model()


def get_ticket_for(user, reference: str, *, for_update: bool = False) -> Ticket:
    """The ticket with this reference if `user` may see it; a 404 otherwise (never a 403, so a
    requester cannot even learn that a reference exists)."""
    if not user.is_authenticated:
        raise Http404
    # The statement is the same for every ticket but the reference, compiled once per connection (compiling this
    # join cost more than the database's answer, on every ticket page and action), the reference beside the text
    # (bound): one prepared statement for every ticket and person, where PostgreSQL planned the join of six tables
    # anew for each ticket (and, for a requester, each person: their id and organisation were in the text), 3.2–3.6
    # ms against 0.3–0.5 to run it (bench/RESULTS.md, issue 16, session 21). A lookup by a unique key: the generic
    # plan is the plan for any reference. Who may see it is then asked of the ticket (Ticket.is_visible_to, what
    # TicketQuerySet.visible_to asks of the rows).
    ticket = object_compiled_once("tickets.ticket_by_reference", _ticket_by_reference, reference, bound=True)
    if ticket is None or not ticket.is_visible_to(user):
        raise Http404
    return ticket


def _ticket_by_reference(reference: str) -> QuerySet[Ticket]:
    return (Ticket.objects.select_related("requester", "assignee", "category__parent", "organisation", "parent")
            .filter(reference=reference).order_by("pk")[:1])


def get_attachment_for(user, reference: str, attachment_id: int) -> Attachment:
    ticket = get_ticket_for(user, reference)
    attachment = (
        Attachment.objects.select_related("followup").filter(ticket=ticket, pk=attachment_id).first()
    )
    if attachment is None or (not is_agent(user) and not attachment.is_public):
        raise Http404
    return attachment


def ticket_timeline(*, ticket: Ticket, user, latest: int | None = None) -> list[TicketEvent]:
    """The ticket's history as shown to `user`, oldest first: requesters see public events only; a
    followup's attachments in `event.followup.files`.

    With `latest`, only the last `latest` events plus one: a list longer than `latest` tells the caller
    that earlier events exist (it shows the last `latest`). Read by the (ticket, created_at) index, so a
    long-lived ticket costs the same as a new one.
    """
    agent = is_agent(user)

    def events_of(ticket_id: int) -> QuerySet[TicketEvent]:
        events = TicketEvent.objects.filter(ticket_id=ticket_id).select_related("actor", "followup")
        if not agent:
            events = events.filter(is_public=True)
        if latest is None:
            return events.order_by("created_at", "id")
        return events.order_by("-created_at", "-id")[: latest + 1]

    # Compiled once per connection for each audience and length (core.db): every ticket page reads it.
    events = objects_compiled_once(f"tickets.timeline:{'agent' if agent else 'public'}:{latest}", events_of,
                                   ticket.pk, bound=True)
    if latest is not None:
        events.reverse()
    followups = []
    for event in events:
        event.ticket = ticket  # as ticket.events would leave it: no query to read it
        if event.followup is not None:
            followups.append(event.followup)
    # Each followup's attachments as a list, `followup.files` (to_attr): Django's related-manager cache built a
    # manager and a queryset per followup, 4.8 of 10.4 ms for the workspace's latest 50 (issue 16, session 15).
    prefetch_related_objects(followups, Prefetch("attachments", queryset=Attachment.objects.order_by("id"),
                                                 to_attr="files"))
    for followup in followups:
        for attachment in followup.files:
            # Attachment.get_absolute_url reads ticket.reference: without this, one query per file.
            attachment.ticket = ticket
    return events


def _ticket_files(ticket_id: int) -> QuerySet[Attachment]:
    return Attachment.objects.filter(ticket_id=ticket_id, followup__isnull=True).order_by("id")


def ticket_attachments(*, ticket: Ticket, user) -> list[Attachment]:
    """Attachments of the ticket itself (not of followups), for the description block (compiled once per
    connection: every ticket page reads them)."""
    attachments = objects_compiled_once("tickets.ticket_files", _ticket_files, ticket.pk, bound=True)
    for attachment in attachments:
        attachment.ticket = ticket  # get_absolute_url reads its reference
    return attachments


def agents() -> QuerySet:
    return agent_queryset()


def category_choices() -> QuerySet[Category]:
    return Category.objects.filter(is_active=True).select_related("parent__parent")


CATEGORIES = "tickets.categories"


def all_categories() -> list[Category]:
    """Every category, active or not, parents and grandparents loaded (full_name without a query), in their
    order, from the reference cache (core.cache; tickets.receivers gives it a new version when a category
    is saved or deleted). Shared by the process's requests: read them, never change them."""
    return reference(CATEGORIES, lambda: list(Category.objects.select_related("parent__parent")))


def active_categories() -> list[Category]:
    """The active ones of all_categories(): what a form offers."""
    return [category for category in all_categories() if category.is_active]


# The columns the queue's table shows (tickets.templatetags.rows.queue_row): the page reads only these (and
# its sort's keys, tickets.queue.queue_page), not five whole models per row (bench/RESULTS.md, issue 16, session 6):
# its own, and its requester's name. The category's name, the organisation's VIP flag and the assignee's name come
# from the reference cache by id (queue_table_rows): PostgreSQL planned the join of five tables in 3 ms, six times
# as long as it took to run it, and it plans most of the queue's statements (their values differ: filters, cursor,
# agent); one join, 0.7 ms (bench/RESULTS.md, issue 16, session 21).
QUEUE_TABLE_COLUMNS = (
    "reference", "priority", "title", "status", "level", "is_recurring", "created_at",
    "requester__first_name", "requester__last_name", "requester__username",
    "category", "organisation", "assignee",
)
# What a row names by id and reads from the reference cache; joined when the cache is off (core.cache.enabled: each
# read of it would then be a query of its own).
QUEUE_TABLE_REFERENCES = {
    "category": (CATEGORIES, all_categories, ("category__name",)),
    "organisation": (ORGANISATIONS, organisations, ("organisation__is_vip",)),
    "assignee": (AGENTS, agent_list, ("assignee__first_name", "assignee__last_name", "assignee__username")),
}


def ticket_queue_for_agent(*, agent, filters, filterset=None, table: bool = False) -> QuerySet[Ticket]:
    """The agent queue's rows for these GET parameters (see tickets.queue): open tickets unless a
    status is asked for, with what the table shows joined or prefetched (fixed query count). A page that
    has built the QueueFilter of these parameters for its form passes it: building one costs 3 ms. With
    `table`, only the columns the queue's table shows are read (QUEUE_TABLE_COLUMNS): the rows are then for that
    table only, and `queue_table_rows` completes them once the page's rows are known (what they name by id, their
    SLA clocks)."""
    from .queue import QueueFilter

    if filterset is None:
        filterset = QueueFilter(filters or None, agent=agent, queryset=Ticket.objects.all())
    if table:
        if cache_enabled():
            return filterset.qs.select_related("requester").only(*QUEUE_TABLE_COLUMNS)
        joined = [column for _name, _load, columns in QUEUE_TABLE_REFERENCES.values() for column in columns]
        return (filterset.qs.select_related("requester", *QUEUE_TABLE_REFERENCES)
                .only(*QUEUE_TABLE_COLUMNS, *joined))
    # "sla_clocks" is the sla app's reverse relation: one extra query per page, read by sla_tags.
    return filterset.qs.select_related("requester", "assignee", "category", "organisation").prefetch_related(
        "sla_clocks")


def queue_table_rows(tickets: list[Ticket]) -> list[Ticket]:
    """The queue table's rows (`ticket_queue_for_agent(table=True)`) completed: their category, organisation and
    assignee from the reference cache by id (one read of what was not there: an assignee who no longer works
    tickets), unless joined already; their SLA clocks (`queue_table_clocks`)."""
    for name, (reference_name, load, _columns) in QUEUE_TABLE_REFERENCES.items():
        field = Ticket._meta.get_field(name)
        unset = [ticket for ticket in tickets if not field.is_cached(ticket)]  # none when joined
        ids = {getattr(ticket, field.attname) for ticket in unset} - {None}
        known = by_pk(reference_name, load) if ids else {}
        missing = ids - known.keys()
        if missing:
            known = {**known, **field.related_model._default_manager.in_bulk(missing)}
        for ticket in unset:
            # None as well for one deleted since the page's statement read its id: the row shows none.
            field.set_cached_value(ticket, known.get(getattr(ticket, field.attname)))
    return queue_table_clocks(tickets)


def queue_table_clocks(tickets: list[Ticket]) -> list[Ticket]:
    """The SLA clocks of the queue table's rows (`ticket_queue_for_agent(table=True)`), with the columns the sla
    app's cell reads (tickets.panels), in one statement, set as each ticket's prefetched `sla_clocks`: a list,
    not a queryset (the table's rows only read them). prefetch_related("sla_clocks") does the same with a
    related queryset built per ticket, a fifth of the page's read in Python (bench/RESULTS.md, issue 16,
    session 7)."""
    from .panels import queue_sla_columns

    by_ticket: dict[int, list] = {ticket.pk: [] for ticket in tickets}

    def clocks(ids: list[int]) -> QuerySet:
        related = Ticket._meta.get_field("sla_clocks").related_model
        columns = queue_sla_columns()
        found = related.objects.filter(ticket_id__in=ids)
        return found.only(*columns) if columns else found

    # Compiled once per connection and number of rows, the ids beside the text (core.db): one prepared statement
    # for every page of that length.
    for clock in objects_compiled_for_ids("tickets.queue_clocks", clocks, list(by_ticket), bound=True):
        by_ticket[clock.ticket_id].append(clock)
    for ticket in tickets:
        ticket._prefetched_objects_cache = {"sla_clocks": by_ticket[ticket.pk]}
    return tickets


RECENT_TICKETS = 5


def _recent_of(requester_id: int) -> QuerySet[Ticket]:
    return (Ticket.objects.filter(requester_id=requester_id)
            .only("reference", "title", "status", "priority", "created_at").order_by("-created_at")[:RECENT_TICKETS + 1])


def requester_recent_tickets(*, ticket: Ticket) -> list[Ticket]:
    """The requester's other tickets, newest first (the (requester, -created_at) index): their newest six, the
    ticket itself left out (one value, so the statement is compiled once per connection, core.db)."""
    recent = objects_compiled_once("tickets.requester_recent", _recent_of, ticket.requester_id, bound=True)
    return [other for other in recent if other.pk != ticket.pk][:RECENT_TICKETS]


def ticket_links(*, ticket: Ticket) -> list[dict]:
    """Links in both directions, as (kind label, other ticket, outgoing) rows."""
    from .models import TicketLink

    # One statement for both directions, with the columns the workspace shows of the other ticket, compiled once
    # per connection (core.db: the ticket's key is its one value, twice).
    shown = ("reference", "title", "status")

    def links_of(ticket_id: int) -> QuerySet:
        return (TicketLink.objects.filter(Q(source_id=ticket_id) | Q(target_id=ticket_id))
                .select_related("source", "target")
                .only("kind", *(f"{side}__{name}" for side in ("source", "target") for name in shown)).order_by("id"))

    links = objects_compiled_once("tickets.links", links_of, ticket.pk, bound=True)
    rows = [{"kind": link.get_kind_display(), "other": link.target, "outgoing": True}
            for link in links if link.source_id == ticket.pk]
    rows += [{"kind": link.get_kind_display(), "other": link.source, "outgoing": False}
             for link in links if link.source_id != ticket.pk]
    return rows


def canned_replies():
    from .models import CannedReply

    return CannedReply.objects.filter(is_active=True).only("title", "body")
