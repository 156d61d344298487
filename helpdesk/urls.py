from django.contrib import admin
from django.urls import include, path

from tickets.views.inbound import inbound_webhook

urlpatterns = [
    path("admin/", admin.site.urls),
    path("", include("accounts.urls")),
    path("tickets/", include("tickets.urls")),
    path("agent/", include("tickets.agent_urls")),
    path("inbound/email/", inbound_webhook, name="inbound_email"),
    path("escalation/", include("escalation.urls")),
    path("dashboard/", include("dashboard.urls")),
    path("sla/", include("sla.urls")),
    path("postmortems/", include("postmortem.urls")),
    path("kb/", include("kb.urls")),
    path("api/v1/", include("api.urls")),
    path("account/api-tokens/", include("api.web_urls")),
    path("webhooks/", include("webhooks.urls")),
]
