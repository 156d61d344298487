"""The beat job's rules: reminders before the deadline, overdue postmortems and corrective actions."""

from __future__ import annotations

from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone

from accounts.roles import MANAGER_GROUP
from accounts.selectors import active_members
from tickets import services as ticket_services
from tickets.models import TicketEvent

from ..models import REMINDER_BEFORE, CorrectiveAction, Postmortem, PostmortemState
from .common import _incident_event


@dataclass
class ReminderResult:
    reminded: int = 0
    overdue: int = 0
    actions_overdue: int = 0


def postmortems_remind(*, now=None, limit: int = 500) -> ReminderResult:
    """Remind owners 12 h before a postmortem is due, flag unpublished postmortems past due (owner
    and managers told) and corrective actions past their deadline (their owner told). Each row is
    claimed by a conditional update on its flag column before anything is sent: once each, whoever
    runs the job and however often."""
    now = now or timezone.now()
    result = ReminderResult()
    unpublished = Postmortem.objects.exclude(state=PostmortemState.PUBLISHED)
    to_remind = unpublished.filter(reminded_at__isnull=True, due_at__gt=now, due_at__lte=now + REMINDER_BEFORE)
    for pk in list(to_remind.order_by("due_at").values_list("pk", flat=True)[:limit]):
        with transaction.atomic():
            if not to_remind.filter(pk=pk).update(reminded_at=now):
                continue
            postmortem = Postmortem.objects.select_related("incident__ticket", "owner").get(pk=pk)
            event = _postmortem_event(postmortem, "postmortem_reminder")
            recipients = [postmortem.owner] if postmortem.owner else list(active_members(MANAGER_GROUP))
            ticket_services.notify(event=event, recipients=recipients, template="postmortem_reminder")
            result.reminded += 1
    overdue = unpublished.filter(overdue_flagged_at__isnull=True, due_at__lte=now)
    for pk in list(overdue.order_by("due_at").values_list("pk", flat=True)[:limit]):
        with transaction.atomic():
            if not overdue.filter(pk=pk).update(overdue_flagged_at=now):
                continue
            postmortem = Postmortem.objects.select_related("incident__ticket", "owner").get(pk=pk)
            event = _postmortem_event(postmortem, "postmortem_overdue")
            ticket_services.notify(event=event, recipients=[postmortem.owner, *active_members(MANAGER_GROUP)],
                                   template="postmortem_overdue")
            result.overdue += 1
    # An action is due by the end of its deadline day, in the helpdesk's time zone.
    late_actions = CorrectiveAction.objects.filter(
        done=False, overdue_flagged_at__isnull=True, due_date__lt=timezone.localdate(now)
    )
    for pk in list(late_actions.order_by("due_date").values_list("pk", flat=True)[:limit]):
        with transaction.atomic():
            if not late_actions.filter(pk=pk).update(overdue_flagged_at=now):
                continue
            action = CorrectiveAction.objects.select_related("postmortem__incident__ticket", "owner").get(pk=pk)
            event = _postmortem_event(action.postmortem, "action_overdue", action_id=action.pk,
                                      action=action.description, due_date=action.due_date.isoformat(),
                                      reason=action.description)
            ticket_services.notify(event=event, recipients=[action.owner], template="action_overdue")
            result.actions_overdue += 1
    return result


def _postmortem_event(postmortem: Postmortem, step: str, **data) -> TicketEvent:
    incident = postmortem.incident
    return _incident_event(incident, step, actor=None, postmortem_id=postmortem.pk,
                           postmortem_path=postmortem.get_absolute_url(), title=postmortem.title,
                           due_at=postmortem.due_at.isoformat(), **data)
