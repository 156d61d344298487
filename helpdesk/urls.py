from django.contrib import admin
from django.templatetags.static import static
from django.urls import include, path
from django.views.generic import RedirectView

from tickets.views.inbound import inbound_webhook


class FaviconRedirect(RedirectView):
    """/favicon.ico, which browsers ask for on pages without an icon link (admin, JSON, files): the SVG.
    Resolved per request, as the hashed static name is only known once the manifest is read."""

    permanent = False

    def get_redirect_url(self, *args, **kwargs) -> str:
        return static("favicon.svg")


urlpatterns = [
    path("favicon.ico", FaviconRedirect.as_view(), name="favicon"),
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
    path("storms/", include("storms.urls")),
    path("api/v1/", include("api.urls")),
    path("account/api-tokens/", include("api.web_urls")),
    path("webhooks/", include("webhooks.urls")),
    path("privacy/audit/", include("audit.urls")),
    path("privacy/", include("privacy.urls")),
    path("dispatch/", include("dispatch.urls")),
]
