"""The Django admin for the tickets app: a window on the data, never a side door around the services.

A ticket's status, level, priority and history change only through tickets.services (docs/architecture.md, "Services"):
here they are read-only, the assignee goes through `ticket_assign`, tickets are never added or
deleted (creation allocates the reference and starts the clocks; deletion would erase history), and
the history and the outbox are fully read-only.
"""

from __future__ import annotations

from django import forms
from django.contrib import admin
from django.db.models import F
from django.utils import timezone
from django.utils.text import Truncator
from django.utils.translation import gettext_lazy as _

from accounts.roles import is_agent

from . import services
from .models import (
    Attachment,
    CannedReply,
    Category,
    Followup,
    Notification,
    Status,
    Ticket,
    TicketEvent,
    TicketSequence,
)


class ReadOnlyAdminMixin:
    """Viewable by whoever may view; nobody adds, changes or deletes."""

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


# Category.__str__ walks up the tree (full_name): joining two levels of parents serves the usual
# three-level tree without a query per row.
CATEGORY_PATH = "parent__parent"


class CategoryListFilter(admin.RelatedFieldListFilter):
    """The category filter of the ticket list, without a query per category for its full name."""

    def field_choices(self, field, request, model_admin):
        categories = Category.objects.select_related(CATEGORY_PATH)
        return sorted(((category.pk, str(category)) for category in categories), key=lambda choice: choice[1])


@admin.register(Category)
class CategoryAdmin(admin.ModelAdmin):
    list_display = ("full_name", "parent", "is_active")
    list_filter = ("is_active", ("parent", CategoryListFilter))
    search_fields = ("name", "parent__name")
    autocomplete_fields = ("parent",)
    list_select_related = (CATEGORY_PATH,)

    def get_queryset(self, request):
        # Also serves the autocomplete of the ticket form, which prints full names.
        return super().get_queryset(request).select_related(CATEGORY_PATH)

    @admin.display(description=_("category"), ordering="name")
    def full_name(self, obj: Category) -> str:
        return obj.full_name


@admin.register(CannedReply)
class CannedReplyAdmin(admin.ModelAdmin):
    list_display = ("title", "is_active", "updated_at")
    list_filter = ("is_active",)
    search_fields = ("title", "body")


class TicketEventInline(ReadOnlyAdminMixin, admin.TabularInline):
    model = TicketEvent
    fk_name = "ticket"
    fields = ("created_at", "kind", "actor", "is_public", "data")
    readonly_fields = fields
    extra = 0
    can_delete = False
    show_change_link = True
    verbose_name_plural = _("history")

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("actor")


class FollowupInline(ReadOnlyAdminMixin, admin.TabularInline):
    model = Followup
    fields = ("created_at", "author", "is_public", "body")
    readonly_fields = fields
    extra = 0
    can_delete = False
    show_change_link = True

    def get_queryset(self, request):
        # The ticket: each row's change link prints the followup, whose name is its ticket's reference.
        return super().get_queryset(request).select_related("author", "ticket")


class TicketAdminForm(forms.ModelForm):
    """Checks what `services.ticket_assign` would refuse, so a refusal is a form error and not a 500."""

    admin_user = None  # Set per request by TicketAdmin.get_form.

    class Meta:
        model = Ticket
        # The editable fields; the admin shows the others read-only.
        fields = ("title", "description", "ticket_type", "channel", "category", "requester", "organisation",
                  "assignee")

    def clean_assignee(self):
        assignee = self.cleaned_data.get("assignee")
        if "assignee" not in self.changed_data:
            return assignee
        if self.instance.status == Status.CLOSED:
            raise forms.ValidationError(_("A closed ticket cannot be reassigned."))
        if assignee is not None and not is_agent(assignee):
            raise forms.ValidationError(_("Tickets can only be assigned to agents."))
        if self.admin_user is not None and not is_agent(self.admin_user):
            raise forms.ValidationError(_("Only agents assign tickets."))
        return assignee


@admin.register(Ticket)
class TicketAdmin(admin.ModelAdmin):
    form = TicketAdminForm
    list_display = (
        "reference", "title", "status", "priority", "level", "requester", "assignee", "created_at",
    )
    list_display_links = ("reference", "title")
    list_filter = (
        "status", "priority", "level", "ticket_type", "channel", ("category", CategoryListFilter),
        "sla_state",
    )
    search_fields = ("reference", "title", "requester__username", "requester__email")
    list_select_related = ("requester", "assignee")
    autocomplete_fields = ("requester", "assignee", "category", "organisation")
    date_hierarchy = "created_at"
    inlines = (FollowupInline, TicketEventInline)
    # Editable: plain data (recorded in the admin's own log), and the assignee through the service.
    # Everything the workflow owns — status, level, priority, solution, clocks — is read-only.
    readonly_fields = (
        "reference", "status", "version", "priority", "priority_overridden", "level", "urgency", "impact",
        "solution", "root_cause", "parent", "reopen_count", "sla_state", "is_recurring", "participants",
        "current_phase", "phase_started_at", "reception_seconds", "diagnostic_seconds", "resolution_seconds",
        "closure_seconds", "created_at", "updated_at", "first_response_at", "waiting_since", "resolved_at",
        "closed_at", "response_due_at", "resolution_due_at",
    )
    fieldsets = (
        (None, {"fields": ("reference", "status", "version", "title", "description")}),
        (_("Qualification"), {"fields": (
            "ticket_type", "channel", "category", "urgency", "impact", "priority", "priority_overridden",
            "level", "is_recurring",
        )}),
        (_("People"), {"fields": ("requester", "organisation", "assignee", "participants")}),
        (_("Resolution"), {"fields": ("root_cause", "solution", "parent", "reopen_count")}),
        (_("Dates and SLA"), {"classes": ("collapse",), "fields": (
            "created_at", "updated_at", "first_response_at", "waiting_since", "resolved_at", "closed_at",
            "response_due_at", "resolution_due_at", "sla_state",
        )}),
        (_("Time per phase (seconds)"), {"classes": ("collapse",), "fields": (
            "current_phase", "phase_started_at", "reception_seconds", "diagnostic_seconds",
            "resolution_seconds", "closure_seconds",
        )}),
    )

    def has_add_permission(self, request):
        return False  # services.ticket_create allocates the reference, starts the SLA clocks, acknowledges.

    def has_delete_permission(self, request, obj=None):
        return False  # Deleting would cascade over the append-only history.

    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change=change, **kwargs)
        form.admin_user = request.user  # A class made for this request by modelform_factory.
        return form

    def save_model(self, request, obj, form, change):
        """Save only the plain fields the form changed; hand a new assignee to the service, which
        records it in the ticket's history and notifies the agent."""
        fields = [name for name in form.changed_data if name != "assignee"]
        if fields:
            # Bumping the version makes a workspace form opened before this edit stale (see services).
            obj.version = F("version") + 1
            obj.updated_at = timezone.now()
            obj.save(update_fields=[*fields, "version", "updated_at"])
            obj.version = Ticket.objects.values_list("version", flat=True).get(pk=obj.pk)
        if "assignee" in form.changed_data:
            services.ticket_assign(ticket=obj, actor=request.user, assignee=form.cleaned_data["assignee"])


@admin.register(Followup)
class FollowupAdmin(admin.ModelAdmin):
    list_display = ("ticket", "author", "is_public", "excerpt", "created_at")
    list_filter = ("is_public", "created_at")
    search_fields = ("ticket__reference", "ticket__title", "author__username", "body")
    list_select_related = ("ticket", "author")
    date_hierarchy = "created_at"
    # The body stays editable so an administrator can redact a password pasted into a reply;
    # who wrote it, where and for whom are facts of the history.
    readonly_fields = ("ticket", "author", "is_public", "created_at")

    def has_add_permission(self, request):
        return False  # services.followup_add records the history and notifies.

    def has_delete_permission(self, request, obj=None):
        return False  # Would cascade over the history events that point to it.

    @admin.display(description=_("message"))
    def excerpt(self, obj: Followup) -> str:
        return Truncator(obj.body).chars(80)


@admin.register(Attachment)
class AttachmentAdmin(admin.ModelAdmin):
    list_display = (
        "original_name", "ticket", "is_public", "content_type", "size", "uploaded_by", "created_at",
    )
    list_filter = ("content_type", "created_at")
    search_fields = ("original_name", "ticket__reference")
    list_select_related = ("ticket", "followup", "uploaded_by")
    date_hierarchy = "created_at"
    readonly_fields = (
        "ticket", "followup", "file", "original_name", "content_type", "size", "uploaded_by", "created_at",
    )

    def has_add_permission(self, request):
        return False  # Uploads are validated by the services (type, size, name).

    def has_change_permission(self, request, obj=None):
        return False  # Deletion stays possible, e.g. for a file that should never have been sent.

    @admin.display(description=_("public"), boolean=True)
    def is_public(self, obj: Attachment) -> bool:
        return obj.is_public


@admin.register(TicketEvent)
class TicketEventAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ("ticket", "kind", "actor", "is_public", "created_at")
    list_filter = ("kind", "is_public", "created_at")
    search_fields = ("ticket__reference", "ticket__title", "actor__username")
    list_select_related = ("ticket", "actor")
    date_hierarchy = "created_at"
    fields = ("ticket", "kind", "actor", "is_public", "followup", "data", "created_at")
    readonly_fields = fields


class SentListFilter(admin.SimpleListFilter):
    title = _("sent")
    parameter_name = "sent"

    def lookups(self, request, model_admin):
        return (("yes", _("Sent")), ("no", _("Not sent")), ("failed", _("Failed at least once")))

    def queryset(self, request, queryset):
        if self.value() == "yes":
            return queryset.filter(sent_at__isnull=False)
        if self.value() == "no":
            return queryset.filter(sent_at__isnull=True)
        if self.value() == "failed":
            return queryset.exclude(last_error="")
        return queryset


@admin.register(Notification)
class NotificationAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ("template", "ticket", "recipient", "created_at", "sent_at", "attempts")
    list_filter = (SentListFilter, "template", "created_at")
    search_fields = ("event__ticket__reference", "recipient__username", "recipient__email", "template")
    list_select_related = ("event__ticket", "recipient")
    date_hierarchy = "created_at"
    fields = (
        "event", "recipient", "template", "created_at", "claimed_at", "sent_at", "attempts", "last_error",
    )
    readonly_fields = fields

    @admin.display(description=_("ticket"), ordering="event__ticket__reference")
    def ticket(self, obj: Notification) -> str:
        return obj.event.ticket.reference


@admin.register(TicketSequence)
class TicketSequenceAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """Changing a counter by hand would hand out references twice."""

    list_display = ("year", "last_number")
