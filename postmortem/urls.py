from django.urls import path

from . import views

app_name = "postmortem"

urlpatterns = [
    path("", views.incident_list, name="list"),
    path("declare/<str:reference>/", views.declare, name="declare"),
    path("incidents/<int:pk>/", views.war_room, name="incident"),
    path("incidents/<int:pk>/timeline/", views.war_room_timeline_partial, name="timeline"),
    path("incidents/<int:pk>/join/", views.join, name="join"),
    path("incidents/<int:pk>/mobilise/", views.mobilise, name="mobilise"),
    path("incidents/<int:pk>/dismiss/", views.dismiss, name="dismiss"),
    path("incidents/<int:pk>/entries/", views.add_entry, name="add_entry"),
    path("incidents/<int:pk>/updates/", views.post_update, name="post_update"),
    path("incidents/<int:pk>/links/", views.link_ticket, name="link_ticket"),
    path("incidents/<int:pk>/status/", views.incident_status, name="status"),
    path("<int:pk>/", views.postmortem_detail, name="postmortem"),
    path("<int:pk>/edit/", views.postmortem_edit, name="edit"),
    path("<int:pk>/move/<slug:name>/", views.postmortem_move, name="move"),
    path("<int:pk>/actions/", views.action_add, name="action_add"),
    path("<int:pk>/actions/<int:action_id>/toggle/", views.action_toggle, name="action_toggle"),
    path("<int:pk>/share/", views.share, name="share"),
    path("<int:pk>/export.md", views.export_markdown, name="export"),
]
