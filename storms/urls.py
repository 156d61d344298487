from django.urls import path

from . import views

app_name = "storms"

urlpatterns = [
    path("", views.storm_list, name="list"),
    path("banner/", views.banner, name="banner"),
    path("<int:pk>/", views.storm_detail, name="detail"),
    path("<int:pk>/declare/", views.declare, name="declare"),
    path("<int:pk>/dismiss/", views.dismiss, name="dismiss"),
    path("follow/suggest/", views.follow_suggest, name="follow_suggest"),
    path("follow/<int:pk>/", views.follow, name="follow"),
]
