"""Reads of the SLA configuration that every ticket creation and priority change makes: the policies with
their targets and calendars, from the reference cache (core.cache), given a new version by sla.receivers
whenever a policy, a target, a calendar, its hours or its holidays are saved or deleted."""

from __future__ import annotations

from core.cache import reference

from .calendar import WorkingCalendar
from .models import SlaPolicy, SlaTarget

POLICIES = "sla.policies"


def _load_policies() -> list[SlaPolicy]:
    """Every policy in its order (default first, then by name), each with `cached_targets` (by priority)
    and `working_calendar` (the arithmetic's calendar), in four queries whatever their number."""
    policies = list(SlaPolicy.objects.select_related("calendar").prefetch_related(
        "targets", "calendar__working_hours", "calendar__holidays"))
    calendars: dict[int, WorkingCalendar] = {}
    for policy in policies:
        if policy.calendar_id not in calendars:
            calendars[policy.calendar_id] = policy.calendar.as_working_calendar()
        policy.cached_targets = {target.priority: target for target in policy.targets.all()}
        policy.working_calendar = calendars[policy.calendar_id]
    return policies


def policies() -> list[SlaPolicy]:
    """The policies, shared by the process's requests: read them, never change them."""
    return reference(POLICIES, _load_policies)


def policy_for(ticket) -> SlaPolicy | None:
    """The organisation's own policy, else its contract's, else the default."""
    everything = policies()
    organisation = ticket.organisation if ticket.organisation_id else None
    if organisation is not None:
        policy = next((p for p in everything if p.organisation_id == organisation.pk), None)
        if policy is None and organisation.contract:
            policy = next((p for p in everything if p.organisation_id is None
                           and p.contract == organisation.contract), None)
        if policy is not None:
            return policy
    return next((p for p in everything if p.is_default), None)


def policy_target(policy: SlaPolicy, priority: str) -> SlaTarget | None:
    cached = getattr(policy, "cached_targets", None)
    if cached is not None:
        return cached.get(priority)
    return SlaTarget.objects.filter(policy=policy, priority=priority).first()


def policy_calendar(policy: SlaPolicy) -> WorkingCalendar:
    return getattr(policy, "working_calendar", None) or policy.calendar.as_working_calendar()
