"""When a ticket needs an agent: created, moved to another level without one, or reopened while its
agent is away. Connected in DispatchConfig.ready(); the receivers run inside the change's transaction."""

from django.contrib.auth import get_user_model
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver
from django.utils import timezone

from core.cache import invalidate
from tickets.signals import ticket_created, tickets_level_changed, tickets_status_changed

from .models import LevelSetting, Skill, Trigger
from .selectors import LEVEL_SETTINGS, SKILLED_LEVELS, HandlingTable, agent_states
from .services import assignment


@receiver(ticket_created, dispatch_uid="dispatch.ticket_created")
def on_ticket_created(sender, ticket, **kwargs):
    # The last receiver of ticket_created (the app comes last in INSTALLED_APPS): the deadlines are set,
    # and a rule that moved the ticket to another level has already had it dispatched there.
    assignment.ticket_dispatch(ticket=ticket, trigger=Trigger.CREATED)


@receiver(tickets_level_changed, dispatch_uid="dispatch.tickets_level_changed")
def on_levels_changed(sender, tickets, assignee, **kwargs):
    if assignee is None:
        assignment.tickets_dispatch(tickets=[t for t in tickets if t.assignee_id is None], trigger=Trigger.ESCALATED)


@receiver(tickets_status_changed, dispatch_uid="dispatch.tickets_status_changed")
def on_status_changed(sender, tickets, transition, **kwargs):
    if transition != "reopen":
        return
    tickets = list(tickets)
    needing = [t for t in tickets if t.assignee_id is None]
    assigned = [t for t in tickets if t.assignee_id is not None]
    if assigned:
        # A reopened ticket stays with its agent unless they are away, absent or off shift.
        now = timezone.now()
        states = agent_states(levels={t.level for t in assigned}, at=now, table=HandlingTable())
        here = {s.agent.pk for level_states in states.values() for s in level_states if s.can_receive}
        needing += [t for t in assigned if t.assignee_id not in here]
    assignment.tickets_dispatch(tickets=needing, trigger=Trigger.REOPENED, unassign_unmatched=False)




@receiver(post_save, sender=LevelSetting, dispatch_uid="dispatch.level_setting_saved")
@receiver(post_delete, sender=LevelSetting, dispatch_uid="dispatch.level_setting_deleted")
def level_settings_changed(sender, **kwargs):
    invalidate(LEVEL_SETTINGS)


@receiver(post_save, sender=Skill, dispatch_uid="dispatch.skill_saved")
@receiver(post_delete, sender=Skill, dispatch_uid="dispatch.skill_deleted")
@receiver(post_save, sender=get_user_model(), dispatch_uid="dispatch.user_saved")
def skills_changed(sender, update_fields=None, **kwargs):
    if update_fields is not None and set(update_fields) <= {"last_login", "password"}:
        return  # every login saves last_login; only is_active matters here
    invalidate(SKILLED_LEVELS)
