"""Every status transition (and the escalation) as `POST /api/v1/tickets/<reference>/<action>/`, with the
web's forms for validation and the same services: a refused move is a 409, a stale If-Match a 412."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.roles import next_level
from escalation.forms import HandoverForm
from escalation.services import escalation_escalate
from tickets import services
from tickets.forms import ConfirmForm, QualifyForm, ReasonForm, ResolveForm, VersionedForm, WaitForm
from tickets.selectors import get_ticket_for

from ..permissions import IsAgent
from ..serializers import (
    EmptyInput,
    EscalateInput,
    ReasonInput,
    ResolveInput,
    TakeInput,
    TicketDetailSerializer,
    WaitInput,
)
from .common import etag, form_data, if_match, invalid
from .tickets import IF_MATCH, PROBLEM, ticket_detail_data


class TransitionView(APIView):
    """One action: `form` validates the body (the ticket's version filled in), `perform` calls the service."""

    form_class = VersionedForm
    input = EmptyInput
    agents_only = True

    def get_permissions(self):
        extra = [IsAgent()] if self.agents_only else []
        return [*super().get_permissions(), *extra]

    def form(self, data, ticket):
        return self.form_class(data)

    def defaults(self, ticket) -> dict:
        return {}

    def perform(self, request, ticket, data: dict, version: int | None):
        raise NotImplementedError

    def post(self, request, reference: str):
        ticket = get_ticket_for(request.user, reference)
        version = if_match(request)
        form = self.form(form_data(request, version=ticket.version, **self.defaults(ticket)), ticket)
        if not form.is_valid():
            raise invalid(form)
        ticket = self.perform(request, ticket, form.cleaned_data, version)
        ticket = get_ticket_for(request.user, reference)
        response = Response(ticket_detail_data(request, ticket))
        response["ETag"] = etag(ticket.version)
        return response


def _schema(summary: str, description: str, body):
    return extend_schema(summary=summary, description=description, parameters=[IF_MATCH], request=body,
                         responses={200: TicketDetailSerializer, 400: PROBLEM, 404: PROBLEM, 409: PROBLEM,
                                    412: PROBLEM})


class TakeView(TransitionView):
    form_class = QualifyForm
    input = TakeInput

    def defaults(self, ticket):
        return {"ticket_type": ticket.ticket_type, "category": ticket.category_id or ""}

    def perform(self, request, ticket, data, version):
        return services.ticket_take(ticket=ticket, actor=request.user, ticket_type=data["ticket_type"],
                                    category=data["category"], expected_version=version)

    @_schema("Take", "Qualify (type, category) and take a new ticket; the agent becomes its assignee.", TakeInput)
    def post(self, request, reference):
        return super().post(request, reference)


class WaitView(TransitionView):
    form_class = WaitForm

    def perform(self, request, ticket, data, version):
        return services.ticket_wait(ticket=ticket, actor=request.user, message=data["message"],
                                    expected_version=version)

    @_schema("Put on hold", "Wait for the requester: `message` is sent to them as a public reply.", WaitInput)
    def post(self, request, reference):
        return super().post(request, reference)


class ResumeView(TransitionView):
    def perform(self, request, ticket, data, version):
        return services.ticket_resume(ticket=ticket, actor=request.user, expected_version=version)

    @_schema("Resume", "Take a waiting ticket back in hand; the resolution clock resumes.", EmptyInput)
    def post(self, request, reference):
        return super().post(request, reference)


class ResolveView(TransitionView):
    form_class = ResolveForm

    def perform(self, request, ticket, data, version):
        return services.ticket_resolve(ticket=ticket, actor=request.user, solution=data["solution"],
                                       expected_version=version)

    @_schema("Resolve", "Record the solution and resolve; the requester confirms (close) or rejects (reopen).",
             ResolveInput)
    def post(self, request, reference):
        return super().post(request, reference)


class ReopenView(TransitionView):
    form_class = ReasonForm
    agents_only = False

    def perform(self, request, ticket, data, version):
        return services.ticket_reopen(ticket=ticket, actor=request.user, reason=data["reason"],
                                      expected_version=version)

    @_schema("Reopen", "The requester rejects the solution, or an agent reopens it, with a reason.", ReasonInput)
    def post(self, request, reference):
        return super().post(request, reference)


class CloseView(TransitionView):
    form_class = ConfirmForm
    agents_only = False

    def perform(self, request, ticket, data, version):
        return services.ticket_close(ticket=ticket, actor=request.user, expected_version=version)

    @_schema("Close", "The requester confirms the solution: the ticket is closed (final).", EmptyInput)
    def post(self, request, reference):
        return super().post(request, reference)


class EscalateView(TransitionView):
    form_class = HandoverForm

    def form(self, data, ticket):
        return HandoverForm(data, to_level=next_level(ticket.level))

    def perform(self, request, ticket, data, version):
        return escalation_escalate(ticket=ticket, actor=request.user, reason=data["reason"],
                                   followup=data["followup"], assignee=data.get("assignee"),
                                   expected_version=version)

    @_schema("Escalate", "Hand the ticket to the next level (N1 → N4) with a reason and a detailed private "
                         "followup, to its group or one of its agents.", EscalateInput)
    def post(self, request, reference):
        return super().post(request, reference)


ACTIONS = {"take": TakeView, "wait": WaitView, "resume": ResumeView, "resolve": ResolveView,
           "reopen": ReopenView, "close": CloseView, "escalate": EscalateView}
