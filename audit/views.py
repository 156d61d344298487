"""The audit log's page for managers, administrators and the DPO (/audit/), and its CSV export."""

from __future__ import annotations

import csv
import json

from django.conf import settings
from django.http import StreamingHttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_GET

from accounts.decorators import privacy_officer_required

from .forms import AuditFilterForm
from .models import Action
from .selectors import audit_page, entries

CSV_COLUMNS = ("at", "action", "action_label", "actor", "subject", "object_type", "object", "ip", "user_agent",
               "details")
# A cell a spreadsheet would read as a formula (CSV injection): prefixed with a quote.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def _filter_form(request) -> AuditFilterForm:
    fields = AuditFilterForm.base_fields
    return AuditFilterForm({k: v for k, v in request.GET.items() if k in fields} or None)


@privacy_officer_required
@require_GET
def audit_log(request):
    form = _filter_form(request)
    page = audit_page(form.filter(entries()), older=request.GET.get("older"), newer=request.GET.get("newer"),
                      size=settings.HELPDESK_PAGE_SIZE)
    query = request.GET.copy()
    for key in ("older", "newer"):
        query.pop(key, None)
    return render(request, "audit/log.html", {"form": form, "page": page, "entries": page.entries,
                                              "filters": query.urlencode(), "section": "audit"})


def safe_cell(value) -> str:
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(FORMULA_STARTS) else text


class _Echo:
    def write(self, value):
        return value


def _username(user) -> str:
    return user.get_username() if user is not None else ""


def _row(entry, labels: dict[str, str]) -> list[str]:
    return [safe_cell(cell) for cell in (
        timezone.localtime(entry.at).isoformat(), entry.action, labels.get(entry.action, entry.action),
        _username(entry.actor), _username(entry.subject),
        entry.content_type.model if entry.content_type else "", entry.object_id, entry.ip or "", entry.user_agent,
        json.dumps(entry.details, ensure_ascii=False, sort_keys=True) if entry.details else "")]


@privacy_officer_required
@require_GET
def audit_csv(request):
    """Every entry the filters select, newest first, streamed (read in chunks: no page limit)."""
    rows = _filter_form(request).filter(entries()).order_by("-at", "-id").iterator(chunk_size=2000)
    writer = csv.writer(_Echo())
    # The labels once (get_action_display() hashes every translated choice on each call).
    labels = {value: str(label) for value, label in Action.choices}

    def lines():
        yield writer.writerow(CSV_COLUMNS)
        for entry in rows:
            yield writer.writerow(_row(entry, labels))

    response = StreamingHttpResponse(lines(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="journal-audit-{timezone.localdate():%Y%m%d}.csv"'
    return response
