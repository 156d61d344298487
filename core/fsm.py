"""Running a django-fsm transition with a clear refusal, for every model with a state machine."""

from __future__ import annotations

from collections.abc import Callable

from django.utils.translation import gettext as _
from django_fsm import can_proceed

from .exceptions import TransitionRefused


def apply_transition(instance, name: str, *, actor, label: str, not_from: Callable[[], str],
                     guard: Callable[[], str], refused_for=None) -> tuple[str, str]:
    """Run `instance.<name>()` as `actor` (None: the system, which needs no permission); return
    (source, target) of the state field.

    Refused, in this order, with the message a person can act on: the current state does not allow
    the move (`not_from()`), `actor` may not make it, or its guard fails (`guard()`). `refused_for` is
    the object the refusal is about (the 409 page shows it), by default `instance`.
    """
    method = getattr(instance, name)
    about = instance if refused_for is None else refused_for
    if not can_proceed(method, check_conditions=False):
        raise TransitionRefused(not_from(), ticket=about)
    meta = method._django_fsm
    field_name = meta.field if isinstance(meta.field, str) else meta.field.name
    source = getattr(instance, field_name)
    # The permission alone: django_fsm.has_transition_perm also checks the conditions, and a failed
    # guard must be reported as such, not as "not allowed".
    if actor is not None and not meta.has_transition_perm(instance, source, actor):
        raise TransitionRefused(_("You are not allowed to %(action)s.") % {"action": label}, ticket=about)
    if not can_proceed(method):
        raise TransitionRefused(guard(), ticket=about)
    method()
    return source, getattr(instance, field_name)
