from django.urls import path

from . import views

app_name = "dispatch"

urlpatterns = [
    path("availability/", views.availability, name="availability"),
    path("availability/toggle/", views.availability_toggle, name="availability_toggle"),
    path("at-risk/", views.at_risk, name="at_risk"),
    path("team/", views.team, name="team"),
    path("team/<int:agent_id>/", views.team_agent, name="team_agent"),
    path("tickets/<str:reference>/refuse/", views.refuse, name="refuse"),
]
