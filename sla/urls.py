from django.urls import path

from . import views

app_name = "sla"

urlpatterns = [
    path("", views.overview, name="overview"),
    path("policies/new/", views.policy_create, name="policy_create"),
    path("policies/<int:pk>/", views.policy_edit, name="policy_edit"),
    path("calendars/new/", views.calendar_create, name="calendar_create"),
    path("calendars/<int:pk>/", views.calendar_edit, name="calendar_edit"),
]
