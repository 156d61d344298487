"""The requester portal: /tickets/, /tickets/new/, /tickets/<reference>/ and its actions."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST
from django_ratelimit.decorators import ratelimit

from accounts.views import FailureLimit, rate
from core.exceptions import ActionRefused

from .. import services
from ..forms import ConfirmForm, ReasonForm, ReplyForm, SurveyForm, TicketCreateForm
from ..middleware import keep_typed_text
from ..models import Survey
from ..panels import REQUESTER, panels_for
from ..portal import DEFAULT_TAB, TABS, requester_page
from ..selectors import (
    get_attachment_for,
    get_ticket_for,
    ticket_attachments,
    ticket_timeline,
)
from ..surveys import SurveyLinkError, survey_from_token


@login_required
def ticket_list(request):
    """The tickets under way first (tabs: under way, closed, all), newest first, by keyset ("plus anciens" /
    "plus récents"), with a capped total (tickets.portal)."""
    page = requester_page(request.user, tab=request.GET.get("tab") or DEFAULT_TAB, older=request.GET.get("older"),
                          newer=request.GET.get("newer"), size=settings.HELPDESK_PAGE_SIZE)
    tabs = [(code, label) for code, (label, _statuses) in TABS.items()]
    return render(request, "tickets/list.html", {"page": page, "tickets": page.tickets, "tabs": tabs})


@login_required
@require_http_methods(["GET", "POST"])
@ratelimit(key="user", rate=rate("HELPDESK_RATE_TICKET_CREATE"), method="POST", block=True)
def ticket_create(request):
    form = TicketCreateForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        ticket = services.ticket_create(
            requester=request.user, title=data["title"], description=data["description"],
            ticket_type=data["ticket_type"], category=data["category"], urgency=data["urgency"],
            impact=data["impact"], attachments=data["attachments"],
        )
        messages.success(request, _("Your ticket %(reference)s has been recorded. We will get back to you "
                                    "soon.") % {"reference": ticket.reference})
        return redirect(ticket)
    return render(request, "tickets/new.html", {"form": form}, status=400 if form.errors else 200)


def _detail_context(request, ticket, **forms) -> dict:
    version = {"version": ticket.version}
    context = {
        "ticket": ticket,
        "timeline": ticket_timeline(ticket=ticket, user=request.user),
        "attachments": ticket_attachments(ticket=ticket, user=request.user),
        "reply_form": ReplyForm(initial=version, user=request.user),
        "confirm_form": ConfirmForm(initial=version),
        "reject_form": ReasonForm(initial=version, submit=_("No, reopen it")),
        "is_requester": ticket.requester_id == request.user.pk,
        "survey": Survey.objects.filter(ticket=ticket).first(),
        "survey_form": SurveyForm(),
        # Other apps' panels (a major incident's status, its postmortem): requester-facing content only.
        "panels": panels_for(request, ticket, page=REQUESTER),
    }
    context.update(forms)
    return context


@login_required
def ticket_detail(request, reference: str):
    ticket = get_ticket_for(request.user, reference)
    return render(request, "tickets/detail.html", _detail_context(request, ticket))


@login_required
@require_POST
def ticket_reply(request, reference: str):
    ticket = get_ticket_for(request.user, reference)
    form = ReplyForm(request.POST, request.FILES, user=request.user)
    keep_typed_text(request, form)
    if not form.is_valid():
        return render(request, "tickets/detail.html", _detail_context(request, ticket, reply_form=form), status=400)
    # A message is added even from a page loaded before someone else's change (no expected_version):
    # it changes no state the person could have misjudged, and the message points to the timeline.
    result = services.followup_add(
        ticket=ticket, author=request.user, body=form.cleaned_data["body"],
        is_public=form.cleaned_data.get("is_public", True), attachments=form.cleaned_data["attachments"],
    )
    if result.ticket.pk != ticket.pk:
        messages.info(request, _("Ticket %(old)s is closed, so your message opened a new ticket, %(new)s, "
                                 "linked to it.") % {"old": ticket.reference, "new": result.ticket.reference})
    elif form.cleaned_data["version"] != ticket.version:
        messages.success(request, _("%(done)s The ticket had changed since you opened it: see the timeline.")
                         % {"done": _("Your message has been sent.")})
    else:
        messages.success(request, _("Your message has been sent."))
    return redirect(result.ticket)


@login_required
@require_POST
def ticket_confirm(request, reference: str):
    """The requester confirms the solution: the ticket is closed."""
    ticket = get_ticket_for(request.user, reference)
    form = ConfirmForm(request.POST)
    keep_typed_text(request, form)
    if not form.is_valid():
        return render(request, "tickets/detail.html", _detail_context(request, ticket), status=400)
    services.ticket_close(ticket=ticket, actor=request.user, expected_version=form.cleaned_data["version"])
    messages.success(request, _("Thank you! The ticket is closed."))
    return redirect(ticket)


@login_required
@require_POST
def ticket_reject(request, reference: str):
    """The requester rejects the solution, with a reason: the ticket is reopened."""
    ticket = get_ticket_for(request.user, reference)
    form = ReasonForm(request.POST, submit=_("No, reopen it"))
    keep_typed_text(request, form)
    if not form.is_valid():
        return render(request, "tickets/detail.html", _detail_context(request, ticket, reject_form=form),
                      status=400)
    services.ticket_reopen(ticket=ticket, actor=request.user, reason=form.cleaned_data["reason"],
                           expected_version=form.cleaned_data["version"])
    messages.success(request, _("The ticket is reopened; the agent has been told why."))
    return redirect(ticket)


@login_required
def attachment_download(request, reference: str, attachment_id: int):
    """Attachments are served only here, after the access check; never from a public URL."""
    attachment = get_attachment_for(request.user, reference, attachment_id)
    inline = attachment.content_type in {"image/png", "image/jpeg", "image/gif", "application/pdf"}
    response = FileResponse(attachment.file.open("rb"), as_attachment=not inline,
                            filename=attachment.original_name, content_type=attachment.content_type)
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    response["Cache-Control"] = "private, no-store"
    return response


@login_required
@require_POST
def ticket_survey(request, reference: str):
    """The survey form on the ticket page, for the requester of a closed ticket."""
    ticket = get_ticket_for(request.user, reference)
    survey = Survey.objects.filter(ticket=ticket).first()
    if survey is None or ticket.requester_id != request.user.pk:
        raise Http404
    form = SurveyForm(request.POST)
    if not form.is_valid():
        return render(request, "tickets/detail.html", _detail_context(request, ticket, survey_form=form), status=400)
    services.survey_answer(survey=survey, score=form.cleaned_data["score"], comment=form.cleaned_data["comment"],
                           actor=request.user)
    messages.success(request, _("Thank you for your answer!"))
    return redirect(ticket)


SURVEY_LINK_FAILURES = FailureLimit(group="tickets.survey_link_failures", key="ip", setting="HELPDESK_RATE_SURVEY")


@require_http_methods(["GET", "POST"])
def survey_link(request, token: str):
    """The survey from the email's signed link: no login; forged, expired or used links get a clear page.
    Forged or expired tokens are limited per client IP (HELPDESK_RATE_SURVEY); valid links spend nothing."""
    SURVEY_LINK_FAILURES.check(request)
    try:
        survey = survey_from_token(token)
    except SurveyLinkError as error:
        SURVEY_LINK_FAILURES.record_failure(request)
        return render(request, "tickets/survey_link.html", {"error": error.reason}, status=400)
    if survey.answered_at:
        return render(request, "tickets/survey_link.html", {"error": "answered", "survey": survey}, status=409)
    form = SurveyForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.survey_answer(survey=survey, score=form.cleaned_data["score"],
                                   comment=form.cleaned_data["comment"])
        except ActionRefused:
            return render(request, "tickets/survey_link.html", {"error": "answered", "survey": survey}, status=409)
        return render(request, "tickets/survey_link.html", {"thanks": True, "survey": survey})
    return render(request, "tickets/survey_link.html", {"form": form, "survey": survey},
                  status=400 if form.errors else 200)
