"""A stale form never throws away what someone typed: a reply or a note is added anyway (the message
says the ticket changed); a refused state change is a 409 that shows the ticket's current timeline and
offers the typed text again in a form to the same URL, with the current version (tickets/middleware.py)."""

from __future__ import annotations

from html.parser import HTMLParser

import pytest
from django.contrib.messages import get_messages
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from kb import services as kb_services
from postmortem import services as pm_services
from postmortem.models import IncidentEntry, MajorIncident, Postmortem
from tests.factories import advance
from tests.kb.factories import make_article
from tests.postmortem.conftest import make_major_ticket, resolve
from tickets import services
from tickets.models import Followup, Status

CHANGED = "Le ticket avait changé depuis que vous l'avez ouvert"


class KeptForm(HTMLParser):
    """The form a 409 page offers again: its action, its fields, and which of them are textareas."""

    def __init__(self, html: str) -> None:
        super().__init__()
        self.action: str | None = None
        self.fields: list[tuple[str, str]] = []
        self.textareas: dict[str, str] = {}
        self.inputs: dict[str, dict] = {}
        self._in_block = self._in_form = False
        self._textarea: str | None = None
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if attrs.get("data-testid") == "kept-form":
            self._in_block = True
        elif self._in_block and tag == "form":
            self._in_form, self.action = True, attrs["action"]
        elif self._in_form and tag == "input" and attrs.get("type") != "file":
            self.fields.append((attrs["name"], attrs.get("value", "")))
            self.inputs[attrs["name"]] = attrs
        elif self._in_form and tag == "textarea":
            self._textarea = attrs["name"]
            self.textareas[self._textarea] = ""

    def handle_data(self, data):
        if self._textarea:
            self.textareas[self._textarea] += data

    def handle_endtag(self, tag):
        if tag == "textarea" and self._textarea:
            self.fields.append((self._textarea, self.textareas[self._textarea]))
            self._textarea = None
        elif tag == "form" and self._in_form:
            self._in_form = self._in_block = False

    def value(self, name: str) -> str:
        return next(value for field, value in self.fields if field == name)

    def data(self) -> dict[str, list[str]]:
        data: dict[str, list[str]] = {}
        for name, value in self.fields:
            data.setdefault(name, []).append(value)
        return data


def action(ticket, name):
    return reverse("agent:action", args=[ticket.reference, name])


def messages_of(response) -> list[str]:
    return [str(message) for message in get_messages(response.wsgi_request)]


# --- A reply or a note changes no state: it is added, the message says the ticket changed


def test_a_stale_agent_reply_and_a_stale_private_note_are_both_added(client, ticket, agent_n1, agent_n2):
    ticket = advance(ticket, to="in_progress", agent=agent_n1)
    loaded_version = ticket.version
    services.ticket_assign(ticket=ticket, actor=agent_n2, assignee=agent_n2)  # a colleague acts meanwhile
    client.force_login(agent_n1)

    reply = client.post(action(ticket, "reply"), {"version": loaded_version, "body": "Je regarde.",
                                                  "is_public": "on"})
    reply_messages = messages_of(reply)
    note = client.post(action(ticket, "reply"), {"version": loaded_version, "body": "Piste : le pilote."})

    assert (reply.status_code, note.status_code) == (302, 302)
    assert list(Followup.objects.filter(ticket=ticket).order_by("id").values_list("body", "is_public")) == [
        ("Je regarde.", True), ("Piste : le pilote.", False),
    ]
    assert any(CHANGED in message for message in reply_messages)
    assert any(CHANGED in message for message in messages_of(note))


def test_a_current_reply_says_nothing_about_a_change(client, ticket, agent_n1):
    client.force_login(agent_n1)

    response = client.post(action(ticket, "reply"), {"version": ticket.version, "body": "Bonjour."})

    assert response.status_code == 302
    assert not any(CHANGED in message for message in messages_of(response))


def test_a_stale_requester_reply_is_added(client, requester, agent_n1, ticket):
    loaded_version = ticket.version
    services.ticket_take(ticket=ticket, actor=agent_n1)
    client.force_login(requester)

    response = client.post(f"/tickets/{ticket.reference}/reply/", {"body": "Une précision.",
                                                                   "version": loaded_version})

    assert response.status_code == 302
    assert Followup.objects.get(ticket=ticket).body == "Une précision."
    assert any(CHANGED in message for message in messages_of(response))


# --- A refused state change: 409, the timeline as it is now, the typed text kept


@pytest.fixture
def stale_resolve(client, ticket, agent_n1, agent_n2):
    """agent_n1 resolves from a page loaded before agent_n2's note."""
    ticket = advance(ticket, to="in_progress", agent=agent_n1)
    loaded_version = ticket.version
    services.followup_add(ticket=ticket, author=agent_n2, body="Le pilote est déjà à jour.", is_public=False)
    client.force_login(agent_n1)
    return ticket, {"version": loaded_version, "solution": "Pilote réinstallé <b>et</b> testé."}


def test_a_stale_state_change_is_a_409_that_keeps_the_typed_text_and_shows_the_timeline(client, stale_resolve):
    ticket, data = stale_resolve

    response = client.post(action(ticket, "resolve"), data)

    assert response.status_code == 409
    html = response.content.decode()
    kept = KeptForm(html)
    ticket.refresh_from_db()
    assert kept.action == action(ticket, "resolve")
    assert kept.textareas["solution"] == data["solution"]  # escaped in the page, the same text once parsed
    assert "<b>et</b>" not in html
    assert kept.inputs["version"]["type"] == "hidden"
    assert kept.value("version") == str(ticket.version) != str(data["version"])
    assert 'data-testid="timeline"' in html and "Le pilote est déjà à jour." in html  # the colleague's note
    assert ticket.status == Status.IN_PROGRESS


def test_sending_the_kept_form_again_acts_on_the_current_ticket(client, stale_resolve):
    ticket, data = stale_resolve
    kept = KeptForm(client.post(action(ticket, "resolve"), data).content.decode())

    response = client.post(kept.action, kept.data())

    assert response.status_code == 302
    ticket.refresh_from_db()
    assert (ticket.status, ticket.solution) == (Status.RESOLVED, data["solution"])


def test_the_htmx_variant_keeps_the_typed_text_too(client, stale_resolve):
    ticket, data = stale_resolve

    response = client.post(action(ticket, "resolve"), data, headers={"HX-Request": "true"})

    assert response.status_code == 409
    html = response.content.decode()
    assert "<html" not in html  # the partial alone
    kept = KeptForm(html)
    assert kept.action == action(ticket, "resolve")
    assert kept.textareas["solution"] == data["solution"]


def test_the_409_page_of_a_requester_never_shows_a_private_note(client, requester, ticket, agent_n1):
    ticket = advance(ticket, to="resolved", agent=agent_n1)
    loaded_version = ticket.version
    services.followup_add(ticket=ticket, author=agent_n1, body="Note interne : client difficile.", is_public=False)
    services.followup_add(ticket=ticket, author=agent_n1, body="Avez-vous redémarré ?", is_public=True)
    client.force_login(requester)

    response = client.post(f"/tickets/{ticket.reference}/reject/", {"version": loaded_version,
                                                                    "reason": "Toujours en panne."})

    assert response.status_code == 409
    html = response.content.decode()
    assert "Avez-vous redémarré ?" in html  # the public reply that came meanwhile
    assert "Note interne" not in html and "client difficile" not in html
    kept = KeptForm(html)
    assert kept.textareas["reason"] == "Toujours en panne."
    assert kept.action == f"/tickets/{ticket.reference}/reject/"


@pytest.mark.parametrize("path", ["reply", "reject", "confirm"])
def test_another_requester_gets_404_not_the_409_page(client, other_requester, ticket, path):
    client.force_login(other_requester)

    response = client.post(f"/tickets/{ticket.reference}/{path}/", {"version": 1, "body": "Secret typé",
                                                                     "reason": "Secret typé"})

    assert response.status_code == 404
    assert "Secret typé" not in response.content.decode()
    assert not Followup.objects.exists()


def test_a_public_reply_to_a_closed_ticket_is_refused_with_the_text_kept_but_not_the_files(
    client, ticket, agent_n1
):
    ticket = advance(ticket, to="closed", agent=agent_n1)
    client.force_login(agent_n1)
    upload = SimpleUploadedFile("journal.txt", b"erreur 42", content_type="text/plain")

    response = client.post(action(ticket, "reply"), {"version": ticket.version, "body": "Encore une chose.",
                                                     "is_public": "on", "attachments": upload})

    assert response.status_code == 409
    html = response.content.decode()
    kept = KeptForm(html)
    assert kept.textareas["body"] == "Encore une chose."
    assert kept.value("is_public") == "on"
    assert 'data-testid="kept-files-lost"' in html
    assert 'type="file"' in html  # to attach them again
    assert not Followup.objects.exists()


def test_a_stale_escalation_keeps_its_detailed_followup(client, ticket, agent_n1, agent_n2):
    ticket = advance(ticket, to="in_progress", agent=agent_n1)
    loaded_version = ticket.version
    services.followup_add(ticket=ticket, author=agent_n2, body="Vu aussi chez un autre client.", is_public=False)
    client.force_login(agent_n1)
    followup = "DHCP et câblage vérifiés ; la borne redémarre en boucle, il faut un accès console."

    response = client.post(reverse("escalation:escalate", args=[ticket.reference]),
                           {"version": loaded_version, "reason": "complex_incident", "followup": followup})

    assert response.status_code == 409
    kept = KeptForm(response.content.decode())
    ticket.refresh_from_db()
    assert kept.textareas["followup"] == followup
    assert (kept.value("reason"), kept.value("version")) == ("complex_incident", str(ticket.version))
    assert ticket.level == "N1"


# --- Outside the ticket workspace: the war room, postmortems, the knowledge base


@pytest.fixture
def published_postmortem(requester, category, agent_n1, manager) -> Postmortem:
    """A major incident whose postmortem is published: the procedure is over, nothing changes any more."""
    incident = MajorIncident.objects.get(ticket=make_major_ticket(requester=requester, category=category))
    resolve(incident.ticket, agent=agent_n1)
    postmortem = Postmortem.objects.get(incident=incident)
    pm_services.postmortem_update(postmortem=postmortem, actor=agent_n1, root_cause="Certificat expiré",
                                  lessons_learned="Superviser les dates d'expiration")
    pm_services.postmortem_submit(postmortem=postmortem, actor=agent_n1)
    return pm_services.postmortem_publish(postmortem=postmortem, actor=manager)


def test_a_refused_war_room_entry_keeps_its_text(client, published_postmortem, agent_n1):
    incident = published_postmortem.incident
    client.force_login(agent_n1)

    # Midnight of today, dated: in the past whenever the test runs (a bare "09:15" is still to come before
    # 09:15, and the form asks to confirm the day before it refuses anything else).
    response = client.post(reverse("postmortem:add_entry", args=[incident.pk]),
                           {"time": "00:00", "date": timezone.localdate().isoformat(),
                            "text": "Bascule sur le site de secours."})

    assert response.status_code == 409
    kept = KeptForm(response.content.decode())
    assert kept.action == reverse("postmortem:add_entry", args=[incident.pk])
    assert kept.textareas["text"] == "Bascule sur le site de secours."
    assert (kept.inputs["time"]["type"], kept.value("time")) == ("time", "00:00")  # editable too
    assert not IncidentEntry.objects.exists()


def test_a_refused_status_update_keeps_its_text(client, published_postmortem, agent_n1):
    client.force_login(agent_n1)

    response = client.post(reverse("postmortem:post_update", args=[published_postmortem.incident.pk]),
                           {"body": "Retour à la normale prévu à 14 h."})

    assert response.status_code == 409
    assert KeptForm(response.content.decode()).textareas["body"] == "Retour à la normale prévu à 14 h."


def test_an_edit_of_a_published_postmortem_keeps_the_typed_analysis(client, published_postmortem, agent_n1):
    client.force_login(agent_n1)

    response = client.post(reverse("postmortem:edit", args=[published_postmortem.pk]), {
        "title": "Panne du site", "started_at": "2026-11-23T09:00", "ended_at": "2026-11-23T11:30",
        "root_cause": "Certificat TLS expiré sur le répartiteur", "owner": published_postmortem.owner_id,
    })

    assert response.status_code == 409
    kept = KeptForm(response.content.decode())
    assert kept.textareas["root_cause"] == "Certificat TLS expiré sur le répartiteur"
    assert kept.value("started_at") == "2026-11-23T09:00"
    published_postmortem.refresh_from_db()
    assert published_postmortem.root_cause == "Certificat expiré"


def test_a_kb_edit_on_a_stale_revision_is_a_409_that_keeps_the_text_and_can_be_sent_again(
    client, agent_n1, agent_n2
):
    article = make_article(author=agent_n1, title="VPN : se connecter", body="Lancez le client.")
    client.force_login(agent_n1)
    url = reverse("kb:edit", args=[article.slug])
    page = client.get(url).content.decode()
    assert 'name="revision" value="1"' in page
    kb_services.article_update(article=article, editor=agent_n2, title=article.title, body="Version de Hugo.",
                               audience=article.audience)  # revision 2, saved while agent_n1 types
    typed = {"title": "VPN : se connecter depuis chez soi", "body": "Lancez le client.\nSaisissez votre code.",
             "tags": "vpn", "audience": "public", "category": "", "revision": "1"}

    response = client.post(url, typed)

    assert response.status_code == 409
    html = response.content.decode()
    kept = KeptForm(html)
    assert kept.action == url
    assert kept.textareas["body"] == typed["body"]
    assert kept.value("title") == typed["title"]
    assert kept.value("revision") == "2"
    article.refresh_from_db()
    assert article.body == "Version de Hugo."

    again = client.post(kept.action, kept.data())

    assert again.status_code == 302
    article.refresh_from_db()
    assert (article.title, article.body) == (typed["title"], typed["body"])
    assert article.revisions.count() == 3
