from django.urls import path

from . import views

app_name = "escalation"

urlpatterns = [
    path("", views.escalation_log, name="log"),
    path("rules/", views.rules, name="rules"),
    path("tickets/<str:reference>/escalate/", views.escalate, name="escalate"),
    path("tickets/<str:reference>/deescalate/", views.deescalate, name="deescalate"),
]
