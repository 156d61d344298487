from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.files.storage import default_storage
from django.http import FileResponse, Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST
from django_ratelimit.decorators import ratelimit

from accounts.decorators import agent_required
from accounts.models import Profile
from accounts.roles import is_privacy_officer
from accounts.views import rate
from audit.models import Action, AuditEntry
from core.exceptions import ActionRefused
from tickets.selectors import get_ticket_for

from . import services
from .detect import find_personal_data
from .models import PersonalDataExport


def _found(ticket, *, followups: bool) -> list[dict]:
    texts = [("description", _("Description"), ticket.description)]
    if followups:
        texts += [(f"followup:{pk}", _("Message of %(date)s") % {"date": f"{created:%d/%m/%Y %H:%M}"}, body)
                  for pk, body, created in ticket.followups.order_by("created_at", "pk")
                  .values_list("pk", "body", "created_at")]
    return [{"target": target, "where": where, "findings": findings}
            for target, where, text in texts if (findings := find_personal_data(text))]


def workspace_panel(request, ticket, bound):
    """The panel of the agent workspace (apps.py): the description is checked at once (no query), the
    messages by the findings view, loaded after the page so the workspace keeps its query budget."""
    return {"ticket": ticket, "found": _found(ticket, followups=False)}


@agent_required
@require_GET
def ticket_findings(request, reference: str):
    """Every text of the ticket with personal data in it: the panel's content (htmx) or a page."""
    ticket = get_ticket_for(request.user, reference)
    context = {"panel": {"ticket": ticket, "found": _found(ticket, followups=True)}}
    template = "privacy/partials/findings.html" if request.htmx else "privacy/findings.html"
    return render(request, template, context)


@agent_required
@require_POST
def ticket_redact(request, reference: str):
    ticket = get_ticket_for(request.user, reference)
    kinds = services.ticket_redact(ticket=ticket, actor=request.user, target=request.POST.get("target", ""))
    if kinds:
        messages.success(request, _("Personal data masked."))
    return redirect("agent:ticket", ticket.reference)


# --- The person's own page: their data and its export -------------------------------------------

RECENT_EXPORTS = 5


def _exports(user) -> list[PersonalDataExport]:
    return list(PersonalDataExport.objects.filter(user=user)[:RECENT_EXPORTS])


def _my_data_context(request) -> dict:
    user = request.user
    profile = Profile.objects.select_related("organisation").filter(user=user).first()
    exports = _exports(user)
    return {"profile": profile, "exports": exports, "now": timezone.now(),
            "in_flight": any(export.in_flight for export in exports)}


@login_required
@require_GET
def my_data(request):
    """/privacy/me/: what the helpdesk holds about the person, and the export of it (right of access)."""
    return render(request, "privacy/my_data.html", _my_data_context(request))


@login_required
@require_GET
def my_exports(request):
    """The list of the person's exports with their progress: the part of the page htmx refreshes."""
    return render(request, "privacy/partials/exports.html", _my_data_context(request))


@login_required
@require_POST
@ratelimit(key="user", rate=rate("HELPDESK_RATE_PERSONAL_DATA_EXPORT"), method="POST", block=True)
def my_data_export(request):
    try:
        services.personal_data_export_request(user=request.user)
    except ActionRefused as refusal:
        messages.error(request, refusal.message)
        return render(request, "privacy/my_data.html", _my_data_context(request), status=409)
    messages.success(request, _("Your export is being prepared. The link will appear here when it is ready "
                                "and will stay valid for one day."))
    return redirect("privacy:my_data")


def get_export_for(user, pk: int) -> PersonalDataExport:
    """An export the user may download: their own, or anyone's for a manager or the DPO; ready and not
    expired. Anything else is a 404 (nobody learns that someone else's export exists)."""
    export = PersonalDataExport.objects.filter(pk=pk).first()
    if export is None or not (export.user_id == user.pk or is_privacy_officer(user)) or not export.is_available():
        raise Http404
    return export


@login_required
@require_GET
def export_download(request, pk: int):
    export = get_export_for(request.user, pk)
    try:
        handle = default_storage.open(export.file, "rb")
    except FileNotFoundError as error:  # purged by the nightly task
        raise Http404 from error
    AuditEntry.objects.record(Action.EXPORT_DOWNLOADED, subject=export.user_id, obj=export)
    return FileResponse(handle, as_attachment=True, content_type="application/zip",
                        filename=f"donnees-personnelles-{export.created_at:%Y%m%d}.zip")
