from django.urls import path

from .views import requester

app_name = "tickets"

urlpatterns = [
    path("", requester.ticket_list, name="list"),
    path("new/", requester.ticket_create, name="new"),
    path("survey/<str:token>/", requester.survey_link, name="survey_link"),
    path("<str:reference>/", requester.ticket_detail, name="detail"),
    path("<str:reference>/reply/", requester.ticket_reply, name="reply"),
    path("<str:reference>/confirm/", requester.ticket_confirm, name="confirm"),
    path("<str:reference>/reject/", requester.ticket_reject, name="reject"),
    path("<str:reference>/survey/", requester.ticket_survey, name="survey"),
    path("<str:reference>/attachments/<int:attachment_id>/", requester.attachment_download, name="attachment"),
]
