"""The queue's rows and the timeline's entries written in Python (tickets.templatetags.rows) render what their
reference templates render (tickets/agent/partials/queue_row.html, tickets/partials/timeline_entry.html): the
same elements, attributes and text, whitespace aside, for every kind of row and event, in both languages; and
they escape everything a user typed."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from django.template import Context
from django.template.loader import render_to_string
from django.test.html import parse_html
from django.utils import timezone, translation
from django.utils.functional import lazy
from django.utils.html import conditional_escape, format_html
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext_lazy

from privacy.services import ticket_redact
from tests.factories import CategoryFactory, OrganisationFactory, UserFactory, advance, make_ticket
from tests.test_no_raw_codes import cast, history  # noqa: F401 - fixtures: every event kind, through the services
from tickets import services
from tickets.checklists import ticket_checklists
from tickets.html import escape_fast, format_fast
from tickets.models import EventKind, Ticket
from tickets.portal import requester_page
from tickets.selectors import queue_table_rows, ticket_queue_for_agent, ticket_timeline
from tickets.templatetags.rows import (
    checklist_phases,
    queue_row,
    queue_rows,
    requester_row,
    requester_rows,
    timeline_entries,
    timeline_entry,
)

PREFIX = "/agent/tickets/"
HOSTILE = '<script>alert("x")</script>&amp;\'"'


def _row_both(ticket):
    reference = render_to_string("tickets/agent/partials/queue_row.html",
                                 {"ticket": ticket, "ticket_url_prefix": PREFIX})
    return parse_html(str(queue_row(ticket, PREFIX))), parse_html(reference)


def _entry_both(event):
    reference = render_to_string("tickets/partials/timeline_entry.html", {"event": event})
    return parse_html(str(timeline_entry(event))), parse_html(reference)


@pytest.fixture(params=["fr", "en"])
def language(request):
    with translation.override(request.param):
        yield request.param


@pytest.fixture
def queue_tickets(requester, category, agent_n1, agent_n2):
    """Rows of every look: VIP and recurring flags, assigned or not, without a category, each status, each
    priority, SLA badges running, met, paused and breached."""
    vip = UserFactory(username="vip", organisation=OrganisationFactory(name="Banque <VIP>", is_vip=True))
    make_ticket(requester=vip, category=category, title="Écran noir", urgency="high", impact="high")
    recurring = make_ticket(requester=requester, category=category, title="Imprimante, encore")
    Ticket.objects.filter(pk=recurring.pk).update(is_recurring=True)
    advance(make_ticket(requester=requester, category=category, title="En cours", urgency="low"),
            to="in_progress", agent=agent_n1)
    advance(make_ticket(requester=requester, category=category, title="En attente", impact="low"),
            to="waiting", agent=agent_n2)
    advance(make_ticket(requester=requester, category=category, title="Résolu"), to="resolved", agent=agent_n1)
    no_category = make_ticket(requester=UserFactory(username="anonyme", first_name="", last_name=""),
                              category=category, title="Sans catégorie")
    Ticket.objects.filter(pk=no_category.pk).update(category=None)
    return [*ticket_queue_for_agent(agent=agent_n1, filters={"view": "all"}),
            *ticket_queue_for_agent(agent=agent_n1, filters={"view": "all", "status": "resolved"})]


@pytest.mark.parametrize("moment", [timedelta(0), timedelta(hours=3), timedelta(days=30)],
                         ids=["now", "warning", "breached"])
def test_every_queue_row_renders_as_the_template(queue_tickets, language, moment):
    assert len(queue_tickets) == 6
    with time_machine.travel(timezone.now() + moment, tick=False):
        for ticket in queue_tickets:
            ours, theirs = _row_both(ticket)
            assert ours == theirs, ticket.title


def test_the_rows_of_a_page_are_each_row(queue_tickets):
    html = str(queue_rows(queue_tickets, PREFIX))

    assert parse_html(html) == parse_html("".join(str(queue_row(ticket, PREFIX)) for ticket in queue_tickets))
    assert html.count("<tr ") == len(queue_tickets)


def test_the_rows_follow_each_page_s_language_and_zone(queue_tickets):
    """What the rows share is kept per language and time zone (rows._page_now): byte for byte the rows of a page
    built afresh, whichever came before."""
    with time_machine.travel(timezone.now(), tick=False):
        for language, zone in [("fr", "Europe/Paris"), ("en", "Europe/Paris"), ("en", "America/New_York"),
                               ("fr", "America/New_York"), ("fr", "Europe/Paris")]:
            with translation.override(language), timezone.override(zone):
                assert str(queue_rows(queue_tickets, PREFIX)) == "".join(
                    str(queue_row(ticket, PREFIX)) for ticket in queue_tickets)


@pytest.mark.parametrize("reference_cache", [True, False], ids=["reference-cache", "joined"])
@pytest.mark.parametrize("moment", [timedelta(0), timedelta(hours=3), timedelta(days=30)],
                         ids=["now", "warning", "breached"])
def test_the_table_s_narrow_rows_render_as_whole_rows(queue_tickets, agent_n1, moment, reference_cache, settings,
                                                      django_assert_num_queries):
    """The queue's page reads only the columns its rows show (`table=True`, completed by `queue_table_rows`): the
    same markup, and no query while writing the rows (a column missing from QUEUE_TABLE_COLUMNS or the SLA cell's would load per row).
    The category, organisation and assignee from the reference cache by id, or joined when it is off."""
    settings.HELPDESK_REFERENCE_CACHE = reference_cache
    narrow = []
    for filters in ({"view": "all"}, {"view": "all", "status": "resolved"}):
        narrow += queue_table_rows(list(ticket_queue_for_agent(agent=agent_n1, filters=filters, table=True)))
    assert [t.pk for t in narrow] == [t.pk for t in queue_tickets]

    with time_machine.travel(timezone.now() + moment, tick=False):
        with django_assert_num_queries(0):
            ours = str(queue_rows(narrow, PREFIX))
        assert parse_html(ours) == parse_html(str(queue_rows(queue_tickets, PREFIX)))
    assert ours.count("sla-badges") == len(narrow)


def test_every_requester_row_renders_as_the_template(queue_tickets, requester, language):
    """The requester's list (/tickets/): each status and priority, with and without a category."""
    page = requester_page(requester, tab="all", size=25)
    tickets = list(page.tickets)
    assert {ticket.status for ticket in tickets} >= {"new", "in_progress", "waiting", "resolved"}
    for ticket in [*tickets, *queue_tickets]:  # the queue's add a ticket without a category
        reference = render_to_string("tickets/partials/requester_row.html", {"ticket": ticket})
        assert parse_html(str(requester_row(ticket))) == parse_html(reference), ticket.title
    html = str(requester_rows(tickets))
    assert html.count("<tr>") == len(tickets)
    assert f'href="/tickets/{tickets[0].reference}/"' in html


def test_the_requester_row_escapes_what_people_typed(db):
    person = UserFactory(username="hostile_requester")
    ticket = make_ticket(requester=person, category=CategoryFactory(name=HOSTILE), title=HOSTILE)

    html = str(requester_rows(requester_page(person, tab="all", size=25).tickets))

    assert ticket.reference in html
    assert "<script>" not in html
    assert html.count("&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;&amp;amp;&#x27;&quot;") == 2  # title, category


def test_every_timeline_entry_renders_as_the_template(history, agent_n1, requester, language):  # noqa: F811
    kinds = set()
    for ticket in history:
        for user in (agent_n1, requester):  # the requester's page shows public events only
            for event in ticket_timeline(ticket=ticket, user=user):
                kinds.add(event.kind)
                ours, theirs = _entry_both(event)
                assert ours == theirs, (event.kind, event.data)
    assert kinds == set(EventKind.values)


@pytest.fixture
def conversation(requester, category, agent_n1):
    """Public replies and private notes with files, a system event, a redaction."""
    ticket = advance(make_ticket(requester=requester, category=category), to="in_progress", agent=agent_n1)
    services.followup_add(ticket=ticket, author=agent_n1, body="Voici le journal.\nDeux lignes.",
                          attachments=[SimpleUploadedFile("journal.txt", b"log\n", "text/plain"),
                                       SimpleUploadedFile("étapes.txt", b"1. ouvrir\n", "text/plain")])
    services.followup_add(ticket=ticket, author=agent_n1, body="Note interne", is_public=False,
                          attachments=[SimpleUploadedFile("interne.txt", b"x\n", "text/plain")])
    result = services.followup_add(ticket=ticket, author=requester, body="Ma carte 4111 1111 1111 1111 ne passe pas")
    ticket_redact(ticket=ticket, actor=agent_n1, target=f"followup:{result.followup.pk}")
    return ticket


def test_entries_with_files_private_notes_and_redactions_render_as_the_template(conversation, agent_n1,
                                                                                 language):
    events = ticket_timeline(ticket=conversation, user=agent_n1)
    assert any(event.followup and not event.followup.is_public for event in events)
    assert any((event.data or {}).get("privacy") == "redacted" for event in events)
    for event in events:
        ours, theirs = _entry_both(event)
        assert ours == theirs, (event.kind, event.data)
    html = str(timeline_entries(events))
    assert html.count('class="bi bi-paperclip') == 3
    assert "4111 1111 1111 1111" not in html


def test_the_rows_and_entries_escape_what_people_typed(agent_n1):
    organisation = OrganisationFactory(name=HOSTILE, is_vip=True)
    person = UserFactory(username="hostile", first_name=HOSTILE, last_name=HOSTILE, organisation=organisation)
    agent = UserFactory(username="hostile_agent", first_name=HOSTILE, last_name="", groups=["N1"])
    category = CategoryFactory(name=HOSTILE)
    ticket = make_ticket(requester=person, category=category, title=HOSTILE, description=HOSTILE)
    ticket = advance(ticket, to="in_progress", agent=agent)
    assert ticket.assignee_id == agent.pk
    ticket = services.ticket_change_priority(ticket=Ticket.objects.get(pk=ticket.pk), actor=agent, priority="P1",
                                             reason=HOSTILE)
    services.followup_add(ticket=ticket, author=agent, body=HOSTILE,
                          attachments=[SimpleUploadedFile(f"{HOSTILE}.txt".replace("/", ""), b"x", "text/plain")])
    [row] = [t for t in ticket_queue_for_agent(agent=agent_n1, filters={"view": "all"}) if t.pk == ticket.pk]

    html = str(queue_rows([row], PREFIX)) + str(timeline_entries(ticket_timeline(ticket=ticket, user=agent_n1)))

    assert "<script>" not in html
    assert '"x")' not in html and "'\"" not in html
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;&amp;amp;" in html
    # The title, the requester, the assignee, the category (twice each where it is an attribute too), the
    # priority change's reason, the reply and the file's name.
    assert html.count("&lt;script&gt;") >= 9


@pytest.mark.parametrize("value", [HOSTILE, "", "plain", mark_safe("<b>ours</b>"), gettext_lazy("Priority"),
                                   lazy(lambda: '<i>"&"</i>', str)(), 42, None, 1.5],
                         ids=["hostile", "empty", "plain", "safe", "lazy", "lazy-hostile", "int", "none", "float"])
def test_the_fast_escape_escapes_as_django_does(value):
    """tickets.html.escape_fast and format_fast, which the rows, entries, badges and selects use, give what
    conditional_escape and format_html give."""
    assert escape_fast(value) == conditional_escape(value)
    assert format_fast("<p>{}|{x}</p>", value, x=value) == format_html("<p>{}|{x}</p>", value, x=value)
    assert isinstance(format_fast("{}", value), SafeString)


def test_the_bulk_form_options_render_as_the_template_loops(agent_n1, agent_n2):
    """{% options %} writes the bulk-action form's selects as the loops it replaced in queue_table.html."""
    from django.template import engines

    from tickets.forms import BulkActionForm

    UserFactory(username="hostile", first_name=HOSTILE, last_name="", groups=["N1"])
    UserFactory(username="nameless", first_name="", last_name="", groups=["N2"])
    form = BulkActionForm()
    loops = engines["django"].from_string(
        "{% load people %}"
        "{% for value, label in form.fields.action.choices %}<option value=\"{{ value }}\">{{ label }}</option>{% endfor %}|"
        "{% for agent in form.fields.assignee.objects %}<option value=\"{{ agent.pk }}\">{{ agent|display_name }}</option>"
        "{% endfor %}|"
        "{% for value, label in form.fields.priority.choices %}<option value=\"{{ value }}\">{{ label }}</option>{% endfor %}|"
        "{% for value, label in form.fields.reason_code.choices %}<option value=\"{{ value }}\">{{ label }}</option>"
        "{% endfor %}")
    ours = engines["django"].from_string(
        "{% load rows %}{% options form.fields.action.choices %}|{% options form.fields.assignee.objects %}|"
        "{% options form.fields.priority.choices %}|{% options form.fields.reason_code.choices %}")

    for language in ("fr", "en"):
        with translation.override(language):
            expected = loops.render({"form": form})
            assert ours.render({"form": form}) == expected
    assert "<script>" not in expected and expected.count("<option") > 10


def test_a_row_is_written_once_per_everything_it_shows(queue_tickets, agent_n1):
    """Rows are kept by every value they show (rows._row): the same values give the kept row; a ticket changed, a
    person renamed, time gone by on a running SLA clock give a new one, as the template writes it."""
    with time_machine.travel(timezone.now(), tick=False) as clock:
        ticket = next(t for t in queue_tickets if t.title == "En cours")
        first = queue_row(ticket, PREFIX)
        assert queue_row(ticket, PREFIX) is first

        ticket.title = "En cours <b>renommé</b>"
        ticket.assignee.first_name = "Renée"
        renamed = queue_row(ticket, PREFIX)
        assert renamed is not first and "renommé" in renamed and "Renée" in renamed
        assert "<b>" not in renamed
        assert parse_html(str(renamed)) == _row_both(ticket)[1]

        clock.shift(timedelta(seconds=1))  # the badge's time left, in minutes, is the same
        assert queue_row(ticket, PREFIX) is renamed
        clock.shift(timedelta(hours=2))
        later = queue_row(ticket, PREFIX)
        assert later is not renamed and parse_html(str(later)) == _row_both(ticket)[1]


PAGE_TOKEN = "tok3n-from-the-page"  # noqa: S105 - a page's CSRF token, as the template context holds it


def _checklists_both_ways(ticket):
    phases = ticket_checklists(ticket)
    context = {"ticket": ticket, "csrf_token": PAGE_TOKEN}
    reference = "".join(render_to_string("tickets/agent/partials/checklist_phase.html", {**context, "phase": phase})
                        for phase in phases)
    return parse_html(str(checklist_phases(Context(context), phases, ticket))), parse_html(reference)


def test_every_checklist_phase_renders_as_the_template(requester, category, agent_n1, language):
    """The workspace's deliverables written in Python (rows.checklist_phases): the current phase, those done and to
    come, a phase with time spent, items that tick themselves done or not, items an agent ticked (named) or not."""
    ticket = make_ticket(requester=requester, category=category)
    assert _checklists_both_ways(ticket)[0] == _checklists_both_ways(ticket)[1]  # reception, nothing ticked by hand
    with time_machine.travel(timezone.now() + timedelta(minutes=40)):
        ticket = services.ticket_take(ticket=ticket, actor=agent_n1)
    ticket = services.ticket_check_item(ticket=ticket, actor=agent_n1, code="reproduced", done=True)
    ticket = services.ticket_check_item(ticket=ticket, actor=agent_n1, code="options_listed", done=True)
    ticket = Ticket.objects.get(pk=ticket.pk)
    assert ticket.reception_seconds > 0

    written, reference = _checklists_both_ways(ticket)
    assert written == reference
    assert "agent_n1" in str(written) or agent_n1.first_name in str(written)
    assert "csrfmiddlewaretoken" in str(written) and PAGE_TOKEN in str(written)
    # No token in the page (Django's marker, as {% csrf_token %} reads it): no hidden input.
    assert "csrfmiddlewaretoken" not in checklist_phases(Context({"csrf_token": "NOTPROVIDED"}),
                                                         ticket_checklists(ticket), ticket)


def test_the_checklists_escape_the_agents_names(requester, category):
    hostile = UserFactory(username="hostile", groups=["N1"], first_name=HOSTILE, last_name="")
    ticket = services.ticket_take(ticket=make_ticket(requester=requester, category=category), actor=hostile)
    ticket = services.ticket_check_item(ticket=ticket, actor=hostile, code="reproduced", done=True)

    written, reference = _checklists_both_ways(Ticket.objects.get(pk=ticket.pk))
    assert written == reference
    assert "<script>" not in str(written.children) and "&lt;script&gt;" in str(written)
