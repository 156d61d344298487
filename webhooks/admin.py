"""Admins manage endpoints here too; saving goes through webhooks.services (the secret is made there)."""

from __future__ import annotations

from django import forms
from django.conf import settings
from django.contrib import admin, messages
from django.utils.translation import gettext_lazy as _

from core.exceptions import ActionRefused

from . import net, services
from .models import EventType, WebhookAttempt, WebhookDelivery, WebhookEndpoint


class EndpointAdminForm(forms.ModelForm):
    url = forms.URLField(label=_("URL"), max_length=500, assume_scheme="https")
    events = forms.MultipleChoiceField(label=_("Events"), choices=EventType.choices,
                                       widget=forms.CheckboxSelectMultiple)

    class Meta:
        model = WebhookEndpoint
        fields = ["url", "description", "events", "is_active"]

    def clean_url(self):
        url = self.cleaned_data["url"]
        try:
            net.check_url(url, allow_private=settings.HELPDESK_WEBHOOK_ALLOW_PRIVATE)
        except net.UnsafeDestination as error:
            raise forms.ValidationError(str(error)) from None
        return url


class DeliveryInline(admin.TabularInline):
    model = WebhookDelivery
    fields = ("created_at", "event_type", "ticket", "status", "attempts", "next_attempt_at", "delivered_at")
    readonly_fields = fields
    extra = 0
    max_num = 0
    can_delete = False
    show_change_link = True
    ordering = ("-id",)

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("ticket")


@admin.register(WebhookEndpoint)
class WebhookEndpointAdmin(admin.ModelAdmin):
    form = EndpointAdminForm
    list_display = ("url", "owner", "is_active", "failing_since", "disabled_at", "created_at")
    list_filter = ("is_active",)
    search_fields = ("url", "description")
    list_select_related = ("owner",)
    readonly_fields = ("owner", "secret", "created_at", "failing_since", "disabled_at", "disabled_reason")
    inlines = [DeliveryInline]
    actions = ["send_test"]

    def save_model(self, request, obj, form, change):
        data = form.cleaned_data
        try:
            if change:
                saved = services.endpoint_update(endpoint=obj, actor=request.user, url=data["url"],
                                                 events=data["events"], description=data["description"],
                                                 is_active=data["is_active"])
            else:
                saved = services.endpoint_create(actor=request.user, url=data["url"], events=data["events"],
                                                 description=data["description"])
        except ActionRefused as refused:
            messages.error(request, refused.message)
            return
        obj.pk = saved.pk

    def delete_model(self, request, obj):
        services.endpoint_delete(endpoint=obj, actor=request.user)

    @admin.action(description=_("Send a test event"))
    def send_test(self, request, queryset):
        for endpoint in queryset:
            services.endpoint_test(endpoint=endpoint, actor=request.user)
        messages.info(request, _("Test events are on their way: see each endpoint's deliveries."))


class AttemptInline(admin.TabularInline):
    model = WebhookAttempt
    fields = ("at", "status_code", "duration_ms", "response_excerpt", "error", "retry_at")
    readonly_fields = fields
    extra = 0
    max_num = 0
    can_delete = False


@admin.register(WebhookDelivery)
class WebhookDeliveryAdmin(admin.ModelAdmin):
    list_display = ("message_id", "endpoint", "event_type", "status", "attempts", "created_at", "delivered_at")
    list_filter = ("status", "event_type")
    search_fields = ("message_id", "endpoint__url")
    list_select_related = ("endpoint",)
    readonly_fields = ("endpoint", "message_id", "event_type", "ticket", "payload", "created_at", "status",
                       "attempts", "next_attempt_at", "delivered_at")
    inlines = [AttemptInline]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
