"""The API's representations: read-only shapes of the models, with no rule in them (the services
decide, the selectors choose what a person sees). Request bodies are validated by the web's forms;
the *Input serializers here only describe them in the OpenAPI schema."""

from __future__ import annotations

from django.conf import settings
from django.urls import reverse
from django.utils.html import strip_tags
from rest_framework import serializers

from accounts.roles import Level
from escalation.models import MANUAL_REASONS
from kb.models import Article, Audience
from tickets.models import Attachment, Category, Followup, Scale, Ticket, TicketEvent, TicketType
from tickets.templatetags.ticket_tags import describe_event

# What a requester may read of a public event's data: the rest (reasons, rules, notes) is internal.
PUBLIC_EVENT_DATA = {"created": {"channel", "priority"}, "transition": {"transition", "from", "to", "automatic"},
                     "priority_changed": {"from", "to"}, "level_changed": {"from", "to"}}


def absolute(path: str) -> str:
    return settings.HELPDESK_BASE_URL + path


class PersonSerializer(serializers.Serializer):
    username = serializers.CharField(source="get_username")
    name = serializers.SerializerMethodField()

    def get_name(self, user) -> str:
        return user.get_full_name() or user.get_username()


class RefSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()


class TicketSerializer(serializers.ModelSerializer):
    """A ticket as lists and webhooks show it."""

    status_display = serializers.CharField(source="get_status_display")
    priority_display = serializers.CharField(source="get_priority_display")
    category = RefSerializer(allow_null=True)
    organisation = RefSerializer(allow_null=True)
    requester = PersonSerializer()
    assignee = PersonSerializer(allow_null=True)
    url = serializers.SerializerMethodField()
    web_url = serializers.SerializerMethodField()

    class Meta:
        model = Ticket
        fields = [
            "reference", "title", "status", "status_display", "priority", "priority_display", "level",
            "ticket_type", "channel", "urgency", "impact", "category", "organisation", "requester", "assignee",
            "sla_state", "created_at", "updated_at", "response_due_at", "resolution_due_at", "resolved_at",
            "closed_at", "version", "url", "web_url",
        ]
        read_only_fields = fields

    def get_url(self, ticket) -> str:
        return absolute(reverse("api:ticket", args=[ticket.reference]))

    def get_web_url(self, ticket) -> str:
        return absolute(ticket.get_absolute_url())


class AttachmentSerializer(serializers.ModelSerializer):
    name = serializers.CharField(source="original_name")
    followup = serializers.IntegerField(source="followup_id", allow_null=True)
    url = serializers.SerializerMethodField()

    class Meta:
        model = Attachment
        fields = ["id", "name", "content_type", "size", "created_at", "followup", "url"]
        read_only_fields = fields

    def get_url(self, attachment) -> str:
        reference = self.context["ticket"].reference
        return absolute(reverse("api:attachment", args=[reference, attachment.pk]))


class FollowupSerializer(serializers.ModelSerializer):
    author = PersonSerializer()
    attachments = AttachmentSerializer(many=True)

    class Meta:
        model = Followup
        fields = ["id", "author", "body", "is_public", "created_at", "attachments"]
        read_only_fields = fields


class EventSerializer(serializers.ModelSerializer):
    actor = PersonSerializer(allow_null=True)
    text = serializers.SerializerMethodField()
    data = serializers.SerializerMethodField()
    followup = serializers.IntegerField(source="followup_id", allow_null=True)

    class Meta:
        model = TicketEvent
        fields = ["id", "kind", "actor", "created_at", "is_public", "text", "data", "followup"]
        read_only_fields = fields

    def get_text(self, event) -> str:
        return strip_tags(describe_event(event))

    def get_data(self, event) -> dict:
        if self.context.get("agent"):
            return event.data or {}
        allowed = PUBLIC_EVENT_DATA.get(event.kind, set())
        return {key: value for key, value in (event.data or {}).items() if key in allowed}


class SlaClockSerializer(serializers.Serializer):
    target = serializers.CharField()
    due_at = serializers.DateTimeField()
    warn_at = serializers.DateTimeField()
    met_at = serializers.DateTimeField(allow_null=True)
    paused_at = serializers.DateTimeField(allow_null=True)
    state = serializers.SerializerMethodField()

    def get_state(self, clock) -> str:
        return clock.state()


class TicketDetailSerializer(TicketSerializer):
    """A ticket with its conversation, history, SLA clocks and files as one person may see them: the
    view sets `visible_*` on the ticket from the selectors it called for that person."""

    followups = FollowupSerializer(many=True, source="visible_followups")
    events = EventSerializer(many=True, source="visible_events")
    sla_clocks = SlaClockSerializer(many=True, source="visible_clocks")
    attachments = AttachmentSerializer(many=True, source="visible_attachments")

    class Meta(TicketSerializer.Meta):
        fields = [*TicketSerializer.Meta.fields, "description", "solution", "followups", "events",
                  "sla_clocks", "attachments"]
        read_only_fields = fields


class TicketPageSerializer(serializers.Serializer):
    results = TicketSerializer(many=True)
    next = serializers.URLField(allow_null=True, help_text="The next page (keyset cursor), or null.")


class CategorySerializer(serializers.ModelSerializer):
    full_name = serializers.CharField()
    parent = serializers.IntegerField(source="parent_id", allow_null=True)

    class Meta:
        model = Category
        fields = ["id", "name", "full_name", "parent"]
        read_only_fields = fields


class OrganisationSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    is_vip = serializers.BooleanField()


class ArticleSerializer(serializers.ModelSerializer):
    category = RefSerializer(allow_null=True)
    url = serializers.SerializerMethodField()

    class Meta:
        model = Article
        fields = ["slug", "title", "audience", "status", "category", "tags", "created_at", "updated_at", "url"]
        read_only_fields = fields

    def get_url(self, article) -> str:
        return absolute(reverse("api:article", args=[article.slug]))


class ArticleDetailSerializer(ArticleSerializer):
    class Meta(ArticleSerializer.Meta):
        fields = [*ArticleSerializer.Meta.fields, "body"]
        read_only_fields = fields


class SearchHitSerializer(serializers.Serializer):
    article = ArticleSerializer()
    snippet = serializers.CharField(help_text="An excerpt; matches are wrapped in <mark>.")


class MeSerializer(serializers.Serializer):
    username = serializers.CharField()
    name = serializers.CharField()
    is_agent = serializers.BooleanField()
    is_manager = serializers.BooleanField()
    token = serializers.CharField(allow_null=True, help_text="The token's name, or null for a session.")
    scope = serializers.CharField()
    language = serializers.CharField(allow_null=True, help_text=(
        "The language the person chose in the pages (their emails are written in it), or null if they never did."))


# --- Request bodies, for the schema only: the web's forms validate them.


class TicketCreateInput(serializers.Serializer):
    ticket_type = serializers.ChoiceField(choices=TicketType.choices, default=TicketType.SUPPORT_REQUEST)
    category = serializers.IntegerField(required=False, allow_null=True, help_text="A category id.")
    title = serializers.CharField(max_length=200)
    description = serializers.CharField(max_length=20000)
    urgency = serializers.ChoiceField(choices=Scale.choices, default=Scale.MEDIUM)
    impact = serializers.ChoiceField(choices=Scale.choices, default=Scale.MEDIUM)
    attachments = serializers.ListField(child=serializers.FileField(), required=False,
                                        help_text="multipart/form-data only.")


class FollowupInput(serializers.Serializer):
    body = serializers.CharField(max_length=20000)
    is_public = serializers.BooleanField(default=True, help_text="Agents only: false writes a private note.")
    attachments = serializers.ListField(child=serializers.FileField(), required=False,
                                        help_text="multipart/form-data only.")


class AttachmentUploadInput(serializers.Serializer):
    attachments = serializers.ListField(child=serializers.FileField())
    body = serializers.CharField(required=False, help_text="The message the files come with.")
    is_public = serializers.BooleanField(default=True, help_text="Agents only.")


class TakeInput(serializers.Serializer):
    ticket_type = serializers.ChoiceField(choices=TicketType.choices, required=False)
    category = serializers.IntegerField(required=False, help_text="Required if the ticket has none.")


class WaitInput(serializers.Serializer):
    message = serializers.CharField(help_text="What is awaited: sent to the requester as a public reply.")


class ResolveInput(serializers.Serializer):
    solution = serializers.CharField()


class ReasonInput(serializers.Serializer):
    reason = serializers.CharField()


class EmptyInput(serializers.Serializer):
    pass


class EscalateInput(serializers.Serializer):
    reason = serializers.ChoiceField(choices=[(reason.value, reason.label) for reason in MANUAL_REASONS])
    followup = serializers.CharField(help_text="A detailed private followup (at least 40 characters).")
    assignee = serializers.IntegerField(required=False, allow_null=True,
                                        help_text="A user id of the next level; else the whole group.")


class ArticleInput(serializers.Serializer):
    title = serializers.CharField(max_length=200)
    body = serializers.CharField()
    audience = serializers.ChoiceField(choices=Audience.choices, default=Audience.PUBLIC)
    category = serializers.IntegerField(required=False, allow_null=True)
    tags = serializers.CharField(required=False, allow_blank=True)
    revision = serializers.IntegerField(required=False, help_text="On update: the revision you edited.")


LEVELS = Level.values


def ticket_representation(ticket) -> dict:
    """The API's representation of a ticket, also the webhooks' payload (webhooks.services)."""
    return dict(TicketSerializer(ticket).data)
