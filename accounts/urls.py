from django.urls import path

from . import oidc, views

urlpatterns = [
    path("", views.home, name="home"),
    path("healthz", views.healthz, name="healthz"),
    path("accounts/login/", views.LoginView.as_view(), name="login"),
    path("accounts/login/local/", views.BreakGlassLoginView.as_view(), name="login_break_glass"),
    path("accounts/logout/", views.logout, name="logout"),
    path("accounts/oidc/start/", oidc.StartView.as_view(), name="oidc_start"),
    path("accounts/oidc/callback/", oidc.CallbackView.as_view(), name="oidc_callback"),
    path("i18n/setlang/", views.set_language, name="set_language"),
]
