"""/webhooks/ for managers: register endpoints, see their delivery log, send a test, enable again."""

from __future__ import annotations

from django.contrib import messages
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from accounts.decorators import manager_required
from core.exceptions import ActionRefused

from . import selectors, services
from .forms import EndpointForm
from .models import WebhookEndpoint


@manager_required
@require_http_methods(["GET", "POST"])
def endpoint_list(request):
    form = EndpointForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            endpoint = services.endpoint_create(actor=request.user, url=data["url"], events=data["events"],
                                                description=data["description"])
        except ActionRefused as refused:
            form.add_error("url", refused.message)
        else:
            messages.success(request, _("Webhook registered. Give its signing secret to the receiver."))
            return redirect(endpoint)
    return render(request, "webhooks/list.html", {"form": form, "endpoints": selectors.endpoints()},
                  status=400 if form.errors else 200)


@manager_required
@require_http_methods(["GET", "POST"])
def endpoint_detail(request, endpoint_id: int):
    endpoint = get_object_or_404(WebhookEndpoint, pk=endpoint_id)
    initial = {"url": endpoint.url, "description": endpoint.description, "events": endpoint.events,
               "is_active": endpoint.is_active}
    form = EndpointForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            services.endpoint_update(endpoint=endpoint, actor=request.user, url=data["url"], events=data["events"],
                                     description=data["description"], is_active=data["is_active"])
        except ActionRefused as refused:
            form.add_error("url", refused.message)
        else:
            messages.success(request, _("Webhook saved."))
            return redirect(endpoint)
    return render(request, "webhooks/detail.html", {
        "endpoint": endpoint, "form": form, "attempts": selectors.endpoint_log(endpoint=endpoint),
        "pending": selectors.endpoint_pending_count(endpoint=endpoint),
    }, status=400 if form.errors else 200)


@manager_required
@require_POST
def endpoint_test(request, endpoint_id: int):
    endpoint = get_object_or_404(WebhookEndpoint, pk=endpoint_id)
    services.endpoint_test(endpoint=endpoint, actor=request.user)
    messages.info(request, _("A test event is on its way: its attempt appears in the log below."))
    return redirect(endpoint)


@manager_required
@require_POST
def endpoint_rotate_secret(request, endpoint_id: int):
    endpoint = get_object_or_404(WebhookEndpoint, pk=endpoint_id)
    services.endpoint_rotate_secret(endpoint=endpoint, actor=request.user)
    messages.warning(request, _("New signing secret: give it to the receiver, the old one no longer signs."))
    return redirect(endpoint)


@manager_required
@require_POST
def endpoint_delete(request, endpoint_id: int):
    endpoint = get_object_or_404(WebhookEndpoint, pk=endpoint_id)
    services.endpoint_delete(endpoint=endpoint, actor=request.user)
    messages.success(request, _("Webhook deleted."))
    return redirect("webhooks:list")
