"""The person's API tokens page, /account/api-tokens/ (the API itself is in api.urls)."""

from django.urls import path

from .views import tokens

app_name = "api_tokens"

urlpatterns = [
    path("", tokens.token_list, name="list"),
    path("<int:token_id>/revoke/", tokens.token_revoke, name="revoke"),
]
