"""Tickets: the list (the agent queue's filters or the requester's list), creation as the web form
does it, the detail with what the person may see, followups and attachments."""

from __future__ import annotations

from django.db.models import Prefetch, Q
from django.http import FileResponse
from django.urls import reverse
from django.utils.translation import gettext as _
from django_ratelimit.core import get_usage
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.roles import is_agent
from accounts.views import rate
from core.keyset import keyset_page
from sla.models import SlaClock
from tickets import services
from tickets.forms import ReplyForm, TicketCreateForm
from tickets.models import Attachment, Scale, Status, Ticket, TicketType
from tickets.portal import requester_sides
from tickets.queue import SORTS, QueueFilter, QueuePage, queue_page
from tickets.selectors import (
    get_attachment_for,
    get_ticket_for,
    ticket_queue_for_agent,
    ticket_timeline,
)

from ..serializers import (
    AttachmentSerializer,
    AttachmentUploadInput,
    FollowupInput,
    FollowupSerializer,
    TicketCreateInput,
    TicketDetailSerializer,
    TicketPageSerializer,
    TicketSerializer,
)
from .common import etag, form_data, if_match, invalid, keyset_response, page_size

LIST_PARAMETERS = [
    OpenApiParameter("q", str, description="Search: a reference prefix (2025-00…), or words of the title or "
                                           "the requester's name (agents)."),
    OpenApiParameter("status", str, enum=Status.values, description="Open tickets when absent."),
    OpenApiParameter("view", str, enum=["all", "mine", "unassigned", "level", "breaching"],
                     description="Agents: a built-in view of the queue."),
    OpenApiParameter("priority", str, description="Agents: P1…P4."),
    OpenApiParameter("level", str, description="Agents: N1…N4."),
    OpenApiParameter("assignee", int, description="Agents: a user id."),
    OpenApiParameter("category", int, description="Agents: a category id (its sub-categories included)."),
    OpenApiParameter("organisation", int, description="Agents: an organisation id."),
    OpenApiParameter("ticket_type", str), OpenApiParameter("channel", str),
    OpenApiParameter("sla", str, enum=["on_time", "warning", "breached"], description="Agents."),
    OpenApiParameter("created_after", OpenApiTypes.DATE), OpenApiParameter("created_before", OpenApiTypes.DATE),
    OpenApiParameter("updated_after", OpenApiTypes.DATE), OpenApiParameter("updated_before", OpenApiTypes.DATE),
    OpenApiParameter("sort", str, enum=list(SORTS), description="Agents; requesters always get newest first."),
    OpenApiParameter("after", str, description="The cursor of the next page (from `next`)."),
    OpenApiParameter("limit", int, description="Page size, at most 100."),
]
IF_MATCH = OpenApiParameter("If-Match", str, OpenApiParameter.HEADER,
                            description='The ETag of the ticket you acted on ("7"): 412 if it changed since.')
PROBLEM = OpenApiResponse(description="application/problem+json (RFC 9457)")
TICKET_CREATE_RATE = "tickets.views.requester.ticket_create"  # the web form's budget, shared


def _agent_rows(request, size):
    params = request.query_params.copy()
    filterset = QueueFilter(params, agent=request.user, queryset=Ticket.objects.all())
    if params and not filterset.is_valid():
        raise invalid(filterset.form)
    rows = ticket_queue_for_agent(agent=request.user, filters=params)
    return queue_page(rows, sort_key=params.get("sort") or "newest", cursor=params.get("after"), size=size,
                      view=params.get("view"))


def _requester_rows(request, size):
    """The requester's tickets as /tickets/ reads them (tickets.portal): "mine" and "my organisation's" each
    by its own index, merged by keyset (core.keyset), never an OR over both nor a COUNT; newest first."""
    status_value = request.query_params.get("status")
    if status_value and status_value not in Status.values:
        raise exceptions.ValidationError({"status": [_("Unknown status.")]})
    sides = requester_sides(request.user, statuses=[status_value] if status_value else None)
    query = request.query_params.get("q", "").strip()
    if query:
        sides = [(side.filter(Q(reference__startswith=query) | Q(title__icontains=query)), column)
                 for side, column in sides]
    # The requester and the organisation are prefetched, not joined: joined, PostgreSQL may read the side's
    # leading column's order off auth_user's (or the organisation's) primary key and join every row of the
    # side before sorting them (1 s for 100,000 tickets; bench/RESULTS.md, issue 23).
    sides = [(side.select_related("category", "assignee").prefetch_related("requester", "organisation"), column)
             for side, column in sides]
    page = keyset_page(sides, field="created_at", after=request.query_params.get("after"), size=size)
    return QueuePage(tickets=page.rows, next_cursor=page.next, has_previous=page.previous is not None)


class TicketListView(APIView):
    @extend_schema(operation_id="tickets_list", summary="List tickets", parameters=LIST_PARAMETERS, responses=TicketPageSerializer)
    def get(self, request):
        """Agents: the queue, with its filters and sorts. Requesters: their tickets (and their
        organisation's where it shares them), newest first. Keyset pages: follow `next`."""
        size = page_size(request)
        page = _agent_rows(request, size) if is_agent(request.user) else _requester_rows(request, size)
        return keyset_response(request, TicketSerializer(page.tickets, many=True).data, page.next_cursor)

    @extend_schema(summary="Create a ticket", request={"application/json": TicketCreateInput,
                                                       "multipart/form-data": TicketCreateInput},
                   responses={201: TicketSerializer, 400: PROBLEM, 429: PROBLEM})
    def post(self, request):
        """As the web form: the person is the requester; the priority follows urgency × impact. Status,
        level, assignee and priority are not accepted (a requester cannot set them)."""
        usage = get_usage(request, group=TICKET_CREATE_RATE, key="user", method="POST",
                          rate=rate("HELPDESK_RATE_TICKET_CREATE"),
                          increment=True)
        if usage is not None and usage["should_limit"]:
            raise exceptions.Throttled(wait=max(1, usage["time_left"]))
        form = TicketCreateForm(form_data(request, ticket_type=TicketType.SUPPORT_REQUEST, urgency=Scale.MEDIUM,
                                          impact=Scale.MEDIUM), request.FILES)
        if not form.is_valid():
            raise invalid(form)
        data = form.cleaned_data
        ticket = services.ticket_create(
            requester=request.user, title=data["title"], description=data["description"],
            ticket_type=data["ticket_type"], category=data["category"], urgency=data["urgency"],
            impact=data["impact"], attachments=data["attachments"],
        )
        response = Response(TicketSerializer(ticket).data, status=status.HTTP_201_CREATED)
        response["Location"] = reverse("api:ticket", args=[ticket.reference])
        response["ETag"] = etag(ticket.version)
        return response


def ticket_detail_data(request, ticket: Ticket) -> dict:
    """The detail as `request.user` may see it: private notes, their files and internal event data only
    for agents (tickets.selectors decides the timeline and the attachments' visibility)."""
    agent = is_agent(request.user)
    followups = ticket.followups.select_related("author").prefetch_related(
        Prefetch("attachments", queryset=Attachment.objects.order_by("id")))
    attachments = Attachment.objects.filter(ticket=ticket).order_by("id")
    if not agent:
        followups = followups.filter(is_public=True)
        attachments = attachments.filter(Q(followup__isnull=True) | Q(followup__is_public=True))
    ticket.visible_followups = list(followups.order_by("created_at", "id"))
    ticket.visible_events = ticket_timeline(ticket=ticket, user=request.user)
    ticket.visible_clocks = list(SlaClock.objects.filter(ticket=ticket).order_by("target"))
    ticket.visible_attachments = list(attachments)
    return TicketDetailSerializer(ticket, context={"ticket": ticket, "agent": agent}).data


class TicketDetailView(APIView):
    @extend_schema(operation_id="tickets_read", summary="Read a ticket", responses={200: TicketDetailSerializer, 404: PROBLEM})
    def get(self, request, reference: str):
        """The ticket with its followups, history, SLA clocks and attachments. The ETag is its version:
        send it back as If-Match on an action to be refused (412) if someone changed it meanwhile."""
        ticket = get_ticket_for(request.user, reference)
        response = Response(ticket_detail_data(request, ticket))
        response["ETag"] = etag(ticket.version)
        return response


def _add_followup(request, ticket: Ticket, data, *, files):
    form = ReplyForm(data, files, user=request.user)
    if not form.is_valid():
        raise invalid(form)
    return services.followup_add(
        ticket=ticket, author=request.user, body=form.cleaned_data["body"],
        is_public=form.cleaned_data.get("is_public", True), attachments=form.cleaned_data["attachments"],
        expected_version=if_match(request),
    )


def _public_default(request) -> dict:
    # A checkbox that is absent means False to the web form; absent from an API call it means public.
    return {"is_public": "true"} if "is_public" not in request.data else {}


class FollowupListView(APIView):
    @extend_schema(operation_id="tickets_followups_list", summary="List followups", responses={200: FollowupSerializer(many=True), 404: PROBLEM})
    def get(self, request, reference: str):
        """Public replies; private notes too for agents."""
        ticket = get_ticket_for(request.user, reference)
        followups = ticket.followups.select_related("author").prefetch_related(
            Prefetch("attachments", queryset=Attachment.objects.order_by("id"))).order_by("created_at", "id")
        if not is_agent(request.user):
            followups = followups.filter(is_public=True)
        return Response(FollowupSerializer(followups, many=True, context={"ticket": ticket}).data)

    @extend_schema(summary="Reply or add a private note", parameters=[IF_MATCH],
                   request={"application/json": FollowupInput, "multipart/form-data": FollowupInput},
                   responses={201: FollowupSerializer, 400: PROBLEM, 404: PROBLEM, 409: PROBLEM, 412: PROBLEM})
    def post(self, request, reference: str):
        """A public reply (requesters, agents) or a private note (agents, `is_public: false`). A
        requester's reply on a closed ticket opens a new ticket: `Location` names it."""
        ticket = get_ticket_for(request.user, reference)
        result = _add_followup(request, ticket, form_data(request, version=ticket.version, **_public_default(request)),
                               files=request.FILES)
        response = Response(
            FollowupSerializer(result.followup, context={"ticket": result.ticket}).data if result.followup
            else {"ticket": result.ticket.reference},
            status=status.HTTP_201_CREATED,
        )
        response["Location"] = reverse("api:ticket", args=[result.ticket.reference])
        return response


class AttachmentListView(APIView):
    @extend_schema(operation_id="tickets_attachments_list", summary="List attachments", responses={200: AttachmentSerializer(many=True), 404: PROBLEM})
    def get(self, request, reference: str):
        ticket = get_ticket_for(request.user, reference)
        attachments = Attachment.objects.filter(ticket=ticket).order_by("id")
        if not is_agent(request.user):
            attachments = attachments.filter(Q(followup__isnull=True) | Q(followup__is_public=True))
        return Response(AttachmentSerializer(attachments, many=True, context={"ticket": ticket}).data)

    @extend_schema(summary="Upload attachments", parameters=[IF_MATCH],
                   request={"multipart/form-data": AttachmentUploadInput},
                   responses={201: AttachmentSerializer(many=True), 400: PROBLEM, 404: PROBLEM, 409: PROBLEM})
    def post(self, request, reference: str):
        """Files come with a message, as on the web: `body` (by default one naming the files) is added
        as a followup carrying them, with the web's checks (size, type, content)."""
        ticket = get_ticket_for(request.user, reference)
        files = request.FILES.getlist("attachments")
        if not files:
            raise exceptions.ValidationError({"attachments": [_("Send at least one file.")]})
        names = ", ".join(upload.name for upload in files)
        defaults = {"version": ticket.version, "body": _("Attached files: %(names)s") % {"names": names},
                    **_public_default(request)}
        result = _add_followup(request, ticket, form_data(request, **defaults), files=request.FILES)
        created = list(result.followup.attachments.order_by("id")) if result.followup else []
        return Response(AttachmentSerializer(created, many=True, context={"ticket": result.ticket}).data,
                        status=status.HTTP_201_CREATED)


class AttachmentDownloadView(APIView):
    @extend_schema(operation_id="tickets_attachments_download", summary="Download an attachment",
                   responses={(200, "application/octet-stream"): OpenApiTypes.BINARY, 404: PROBLEM})
    def get(self, request, reference: str, attachment_id: int):
        """The file, after the same access check as the web (a private note's file is a 404 to requesters)."""
        attachment = get_attachment_for(request.user, reference, attachment_id)
        response = FileResponse(attachment.file.open("rb"), as_attachment=True, filename=attachment.original_name,
                                content_type=attachment.content_type)
        response["X-Content-Type-Options"] = "nosniff"
        response["Content-Security-Policy"] = "default-src 'none'; sandbox"
        response["Cache-Control"] = "private, no-store"
        return response
