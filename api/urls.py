"""/api/v1/ (docs/api.md). The schema is /api/v1/schema/ (?format=json), its docs /api/v1/docs/."""

from csp.decorators import csp_update
from django.urls import path
from drf_spectacular.views import SpectacularAPIView, SpectacularRedocView, SpectacularSwaggerSplitView

from .views import dashboard, kb, reference, tickets
from .views.actions import ACTIONS

app_name = "api"

# The docs pages come from our own static files (drf-spectacular-sidecar, no CDN); Swagger UI and Redoc
# style their widgets with inline styles, which these two pages alone allow. They show the schema only.
DOCS_CSP = {"style-src": ["'unsafe-inline'"], "worker-src": ["blob:"]}
swagger = SpectacularSwaggerSplitView.as_view(url_name="api:schema", template_name="api/swagger_ui.html")
redoc = SpectacularRedocView.as_view(url_name="api:schema", template_name="api/redoc.html")

urlpatterns = [
    path("", reference.IndexView.as_view(), name="index"),
    path("schema/", SpectacularAPIView.as_view(), name="schema"),
    path("docs/", csp_update(DOCS_CSP)(swagger), name="docs"),
    path("docs/redoc/", csp_update(DOCS_CSP)(redoc), name="redoc"),
    path("me/", reference.MeView.as_view(), name="me"),
    path("categories/", reference.CategoryListView.as_view(), name="categories"),
    path("organisations/", reference.OrganisationListView.as_view(), name="organisations"),
    path("dashboard/", dashboard.DashboardView.as_view(), name="dashboard"),
    path("kb/articles/", kb.ArticleListView.as_view(), name="articles"),
    path("kb/articles/<slug:slug>/", kb.ArticleDetailView.as_view(), name="article"),
    path("kb/articles/<slug:slug>/publish/", kb.ArticleMoveView.as_view(move="publish"), name="article_publish"),
    path("kb/articles/<slug:slug>/unpublish/", kb.ArticleMoveView.as_view(move="unpublish"),
         name="article_unpublish"),
    path("tickets/", tickets.TicketListView.as_view(), name="tickets"),
    path("tickets/<str:reference>/", tickets.TicketDetailView.as_view(), name="ticket"),
    path("tickets/<str:reference>/followups/", tickets.FollowupListView.as_view(), name="followups"),
    path("tickets/<str:reference>/attachments/", tickets.AttachmentListView.as_view(), name="attachments"),
    path("tickets/<str:reference>/attachments/<int:attachment_id>/", tickets.AttachmentDownloadView.as_view(),
         name="attachment"),
    *(path(f"tickets/<str:reference>/{name}/", view.as_view(), name=f"ticket_{name}")
      for name, view in ACTIONS.items()),
]
