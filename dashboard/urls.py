from django.urls import path

from . import views

app_name = "dashboard"

urlpatterns = [
    path("", views.index, name="index"),
    path("agents/<int:agent_id>/", views.agent_detail, name="agent"),
]
