"""Escalation N1 → N4: manual moves with a detailed followup, and the automatic rules.

Every level change goes through tickets.services.tickets_set_level (which records the history), and
its tickets_level_changed signal has it logged here as Escalation rows (escalation_log_level_changes,
the log's one writer). A rule acts only after it records a RuleFiring whose
(rule, ticket, cause) is unique, so no rule fires twice for the same cause, whatever the
concurrency; a firing whose action is refused is rolled back with it.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import timedelta

from django.db import IntegrityError, connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.roles import MANAGER_GROUP, Level, group_names, is_agent, next_level
from accounts.selectors import group_members
from core.cache import reference
from core.db import insert_rows
from core.exceptions import ActionRefused
from core.postgres import bound_cursor
from tickets import services as ticket_services
from tickets.models import EventKind, Priority, Status, Ticket
from tickets.selectors import active_categories
from tickets.signals import Alert, HistoryLine

from .models import MANUAL_REASONS, Escalation, EscalationRule, Reason, RuleCode, RuleFiring

logger = logging.getLogger(__name__)

# GLPI: "Ajout d'un suivi détaillé" — what was tried and what was found, not a one-liner.
MIN_FOLLOWUP_LENGTH = 40


def previous_level(level: str) -> str | None:
    values = Level.values
    index = values.index(level)
    return values[index - 1] if index > 0 else None


def _members(group: str) -> list:
    """Who a rule notifies: the group's active members, from the reference cache (accounts.selectors)."""
    return group_members(group)


def _managers():
    return _members(MANAGER_GROUP)


def _check_handover(*, ticket: Ticket, to_level: str | None, assignee, followup: str) -> None:
    if to_level is None:
        raise ActionRefused(_("There is no level to move the ticket to."), ticket=ticket)
    if len(followup.strip()) < MIN_FOLLOWUP_LENGTH:
        raise ActionRefused(
            _("Write a detailed followup (at least %(count)d characters): what was tried, what was found.")
            % {"count": MIN_FOLLOWUP_LENGTH}, ticket=ticket,
        )
    if assignee is not None and to_level not in group_names(assignee):
        raise ActionRefused(
            _("%(name)s is not an agent of level %(level)s.") % {"name": assignee.get_username(), "level": to_level},
            ticket=ticket,
        )


def _hand_over(*, ticket: Ticket, actor, to_level: str, reason: str, followup: str, assignee,
               expected_version: int | None) -> Ticket:
    note = ticket_services.followup_add(
        ticket=ticket, author=actor, body=followup, is_public=False, expected_version=expected_version
    ).followup
    event = ticket_services.ticket_set_level(
        ticket=ticket, actor=actor, level=to_level, reason=reason, assignee=assignee, followup=note
    )
    recipients = [assignee] if assignee is not None else _members(to_level)
    ticket_services.notify(event=event, recipients=[u for u in recipients if u.pk != actor.pk],
                           template="ticket_escalated")
    return event.ticket


@transaction.atomic
def escalation_escalate(*, ticket: Ticket, actor, reason: str, followup: str, assignee=None,
                        expected_version: int | None = None) -> Ticket:
    """Hand the ticket to the next level's group (or one of its agents) with a reason and a
    detailed private followup; the requester only sees that a specialist team took over."""
    if not is_agent(actor):
        raise ActionRefused(_("Only agents escalate tickets."), ticket=ticket)
    if reason not in MANUAL_REASONS:
        raise ActionRefused(_("Choose a reason for the escalation."), ticket=ticket)
    to_level = next_level(ticket.level)
    if to_level is None:
        raise ActionRefused(_("The ticket is already at the highest level (N4)."), ticket=ticket)
    _check_handover(ticket=ticket, to_level=to_level, assignee=assignee, followup=followup)
    return _hand_over(ticket=ticket, actor=actor, to_level=to_level, reason=reason, followup=followup,
                      assignee=assignee, expected_version=expected_version)


@transaction.atomic
def escalation_deescalate(*, ticket: Ticket, actor, followup: str, assignee=None,
                          expected_version: int | None = None) -> Ticket:
    """Send the ticket back one level down, explaining why in a private followup."""
    if not is_agent(actor):
        raise ActionRefused(_("Only agents change the level of tickets."), ticket=ticket)
    to_level = previous_level(ticket.level)
    if to_level is None:
        raise ActionRefused(_("The ticket is already at the first level (N1)."), ticket=ticket)
    _check_handover(ticket=ticket, to_level=to_level, assignee=assignee, followup=followup)
    return _hand_over(ticket=ticket, actor=actor, to_level=to_level, reason=Reason.DE_ESCALATION,
                      followup=followup, assignee=assignee, expected_version=expected_version)


def bulk_escalate_check(data: dict) -> dict[str, str]:
    """What the queue's bulk bar must carry to escalate tickets: a reason and a detailed followup."""
    errors = {}
    if data.get("reason_code") not in MANUAL_REASONS:
        errors["reason_code"] = _("Choose a reason for the escalation.")
    if len((data.get("followup") or "").strip()) < MIN_FOLLOWUP_LENGTH:
        errors["followup"] = _("Write a detailed followup (at least %(count)d characters): what was tried, "
                               "what was found.") % {"count": MIN_FOLLOWUP_LENGTH}
    return errors


def bulk_escalate(ticket: Ticket, actor, data: dict) -> None:
    """The bulk bar's escalation of one ticket: the same door, rules and log as the workspace's."""
    escalation_escalate(ticket=ticket, actor=actor, reason=data["reason_code"], followup=data["followup"])


# --- Automatic rules


def escalation_log_level_changes(*, tickets: Sequence[Ticket], old_levels: dict[int, str], reason: str,
                                 rule: str = "", actor=None, assignee=None, followup=None,
                                 note: str = "") -> list[Escalation]:
    """The escalation log's one writer: a row for every level change, of one ticket or a rule's batch,
    whoever made it, in one INSERT. `rule` is a rule's code (the log refers to rules by code)."""
    known = reason in Reason.values
    return insert_rows([
        Escalation(ticket=ticket, from_level=old_levels[ticket.pk], to_level=ticket.level,
                   reason=reason if known else Reason.MANUAL, rule_id=rule or None,
                   actor=actor if getattr(actor, "pk", None) else None, assignee=assignee, followup=followup,
                   note=note or ("" if known else reason))
        for ticket in tickets
    ])


RULES = "escalation.rules"


def _active_rules() -> dict[str, EscalationRule]:
    return {rule.code: rule for rule in EscalationRule.objects.filter(is_active=True)}


def active_rule(code: str) -> EscalationRule | None:
    """The rule if it is on, from the reference cache (core.cache; escalation.receivers gives it a new
    version when a rule is saved or deleted)."""
    return reference(RULES, _active_rules).get(code)


def _claim(rule: EscalationRule, ticket: Ticket, cause: str) -> bool:
    """Record the firing; False if this rule already fired on this ticket for this cause."""
    try:
        with transaction.atomic():
            RuleFiring.objects.create(rule=rule, ticket=ticket, cause=cause[:100])
    except IntegrityError:
        return False
    return True


def rule_escalate_many(*, rule: EscalationRule, items: Sequence[tuple[Ticket, str]], reason: str,
                       notify_managers: bool = False) -> int:
    """A rule moves tickets up, (ticket, cause) each, tickets the caller has locked: never down, never past
    N4, never a closed ticket, once per cause (a RuleFiring). A constant number of statements whatever the
    number of tickets; the new level's agents (and the managers) notified. Returns how many went up. (A new
    ticket's start level is planned before its INSERT: rule_plan_vip.)"""
    items = [(ticket, cause[:100]) for ticket, cause in items if ticket.status != Status.CLOSED]
    levels = {ticket.pk: rule.target_level or next_level(ticket.level) for ticket, _cause in items}
    items = [(ticket, cause) for ticket, cause in items if levels[ticket.pk] and levels[ticket.pk] > ticket.level]
    if not items:
        return 0
    fired = set(
        RuleFiring.objects.filter(rule=rule, ticket__in=[ticket for ticket, _cause in items],
                                  cause__in={cause for _ticket, cause in items}).values_list("ticket_id", "cause")
    )
    items = [(ticket, cause) for ticket, cause in items if (ticket.pk, cause) not in fired]
    RuleFiring.objects.bulk_create([RuleFiring(rule=rule, ticket=ticket, cause=cause) for ticket, cause in items])
    tickets = [ticket for ticket, _cause in items]
    events = ticket_services.tickets_set_level(tickets=tickets, levels=levels, reason=reason, rule=rule.code)
    members = {level: _members(level) for level in {ticket.level for ticket in tickets}}
    managers = _managers() if notify_managers and tickets else []
    ticket_services.notify_new_events([(event, members[ticket.level] + managers, "ticket_escalated")
                                       for ticket, event in zip(tickets, events, strict=True)])
    return len(tickets)


def rules_on_ticket_creating(*, ticket: Ticket) -> list[HistoryLine]:
    """Before a new ticket's INSERT (tickets.signals.ticket_creating): the recurring rule's verdict
    (rule_plan_recurring), and the VIP rule's start level (rule_plan_vip); their history lines."""
    return rule_plan_recurring(ticket=ticket) + rule_plan_vip(ticket=ticket)


def rules_on_ticket_created(*, ticket: Ticket, events: Sequence = ()) -> list[Alert]:
    """VIP start level, P1 alert and the recurring-problem flag, as the ticket is created (its history so
    far: `events`, with the lines rules_on_ticket_creating planned): the rules' firings in one INSERT, the VIP level's
    and the recurring flag's alerts returned, for the creation's one INSERT into the outbox."""
    firings, alerts = [], []
    vip = ticket.__dict__.pop(_VIP_PLANNED, None)
    if vip is not None:
        firings.append(RuleFiring(rule=vip, ticket=ticket, cause="created"))
        event = ticket_services.ticket_started_at_level(ticket=ticket, events=events)
        alerts.append(Alert(event, _members(ticket.level), "ticket_escalated"))
    if ticket.priority == Priority.P1:
        rule_alert_p1(ticket=ticket)
    rule, evidence = ticket.__dict__.pop(_PLANNED, (None, None))
    if evidence is not None:
        firings.append(RuleFiring(rule=rule, ticket=ticket, cause="created"))
        if evidence["alert"] == "sent":  # else its level heard of the problem within the rule's quiet hours
            flagged = next(event for event in events if event.kind == EventKind.FLAGGED)
            alerts.append(Alert(flagged, _members(rule.target_level or Level.N2), "recurring_flagged"))
    # The ticket was created in this transaction: no firing can exist yet (no savepoint to catch one).
    insert_rows(firings)
    return alerts


# Where rule_plan_vip leaves the VIP rule on a new ticket it starts above N1.
_VIP_PLANNED = "_vip_planned"


def rule_plan_vip(*, ticket: Ticket) -> list[HistoryLine]:
    """A VIP (or contract) organisation's new ticket starts at the VIP rule's target level, else the one after the
    first (N2): set before its INSERT, with the history of a level change by the rule (its firing, the level
    change's signal and the alert to that level at ticket_created, rules_on_ticket_created). A ticket that started
    at N1 and was moved by an UPDATE cost five statements more (issue 16)."""
    organisation = ticket.organisation
    if organisation is None or not (organisation.is_vip or organisation.contract):
        return []
    rule = active_rule(RuleCode.VIP_START)
    level = rule and (rule.target_level or next_level(ticket.level))
    if not level or level <= ticket.level:
        return []
    ticket.__dict__[_VIP_PLANNED] = rule
    return ticket_services.start_level_lines(ticket=ticket, level=level, reason=Reason.VIP, rule=rule.code)


def rule_alert_p1(*, ticket: Ticket) -> None:
    """A P1: the top level (N4 by default) is alerted and joins the ticket as participants."""
    rule = active_rule(RuleCode.P1_ALERT)
    if rule is None or not _claim(rule, ticket, "P1"):
        return
    level = rule.target_level or Level.N4
    members = _members(level)
    event = ticket_services.ticket_add_participants(
        ticket=ticket, users=members, reason=Reason.CRITICAL
    )
    if event is not None:
        ticket_services.notify(event=event, recipients=members, template="p1_alert")


# Where rule_plan_recurring leaves its verdict on a new ticket: (rule, evidence), evidence None when the
# ticket is not recurring; rules_on_ticket_created counts nothing again.
_PLANNED = "_recurring_planned"


def _recurring_evidence(rule: EscalationRule | None, ticket: Ticket) -> dict | None:
    """What makes a new ticket recurring by the rule (scope, count, days), or None; its row is not in the
    table yet: it is counted in. Its `alert` is "quiet" when its level was alerted about the same problem within the
    rule's `quiet_hours` (no alert this time), else "sent": the alert claimed for this ticket (_claim_alert)."""
    if rule is None or ticket.category_id is None:
        return None
    if any(category.parent_id == ticket.category_id for category in active_categories()):
        return None  # a broad category says too little about the problem to count
    since = ticket.created_at - timedelta(days=rule.window_days)
    quiet_since = ticket.created_at - timedelta(hours=rule.alert_quiet_hours)
    counted = max(RECURRING_COUNTED, rule.ticket_count, rule.organisation_ticket_count)
    earlier = _recent_in_category(ticket, since, limit=counted, quiet_since=quiet_since)
    # The new ticket counts itself; past `counted` earlier ones, the count is "more than `counted`".
    counts = {"requester": earlier["requester"] + 1,
              "organisation": earlier["organisation"] + (1 if ticket.organisation_id else 0)}
    # The organisation's problem first: it takes in each of its requesters' (their tickets count in it), and its
    # alert then covers the colleagues' tickets too.
    if (ticket.organisation_id and rule.organisation_ticket_count
            and counts["organisation"] >= rule.organisation_ticket_count):
        scope = "organisation"
    elif counts["requester"] >= rule.ticket_count:
        scope = "requester"
    else:
        return None
    evidence = ({"scope": scope, "count": counted, "more": True} if earlier[scope] >= counted
                else {"scope": scope, "count": counts[scope]})
    # Quiet when the level heard of the organisation's problem in the category (which takes in its requesters'), or
    # of this requester's (whose tickets then made the organisation's count), within the quiet hours; else this
    # ticket claims the alert (or finds it claimed meanwhile: quiet).
    quiet = (earlier["organisation_alerted"] or earlier["requester_alerted"]
             or not _claim_alert(ticket, scope, quiet_since))
    return {**evidence, "days": rule.window_days, "alert": "quiet" if quiet else "sent",
            "quiet_hours": rule.alert_quiet_hours}


def rule_plan_recurring(*, ticket: Ticket) -> list[HistoryLine]:
    """Before a new ticket's INSERT (tickets.signals.ticket_creating): the recurring rule's counts, and
    the flag set on the object when it is recurring, so that the INSERT writes it (no UPDATE after); its
    history line returned, for the creation to write with its "created" event. The firing and the N2 alert
    are written at ticket_created (rules_on_ticket_created): what a person would call recurring, the requester's
    n-th ticket, or their organisation's m-th, in the same precise category within the window (the rule's
    thresholds), flagged and offered to N2. A broad category (one with sub-categories) says too little about
    the problem to count."""
    rule = active_rule(RuleCode.RECURRING)
    evidence = _recurring_evidence(rule, ticket)
    ticket.__dict__[_PLANNED] = (rule, evidence)
    if evidence is None:
        return []
    ticket.is_recurring = True
    return [ticket_services.recurring_line(reason=Reason.RECURRING, rule=rule.code, evidence=evidence)]


# Two counts, each one range of its own index: (requester, category, created_at) and (organisation, category,
# created_at) (tickets.Ticket.Meta.indexes). One count over the category's window with two FILTERs read every
# ticket of the last 30 days at 1 M (44,000 rows, 17-27 ms of PostgreSQL per submission). Each count reads at most
# its LIMIT's rows (RECURRING_COUNTED): an organisation that files thousands of tickets in a category in a month (an
# outage) made every submission count them all, a quarter of PostgreSQL's time per submission at 1,654
# (bench/RESULTS.md, issue 16, session 21). Then whether the level was alerted about each scope's problem within the
# quiet hours (RecurringAlert's unique key): in the same statement, as most recurring tickets are of a problem
# already announced.
_RECENT_IN_CATEGORY = (
    "SELECT (SELECT COUNT(*) FROM (SELECT 1 FROM tickets_ticket WHERE requester_id = %s AND category_id = %s "
    "AND created_at >= %s AND created_at <= %s LIMIT %s) AS mine), "
    "(SELECT COUNT(*) FROM (SELECT 1 FROM tickets_ticket WHERE organisation_id = %s AND category_id = %s "
    "AND created_at >= %s AND created_at <= %s LIMIT %s) AS theirs), "
    "EXISTS (SELECT 1 FROM escalation_recurringalert WHERE scope = 'requester' AND subject_id = %s "
    "AND category_id = %s AND alerted_at > %s), "
    "EXISTS (SELECT 1 FROM escalation_recurringalert WHERE scope = 'organisation' AND subject_id = %s "
    "AND category_id = %s AND alerted_at > %s)"
)
# The recurring rule counts up to this many earlier tickets in each scope (more when a threshold asks for more):
# the evidence then says "more than 100" (templates/emails/recurring_flagged.*).
RECURRING_COUNTED = 100


def _recent_in_category(ticket: Ticket, since, *, limit: int, quiet_since) -> dict:
    """The tickets of the ticket's category created since `since` (up to the ticket, included once it is
    written): the requester's and the organisation's (none without one), each counted up to `limit`; and whether
    the level was alerted since `quiet_since` about the requester's and the organisation's problem in the category.
    Every submission with a category runs it, so it is written in SQL, one statement;
    tests/escalation/test_rules.py holds it to the rule's thresholds and tests/escalation/test_recurring_plan.py
    to its indexes."""
    adapt = connection.ops.adapt_datetimefield_value
    window = [ticket.category_id, adapt(since), adapt(ticket.created_at), limit]
    quiet = [ticket.category_id, adapt(quiet_since)]
    # The values apart from the text: one statement for every submission, prepared (core.postgres).
    with bound_cursor(connection) as cursor:
        cursor.execute(_RECENT_IN_CATEGORY, [ticket.requester_id, *window, ticket.organisation_id, *window,
                                             ticket.requester_id, *quiet, ticket.organisation_id or 0, *quiet])
        requester, organisation, requester_alerted, organisation_alerted = cursor.fetchone()
    return {"requester": requester, "organisation": organisation,
            "requester_alerted": bool(requester_alerted), "organisation_alerted": bool(organisation_alerted)}


# The alert claimed: the problem's row written, or its time moved on only if the last alert is older than the quiet
# hours. Two submissions of the same problem at once: the second waits for the first's row and, the condition false
# now, gets no row back (no alert). PostgreSQL and SQLite (3.35+) alike.
_CLAIM_ALERT = (
    "INSERT INTO escalation_recurringalert (scope, subject_id, category_id, alerted_at, reference) "
    "VALUES (%s, %s, %s, %s, %s) ON CONFLICT (scope, subject_id, category_id) DO UPDATE "
    "SET alerted_at = excluded.alerted_at, reference = excluded.reference "
    "WHERE escalation_recurringalert.alerted_at <= %s RETURNING id"
)


def _claim_alert(ticket: Ticket, scope: str, quiet_since) -> bool:
    """This ticket alerts its level about its problem (the scope's requester or organisation, its category): True
    if no alert about it was claimed since `quiet_since`, in this transaction or a committed one."""
    adapt = connection.ops.adapt_datetimefield_value
    subject = ticket.requester_id if scope == "requester" else ticket.organisation_id
    with bound_cursor(connection) as cursor:
        cursor.execute(_CLAIM_ALERT, [scope, subject, ticket.category_id, adapt(ticket.created_at), ticket.reference,
                                      adapt(quiet_since)])
        return cursor.fetchone() is not None


def rules_on_sla_breaches(*, breaches: Sequence[tuple[Ticket, str]]) -> int:
    """SLA breaches, (ticket, target) each, hand their (locked) tickets to the next level, managers
    notified, once per ticket and target. A ticket that breached both targets in the same batch goes
    up twice, as two sweeps would have moved it: in rounds, one breach per ticket each."""
    rule = active_rule(RuleCode.SLA_BREACH)
    if rule is None:
        return 0
    escalated, pending = 0, [(ticket, f"sla:{target}") for ticket, target in breaches]
    while pending:
        this_round, later, seen = [], [], set()
        for ticket, cause in pending:
            (later if ticket.pk in seen else this_round).append((ticket, cause))
            seen.add(ticket.pk)
        escalated += rule_escalate_many(rule=rule, items=this_round, reason=Reason.SLA_BREACH,
                                        notify_managers=True)
        pending = later
    return escalated


def escalate_stalled(*, now=None, limit: int = 500) -> int:
    """Tickets in diagnostic (in progress, no root cause) untouched for the rule's threshold go up.

    Reads by the (status, updated_at) index; every service bumps updated_at, so a ticket someone
    works on is never picked. The cause carries the ticket's version: after an escalation the
    version changes, and another full period without activity is a new cause.

    Set-based, in one transaction: the stalled tickets are locked with SKIP LOCKED (a second sweep at
    once, or an agent acting on one, leaves it to the next run), the firings recorded in one INSERT
    (the ones already recorded skipped: a rule fires once per cause), the levels raised by
    tickets.services.tickets_set_level, the new levels' agents notified in one INSERT after it. A
    constant number of statements whatever the number of tickets.
    """
    rule = active_rule(RuleCode.STALLED_DIAGNOSTIC)
    if rule is None:
        return 0
    now = now or timezone.now()
    cutoff = now - timedelta(minutes=rule.threshold_minutes)
    with transaction.atomic():
        tickets = list(
            Ticket.objects.select_for_update(skip_locked=True, of=("self",))
            .filter(status=Status.IN_PROGRESS, updated_at__lte=cutoff, root_cause="",
                    level__in=[Level.N1, Level.N2, Level.N3])
            .order_by("updated_at")[:limit]
        )
        escalated = rule_escalate_many(
            rule=rule, items=[(ticket, f"stalled:v{ticket.version}") for ticket in tickets],
            reason=Reason.DIAGNOSTIC_TIMEOUT,
        )
    return escalated
