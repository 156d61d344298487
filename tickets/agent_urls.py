from django.urls import path

from .views import agent, inbound

app_name = "agent"

urlpatterns = [
    path("", agent.queue, name="queue"),
    path("bulk/", agent.bulk_action, name="bulk"),
    path("inbox/", inbound.inbox, name="inbox"),
    path("inbox/<int:message_id>/handled/", inbound.inbox_handled, name="inbox_handled"),
    path("views/", agent.saved_view_create, name="saved_view_create"),
    path("views/<int:view_id>/delete/", agent.saved_view_delete, name="saved_view_delete"),
    path("canned-replies/", agent.canned_reply_list, name="canned_replies"),
    path("canned-replies/<int:reply_id>/", agent.canned_reply_list, name="canned_reply"),
    path("canned-replies/<int:reply_id>/delete/", agent.canned_reply_delete, name="canned_reply_delete"),
    path("tickets/<str:reference>/", agent.workspace, name="ticket"),
    path("tickets/<str:reference>/presence/", agent.presence, name="presence"),
    path("tickets/<str:reference>/<slug:action>/", agent.ticket_action, name="action"),
]
