"""Forms validate input; crispy lays them out; services do the saving."""

from __future__ import annotations

from crispy_forms.helper import FormHelper
from crispy_forms.layout import Column, Field, Layout, Row, Submit
from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.template.defaultfilters import filesizeformat
from django.utils.functional import cached_property, lazy
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

from accounts.people import user_display
from accounts.roles import is_agent
from accounts.selectors import agent_list
from core.forms import CachedModelChoiceField

from .models import CannedReply, Category, LinkKind, Phase, Priority, Scale, TicketType
from .selectors import active_categories
from .uploads import validate_upload


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


def _upload_limits() -> str:
    """The limits validate_upload applies, written under every file input."""
    return _("Up to %(count)d files of %(size)s at most each: %(types)s.") % {
        "count": settings.HELPDESK_ATTACHMENT_MAX_FILES,
        "size": filesizeformat(settings.HELPDESK_ATTACHMENT_MAX_BYTES),
        "types": ", ".join(extension.upper() for extension in settings.HELPDESK_ATTACHMENT_EXTENSIONS),
    }


class MultipleFileField(forms.FileField):
    """Several files in one input, each checked by tickets.uploads.validate_upload."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("widget", MultipleFileInput(attrs={"multiple": True}))
        kwargs.setdefault("required", False)
        kwargs.setdefault("help_text", lazy(_upload_limits, str)())
        super().__init__(*args, **kwargs)

    def clean(self, data, initial=None):
        files = data if isinstance(data, list | tuple) else ([data] if data else [])
        files = [f for f in files if f]
        if len(files) > settings.HELPDESK_ATTACHMENT_MAX_FILES:
            raise ValidationError(
                _("At most %(count)d files at once.") % {"count": settings.HELPDESK_ATTACHMENT_MAX_FILES}
            )
        errors = []
        for upload in files:
            super().clean(upload, initial)
            try:
                validate_upload(upload)
            except ValidationError as error:
                errors.extend(error.messages)
        if errors:
            raise ValidationError(errors)
        return files


def _full_name(category: Category) -> str:
    return category.full_name


class CategoryChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Category) -> str:
        return obj.full_name


def _helper(*, submit: str | None = None, form_tag: bool = True) -> FormHelper:
    helper = FormHelper()
    helper.form_tag = form_tag
    if submit:
        helper.add_input(Submit("submit", submit))
    return helper


class VersionedForm(forms.Form):
    """Carries the ticket version the page showed, so a stale form is refused (StaleForm)."""

    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1)


class TicketCreateForm(forms.Form):
    ticket_type = forms.ChoiceField(label=_("Type of request"), choices=TicketType.choices,
                                    initial=TicketType.SUPPORT_REQUEST)
    category = CachedModelChoiceField(label=_("Category"), objects=active_categories, label_from_instance=_full_name,
                                      required=False, empty_label=_("— I don't know —"))
    title = forms.CharField(label=_("Title"), max_length=200,
                            help_text=_("In a few words: what is wrong or what do you need?"))
    description = forms.CharField(
        label=_("Description"), widget=forms.Textarea(attrs={"rows": 6}), max_length=20000,
        help_text=_("What happened, since when, what you have tried, any error message."),
    )
    urgency = forms.ChoiceField(label=_("Urgency"), choices=Scale.choices, initial=Scale.MEDIUM,
                                help_text=_("How soon do you need it fixed?"))
    impact = forms.ChoiceField(label=_("Impact"), choices=Scale.choices, initial=Scale.MEDIUM,
                               help_text=_("How many people or how much of the business is affected?"))
    attachments = MultipleFileField(label=_("Attachments"))

    @cached_property
    def helper(self) -> FormHelper:
        """Built when the page shows the form, not for a submission that is valid and redirects."""
        helper = _helper(submit=_("Submit the ticket"))
        helper.attrs = {"enctype": "multipart/form-data"}
        helper.layout = Layout(
            Row(Column("ticket_type", css_class="col-md-6"), Column("category", css_class="col-md-6")),
            "title",
            "description",
            Row(Column("urgency", css_class="col-md-6"), Column("impact", css_class="col-md-6")),
            "attachments",
        )
        return helper

    def clean_title(self):
        title = self.cleaned_data["title"].strip()
        if not title:
            raise ValidationError(_("The title cannot be empty."))
        return title


class ReplyForm(VersionedForm):
    """A requester's reply, or an agent's public reply / private note."""

    body = forms.CharField(label=_("Message"), widget=forms.Textarea(attrs={"rows": 4}), max_length=20000)
    is_public = forms.BooleanField(label=_("Public reply (the requester sees it and gets an email)"),
                                   required=False, initial=True)
    attachments = MultipleFileField(label=_("Attachments"))

    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, **kwargs)
        if user is None or not is_agent(user):
            del self.fields["is_public"]
        self.helper = _helper(submit=_("Send"))
        self.helper.attrs = {"enctype": "multipart/form-data"}


class QualifyForm(VersionedForm):
    """Take a new ticket: type and category must be set (the take guard)."""

    ticket_type = forms.ChoiceField(label=_("Type"), choices=TicketType.choices)
    category = CachedModelChoiceField(label=_("Category"), objects=active_categories, label_from_instance=_full_name)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = _helper(submit=_("Take the ticket"))


class WaitForm(VersionedForm):
    message = forms.CharField(
        label=_("What are you waiting for?"), widget=forms.Textarea(attrs={"rows": 3}), max_length=20000,
        help_text=_("Sent to the requester as a public reply."),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = _helper(submit=_("Put on hold"))


class ResolveForm(VersionedForm):
    solution = forms.CharField(label=_("Solution"), widget=forms.Textarea(attrs={"rows": 4}), max_length=20000,
                               help_text=_("What was done; the requester reads it and confirms."))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = _helper(submit=_("Resolve"))


class ReasonForm(VersionedForm):
    """Reopen (agent) or reject the solution (requester)."""

    reason = forms.CharField(label=_("Reason"), widget=forms.Textarea(attrs={"rows": 3}), max_length=5000)

    def __init__(self, *args, submit=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = _helper(submit=submit or _("Reopen"))


class ConfirmForm(VersionedForm):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = _helper(submit=_("Yes, the problem is solved"))


class AssignForm(VersionedForm):
    # The agents from the reference cache (accounts.selectors.agent_list): no query to offer or check them.
    assignee = CachedModelChoiceField(label=_("Assign to"), objects=agent_list, label_from_instance=user_display,
                                      required=False, empty_label=_("— nobody —"))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = _helper(submit=_("Assign"))


class PriorityForm(VersionedForm):
    priority = forms.ChoiceField(label=_("Priority"), choices=Priority.choices)
    reason = forms.CharField(label=_("Reason"), max_length=1000,
                             help_text=_("Kept in the ticket's history."))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = _helper(submit=_("Change the priority"))
        self.helper.layout = Layout(Field("version"), "priority", "reason")


class ChecklistForm(VersionedForm):
    code = forms.CharField(max_length=40)
    done = forms.BooleanField(required=False)


class RootCauseForm(VersionedForm):
    root_cause = forms.CharField(
        label=_("Root cause"), widget=forms.Textarea(attrs={"rows": 3}), max_length=10000,
        # The phases by their labels, which are translated (the English ones are Diagnosis, Resolution).
        help_text=format_lazy(_("Recording it moves the ticket from {diagnostic} to {resolution}."),
                              diagnostic=Phase.DIAGNOSTIC.label, resolution=Phase.RESOLUTION.label),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = _helper(submit=_("Record the root cause"))


class LinkForm(VersionedForm):
    reference = forms.RegexField(label=_("Other ticket (reference)"), regex=r"^\d{4}-\d{6}$", max_length=11,
                                 error_messages={"invalid": _("A reference looks like 2026-000123.")})
    kind = forms.ChoiceField(label=_("Link"), choices=LinkKind.choices,
                             help_text=_("A duplicate is closed and its messages are copied to the other ticket."))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = _helper(submit=_("Link"))


class CannedReplyForm(forms.ModelForm):
    class Meta:
        model = CannedReply
        fields = ["title", "body", "is_active"]
        widgets = {"body": forms.Textarea(attrs={"rows": 6})}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = _helper(submit=_("Save"))


class SurveyForm(forms.Form):
    score = forms.TypedChoiceField(
        label=_("How satisfied are you with how your request was handled?"), coerce=int,
        choices=[(5, _("5 – Very satisfied")), (4, _("4 – Satisfied")), (3, _("3 – Neutral")),
                 (2, _("2 – Dissatisfied")), (1, _("1 – Very dissatisfied"))],
        widget=forms.RadioSelect,
    )
    comment = forms.CharField(label=_("Comment (optional)"), required=False, max_length=5000,
                              widget=forms.Textarea(attrs={"rows": 3}))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = _helper(submit=_("Send my answer"))


class SavedViewForm(forms.Form):
    name = forms.CharField(label=_("Name of the view"), max_length=60)
    query = forms.CharField(widget=forms.HiddenInput, required=False, max_length=2000)


class BulkActionForm(forms.Form):
    """One action on the tickets ticked in the queue; each ticket goes through the usual service, or the
    one door of the app that registered the action (tickets.bulk: the escalation app's "escalate")."""

    ACTIONS = [
        ("take", _("Take")),
        ("assign", _("Assign")),
        ("priority", _("Change the priority")),
    ]
    tickets = forms.MultipleChoiceField(label=_("Tickets"), choices=(), error_messages={
        "required": _("Tick at least one ticket."),
    })
    action = forms.ChoiceField(label=_("Action"), choices=ACTIONS)
    assignee = CachedModelChoiceField(label=_("Assign to"), objects=agent_list, label_from_instance=user_display,
                                      required=False)
    priority = forms.ChoiceField(label=_("Priority"), choices=[("", "—"), *Priority.choices], required=False)
    reason = forms.CharField(label=_("Reason"), max_length=1000, required=False)
    # The reasons the registered actions offer (the escalation reasons).
    reason_code = forms.ChoiceField(label=_("Reason"), required=False)
    followup = forms.CharField(label=_("Detailed followup"), max_length=10000, required=False,
                               widget=forms.Textarea(attrs={"rows": 2}))
    next = forms.CharField(widget=forms.HiddenInput, required=False, max_length=2000)

    MAX_TICKETS = 100

    def __init__(self, *args, **kwargs):
        from . import bulk

        super().__init__(*args, **kwargs)
        self.fields["action"].choices = [*self.ACTIONS, *((a.code, a.label) for a in bulk.registered())]
        self.fields["reason_code"].choices = [("", "—"), *(r for a in bulk.registered() for r in a.reasons)]
        references = self.data.getlist("tickets") if hasattr(self.data, "getlist") else []
        self.fields["tickets"].choices = [(ref, ref) for ref in references[: self.MAX_TICKETS]]

    def clean(self):
        from . import bulk

        data = super().clean()
        action = data.get("action")
        if len(self.data.getlist("tickets")) > self.MAX_TICKETS:
            raise ValidationError(_("At most %(count)d tickets at once.") % {"count": self.MAX_TICKETS})
        if action == "assign" and not data.get("assignee"):
            self.add_error("assignee", _("Choose the agent."))
        if action == "priority" and not (data.get("reason") or "").strip():
            self.add_error("reason", _("Give the reason: it is kept in each ticket's history."))
        if action == "priority" and not data.get("priority"):
            self.add_error("priority", _("Choose the priority."))
        registered = bulk.get(action or "")
        if registered is not None:
            for name, error in registered.check(data).items():
                self.add_error(name, error)
        return data
