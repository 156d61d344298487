"""The postmortem: its text, draft → in review → published, sharing, corrective actions."""

from __future__ import annotations

from collections.abc import Iterable

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django_fsm import can_proceed

from accounts.roles import is_agent
from core.exceptions import ActionRefused
from tickets import services as ticket_services

from ..models import CorrectiveAction, Postmortem, PostmortemEvent, PostmortemState
from ..selectors import postmortem_readers
from .common import (
    POSTMORTEM_TRANSITION_LABELS,
    _apply,
    _incident_event,
    _lock_incident,
    _lock_postmortem,
    _require_agent,
)

POSTMORTEM_FIELDS = ("title", "started_at", "ended_at", "impact_users", "business_loss", "timeline",
                     "root_cause", "lessons_learned", "internal_notes", "owner")


@transaction.atomic
def postmortem_update(*, postmortem: Postmortem, actor, **fields) -> Postmortem:
    """Save the postmortem's text (not its state) while it is not published; logs which fields changed."""
    _require_agent(actor, postmortem.incident)
    unknown = set(fields) - set(POSTMORTEM_FIELDS)
    if unknown:
        raise TypeError(f"Unknown postmortem fields: {sorted(unknown)}")
    postmortem = _lock_postmortem(postmortem)
    if not postmortem.is_editable:
        raise ActionRefused(_("A published postmortem can no longer be changed."),
                             ticket=postmortem.incident.ticket)
    if fields.get("started_at") and fields.get("ended_at") and fields["ended_at"] < fields["started_at"]:
        raise ActionRefused(_("The outage cannot end before it starts."), ticket=postmortem.incident.ticket)
    changed = []
    for name, value in fields.items():
        if getattr(postmortem, name) != value:
            setattr(postmortem, name, value)
            changed.append(name)
    if changed:
        postmortem.updated_at = timezone.now()
        postmortem.save(update_fields=[*changed, "updated_at"])
        PostmortemEvent.objects.create(postmortem=postmortem, action=PostmortemEvent.Action.EDITED,
                                       actor=actor, data={"fields": changed})
    return postmortem


def _postmortem_move(postmortem: Postmortem, actor, name: str, action: str) -> Postmortem:
    postmortem = _lock_postmortem(postmortem)
    source, target = _apply(postmortem, name, actor, POSTMORTEM_TRANSITION_LABELS,
                            postmortem.get_state_display())
    fields = ["state", "updated_at"]
    postmortem.updated_at = timezone.now()
    if target == PostmortemState.PUBLISHED:
        postmortem.published_at = postmortem.updated_at
        fields.append("published_at")
    postmortem.save(update_fields=fields)
    PostmortemEvent.objects.create(postmortem=postmortem, action=action, from_state=source, to_state=target,
                                   actor=actor)
    return postmortem


@transaction.atomic
def postmortem_submit(*, postmortem: Postmortem, actor) -> Postmortem:
    """Draft → in review: the root cause and lessons are written; a manager reviews it."""
    return _postmortem_move(postmortem, actor, "submit", PostmortemEvent.Action.SUBMIT)


@transaction.atomic
def postmortem_back_to_draft(*, postmortem: Postmortem, actor) -> Postmortem:
    """In review → draft: sent back to its owner for changes."""
    return _postmortem_move(postmortem, actor, "back_to_draft", PostmortemEvent.Action.BACK_TO_DRAFT)


@transaction.atomic
def postmortem_publish(*, postmortem: Postmortem, actor) -> Postmortem:
    """In review → published (a manager): final; the incident's procedure ends (→ POSTMORTEM) and the
    ticket's timeline says so. Only now can requesters it is shared with read it: each is emailed the
    link after commit."""
    postmortem = _postmortem_move(postmortem, actor, "publish", PostmortemEvent.Action.PUBLISH)
    incident = _lock_incident(postmortem.incident)
    if can_proceed(incident.close):
        incident.close()
        incident.save(update_fields=["state"])
    event = _incident_event(incident, "postmortem_published", actor=actor, **_postmortem_data(postmortem))
    ticket_services.notify(event=event, recipients=postmortem_readers(postmortem), template="postmortem_published")
    return postmortem


@transaction.atomic
def postmortem_share(*, postmortem: Postmortem, actor, users: Iterable, organisations: Iterable) -> Postmortem:
    """Set who may read the postmortem once published: named requesters and whole organisations.
    Once it is published, the requesters who can newly read it are emailed the link after commit."""
    _require_agent(actor, postmortem.incident)
    postmortem = _lock_postmortem(postmortem)
    users, organisations = list(users), list(organisations)
    published = postmortem.state == PostmortemState.PUBLISHED
    before = {reader.pk for reader in postmortem_readers(postmortem)} if published else set()
    postmortem.shared_with_users.set(users)
    postmortem.shared_with_organisations.set(organisations)
    PostmortemEvent.objects.create(
        postmortem=postmortem, action=PostmortemEvent.Action.SHARED, actor=actor,
        data={"users": [user.get_username() for user in users],
              "organisations": [organisation.name for organisation in organisations]},
    )
    newcomers = [reader for reader in postmortem_readers(postmortem) if reader.pk not in before] if published else []
    if newcomers:
        event = _incident_event(postmortem.incident, "postmortem_shared", actor=actor, **_postmortem_data(postmortem))
        ticket_services.notify(event=event, recipients=newcomers, template="postmortem_published")
    return postmortem


def _postmortem_data(postmortem: Postmortem) -> dict:
    """What the requesters' email needs: the postmortem's title and its page (never the war room)."""
    return {"postmortem_id": postmortem.pk, "title": postmortem.title,
            "postmortem_path": postmortem.get_absolute_url()}


@transaction.atomic
def corrective_action_add(*, postmortem: Postmortem, actor, description: str, owner, due_date,
                          recurrence_days: int | None = None, recurrence_category=None,
                          recurrence_organisation=None) -> CorrectiveAction:
    """Commit the postmortem to an action with an owner (an agent) and a deadline, and optionally a
    recurrence check: once done, no major incident in `recurrence_category` and/or
    `recurrence_organisation` for `recurrence_days` days (services.recurrences)."""
    _require_agent(actor, postmortem.incident)
    postmortem = _lock_postmortem(postmortem)
    if not postmortem.is_editable:
        raise ActionRefused(_("A published postmortem can no longer be changed."),
                             ticket=postmortem.incident.ticket)
    if not description.strip():
        raise ActionRefused(_("Describe the action."), ticket=postmortem.incident.ticket)
    if not is_agent(owner):
        raise ActionRefused(_("The owner of an action must be an agent."), ticket=postmortem.incident.ticket)
    if recurrence_days and recurrence_category is None and recurrence_organisation is None:
        raise ActionRefused(_("A recurrence check needs a category or an organisation."),
                            ticket=postmortem.incident.ticket)
    if not recurrence_days:
        recurrence_category = recurrence_organisation = None
    return CorrectiveAction.objects.create(postmortem=postmortem, description=description.strip(), owner=owner,
                                           due_date=due_date, recurrence_days=recurrence_days or None,
                                           recurrence_category=recurrence_category,
                                           recurrence_organisation=recurrence_organisation)


@transaction.atomic
def corrective_action_complete(*, action: CorrectiveAction, actor, done: bool = True) -> CorrectiveAction:
    """Tick an action done (or not done again). The conditional update makes a double click a no-op."""
    _require_agent(actor, action.postmortem.incident)
    now = timezone.now()
    values = {"done": done, "done_at": now if done else None, "done_by": actor if done else None}
    CorrectiveAction.objects.filter(pk=action.pk, done=not done).update(**values)
    action.refresh_from_db()
    return action
