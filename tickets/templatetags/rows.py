"""The queue's rows, the requester's list rows, the timeline's entries and the workspace's checklists written in
Python: `{% queue_rows tickets ticket_url_prefix %}`, `{% requester_rows tickets %}`, `{% timeline_entries timeline %}`
and `{% checklist_phases checklists ticket %}`.

A row of the queue (25 per page) and an entry of a timeline (up to 50 on the workspace, every event on the
requester's page) went through a dozen template variables, filters and tags each, which cost more than the
rest of the page (bench/RESULTS.md, issue 16). These functions write the markup of
tickets/agent/partials/queue_row.html, tickets/partials/requester_row.html, tickets/partials/timeline_entry.html and
tickets/agent/partials/checklist_phase.html, which stay as the reference:
tests/tickets/test_row_markup.py renders both ways and holds them equal. Everything a user typed goes
through format_html's escaping (tickets.html.format_fast: the same, in fewer calls); only our own markup (icons, the SLA badges the sla app registers in tickets.panels) is passed as safe.
"""

from __future__ import annotations

from functools import lru_cache

from django import template
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext

from accounts.people import user_display
from core.formats import date_formatter

from ..html import escape_fast
from ..html import format_fast as format_html
from ..models import Priority, Status
from ..panels import queue_sla_cell
from .icons import icon
from .ticket_tags import actor_name, describe_event, duration_short, event_detail

register = template.Library()

# The same separators as the templates, so that the page's inline whitespace does not change.
_ROW = (
    '<tr data-href="{prefix}{reference}/" role="row">\n'
    '<td role="cell" class="q-check"><input type="checkbox" class="form-check-input" name="tickets" '
    'value="{reference}" aria-label="{reference}"></td>\n'
    '<td role="cell" class="q-ref text-nowrap"><a href="{prefix}{reference}/">{reference}</a></td>\n'
    '<td role="cell" class="q-prio"><span class="badge badge-priority-{priority}" title="{priority_label}">'
    '{priority}</span></td>\n'
    '<td role="cell" class="queue-flags q-flags text-nowrap">{flags}</td>\n'
    '<td role="cell" class="queue-title q-title" title="{title}">{title}</td>\n'
    '<td role="cell" class="q-status"><span class="badge badge-status-{status}" data-testid="status">'
    '{status_label}</span></td>\n'
    '<td role="cell" class="q-level">{level}</td>\n'
    '<td role="cell" class="queue-person q-requester">{requester}</td>\n'
    '<td role="cell" class="queue-person q-assignee">{assignee}</td>\n'
    '<td role="cell" class="queue-category q-category" title="{category}">{category_or_dash}</td>\n'
    '<td role="cell" class="queue-sla q-sla">{sla}</td>\n'
    '<td role="cell" class="q-created text-nowrap"><time datetime="{created_iso}" title="{created_long}">'
    '{created_short}</time></td>\n'
    '</tr>\n'
)
_NOBODY = mark_safe('<span class="text-muted">—</span>')


class _QueuePage:
    """What every row of a page shares, built once: the flag icons, the labels of the priorities and
    statuses in the reader's language (get_FOO_display() hashes every lazy label of the choices on each
    call), escaped once, and the date writer."""

    def __init__(self) -> None:
        self.language, self.zone_name = translation.get_language(), timezone.get_current_timezone_name()
        self.vip = icon("star-fill", gettext("Priority customer (VIP)"), "text-vip")
        self.recurring = icon("arrow-repeat", gettext("Recurring problem"), "text-recurring ms-1")
        self.priorities = {value: str(label) for value, label in Priority.choices}
        self.statuses = {value: str(label) for value, label in Status.choices}
        self.escaped_priorities = {value: escape_fast(label) for value, label in self.priorities.items()}
        self.escaped_statuses = {value: escape_fast(label) for value, label in self.statuses.items()}
        self.short_datetime = date_formatter("SHORT_DATETIME_FORMAT")
        self.zone = timezone.get_current_timezone()


_pages: dict[tuple[str, str], _QueuePage] = {}


def _page_now() -> _QueuePage:
    """The _QueuePage of the language and time zone active now: it holds nothing else, so one per language and
    zone is kept (a handful per process)."""
    key = (translation.get_language(), timezone.get_current_timezone_name())
    page = _pages.get(key)
    if page is None:
        page = _pages[key] = _QueuePage()
    return page


def queue_row(ticket, url_prefix: str, page: _QueuePage | None = None, escaped_prefix: str | None = None,
              now=None) -> SafeString:
    """One row of the queue's table (tickets/agent/partials/queue_row.html): `_row` of what the row shows, its SLA
    cell at `now` (the page's moment; the current time by default)."""
    page = page or _page_now()
    organisation, category, assignee = ticket.organisation, ticket.category, ticket.assignee
    return _row(
        page, escape_fast(url_prefix) if escaped_prefix is None else escaped_prefix, ticket.reference, ticket.priority,
        organisation is not None and organisation.is_vip, ticket.is_recurring, ticket.title, ticket.status,
        ticket.level, user_display(ticket.requester), None if assignee is None else user_display(assignee),
        None if category is None else category.name, queue_sla_cell(ticket, now, page.language, page.zone_name),
        ticket.created_at,
    )


# The rows written lately, by everything they show: agents refreshing the queue, and each other's queues, show
# the same tickets again and again, and writing a row (a dozen values escaped, three dates) was a fifth of the
# page (bench/RESULTS.md, issue 16, session 9). The key is every value the row writes (the SLA cell's markup,
# written anew for each request, stands for the clocks and the time), and the page's language and zone
# (`page`, one per language and zone): a ticket changed writes another row. lru_cache is safe across threads.
@lru_cache(maxsize=2048)
def _row(page: _QueuePage, prefix: str, reference: str, priority: str, vip: bool, recurring: bool, title: str,
         status: str, level: str, requester: str, assignee: str | None, category: str | None, sla: str,
         created_at) -> SafeString:
    """format_html(_ROW, …), each value escaped once (those the row shows twice, and the page's labels, are not
    escaped again)."""
    flags = page.vip if vip else ""
    if recurring:
        flags += page.recurring
    category_name = escape_fast(category) if category is not None else ""
    created = created_at.astimezone(page.zone)
    priority_label = page.escaped_priorities.get(priority)
    status_label = page.escaped_statuses.get(status)
    return SafeString(_ROW.format(  # every value is escaped (escape_fast) or our markup
        prefix=prefix, reference=escape_fast(reference), priority=escape_fast(priority),
        priority_label=escape_fast(priority) if priority_label is None else priority_label,
        flags=flags, title=escape_fast(title), status=escape_fast(status),
        status_label=escape_fast(status) if status_label is None else status_label,
        level=escape_fast(level), requester=escape_fast(requester),
        assignee=escape_fast(assignee) if assignee is not None else _NOBODY,
        category=category_name, category_or_dash=category_name or "—",
        sla=escape_fast(sla),
        created_iso=escape_fast(created.isoformat()), created_long=escape_fast(page.short_datetime(created)),
        created_short=escape_fast(f"{created:%d/%m %H:%M}"),
    ))


@register.simple_tag
def queue_rows(tickets, url_prefix: str) -> SafeString:
    page, prefix, now = _page_now(), escape_fast(url_prefix), timezone.now()
    return SafeString("".join(  # each row is escaped
        queue_row(ticket, url_prefix, page, prefix, now) for ticket in tickets))


_REQUESTER_ROW = (
    '<tr>\n<td class="text-nowrap"><a href="{prefix}{reference}/">{reference}</a></td>\n<td>{title}</td>\n'
    '<td><span class="badge badge-status-{status}" data-testid="status">{status_label}</span></td>\n'
    '<td><span class="badge badge-priority-{priority}" title="{priority_label}">{priority}</span></td>\n'
    '<td>{category}</td>\n<td class="text-nowrap">{created}</td>\n</tr>\n'
)


def _requester_url_prefix() -> str:
    placeholder = "0000-000000"
    return reverse("tickets:detail", args=[placeholder]).removesuffix(f"{placeholder}/")


def requester_row(ticket, page: _QueuePage | None = None, url_prefix: str | None = None) -> SafeString:
    """One row of the requester's list of tickets (tickets/partials/requester_row.html)."""
    page = page or _QueuePage()
    category = ticket.category
    return format_html(
        _REQUESTER_ROW,
        prefix=_requester_url_prefix() if url_prefix is None else url_prefix, reference=ticket.reference,
        title=ticket.title, status=ticket.status, status_label=page.statuses.get(ticket.status, ticket.status),
        priority=ticket.priority, priority_label=page.priorities.get(ticket.priority, ticket.priority),
        category=category.name if category is not None and category.name else "—",
        created=page.short_datetime(ticket.created_at.astimezone(page.zone)),
    )


@register.simple_tag
def requester_rows(tickets) -> SafeString:
    page, prefix = _page_now(), _requester_url_prefix()
    return mark_safe("".join(  # noqa: S308 - each row is format_html's
        requester_row(ticket, page, prefix) for ticket in tickets))


_ENTRY_HEAD = (
    '<li class="event-{}" id="event-{}">\n<div class="small">\n<strong>{}</strong> {}\n{}\n'
    '<span class="text-muted ms-1" title="{}">· {}</span>\n</div>\n'
)


class _Timeline:
    """What every entry shares, built once per timeline."""

    def __init__(self) -> None:
        self.internal = format_html('<span class="badge text-bg-warning ms-1">{}</span>', gettext("internal"))
        self.paperclip = icon("paperclip")
        self.long = date_formatter("DATETIME_FORMAT")
        self.short = date_formatter("SHORT_DATETIME_FORMAT")


def timeline_entry(event, timeline: _Timeline | None = None) -> SafeString:
    """One entry of a timeline (tickets/partials/timeline_entry.html): who, what, when; a followup's text and
    files, or the event's free text (a reason, a solution)."""
    timeline = timeline or _Timeline()
    parts = [format_html(_ENTRY_HEAD, event.kind, event.pk, actor_name(event), describe_event(event),
                         "" if event.is_public else timeline.internal, timeline.long(event.created_at),
                         timeline.short(event.created_at))]
    followup = event.followup
    if followup is not None:
        parts.append(format_html('<div class="message mt-1 p-2 rounded {}">{}</div>\n',
                                 "bg-white border" if followup.is_public else "note", followup.body))
        for attachment in followup.files:
            parts.append(format_html('<a class="small d-inline-block mt-1 me-2" href="{}">{} {}</a>\n',
                                     attachment.get_absolute_url(), timeline.paperclip, attachment.original_name))
    else:
        detail = event_detail(event)
        if detail:
            parts.append(format_html('<div class="message mt-1 p-2 rounded bg-white border">{}</div>\n', detail))
    parts.append("</li>\n")
    return mark_safe("".join(parts))  # noqa: S308 - each part is format_html's


@register.simple_tag
def timeline_entries(events) -> SafeString:
    timeline = _Timeline()
    return mark_safe("".join(  # noqa: S308 - each entry is format_html's
        timeline_entry(event, timeline) for event in events))


# The phase's heading by its state (the current one, those done, those to come).
_PHASE_CSS = {"current": "text-primary", "done": "text-success"}
_CHECKED = SafeString(" checked")
_AUTO_ITEM = (
    '<li class="form-check">\n<input type="checkbox" class="form-check-input" id="check-{code}" disabled{checked}>\n'
    '<label class="form-check-label" for="check-{code}">{label} <span class="visually-hidden">({by_system})</span>'
    '</label>\n</li>\n'
)
_ITEM = (
    '<li class="form-check">\n<form method="post" action="{action}">\n{csrf}<input type="hidden" name="version" '
    'value="{version}">\n<input type="hidden" name="code" value="{code}">\n<input type="checkbox" '
    'class="form-check-input" name="done" value="on" id="check-{code}" data-testid="check-{code}" '
    'data-submit-on-change{checked}>\n<label class="form-check-label" for="check-{code}">{label}</label>\n{by}'
    '<noscript><button type="submit" class="btn btn-link btn-sm p-0 align-baseline">{save}</button></noscript>\n'
    '</form>\n</li>\n'
)


@register.simple_tag(takes_context=True)
def checklist_phases(context, phases: list[dict], ticket) -> SafeString:
    """The workspace's deliverables, phase by phase (tickets.checklists.ticket_checklists), as
    tickets/agent/partials/checklist_phase.html writes each: a dozen items of tags, filters and conditions cost a tenth
    of the workspace's instructions (bench/RESULTS.md, issue 16, session 20)."""
    token = context.get("csrf_token")
    csrf = (format_html('<input type="hidden" name="csrfmiddlewaretoken" value="{}">', token)
            if token and token != "NOTPROVIDED" else "")  # noqa: S105 - Django's marker of no token, as {% csrf_token %}
    action = reverse("agent:action", args=[ticket.reference, "check"])
    by_system, save, spent = gettext("ticked by the system"), gettext("Save"), gettext("time spent in this phase")
    parts = []
    for phase in phases:
        seconds = phase["seconds"]
        parts.append(format_html(
            '<div class="col-md-6 col-xxl-3">\n<div class="fw-semibold small {}">\n{}{}\n</div>\n'
            '<ul class="list-unstyled small mb-0 checklist">\n',
            _PHASE_CSS.get(phase["state"], "text-muted"), phase["label"],
            format_html(' · <span title="{}">{}</span>', spent, duration_short(seconds)) if seconds else ""))
        for item in phase["items"]:
            checked = _CHECKED if item["done"] else ""
            if item["auto"]:
                parts.append(format_html(_AUTO_ITEM, code=item["code"], checked=checked, label=item["label"],
                                         by_system=by_system))
            else:
                by = item["by"]
                parts.append(format_html(
                    _ITEM, action=action, csrf=csrf, version=ticket.version, code=item["code"], checked=checked,
                    label=item["label"], save=save,
                    by=format_html('<span class="text-muted">({})</span>\n', user_display(by)) if by else ""))
        parts.append("</ul>\n</div>\n")
    return mark_safe("".join(parts))  # noqa: S308 - each part is format_html's or our markup


@register.simple_tag
def options(choices) -> SafeString:
    """`<option value="…">…</option>` for each (value, label), as the queue's bulk-action form writes its selects
    (`{% for value, label in choices %}<option value="{{ value }}">{{ label }}</option>{% endfor %}`: a loop of
    two variables per option, about sixty on the queue). `choices` may be a field's choices, or people
    (the agents: their primary key and display name)."""
    return mark_safe("".join(  # noqa: S308 - each option is format_html's
        format_html('<option value="{}">{}</option>', *(
            (choice.pk, user_display(choice)) if hasattr(choice, "pk") else choice))
        for choice in choices))
