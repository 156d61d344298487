from django.urls import path

from . import views

app_name = "privacy"

urlpatterns = [
    path("me/", views.my_data, name="my_data"),
    path("me/exports/", views.my_exports, name="my_exports"),
    path("me/export/", views.my_data_export, name="my_data_export"),
    path("exports/<int:pk>/download/", views.export_download, name="export_download"),
    path("tickets/<str:reference>/personal-data/", views.ticket_findings, name="ticket_findings"),
    path("tickets/<str:reference>/redact/", views.ticket_redact, name="ticket_redact"),
]
