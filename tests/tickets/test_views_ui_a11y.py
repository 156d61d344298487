"""What the pages give people who do not see them the usual way (issue 17): icons with a text alternative
and no emoji, the active section named, the reply's two kinds, the deliverables left on a closed ticket,
the SLA badges that say which target they are, the upload limits under every file input."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.urls import reverse

from tests.factories import advance
from tickets.templatetags.icons import icon

ROOT = Path(__file__).resolve().parents[2]
# Emoji and the ballot boxes the review saw as empty boxes (no emoji font on the agents' machines).
PICTOGRAPHS = re.compile("[\U0001F300-\U0001FAFF\u2600-\u27BF\u2B00-\u2BFF]")


def test_no_template_uses_an_emoji_as_an_icon():
    found = []
    for path in ROOT.glob("**/templates/**/*.html"):
        if ".venv" in path.parts:
            continue
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
            if PICTOGRAPHS.search(line):
                found.append(f"{path.relative_to(ROOT)}:{number}: {line.strip()[:80]}")
    assert found == []


def test_an_icon_beside_a_word_is_hidden_and_a_lone_icon_is_named():
    decorative = icon("paperclip")
    assert decorative.startswith("<svg") and 'aria-hidden="true"' in decorative and "role=" not in decorative
    assert "<path" in decorative

    named = icon("star-fill", "Client <VIP>", "text-vip")
    assert 'role="img"' in named and 'aria-label="Client &lt;VIP&gt;"' in named
    assert "<title>Client &lt;VIP&gt;</title>" in named and 'class="bi bi-star-fill text-vip"' in named


def test_an_unknown_or_malformed_icon_name_fails_loudly():
    with pytest.raises(ValueError):
        icon("../secret")
    with pytest.raises(FileNotFoundError):
        icon("no-such-icon-anywhere")


@pytest.mark.parametrize(("path", "label"), [("/agent/", "File d'attente"), ("/kb/", "Base de connaissances")])
def test_the_top_bar_marks_the_current_section(client, agent_n1, path, label):
    client.force_login(agent_n1)

    html = client.get(path).content.decode()

    current = re.findall(r'<a class="nav-link[^"]*active" aria-current="page"[^>]*>(.*?)</a>', html, re.S)
    assert len(current) == 1 and current[0].strip().endswith(label)
    assert 'href="#main"' in html and '<main id="main"' in html  # the skip link and its target


def test_management_pages_sit_under_one_menu_and_own_requests_in_the_user_menu(client, manager):
    client.force_login(manager)

    html = client.get(reverse("sla:overview")).content.decode()

    menu = html[html.index('data-testid="manage-menu"'):html.index('data-testid="user-menu"')]
    assert 'aria-current="page"' in html[html.rindex("<a", 0, html.index('data-testid="manage-menu"')):][:300]
    for url in ("dashboard:index", "sla:overview", "escalation:log", "postmortem:list", "agent:inbox"):
        assert f'href="{reverse(url)}"' in menu, url
    user_menu = html[html.index('data-testid="user-menu"'):]
    assert f'href="{reverse("tickets:list")}"' in user_menu and 'name="language"' in user_menu


def test_the_reply_is_a_public_reply_or_an_internal_note_chosen_by_two_tabs(client, agent_n1, ticket):
    ticket = advance(ticket, to="in_progress", agent=agent_n1)
    client.force_login(agent_n1)

    html = client.get(ticket.get_agent_url()).content.decode()

    assert re.search(r'<input type="radio" class="btn-check" name="is_public" value="on" id="reply-kind-public"\s+checked>',
                     html)
    assert re.search(r'name="is_public" value="" id="reply-kind-note"\s*>', html)
    response = client.post(reverse("agent:action", args=[ticket.reference, "reply"]),
                           {"version": ticket.version, "body": "Note pour l'équipe", "is_public": ""})
    assert response.status_code == 302
    assert ticket.followups.get().is_public is False


def test_a_closed_ticket_lists_its_unticked_deliverables(client, agent_n1, ticket):
    closed = advance(ticket, to="closed", agent=agent_n1)
    client.force_login(agent_n1)

    html = client.get(closed.get_agent_url()).content.decode()

    warning = re.search(r'data-testid="unticked-deliverables">(.*?)</div>', html, re.S)
    assert warning and "Ce ticket est clos avec" in warning.group(1) and "Correctif appliqué" in warning.group(1)


def test_an_open_ticket_has_no_unticked_warning(client, agent_n1, ticket):
    client.force_login(agent_n1)

    assert 'data-testid="unticked-deliverables"' not in client.get(ticket.get_agent_url()).content.decode()


def test_the_queue_badges_name_their_target_and_give_the_deadline(client, agent_n1, ticket):
    client.force_login(agent_n1)

    html = client.get(reverse("agent:queue")).content.decode()

    badges = re.findall(r'<span class="badge [^"]*" data-testid="sla-[a-z_]+"\s+title="([^"]+)">(.*?)</span>\s*</span>',
                        html, re.S)
    texts = [" ".join(re.sub(r"<[^>]+>", " ", body).split()) for _title, body in badges]
    assert any(text.startswith("Réponse ") for text in texts), texts
    assert any(text.startswith("Résolution ") for text in texts), texts
    assert all("échéance" in title for title, _body in badges)


def test_file_inputs_say_their_limits(client, requester, settings):
    settings.HELPDESK_ATTACHMENT_MAX_FILES = 3
    client.force_login(requester)

    html = client.get(reverse("tickets:new")).content.decode()

    assert "Jusqu'à 3 fichiers de 10,0" in html and "PDF, PNG" in html
