"""Running a django-fsm transition with a clear refusal, for every model with a state machine."""

from __future__ import annotations

from collections.abc import Callable

from django.utils.translation import gettext as _
from django_fsm import FSMFieldMixin, can_proceed

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


class ThreadSafeRefreshMixin:
    """`refresh_from_db()` for a model with a protected django-fsm field, safe with threads.

    django-fsm's FSMModelMixin (inside ConcurrentTransitionMixin) reloads by switching each protected
    field's `protected` flag off and on again; the flag belongs to the field, shared by the whole process,
    so under threads (gunicorn gthread) another thread may assign the state directly meanwhile, and a
    refresh that overlaps another finds the flag back on and fails with "Direct status modification is not
    allowed". The field's descriptor only refuses an assignment when the value is already in the
    instance's `__dict__`: here the instance being reloaded drops its own protected values just before
    Django reloads them (and reports them as loaded meanwhile, so Django still selects them); nothing
    shared is touched. Put it first in the bases: `class Ticket(ThreadSafeRefreshMixin,
    ConcurrentTransitionMixin, models.Model)`. Deferred loading (`.only()`) goes through here too.
    """

    def _get_protected_fsm_fields(self) -> set[str]:
        return set()  # FSMModelMixin.refresh_from_db flips the shared flag of these: of none

    @property
    def state_fields(self) -> tuple:
        """ConcurrentTransitionMixin's state fields, found once per model: django-fsm filters every field of
        the model each time an instance is made (forty calls per ticket read: a thousand per queue page)."""
        model = type(self)
        fields = model.__dict__.get("_fsm_state_fields")
        if fields is None:
            fields = tuple(field for field in self._meta.fields if isinstance(field, FSMFieldMixin))
            model._fsm_state_fields = fields  # the same tuple whichever thread writes it
        return fields

    @classmethod
    def plain_build(cls) -> tuple[tuple[type, ...], Callable] | None:
        """How core.db may build this model's objects without Model.__init__ (core.db._plain): django-fsm's
        descriptor of a state field only refuses a second assignment of a protected state (and moves the object
        to a proxy class when the field has a `state_proxy`: then not at all), and ConcurrentTransitionMixin's
        __init__ only records the states read, which `_record_initial_states` does once the object is built. None
        if the class's __init__ is another."""
        from django_fsm import ConcurrentTransitionMixin, FSMFieldDescriptor

        if cls.__init__ is not ConcurrentTransitionMixin.__init__:
            return None
        if any(field.state_proxy for field in cls._meta.fields if isinstance(field, FSMFieldMixin)):
            return None
        return (FSMFieldDescriptor,), _record_initial_states

    def get_deferred_fields(self) -> set[str]:
        return super().get_deferred_fields() - self.__dict__.get("_fsm_reloading", set())

    def refresh_from_db(self, using=None, fields=None, from_queryset=None) -> None:
        # Every protected value the instance holds, whatever `fields` asks: ConcurrentTransitionMixin reads
        # the state when Django builds the fresh copy, so Django reloads it in any case.
        reloaded = {
            field.attname for field in self._meta.concrete_fields
            if isinstance(field, FSMFieldMixin) and field.protected and field.attname in self.__dict__
        }
        kept = {name: self.__dict__.pop(name) for name in reloaded}
        self.__dict__["_fsm_reloading"] = reloaded
        try:
            super().refresh_from_db(using=using, fields=fields, from_queryset=from_queryset)
        finally:
            del self.__dict__["_fsm_reloading"]
            for name, value in kept.items():  # not reloaded (the row is gone, not selected): as it was
                self.__dict__.setdefault(name, value)


def _record_initial_states(instance) -> None:
    """ConcurrentTransitionMixin._update_initial_state for an object just built from a row: the states read are in
    its __dict__ (django-fsm's get_state makes a DeferredAttribute per field and call to find them there); a state
    not read is loaded as django-fsm would."""
    values = instance.__dict__
    instance._ConcurrentTransitionMixin__initial_states = {
        field.attname: values[field.attname] if field.attname in values else field.value_from_object(instance)
        for field in instance.state_fields
    }
