"""Playing the demo's stories through the services, then moving each ticket's history into the past
(the stories happen over weeks, the services write "now")."""

from __future__ import annotations

import re
from bisect import bisect_right
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.apps import apps
from django.core.management.base import CommandError
from django.db import connection, models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from core.exceptions import ActionRefused
from demo.content import POSTMORTEMS
from demo.data import Step, Story
from demo.month import ROUTINES
from demo.stories import STORIES
from postmortem import services as postmortem_services
from postmortem.models import Postmortem
from tickets import services
from tickets.models import (
    Category,
    EventKind,
    Notification,
    Phase,
    Status,
    Survey,
    Ticket,
    TicketEvent,
)


def parse_delay(text: str) -> timedelta:
    """"1d4h", "2h30m", "15m" -> timedelta."""
    parts = re.fullmatch(r"(?:(\d+)d)?(?:(\d+)h)?(?:(\d+)m)?", text)
    if not text or parts is None:
        raise ValueError(f"Not a delay: {text!r}")
    days, hours, minutes = (int(part or 0) for part in parts.groups())
    return timedelta(days=days, hours=hours, minutes=minutes)


class Timeline:
    """Maps the real instants at which a ticket's story was played to the demo instants it tells.

    Services stamp rows with timezone.now(), so a whole story is written within a second. Before each
    step we note (real now, demo time of the step); afterwards each timestamp of the ticket moves by
    the offset of the step that wrote it, so the order is kept and the delays between steps (first
    response, resolution time, time per phase) become the story's. Timestamps after the end of the
    story are deadlines computed from the creation (SLA due and warning times) and move with it.
    This rewriting of history is for demo data only: nothing else ever updates history rows.
    """

    def __init__(self, *, start: datetime, limit: datetime) -> None:
        self.demo_at, self.limit = start, limit
        self.real: list[datetime] = []
        self.demo: list[datetime] = []
        self.end: datetime | None = None

    def step(self, after: timedelta = timedelta(0)) -> None:
        self.demo_at += after
        if self.demo_at > self.limit:
            raise ValueError("the story ends in the future: make it older or its steps shorter")
        self.real.append(timezone.now())
        self.demo.append(self.demo_at)

    def finish(self) -> None:
        self.end = timezone.now()

    def move(self, value: datetime) -> datetime:
        if value < self.real[0]:
            return value  # Written before the story (a row the ticket merely points to): not ours.
        index = 0 if value > self.end else bisect_right(self.real, value) - 1
        return value + (self.demo[index] - self.real[index])


@dataclass(frozen=True)
class _Relation:
    """A model whose rows belong to a ticket, how to reach the ticket, and which of its fields hold times."""

    model: type[models.Model]
    lookups: tuple[str, ...]
    datetimes: tuple[str, ...]
    jsons: tuple[str, ...]

    def rows(self, ticket_pk: int):
        condition = Q()
        for lookup in self.lookups:
            condition |= Q(**{lookup: ticket_pk})
        return self.model._base_manager.filter(condition).values("pk", *self.datetimes, *self.jsons)


def _ticket_relations(max_depth: int = 3) -> list[_Relation]:
    """Ticket and every model whose rows hang off a ticket by foreign keys, up to `max_depth` away
    (followups, history, an event's notifications, SLA clocks, the escalation log…).

    Found through the app registry, so this core app imports none of the apps that extend it
    (docs/architecture.md, "Who may import whom"). Models of an app whose migrations are not applied yet are skipped.
    """
    tables = set(connection.introspection.table_names())
    lookups: dict[type[models.Model], list[str]] = {Ticket: ["pk"]}
    frontier = {Ticket}
    for _depth in range(max_depth):
        found: dict[type[models.Model], list[str]] = {}
        for model in apps.get_models():
            meta = model._meta
            if model in lookups or meta.proxy or not meta.managed or meta.db_table not in tables:
                continue  # Only the shortest paths: a model already reached is not reached again.
            for field in meta.concrete_fields:
                target = field.related_model if field.is_relation else None
                if target in frontier:
                    if target is Ticket:
                        paths = [field.name]
                    else:
                        paths = [f"{field.name}__{path}" for path in lookups[target]]
                    found.setdefault(model, []).extend(paths)
        lookups.update(found)
        frontier = set(found)
    def names(model, kind) -> tuple[str, ...]:
        return tuple(field.attname for field in model._meta.concrete_fields if isinstance(field, kind))

    return [
        _Relation(model=model, lookups=tuple(paths), datetimes=names(model, models.DateTimeField),
                  jsons=names(model, models.JSONField))
        for model, paths in lookups.items()
    ]


def _move_data(data, timeline: Timeline):
    """Times recorded inside history data (ISO strings) move like the columns."""
    if not isinstance(data, dict):
        return data
    moved = dict(data)
    for key, value in data.items():
        if isinstance(value, str) and len(value) >= 19 and value[4:5] == "-":
            try:
                parsed = parse_datetime(value)
            except ValueError:
                parsed = None
            if parsed is not None and timezone.is_aware(parsed):
                moved[key] = timeline.move(parsed).isoformat()
    return moved


class TicketSeeder:
    def __init__(self, *, users: dict, categories: dict[str, Category]) -> None:
        self.users = users
        self.categories = categories
        self.now = timezone.now()
        self.relations = _ticket_relations()
        self.moved: set[tuple[type[models.Model], int]] = set()

    def run(self) -> list[Ticket]:
        # Oldest first, so references follow the demo creation dates.
        stories = sorted([*STORIES, *(routine.story() for routine in ROUTINES)],
                         key=lambda story: parse_delay(story.age), reverse=True)
        tickets = []
        for story in stories:
            try:
                tickets.append(self._play(story))
            except (ActionRefused, ValueError) as error:
                message = getattr(error, "message", error)
                raise CommandError(f"Demo story “{story.title}”: {message}") from error
        # The outbox rows are real (the timeline shows the acknowledgement as sent), but emailing
        # weeks-old news to the demo addresses would only spam the console or a test mailbox. They are
        # marked sent in this transaction, before it commits: the sending tasks scheduled after commit
        # (eager or through the broker) claim only unsent rows, so they skip them.
        Notification.objects.filter(
            event__ticket__in=[ticket.pk for ticket in tickets], sent_at__isnull=True
        ).update(sent_at=F("created_at"))
        return [Ticket.objects.get(pk=ticket.pk) for ticket in tickets]

    def _play(self, story: Story) -> Ticket:
        timeline = Timeline(start=self.now - parse_delay(story.age), limit=self.now)
        requester = self.users[story.requester]
        timeline.step()
        ticket = services.ticket_create(
            requester=requester, title=story.title, description=story.description,
            ticket_type=story.ticket_type, urgency=story.urgency, impact=story.impact,
            category=self.categories[story.category] if story.category else None, channel=story.channel,
            created_by=self.users[story.recorded_by] if story.recorded_by else None,
        )
        for step in story.steps:
            timeline.step(parse_delay(step.after))
            ticket = self._apply(ticket, step, requester, timeline)
        timeline.finish()
        self._move_in_time(ticket.pk, timeline)
        self._recount_phases(ticket.pk)
        return ticket

    def _apply(self, ticket: Ticket, step: Step, requester, timeline: Timeline) -> Ticket:
        actor = self.users.get(step.by)
        match step.action:
            case "take":
                category = self.categories[step.category] if step.category else None
                return services.ticket_take(ticket=ticket, actor=actor, category=category)
            case "reply" | "note":
                return services.followup_add(ticket=ticket, author=actor, body=step.text,
                                             is_public=step.action == "reply").ticket
            case "answer":
                return services.followup_add(ticket=ticket, author=requester, body=step.text).ticket
            case "wait":
                return services.ticket_wait(ticket=ticket, actor=actor, message=step.text)
            case "cause":
                return services.ticket_record_root_cause(ticket=ticket, actor=actor, root_cause=step.text)
            case "escalate":
                # As the escalation app's manual handover does: a detailed private note, then the level.
                note = services.followup_add(
                    ticket=ticket, author=actor, body=step.text, is_public=False
                ).followup
                return services.ticket_set_level(
                    ticket=ticket, actor=actor, level=step.level, reason=step.reason,
                    assignee=self.users[step.assignee], followup=note,
                ).ticket
            case "priority":
                return services.ticket_change_priority(ticket=ticket, actor=actor, priority=step.priority,
                                                       reason=step.reason)
            case "assign":
                return services.ticket_assign(ticket=ticket, actor=actor, assignee=self.users[step.assignee])
            case "resolve":
                return services.ticket_resolve(ticket=ticket, actor=actor, solution=step.text)
            case "reopen":
                return services.ticket_reopen(ticket=ticket, actor=requester, reason=step.text)
            case "close":
                return services.ticket_close(ticket=ticket, actor=requester)
            case "auto_close":
                return services.ticket_close(ticket=ticket, actor=None, automatic=True)
            case "rate":
                services.survey_answer(survey=Survey.objects.get(ticket=ticket), score=step.score,
                                       comment=step.text, actor=requester)
                return ticket
            case "write_postmortem":
                self._write_postmortem(ticket, actor, step.text, timeline)
                return ticket
            case "publish_postmortem":
                self._publish_postmortem(ticket, actor, step.text)
                return ticket
        raise ValueError(f"unknown step {step.action!r}")

    def _write_postmortem(self, ticket: Ticket, owner, key: str, timeline: Timeline) -> None:
        """The owner fills in the postmortem the resolution opened, commits to actions, submits it."""
        postmortem = Postmortem.objects.get(incident__ticket=ticket)
        content = POSTMORTEMS[key]
        # The outage's own times (the story's demo times), as the war room's pre-filled timeline has them.
        lines = [f"- {timezone.localtime(timeline.demo[index]):%H:%M} - {what}" for index, what in content.timeline]
        postmortem = postmortem_services.postmortem_update(
            postmortem=postmortem, actor=owner, impact_users=content.impact_users,
            business_loss=content.business_loss, timeline="\n".join(lines), root_cause=content.root_cause,
            lessons_learned=content.lessons_learned,
        )
        for description, username, days, done in content.actions:
            action = postmortem_services.corrective_action_add(
                postmortem=postmortem, actor=owner, description=description, owner=self.users[username],
                due_date=timezone.localdate(timeline.demo_at + timedelta(days=days)),
            )
            if done:
                postmortem_services.corrective_action_complete(action=action, actor=self.users[username])
        postmortem_services.postmortem_submit(postmortem=postmortem, actor=owner)

    def _publish_postmortem(self, ticket: Ticket, manager, key: str) -> None:
        """A manager publishes it and shares it with the named requesters and their organisations."""
        postmortem = Postmortem.objects.get(incident__ticket=ticket)
        postmortem = postmortem_services.postmortem_publish(postmortem=postmortem, actor=manager)
        readers = [self.users[username] for username in POSTMORTEMS[key].shared_with]
        organisations = {reader.profile.organisation for reader in readers} - {None}
        postmortem_services.postmortem_share(postmortem=postmortem, actor=manager, users=readers,
                                     organisations=organisations)

    def _move_in_time(self, ticket_pk: int, timeline: Timeline) -> None:
        for relation in self.relations:
            for row in relation.rows(ticket_pk):
                key = (relation.model, row["pk"])
                if key in self.moved:
                    continue
                self.moved.add(key)
                changes = {}
                for name in relation.datetimes:
                    if row[name] is not None and (moved := timeline.move(row[name])) != row[name]:
                        changes[name] = moved
                for name in relation.jsons:
                    if (moved := _move_data(row[name], timeline)) != row[name]:
                        changes[name] = moved
                if relation.model is TicketEvent:
                    self._fix_paused_seconds(changes, row)
                if changes:
                    relation.model._base_manager.filter(pk=row["pk"]).update(**changes)

    @staticmethod
    def _fix_paused_seconds(changes: dict, row: dict) -> None:
        """A resume event records how long the ticket waited; that too is the story's wait now."""
        data = changes.get("data", row["data"])
        if "paused_seconds" in data and data.get("paused_since"):
            resumed_at = changes.get("created_at", row["created_at"])
            paused = (resumed_at - parse_datetime(data["paused_since"])).total_seconds()
            changes["data"] = {**data, "paused_seconds": round(paused)}

    @staticmethod
    def _recount_phases(ticket_pk: int) -> None:
        """The time per phase was counted in real (instant) time: count it again from the moved
        history, the way tickets.services._rows.track_phase does as the ticket moves."""
        ticket = Ticket.objects.get(pk=ticket_pk)
        seconds = dict.fromkeys(Phase.values, 0)
        status, has_cause = Status.NEW, False
        phase, since = Phase.RECEPTION, ticket.created_at
        moves = ticket.events.filter(kind__in=[EventKind.TRANSITION, EventKind.ROOT_CAUSE]).order_by(
            "created_at", "id"
        )
        for event in moves:
            if event.kind == EventKind.TRANSITION:
                status = event.data["to"]
            else:
                has_cause = True
            next_phase = Ticket(status=status, root_cause="yes" if has_cause else "").phase
            if since is not None and (next_phase != phase or status == Status.CLOSED):
                seconds[phase] += max(0, int((event.created_at - since).total_seconds()))
                phase, since = next_phase, None if status == Status.CLOSED else event.created_at
        counters = {f"{name}_seconds": value for name, value in seconds.items()}
        Ticket.objects.filter(pk=ticket_pk).update(current_phase=phase, phase_started_at=since, **counters)
