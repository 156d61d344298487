"""Inbound email: the mail server's signed webhook, and the agents' review list of what matched nothing."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.core.paginator import Paginator
from django.http import JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from accounts.decorators import agent_required

from ..inbound import inbound_receive, signature_ok
from ..models import InboundEmail, InboundStatus

MAX_MESSAGE_BYTES = 25 * 1024 * 1024


# CSRF protects browser sessions; this endpoint has none and takes no cookie. It is authenticated
# instead by an HMAC of the whole body with HELPDESK_INBOUND_SECRET (tests/tickets/test_inbound.py).
@csrf_exempt
@require_POST
def inbound_webhook(request):
    if not settings.HELPDESK_INBOUND_SECRET:
        return JsonResponse({"error": "inbound email is not configured"}, status=503)
    body = request.body
    if len(body) > MAX_MESSAGE_BYTES:
        return JsonResponse({"error": "message too large"}, status=413)
    if not signature_ok(body, request.headers.get("X-Helpdesk-Signature", ""), settings.HELPDESK_INBOUND_SECRET):
        return JsonResponse({"error": "bad signature"}, status=403)
    record = inbound_receive(body)
    return JsonResponse({"status": record.status, "ticket": record.ticket.reference if record.ticket else None})


@agent_required
def inbox(request):
    status = request.GET.get("status") or InboundStatus.UNMATCHED
    if status not in InboundStatus.values:
        status = InboundStatus.UNMATCHED
    queryset = InboundEmail.objects.filter(status=status).select_related("ticket").defer("raw")
    page = Paginator(queryset, settings.HELPDESK_PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "tickets/agent/inbox.html", {
        "page": page, "messages_in": page.object_list, "status": status, "statuses": InboundStatus.choices,
        "querystring": f"status={status}",
    })


@agent_required
@require_POST
def inbox_handled(request, message_id: int):
    record = get_object_or_404(InboundEmail.objects.defer("raw"), pk=message_id, status=InboundStatus.UNMATCHED)
    InboundEmail.objects.filter(pk=record.pk).update(status=InboundStatus.HANDLED)
    messages.success(request, _("Message marked as handled."))
    return redirect("agent:inbox")
