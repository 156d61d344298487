"""An email that does not greet its recipient is rendered once for all its recipients in a language with the same link
(tickets.outbox.deliver_many, issue 16: a rule's escalation alerts every agent of the next level, and the worker
rendered three templates for each of them); an email that greets its recipient is still rendered for each."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.conf import settings
from django.core import mail
from django.core.mail.message import forbid_multi_line_headers

from accounts.models import Profile
from tests.factories import UserFactory
from tickets import outbox, tasks
from tickets.models import EventKind, Notification, TicketEvent

EMAILS = Path(settings.BASE_DIR) / "templates" / "emails"


@pytest.fixture
def renders(monkeypatch):
    """The (template, recipient, language) of each rendering deliver_many does."""
    calls = []
    real = outbox._render

    def counting(notification, *, url, language):
        calls.append((notification.template, notification.recipient.username, language))
        return real(notification, url=url, language=language)

    monkeypatch.setattr(outbox, "_render", counting)
    return calls


def _speaking(language: str, **kwargs):
    user = UserFactory(**kwargs)
    Profile.objects.update_or_create(user=user, defaults={"language": language})
    return user


def _notifications(ticket, recipients, template: str) -> list[int]:
    event = TicketEvent.objects.record(ticket=ticket, kind=EventKind.ESCALATION,
                                       data={"from": "N1", "to": "N2", "rule": "stalled", "reason": "stalled"})
    outbox.notify_new_events([(event, recipients, template)])
    mail.outbox = []
    return list(Notification.objects.filter(event=event).order_by("pk").values_list("pk", flat=True))


def test_an_escalation_to_a_level_is_rendered_once_per_language(ticket, renders):
    french = [_speaking("fr", username=f"n2_fr_{n}", groups=["N2"]) for n in range(3)]
    english = [_speaking("en", username=f"n2_en_{n}", groups=["N2"]) for n in range(2)]
    ids = _notifications(ticket, french + english, "ticket_escalated")

    assert tasks.send_notifications(ids) == 5

    assert sorted(language for _t, _r, language in renders) == ["en", "fr"]
    by_address = {message.to[0]: message for message in mail.outbox}
    assert set(by_address) == {user.email for user in french + english}
    for group, words in ((french, "a été escaladé"), (english, "was escalated")):
        first = by_address[group[0].email]
        assert words in first.body and ticket.get_agent_url() in first.body
        for user in group[1:]:  # the same words, each to its own address alone
            message = by_address[user.email]
            assert message.to == [user.email]
            assert (message.subject, message.body, message.alternatives[0][0]) == (
                first.subject, first.body, first.alternatives[0][0])


def test_a_requester_and_an_agent_of_one_event_each_get_their_own_link(ticket, requester, agent_n2, renders):
    ids = _notifications(ticket, [requester, agent_n2], "ticket_escalated")

    tasks.send_notifications(ids)

    assert len(renders) == 2
    body = {message.to[0]: message.body for message in mail.outbox}
    assert ticket.get_agent_url() in body[agent_n2.email]
    assert ticket.get_absolute_url() in body[requester.email] and "/agent/" not in body[requester.email]


def test_an_email_that_greets_its_recipient_is_rendered_for_each(ticket, renders):
    people = [_speaking("fr", username=f"person{n}", first_name=f"Prénom{n}", last_name="Nom") for n in range(3)]
    ids = _notifications(ticket, people, "status_changed")

    tasks.send_notifications(ids)

    assert [recipient for _t, recipient, _l in renders] == [person.username for person in people]
    for person in people:
        (message,) = [m for m in mail.outbox if m.to == [person.email]]
        assert f"Prénom{person.username[-1]} Nom" in message.body
        assert f"Prénom{person.username[-1]} Nom" in message.alternatives[0][0]


def test_two_events_are_never_mixed(ticket, renders):
    agents = [_speaking("fr", username=f"n2_{n}", groups=["N2"]) for n in range(2)]
    first = _notifications(ticket, agents, "ticket_escalated")
    second_event = TicketEvent.objects.record(ticket=ticket, kind=EventKind.ESCALATION,
                                              data={"from": "N2", "to": "N3", "rule": "stalled", "reason": "stalled"})
    outbox.notify_new_events([(second_event, agents, "ticket_escalated")])
    second = list(Notification.objects.filter(event=second_event).values_list("pk", flat=True))

    assert tasks.send_notifications(first + second) == 4

    assert len(renders) == 2
    assert sum("de N1 à N2" in message.body for message in mail.outbox) == 2
    assert sum("de N2 à N3" in message.body for message in mail.outbox) == 2


@pytest.mark.parametrize("name", sorted({path.name.split(".")[0].removesuffix("_subject")
                                         for path in EMAILS.glob("*.*") if path.stem != "base"}))
def test_an_email_greets_its_recipient_exactly_when_one_of_its_templates_reads_it(name):
    sources = [(EMAILS / part.format(name=name).removeprefix("emails/")).read_text() for part in outbox._PARTS]
    sources.append((EMAILS / "base.html").read_text())  # every HTML part extends it (checked below)
    assert all('{% extends "emails/base.html" %}' in source for source in sources[2:3])
    assert outbox.greets_recipient(name) == any("recipient" in source for source in sources)


def test_a_template_that_extends_or_includes_one_that_greets_greets(tmp_path, settings, db):
    (tmp_path / "emails").mkdir()
    (tmp_path / "emails" / "greeting.html").write_text("Bonjour {{ recipient.first_name }}")
    for name, html in (("extends", '{% extends "emails/greeting.html" %}'),
                       ("includes", "<p>{% include 'emails/greeting.html' %}</p>"),
                       ("chosen", "{% include which %}"), ("plain", "<p>{{ ticket.title }}</p>"),
                       ("tags", "{% load i18n humanize %}{{ ticket.pk|intcomma }}"),
                       ("plain_tags", "{% load i18n %}{% load display_name from people %}{% translate 'Ticket' %}")):
        (tmp_path / "emails" / f"{name}_subject.txt").write_text("Sujet")
        (tmp_path / "emails" / f"{name}.txt").write_text("Texte")
        (tmp_path / "emails" / f"{name}.html").write_text(html)
    settings.TEMPLATES = [{**settings.TEMPLATES[0], "DIRS": [tmp_path, *settings.TEMPLATES[0]["DIRS"]]}]
    outbox._text_engine.cache_clear()
    outbox.greets_recipient.cache_clear()
    try:
        assert [outbox.greets_recipient(name) for name in ("extends", "includes", "chosen", "plain", "tags",
                                                           "plain_tags")] == [True, True, True, False, True, False]
    finally:
        outbox._text_engine.cache_clear()
        outbox.greets_recipient.cache_clear()


def _without_what_changes_each_time(message) -> str:
    """The serialised email without its Date, its Message-ID and its MIME boundary (new for each message)."""
    text = message.as_bytes(linesep="\r\n").decode()
    boundary = message.get_boundary()
    lines = [line for line in text.split("\r\n") if not line.startswith(("Date:", "Message-ID:"))]
    return "\r\n".join(lines).replace(boundary, "BOUNDARY")


@pytest.mark.parametrize("title", [
    "Le VPN ne répond plus depuis ce matin sur tous les postes du siège, ni en Wi-Fi ni en filaire",
    "Printer down", "Ünïcödé " * 12])
def test_an_email_s_subject_is_encoded_as_django_encodes_it(ticket, agent_n2, title):
    type(ticket).objects.filter(pk=ticket.pk).update(title=title)
    (pk,) = _notifications(ticket, [agent_n2], "ticket_escalated")
    (notification,) = outbox._claimed([pk])

    ours = outbox.build_message(notification, renderings={})
    django_s = outbox.EmailMultiAlternatives(subject=ours.subject, body=ours.body, to=ours.to,
                                             headers=ours.extra_headers)
    django_s.attach_alternative(*ours.alternatives[0])

    assert title.split()[0] in ours.subject
    assert _without_what_changes_each_time(ours.message()) == _without_what_changes_each_time(django_s.message())
    ours.subject = "Autre sujet : déjà changé"  # changed after it was built: encoded again, as Django does
    assert ours.message()["Subject"] == forbid_multi_line_headers("Subject", ours.subject, "utf-8")[1]


def test_a_subject_rendered_with_line_breaks_smuggles_no_header(ticket, agent_n2, monkeypatch):
    real = outbox._text_engine()

    class Injecting:
        def get_template(self, name):
            template = real.get_template(name)
            if name.endswith("_subject.txt"):
                return type("T", (), {"render": lambda self, context: "Sujet\r\nBcc: victim@example.com"})()
            return template

    monkeypatch.setattr(outbox, "_text_engine", lambda: Injecting())
    (pk,) = _notifications(ticket, [agent_n2], "ticket_escalated")
    (notification,) = outbox._claimed([pk])
    # The subject's whitespace is folded to single spaces: no header can be smuggled in.
    message = outbox.build_message(notification, renderings={})
    assert message.subject == "Sujet Bcc: victim@example.com"
    assert message.message().get_all("Bcc") is None
