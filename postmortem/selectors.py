"""Reads of the postmortem app: access helpers (404 for whoever may not see), the war-room timeline
and the list. Each returns what a page needs in a fixed number of queries (docs/architecture.md, "Reads")."""

from __future__ import annotations

import html
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from django.contrib.auth import get_user_model
from django.db.models import Count, Exists, OuterRef, Q, QuerySet, Subquery
from django.http import Http404
from django.utils import timezone
from django.utils.html import format_html, strip_tags
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from accounts.roles import AGENT_GROUPS, MANAGER_GROUP, is_agent
from core.db import object_compiled_once
from core.keyset import KeysetPage, capped_count, keyset_page
from tickets.models import EventKind, TicketEvent
from tickets.templatetags.ticket_tags import actor_name, describe_event, event_detail

from .models import (
    CorrectiveAction,
    IncidentEntry,
    IncidentFollower,
    IncidentState,
    IncidentStatusUpdate,
    LinkedTicket,
    MajorIncident,
    Postmortem,
    PostmortemState,
)

User = get_user_model()


def get_incident_for(user, pk: int) -> MajorIncident:
    """The incident if `user` is an agent (agents and managers see every incident); 404 otherwise."""
    if not is_agent(user):
        raise Http404
    incident = (
        MajorIncident.objects.select_related("ticket__assignee", "ticket__requester", "ticket__category",
                                             "declared_by", "postmortem__owner")
        .filter(pk=pk)
        .first()
    )
    if incident is None:
        raise Http404
    return incident


def get_followed_incident_for(user, pk: int) -> MajorIncident:
    """The incident's status page: for an agent, or a requester who follows it ("me too"); 404 otherwise."""
    queryset = MajorIncident.objects.select_related("ticket__category")
    if not is_agent(user):
        if not user.is_authenticated:
            raise Http404
        queryset = queryset.filter(followers__user=user)
    incident = queryset.filter(pk=pk).first()
    if incident is None:
        raise Http404
    return incident


def follow_count(*, start, end) -> int:
    """How many requesters followed an incident instead of filing a ticket between `start` and `end`."""
    return IncidentFollower.objects.filter(created_at__gte=start, created_at__lt=end).count()


def get_postmortem_for(user, pk: int, *, write: bool = False) -> Postmortem:
    """Agents see every postmortem; a requester only a published one shared with them or their
    organisation, read-only (`write` refuses them). 404 otherwise, never a 403."""
    queryset = Postmortem.objects.select_related("incident__ticket", "owner")
    if is_agent(user):
        postmortem = queryset.filter(pk=pk).first()
    elif user.is_authenticated and not write:
        postmortem = queryset.shared_with(user).filter(pk=pk).first()
    else:
        postmortem = None
    if postmortem is None:
        raise Http404
    return postmortem


def incident_for_ticket(ticket) -> MajorIncident | None:
    """The incident the ticket is the main ticket of, or is linked to, with `has_links` (one query, compiled once
    per connection: the workspace shows it for every ticket)."""
    # Bound (core.postgres.bound_cursor): one prepared statement for every ticket, whose generic plan is the plan
    # for any ticket (lookups by the ticket's id); planned anew for each ticket, 1.1 ms against 0.1 to run it.
    return object_compiled_once("postmortem.incident_for_ticket", _incident_of, ticket.pk, bound=True)


def _incident_of(ticket_id: int) -> QuerySet[MajorIncident]:
    return (
        MajorIncident.objects.filter(Q(ticket_id=ticket_id) | Q(links__ticket_id=ticket_id))
        .select_related("ticket", "postmortem", "dismissed_by")
        .annotate(has_links=Exists(LinkedTicket.objects.filter(incident=OuterRef("pk"))))
        .order_by("pk")[:1]
    )


# --- What requesters see: their ticket page's notice, the postmortem shared with them


@dataclass(frozen=True)
class RequesterIncidentNotice:
    """The major incident a requester's ticket belongs to, as the requester may see it: whether it is
    under way, the latest status update's text and time, and the link to its postmortem once that is
    published and shared with them. Never who wrote, the war room's entries nor any internal record."""

    is_open: bool
    update: str
    update_at: datetime | None
    postmortem_url: str = ""


def incident_notice_for_requester(*, ticket, user) -> RequesterIncidentNotice | None:
    """The notice for the ticket's page, or None when there is nothing to tell: no incident, or one
    still at the automatic alert with no update yet (it may prove not to be a major incident).
    One query; a second one only when the postmortem is published, to check it is shared with `user`."""
    latest = IncidentStatusUpdate.objects.filter(incident=OuterRef("pk")).order_by("-created_at", "-id")
    incident = (
        MajorIncident.objects.filter(Q(ticket=ticket) | Q(links__ticket=ticket))
        .select_related("postmortem")
        .annotate(update_body=Subquery(latest.values("body")[:1]),
                  update_at=Subquery(latest.values("created_at")[:1]))
        .only("id", "state", "postmortem__id", "postmortem__state", "postmortem__incident")
        .first()
    )
    if incident is None:
        return None
    postmortem = getattr(incident, "postmortem", None)
    postmortem_url = ""
    if postmortem is not None and postmortem.state == PostmortemState.PUBLISHED and (
        is_agent(user) or Postmortem.objects.shared_with(user).filter(pk=postmortem.pk).exists()
    ):
        postmortem_url = postmortem.get_absolute_url()
    is_open = incident.is_active and (bool(incident.update_body) or incident.state != IncidentState.ALERT)
    if is_open:
        return RequesterIncidentNotice(is_open=True, update=incident.update_body or "",
                                       update_at=incident.update_at, postmortem_url=postmortem_url)
    if postmortem_url:
        return RequesterIncidentNotice(is_open=False, update="", update_at=None, postmortem_url=postmortem_url)
    return None


@dataclass(frozen=True)
class RequesterEntry:
    at: datetime
    text: str


@dataclass(frozen=True)
class RequesterAction:
    description: str
    due_date: date
    done: bool


@dataclass(frozen=True)
class RequesterPostmortem:
    """The published postmortem written for the requesters it is shared with: the summary, the impact,
    the timeline as people wrote it in the war room (no system events, no names), the root cause, the
    corrective actions without their owners, the lessons. No internal notes, no internal timeline."""

    title: str
    published_at: datetime | None
    started_at: datetime
    duration: timedelta | None
    impact_users: str
    business_loss: str
    timeline: list[RequesterEntry]
    timeline_spans_days: bool
    root_cause: str
    actions: list[RequesterAction]
    lessons_learned: str


def postmortem_for_requester(postmortem: Postmortem) -> RequesterPostmortem:
    """The requester version of a postmortem (2 queries: the war room's entries, the actions)."""
    entries = [RequesterEntry(at=at, text=text) for at, text in
               postmortem.incident.entries.order_by("at", "id").values_list("at", "text")]
    actions = [RequesterAction(description=description, due_date=due_date, done=done)
               for description, due_date, done in
               postmortem.actions.order_by("due_date", "id").values_list("description", "due_date", "done")]
    return RequesterPostmortem(
        title=postmortem.title, published_at=postmortem.published_at, started_at=postmortem.started_at,
        duration=postmortem.duration, impact_users=postmortem.impact_users,
        business_loss=postmortem.business_loss, timeline=entries,
        timeline_spans_days=len({timezone.localtime(entry.at).date() for entry in entries}) > 1,
        root_cause=postmortem.root_cause, actions=actions, lessons_learned=postmortem.lessons_learned,
    )


def requesters() -> QuerySet:
    """People without a staff role: those a postmortem can be shared with."""
    return (
        User.objects.filter(is_active=True, is_superuser=False)
        .exclude(groups__name__in=[*AGENT_GROUPS, MANAGER_GROUP])
        .order_by("last_name", "first_name", "username")
    )


def postmortem_readers(postmortem: Postmortem) -> list:
    """The requesters who may read the postmortem once published: those it is shared with by name, and
    the members of the organisations it is shared with (one query)."""
    condition = Q(pk__in=postmortem.shared_with_users.values("pk"))
    condition |= Q(profile__organisation__in=postmortem.shared_with_organisations.values("pk"))
    return list(requesters().filter(condition).distinct())


def incidents_for_list() -> QuerySet[MajorIncident]:
    """The /postmortems/ list: newest incidents first, each with its ticket and postmortem (one query a
    page: the view reads it by keyset on (declared_at, id), core.keyset)."""
    return MajorIncident.objects.select_related(
        "ticket", "declared_by", "postmortem__owner"
    ).order_by("-declared_at", "-id")


LINKS_PAGE = 50


@dataclass
class LinksPage:
    """A page of an incident's linked tickets, first linked first, and how many there are (capped)."""

    page: KeysetPage
    count: int  # capped at core.keyset.COUNT_CAP + 1

    @property
    def links(self) -> list[LinkedTicket]:
        return self.page.rows


def incident_links_page(*, incident: MajorIncident, after: str | None = None, before: str | None = None,
                        size: int = LINKS_PAGE) -> LinksPage:
    """The war room's linked tickets by keyset on (linked_at, id): a storm may link thousands of tickets,
    and the page reads `size` of them by the index (incident, linked_at, id) plus a count that stops at
    1,001 (2 queries, whatever the number)."""
    links = LinkedTicket.objects.filter(incident=incident).select_related("ticket__assignee")
    page = keyset_page(links, field="linked_at", after=after, before=before, size=size, descending=False)
    return LinksPage(page=page, count=capped_count(LinkedTicket.objects.filter(incident=incident)))


# --- The war-room timeline


@dataclass(frozen=True)
class TimelineItem:
    """One line of the war room: a ticket event (the system's record) or a human entry."""

    at: datetime
    who: str
    text: str  # safe HTML: built with format_html
    detail: str
    event: TicketEvent | None = None
    entry: IncidentEntry | None = None

    @property
    def is_human(self) -> bool:
        return self.entry is not None


INCIDENT_SENTENCES = {
    "declared": lambda data: _("declared a major incident") if data.get("trigger") == "manual"
    else _("opened a major incident (priority %(priority)s)") % {"priority": data.get("priority", "")},
    "dismissed": lambda data: _("dismissed the alert: not a major incident"),
    "redeclared": lambda data: _("declared the major incident again") if data.get("trigger") == "manual"
    else _("alerted again: the priority was raised to %(priority)s") % {"priority": data.get("priority", "")},
    "mobilised": lambda data: _("mobilised the war room"),
    "resolved": lambda data: _("moved the incident to resolution"),
    "reopened": lambda data: _("reopened the incident: the ticket was reopened"),
    "update": lambda data: _("sent a status update to the stakeholders"),
    "linked": lambda data: _("linked ticket %(reference)s to the incident") % {"reference": data.get("reference")},
    "linked_to": lambda data: _("linked this ticket to the major incident %(reference)s")
    % {"reference": data.get("reference")},
    "postmortem_created": lambda data: _("opened the postmortem"),
    "postmortem_published": lambda data: _("published the postmortem"),
    "postmortem_shared": lambda data: _("shared the published postmortem with more requesters"),
    "postmortem_reminder": lambda data: _("reminded the owner that the postmortem is due soon"),
    "postmortem_overdue": lambda data: _("flagged the postmortem overdue"),
    "action_overdue": lambda data: _("flagged a corrective action overdue"),
    "recurrence": lambda data: _("found this incident a recurrence after the postmortem “%(title)s” (%(reference)s): "
                                 "its corrective action is reopened") % {"title": data.get("title", ""),
                                                                          "reference": data.get("reference", "")},
    "recurred": lambda data: _("found a recurrence: %(reference)s, after this postmortem's corrective action")
    % {"reference": data.get("reference", "")},
}

# Ticket events that say nothing about the outage: left out of the postmortem's pre-filled timeline.
_NOISE = {EventKind.NOTIFICATION}


def describe_incident_event(event: TicketEvent, *, names: dict[str, str] | None = None) -> str:
    """One line of the war room. `names` maps usernames to people's names, for the participants lines."""
    data = event.data or {}
    if event.kind == EventKind.INCIDENT:
        sentence = INCIDENT_SENTENCES.get(data.get("incident"))
        if sentence is not None:
            return format_html("{}", sentence(data))
    if event.kind == EventKind.PARTICIPANTS:
        added = data.get("added", [])
        if event.actor is not None and added == [event.actor.get_username()]:
            return _("joined the war room")
        people = ", ".join((names or {}).get(username, username) for username in added)
        return format_html("{}", ngettext("added %(names)s as a participant", "added %(names)s as participants",
                                          len(added)) % {"names": people})
    return describe_event(event)


def _joined(event: TicketEvent) -> bool:
    return (event.kind == EventKind.PARTICIPANTS and event.actor is not None
            and (event.data or {}).get("added") == [event.actor.get_username()])


def war_room_timeline(*, incident: MajorIncident) -> list[TimelineItem]:
    """The main ticket's events (system) and the war room's entries (human), merged by time (2 queries,
    and one more for people's names when someone added others as participants).

    At equal times the system's record comes first: a person usually writes down what the system
    already did."""
    events = list(incident.ticket.events.select_related("actor").order_by("created_at", "id"))
    entries = incident.entries.select_related("author").order_by("at", "id")
    usernames = {username for event in events if event.kind == EventKind.PARTICIPANTS and not _joined(event)
                 for username in (event.data or {}).get("added", [])}
    names = {user.get_username(): user.get_full_name() or user.get_username()
             for user in User.objects.filter(username__in=usernames)} if usernames else {}
    items = [
        TimelineItem(at=event.created_at, who=actor_name(event), text=describe_incident_event(event, names=names),
                     detail="" if _joined(event) else event_detail(event), event=event)
        for event in events
    ]
    items += [
        TimelineItem(at=entry.at, who=entry.author.get_full_name() or entry.author.get_username(),
                     text=format_html("{}", entry.text), detail="", entry=entry)
        for entry in entries
    ]
    return sorted(items, key=lambda item: (item.at, item.is_human, (item.entry or item.event).pk))


def timeline_as_text(items: list[TimelineItem]) -> str:
    """The template's "- HH:MM - Événement" lines (local time; the day too when the outage spans days)."""
    kept = [item for item in items if item.event is None or item.event.kind not in _NOISE]
    local_days = {timezone.localtime(item.at).date() for item in kept}
    time_format = "%H:%M" if len(local_days) <= 1 else "%d/%m %H:%M"
    lines = []
    for item in kept:
        when = timezone.localtime(item.at).strftime(time_format)
        if item.is_human:
            text = item.entry.text
        else:
            # describe_event escapes what people wrote (HTML); the pre-filled timeline is plain text.
            text = f"{item.who} {html.unescape(strip_tags(item.text))}"
            if item.detail:
                text += f" : {item.detail}"
        lines.append(f"- {when} - {' '.join(text.split())}")
    return "\n".join(lines)


def postmortem_is_overdue_q(*, at=None) -> Q:
    """Incidents whose postmortem is not published by its deadline (for the list filter)."""
    return Q(postmortem__due_at__lte=at or timezone.now()) & ~Q(postmortem__state=PostmortemState.PUBLISHED)


def incident_counts(*, start, end, now=None) -> dict[str, int]:
    """The dashboard's figures: major incidents declared between `start` and `end` (alerts dismissed
    as not major aside), postmortems overdue now, and the requesters who followed an incident instead
    of filing a ticket ("me too") in the period."""
    return {
        "declared": MajorIncident.objects.filter(declared_at__gte=start, declared_at__lt=end)
        .exclude(state=IncidentState.DISMISSED).count(),
        "overdue_postmortems": Postmortem.objects.overdue(at=now).count(),
        "followed": follow_count(start=start, end=end),
        **repeat_rate(start=start, end=end),
        "overdue_actions_by_owner": overdue_actions_by_owner(now=now),
    }


def repeat_rate(*, start, end) -> dict:
    """Of the postmortems published between `start` and `end`, how many saw their kind of incident come
    back (a recurrence found by a corrective action's check, at any time since). One query."""
    figures = Postmortem.objects.filter(published_at__gte=start, published_at__lt=end).aggregate(
        published=Count("id", distinct=True),
        repeated=Count("id", filter=Q(recurrences__isnull=False), distinct=True),
    )
    published, repeated = figures["published"] or 0, figures["repeated"] or 0
    return {"published_postmortems": published, "repeated_postmortems": repeated,
            "repeat_rate": round(100 * repeated / published) if published else None}


def overdue_actions_by_owner(*, now=None) -> list[dict]:
    """Corrective actions not done past their deadline day, per owner, most first (one query)."""
    today = timezone.localdate(now) if now else timezone.localdate()
    rows = (CorrectiveAction.objects.filter(done=False, due_date__lt=today)
            .values("owner_id", "owner__username", "owner__first_name", "owner__last_name")
            .annotate(count=Count("id")).order_by("-count", "owner__last_name", "owner__username"))
    return [{"owner": " ".join(filter(None, [row["owner__first_name"], row["owner__last_name"]]))
             or row["owner__username"], "count": row["count"]} for row in rows]
