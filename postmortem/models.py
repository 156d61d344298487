"""Major incidents (ALERTE → MOBILISATION → RÉSOLUTION → POSTMORTEM) and their postmortems.

A P1 or P2 ticket is a major incident: one MajorIncident per ticket (a unique one-to-one), with
its war room (participants, human timeline entries, status updates to stakeholders, linked
tickets). When its ticket is resolved, a Postmortem following the template is created, due
within 48 h. States change only through postmortem.services (docs/architecture.md, "Services").
"""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_fsm import ConcurrentTransitionMixin, FSMField, transition

from accounts.models import Organisation
from accounts.roles import is_agent, is_manager
from core.fsm import ThreadSafeRefreshMixin
from tickets.models import Category, Ticket

# The template: "Postmortem: analyse à froid dans les 48h".
POSTMORTEM_DELAY = timedelta(hours=48)
# The owner is reminded this long before the postmortem is due.
REMINDER_BEFORE = timedelta(hours=12)


class IncidentState(models.TextChoices):
    ALERT = "alert", _("Alerte")
    MOBILISATION = "mobilisation", _("Mobilisation")
    RESOLUTION = "resolution", _("Résolution")
    POSTMORTEM = "postmortem", _("Postmortem")
    # Off the procedure: an agent said the automatic P1/P2 alert is not a major incident.
    DISMISSED = "dismissed", _("Pas un incident majeur")


# The procedure's steps, in order, as the war room's stepper shows them.
PROCEDURE_STATES = [IncidentState.ALERT, IncidentState.MOBILISATION, IncidentState.RESOLUTION,
                    IncidentState.POSTMORTEM]


class Trigger(models.TextChoices):
    CREATED = "created", _("P1/P2 ticket created")
    RAISED = "raised", _("Priority raised to P1/P2")
    MANUAL = "manual", _("Declared by an agent")


class PostmortemState(models.TextChoices):
    DRAFT = "draft", _("Brouillon")
    IN_REVIEW = "in_review", _("En revue")
    PUBLISHED = "published", _("Publié")


def _is_agent(instance, user) -> bool:
    return is_agent(user)


def _is_manager(instance, user) -> bool:
    return is_manager(user)


def _is_automatic(incident: MajorIncident) -> bool:
    return incident.trigger != Trigger.MANUAL


def _is_owner_or_manager(postmortem: Postmortem, user) -> bool:
    return is_manager(user) or (is_agent(user) and postmortem.owner_id == user.pk)


def _has_analysis(postmortem: Postmortem) -> bool:
    return bool(postmortem.root_cause.strip() and postmortem.lessons_learned.strip())


# ConcurrentTransitionMixin includes django-fsm's FSMModelMixin (refresh_from_db with a protected field);
# ThreadSafeRefreshMixin makes that refresh safe with threads (core.fsm).
class MajorIncident(ThreadSafeRefreshMixin, ConcurrentTransitionMixin, models.Model):
    """A P1/P2 ticket handled by the major-incident procedure. Created once per ticket."""

    ticket = models.OneToOneField(Ticket, on_delete=models.CASCADE, related_name="major_incident",
                                  verbose_name=_("ticket"))
    state = FSMField(_("state"), max_length=20, choices=IncidentState.choices, default=IncidentState.ALERT,
                     protected=True)
    declared_at = models.DateTimeField(_("declared at"), default=timezone.now, db_index=True)
    declared_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+",
        verbose_name=_("declared by"), help_text=_("Empty: declared automatically from the priority."),
    )
    trigger = models.CharField(_("declared because"), max_length=10, choices=Trigger.choices,
                               default=Trigger.MANUAL)
    reason = models.TextField(_("reason"), blank=True)
    mobilised_at = models.DateTimeField(_("mobilised at"), null=True, blank=True)
    resolved_at = models.DateTimeField(_("resolved at"), null=True, blank=True)
    dismissed_at = models.DateTimeField(_("dismissed at"), null=True, blank=True)
    dismissed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
                                     related_name="+", verbose_name=_("dismissed by"))
    dismiss_reason = models.TextField(_("why it is not a major incident"), blank=True)
    # The ticket's priority when the alert was dismissed: only a P2 dismissed then raised to P1 alerts again.
    dismissed_priority = models.CharField(_("priority when dismissed"), max_length=2, blank=True)
    participants = models.ManyToManyField(settings.AUTH_USER_MODEL, blank=True, related_name="major_incidents",
                                          verbose_name=_("participants"))
    linked_tickets = models.ManyToManyField(Ticket, through="LinkedTicket", blank=True,
                                            related_name="linked_incidents", verbose_name=_("linked tickets"))

    class Meta:
        ordering = ["-declared_at", "-id"]
        verbose_name = _("major incident")
        verbose_name_plural = _("major incidents")
        indexes = [models.Index(fields=["state", "-declared_at"], name="incident_state_declared")]

    def __str__(self) -> str:
        return f"{self.ticket.reference} – {self.ticket.title}"

    def get_absolute_url(self) -> str:
        return reverse("postmortem:incident", args=[self.pk])

    @property
    def is_active(self) -> bool:
        return self.state in (IncidentState.ALERT, IncidentState.MOBILISATION)

    # --- The procedure. Transitions only move the state; services do the rest.

    @transition(field=state, source=IncidentState.ALERT, target=IncidentState.MOBILISATION, permission=_is_agent)
    def mobilise(self) -> None:
        """The war room opens: people join."""

    @transition(field=state, source=[IncidentState.ALERT, IncidentState.MOBILISATION],
                target=IncidentState.RESOLUTION)
    def resolve(self) -> None:
        """The ticket is resolved (by the system, following the ticket)."""

    @transition(field=state, source=IncidentState.RESOLUTION, target=IncidentState.MOBILISATION)
    def reopen(self) -> None:
        """The ticket was reopened: back to the war room."""

    @transition(field=state, source=IncidentState.RESOLUTION, target=IncidentState.POSTMORTEM)
    def close(self) -> None:
        """The postmortem is published: the procedure is over."""

    @transition(field=state, source=IncidentState.ALERT, target=IncidentState.DISMISSED,
                conditions=[_is_automatic], permission=_is_agent)
    def dismiss(self) -> None:
        """An agent says the automatic alert is not a major incident: the war room never opens."""

    @transition(field=state, source=IncidentState.DISMISSED, target=IncidentState.ALERT)
    def redeclare(self) -> None:
        """Alerted again: a dismissed P2 raised to P1, or an agent declares it by hand."""


class LinkedTicket(models.Model):
    """Another ticket reporting the same outage; resolved with the incident. A ticket joins one incident."""

    incident = models.ForeignKey(MajorIncident, on_delete=models.CASCADE, related_name="links")
    ticket = models.OneToOneField(Ticket, on_delete=models.CASCADE, related_name="incident_link",
                                  verbose_name=_("ticket"))
    linked_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
                                  related_name="+", verbose_name=_("linked by"))
    linked_at = models.DateTimeField(_("linked at"), default=timezone.now)

    class Meta:
        ordering = ["linked_at", "id"]
        verbose_name = _("linked ticket")
        verbose_name_plural = _("linked tickets")
        # The war room's list of linked tickets, by keyset (postmortem.selectors.incident_links_page).
        indexes = [models.Index(fields=["incident", "linked_at", "id"], name="linkedticket_incident_keyset")]

    def __str__(self) -> str:
        return f"{self.incident_id} ← {self.ticket_id}"


class IncidentFollower(models.Model):
    """A requester who said "me too" on the new-ticket form instead of filing a ticket (storms app): they
    receive the incident's status updates and see them on its status page. Counted as a deflection."""

    incident = models.ForeignKey(MajorIncident, on_delete=models.CASCADE, related_name="followers")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="followed_incidents",
                             verbose_name=_("user"))
    query = models.CharField(_("what they typed"), max_length=200, blank=True)
    created_at = models.DateTimeField(_("followed at"), default=timezone.now, db_index=True)

    class Meta:
        ordering = ["created_at", "id"]
        verbose_name = _("incident follower")
        verbose_name_plural = _("incident followers")
        constraints = [models.UniqueConstraint(fields=["incident", "user"], name="incident_follower_once")]

    def __str__(self) -> str:
        return f"{self.incident_id} ← {self.user_id}"


class Stakeholder(models.Model):
    """Someone alerted of every major incident, besides the managers and N4 (configured in the admin)."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE,
                                related_name="incident_stakeholder", verbose_name=_("user"))
    is_active = models.BooleanField(_("active"), default=True)
    note = models.CharField(_("role"), max_length=200, blank=True,
                            help_text=_("Why they are alerted, e.g. “Head of sales”."))

    class Meta:
        ordering = ["user__username"]
        verbose_name = _("stakeholder")
        verbose_name_plural = _("stakeholders")

    def __str__(self) -> str:
        return self.user.get_full_name() or self.user.get_username()


class IncidentEntry(models.Model):
    """A human "HH:MM – what happened" line of the war-room timeline."""

    incident = models.ForeignKey(MajorIncident, on_delete=models.CASCADE, related_name="entries")
    at = models.DateTimeField(_("at"))
    # False when only the time was typed and the day inferred as today: such an entry may be a day off,
    # so it never moves the outage's start far (services.incidents._outage_start).
    date_explicit = models.BooleanField(_("date given or confirmed"), default=False)
    text = models.TextField(_("what happened"))
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+",
                               verbose_name=_("author"))
    created_at = models.DateTimeField(_("written at"), default=timezone.now)

    class Meta:
        ordering = ["at", "id"]
        verbose_name = _("timeline entry")
        verbose_name_plural = _("timeline entries")
        indexes = [models.Index(fields=["incident", "at"], name="incident_entry_at")]

    def __str__(self) -> str:
        return f"{self.at:%H:%M} – {self.text[:50]}"


class IncidentStatusUpdate(models.Model):
    """A status update emailed to the stakeholders."""

    incident = models.ForeignKey(MajorIncident, on_delete=models.CASCADE, related_name="status_updates")
    body = models.TextField(_("update"))
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+",
                               verbose_name=_("author"))
    created_at = models.DateTimeField(_("sent at"), default=timezone.now)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("status update")
        verbose_name_plural = _("status updates")

    def __str__(self) -> str:
        return f"{self.incident_id} {self.created_at:%Y-%m-%d %H:%M}"


class PostmortemQuerySet(models.QuerySet):
    def overdue(self, *, at=None) -> PostmortemQuerySet:
        return self.exclude(state=PostmortemState.PUBLISHED).filter(due_at__lte=at or timezone.now())

    def shared_with(self, user) -> PostmortemQuerySet:
        """Published postmortems shared with the user by name or through their organisation."""
        condition = Q(shared_with_users=user)
        profile = getattr(user, "profile", None) if hasattr(user, "profile") else None
        if profile is not None and profile.organisation_id:
            condition |= Q(shared_with_organisations=profile.organisation_id)
        return self.filter(condition, state=PostmortemState.PUBLISHED).distinct()


class Postmortem(ThreadSafeRefreshMixin, ConcurrentTransitionMixin, models.Model):
    """The template's postmortem of a major incident, due 48 h after its resolution."""

    incident = models.OneToOneField(MajorIncident, on_delete=models.CASCADE, related_name="postmortem",
                                    verbose_name=_("major incident"))
    title = models.CharField(_("title"), max_length=200)
    started_at = models.DateTimeField(_("start of the outage"))
    ended_at = models.DateTimeField(_("end of the outage"))
    impact_users = models.TextField(_("users affected"), blank=True)
    business_loss = models.TextField(_("business loss"), blank=True)
    timeline = models.TextField(_("timeline"), blank=True,
                                help_text=_("One line per event: “HH:MM – what happened”."))
    root_cause = models.TextField(_("root cause"), blank=True)
    lessons_learned = models.TextField(_("lessons learned"), blank=True)
    internal_notes = models.TextField(_("internal notes"), blank=True,
                                      help_text=_("Never shown to requesters, not exported."))
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
                              related_name="owned_postmortems", verbose_name=_("owner"))
    state = FSMField(_("state"), max_length=20, choices=PostmortemState.choices, default=PostmortemState.DRAFT,
                     protected=True)
    due_at = models.DateTimeField(_("due at"))
    published_at = models.DateTimeField(_("published at"), null=True, blank=True)
    # Set once by the beat job's conditional update: the "never twice" guarantee.
    reminded_at = models.DateTimeField(_("owner reminded at"), null=True, blank=True)
    overdue_flagged_at = models.DateTimeField(_("flagged overdue at"), null=True, blank=True)
    shared_with_users = models.ManyToManyField(settings.AUTH_USER_MODEL, blank=True, related_name="+",
                                               verbose_name=_("shared with (people)"))
    shared_with_organisations = models.ManyToManyField(Organisation, blank=True, related_name="+",
                                                       verbose_name=_("shared with (organisations)"))
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    updated_at = models.DateTimeField(_("updated at"), default=timezone.now)

    objects = PostmortemQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("postmortem")
        verbose_name_plural = _("postmortems")
        indexes = [
            # The beat job's two sweeps read only rows not yet reminded / flagged, by deadline.
            models.Index(fields=["due_at"], condition=Q(reminded_at__isnull=True), name="postmortem_to_remind"),
            models.Index(fields=["due_at"], condition=Q(overdue_flagged_at__isnull=True),
                         name="postmortem_to_flag"),
        ]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return reverse("postmortem:postmortem", args=[self.pk])

    @property
    def duration(self) -> timedelta | None:
        if self.started_at and self.ended_at and self.ended_at >= self.started_at:
            return self.ended_at - self.started_at
        return None

    @property
    def is_overdue(self) -> bool:
        return self.state != PostmortemState.PUBLISHED and self.due_at <= timezone.now()

    @property
    def is_editable(self) -> bool:
        return self.state != PostmortemState.PUBLISHED

    @transition(field=state, source=PostmortemState.DRAFT, target=PostmortemState.IN_REVIEW,
                conditions=[_has_analysis], permission=_is_agent)
    def submit(self) -> None:
        """Ready for review: the root cause and the lessons are written."""

    @transition(field=state, source=PostmortemState.IN_REVIEW, target=PostmortemState.PUBLISHED,
                conditions=[_has_analysis], permission=_is_manager)
    def publish(self) -> None:
        """A manager approves it; it can then be shared with requesters."""

    @transition(field=state, source=PostmortemState.IN_REVIEW, target=PostmortemState.DRAFT,
                permission=_is_owner_or_manager)
    def back_to_draft(self) -> None:
        """Sent back to its owner for changes."""


class PostmortemEvent(models.Model):
    """Append-only log of a postmortem: created, each state move, shares — who and when."""

    class Action(models.TextChoices):
        CREATED = "created", _("Created")
        EDITED = "edited", _("Edited")
        SUBMIT = "submit", _("Submitted for review")
        PUBLISH = "publish", _("Published")
        BACK_TO_DRAFT = "back_to_draft", _("Sent back to draft")
        SHARED = "shared", _("Sharing changed")
        RECURRENCE = "recurrence", _("Recurrence found: a corrective action reopened")

    postmortem = models.ForeignKey(Postmortem, on_delete=models.CASCADE, related_name="events")
    action = models.CharField(_("action"), max_length=20, choices=Action.choices)
    from_state = models.CharField(_("from"), max_length=20, choices=PostmortemState.choices, blank=True)
    to_state = models.CharField(_("to"), max_length=20, choices=PostmortemState.choices, blank=True)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
                              related_name="+", verbose_name=_("by"))
    data = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(_("at"), default=timezone.now)

    class Meta:
        ordering = ["created_at", "id"]
        verbose_name = _("postmortem event")
        verbose_name_plural = _("postmortem events")

    def __str__(self) -> str:
        return f"{self.postmortem_id} {self.action} {self.created_at:%Y-%m-%d %H:%M}"

    def save(self, *args, **kwargs) -> None:
        if self.pk is not None and not kwargs.get("force_insert"):
            raise ValueError("The postmortem log is append-only.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise ValueError("The postmortem log is append-only.")


class RecurrenceWindow(models.IntegerChoices):
    DAYS_30 = 30, _("30 days")
    DAYS_60 = 60, _("60 days")
    DAYS_90 = 90, _("90 days")


class CorrectiveAction(models.Model):
    """An action the postmortem commits to, with an owner, a deadline and a done state."""

    postmortem = models.ForeignKey(Postmortem, on_delete=models.CASCADE, related_name="actions")
    description = models.CharField(_("action"), max_length=300)
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+",
                              verbose_name=_("owner"))
    due_date = models.DateField(_("deadline"))
    done = models.BooleanField(_("done"), default=False)
    done_at = models.DateTimeField(_("done at"), null=True, blank=True)
    done_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
                                related_name="+", verbose_name=_("done by"))
    overdue_flagged_at = models.DateTimeField(_("flagged overdue at"), null=True, blank=True)
    # The recurrence check: once done, no major incident in this category (its subcategories too) and/or
    # this organisation for this many days (postmortem.services.recurrences_check, on beat).
    recurrence_days = models.PositiveSmallIntegerField(_("no incident again for"), choices=RecurrenceWindow.choices,
                                                       null=True, blank=True)
    recurrence_category = models.ForeignKey(Category, on_delete=models.SET_NULL, null=True, blank=True,
                                            related_name="+", verbose_name=_("in the category"))
    recurrence_organisation = models.ForeignKey(Organisation, on_delete=models.SET_NULL, null=True, blank=True,
                                                related_name="+", verbose_name=_("for the organisation"))
    # Set when the window passed with no recurrence: the action held.
    recurrence_held_at = models.DateTimeField(_("held since"), null=True, blank=True)
    recurrence_count = models.PositiveIntegerField(_("recurrences"), default=0)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)

    class Meta:
        ordering = ["due_date", "id"]
        verbose_name = _("corrective action")
        verbose_name_plural = _("corrective actions")
        indexes = [
            # The overdue sweep reads only open actions not yet flagged, by deadline.
            models.Index(fields=["due_date"], condition=Q(done=False, overdue_flagged_at__isnull=True),
                         name="action_to_flag"),
            # The recurrence sweep reads only done actions whose check is still running.
            models.Index(fields=["done_at"], condition=Q(done=True, recurrence_days__isnull=False,
                                                         recurrence_held_at__isnull=True),
                         name="action_recurrence_watch"),
        ]

    def __str__(self) -> str:
        return self.description

    @property
    def is_overdue(self) -> bool:
        return not self.done and self.due_date < timezone.localdate()

    @property
    def has_recurrence_check(self) -> bool:
        return self.recurrence_days is not None

    @property
    def recurrence_watch_until(self):
        """The end of the running check's window (None when it is not running)."""
        if not self.has_recurrence_check or not self.done or self.done_at is None or self.recurrence_held_at:
            return None
        return self.done_at + timedelta(days=self.recurrence_days)


class Recurrence(models.Model):
    """A major incident of the same kind after a postmortem's corrective action was done: the action was
    reopened and the new incident is linked to the old postmortem. One per action and incident."""

    postmortem = models.ForeignKey(Postmortem, on_delete=models.CASCADE, related_name="recurrences")
    action = models.ForeignKey(CorrectiveAction, on_delete=models.CASCADE, related_name="recurrences",
                               verbose_name=_("corrective action"))
    incident = models.ForeignKey(MajorIncident, on_delete=models.CASCADE, related_name="recurrence_of",
                                 verbose_name=_("new major incident"))
    found_at = models.DateTimeField(_("found at"), default=timezone.now)

    class Meta:
        ordering = ["found_at", "id"]
        verbose_name = _("recurrence")
        verbose_name_plural = _("recurrences")
        constraints = [models.UniqueConstraint(fields=["action", "incident"], name="recurrence_once")]

    def __str__(self) -> str:
        return f"{self.action_id} ← {self.incident_id}"
