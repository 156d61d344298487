from django.urls import path

from . import views

app_name = "privacy"

urlpatterns = [
    path("tickets/<str:reference>/personal-data/", views.ticket_findings, name="ticket_findings"),
    path("tickets/<str:reference>/redact/", views.ticket_redact, name="ticket_redact"),
]
