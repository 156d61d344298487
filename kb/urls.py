from django.urls import path

from . import views

app_name = "kb"

# Fixed paths first: a slug never shadows them (kb.services.RESERVED_SLUGS).
urlpatterns = [
    path("", views.index, name="index"),
    path("new/", views.article_create, name="new"),
    path("suggest/", views.suggest, name="suggest"),
    path("tickets/<str:reference>/articles/", views.ticket_article_search, name="ticket_articles"),
    path("tickets/<str:reference>/link/", views.ticket_link, name="ticket_link"),
    path("tickets/<str:reference>/unlink/", views.ticket_unlink, name="ticket_unlink"),
    path("tickets/<str:reference>/draft/", views.ticket_draft, name="ticket_draft"),
    path("<slug:slug>/", views.article_detail, name="article"),
    path("<slug:slug>/edit/", views.article_edit, name="edit"),
    path("<slug:slug>/history/", views.article_history_view, name="history"),
    path("<slug:slug>/publish/", views.article_publish, name="publish"),
    path("<slug:slug>/unpublish/", views.article_unpublish, name="unpublish"),
    path("<slug:slug>/vote/", views.article_vote, name="vote"),
    path("<slug:slug>/deflect/", views.deflect, name="deflect"),
]
