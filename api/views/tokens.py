"""The person's API tokens page: create (the token is shown once) and revoke."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from core.exceptions import ActionRefused

from .. import services
from ..forms import TokenCreateForm
from ..models import ApiToken
from ..selectors import tokens_of


@login_required
@require_http_methods(["GET", "POST"])
def token_list(request):
    form = TokenCreateForm(request.POST or None)
    new_token = None
    if request.method == "POST" and form.is_valid():
        try:
            created = services.api_token_create(user=request.user, name=form.cleaned_data["name"],
                                                scope=form.cleaned_data["scope"], expires_at=form.expires_at())
        except ActionRefused as refused:
            form.add_error("name", refused.message)
        else:
            new_token = created.raw
            form = TokenCreateForm()
    response = render(request, "api/tokens.html", {
        "form": form, "tokens": tokens_of(request.user), "new_token": new_token,
    }, status=400 if form.errors else 200)
    # The page that shows a new token once is never cached.
    response["Cache-Control"] = "no-store"
    return response


@login_required
@require_POST
def token_revoke(request, token_id: int):
    token = get_object_or_404(ApiToken, pk=token_id, user=request.user)
    services.api_token_revoke(token=token, actor=request.user)
    messages.success(request, _("Token “%(name)s” revoked: scripts that use it are refused from now on.")
                     % {"name": token.name})
    return redirect("api_tokens:list")
