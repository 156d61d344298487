"""The email channel: creates, replies, and keeps the unmatched; a signed webhook, once per Message-ID."""

import importlib
from email.message import EmailMessage

import pytest
from django.apps import apps
from django.test import Client
from django.urls import reverse

from tests.factories import advance
from tickets.inbound import signature_for
from tickets.models import InboundEmail, Ticket

SECRET = "inbound-test-secret"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


@pytest.fixture(autouse=True)
def _secret(settings):
    settings.HELPDESK_INBOUND_SECRET = SECRET


def mail(*, sender="requester@example.org", subject="Imprimante bloquée", body="Elle n'imprime plus.",
         message_id="<m1@example.org>", html=None, headers=None, attachments=()):
    message = EmailMessage()
    message["From"] = f"Alice Martin <{sender}>"
    message["To"] = "support@helpdesk.localhost"
    message["Subject"] = subject
    message["Message-ID"] = message_id
    for key, value in (headers or {}).items():
        message[key] = value
    message.set_content(body)
    if html:
        message.add_alternative(html, subtype="html")
    for name, content, maintype, subtype in attachments:
        message.add_attachment(content, maintype=maintype, subtype=subtype, filename=name)
    return message.as_bytes()


def post(client, raw, *, signature=None):
    return client.post(reverse("inbound_email"), data=raw, content_type="message/rfc822",
                       HTTP_X_HELPDESK_SIGNATURE=signature if signature is not None else signature_for(raw, SECRET))


def test_a_message_from_a_known_requester_creates_an_email_ticket(client, requester):
    response = post(client, mail())

    assert response.status_code == 200
    ticket = Ticket.objects.get(requester=requester)
    assert (ticket.channel, ticket.title, ticket.description) == ("email", "Imprimante bloquée", "Elle n'imprime plus.")
    assert response.json() == {"status": "created", "ticket": ticket.reference}


def test_a_reply_with_the_reference_in_the_subject_adds_a_public_followup_and_resumes(client, ticket, agent_n1):
    waiting = advance(ticket, to="waiting", agent=agent_n1)
    body = "Windows 11.\n\nLe lundi 23 novembre, Support a écrit :\n> Quelle version ?"

    post(client, mail(subject=f"RE: [{waiting.reference}] Imprimante", body=body, message_id="<m2@example.org>"))

    waiting.refresh_from_db()
    assert waiting.status == "in_progress"
    followup = waiting.followups.get(author=waiting.requester)
    assert (followup.body, followup.is_public) == ("Windows 11.", True)


def test_a_reply_matched_by_the_references_header(client, ticket):
    post(client, mail(subject="Re: votre demande", message_id="<m3@example.org>",
                      headers={"References": f"<{ticket.reference}@helpdesk>"}))

    assert ticket.followups.count() == 1
    assert Ticket.objects.count() == 1


def test_the_same_message_delivered_twice_counts_once(client, requester):
    raw = mail(message_id="<dup@example.org>")

    post(client, raw)
    post(client, raw)

    assert Ticket.objects.count() == 1
    assert InboundEmail.objects.count() == 1


def test_an_unknown_sender_is_kept_for_review_never_lost(client, agent_n1, requester):
    post(client, mail(sender="stranger@elsewhere.example", message_id="<m4@example.org>"))

    record = InboundEmail.objects.get()
    assert (record.status, record.ticket) == ("unmatched", None)
    assert not Ticket.objects.exists()
    client.force_login(agent_n1)
    assert "stranger@elsewhere.example" in client.get(reverse("agent:inbox")).content.decode()
    client.post(reverse("agent:inbox_handled", args=[record.pk]))
    record.refresh_from_db()
    assert record.status == "handled"
    client.force_login(requester)
    assert client.get(reverse("agent:inbox")).status_code == 404


def test_a_reference_to_someone_elses_ticket_never_reaches_it(client, ticket, other_requester):
    post(client, mail(sender=other_requester.email, subject=f"[{ticket.reference}] je m'incruste",
                      message_id="<m5@example.org>"))

    assert not ticket.followups.exists()
    assert Ticket.objects.filter(requester=other_requester).count() == 1


def test_a_bad_or_missing_signature_is_refused_and_nothing_is_stored(client, requester):
    assert post(client, mail(), signature="0" * 64).status_code == 403
    assert post(client, mail(), signature="").status_code == 403
    assert not InboundEmail.objects.exists()


def test_the_webhook_is_exempt_from_csrf_and_gated_by_its_signature_alone(requester):
    # The mail server has no session nor CSRF token: the HMAC of the body is what authenticates it.
    strict = Client(enforce_csrf_checks=True)

    assert post(strict, mail(), signature="0" * 64).status_code == 403
    assert not InboundEmail.objects.exists()
    assert post(strict, mail()).status_code == 200
    assert InboundEmail.objects.count() == 1


def test_without_a_secret_the_webhook_is_off(client, settings, requester):
    settings.HELPDESK_INBOUND_SECRET = ""

    assert post(client, mail()).status_code == 503
    assert not InboundEmail.objects.exists()


def test_attachments_are_checked_like_uploads(client, requester):
    raw = mail(message_id="<m6@example.org>", attachments=[
        ("capture.png", PNG, "image", "png"), ("facture.pdf", b"MZ\x90\x00rest", "application", "pdf"),
    ])

    post(client, raw)

    ticket = Ticket.objects.get()
    assert [a.original_name for a in ticket.attachments.all()] == ["capture.png"]
    assert "facture.pdf" in InboundEmail.objects.get().note


def test_html_only_mail_is_reduced_to_text(client, requester):
    message = EmailMessage()
    message["From"] = requester.email
    message["Subject"] = "HTML"
    message["Message-ID"] = "<m7@example.org>"
    message.set_content("<p>Bonjour <script>alert(1)</script><b>urgent</b></p>", subtype="html")

    post(client, message.as_bytes())

    description = Ticket.objects.get().description
    assert "<" not in description and "urgent" in description


def test_automatic_replies_are_not_turned_into_tickets(client, requester):
    post(client, mail(message_id="<m8@example.org>", headers={"Auto-Submitted": "auto-replied"}))

    assert not Ticket.objects.exists()
    assert InboundEmail.objects.get().status == "unmatched"


@pytest.mark.parametrize(("language", "said"), [("en", "Unknown sender"), ("fr", "Expéditeur inconnu")])
def test_why_a_message_made_no_ticket_is_said_in_the_readers_language(client, agent_n1, requester, language, said):
    post(client, mail(sender="stranger@elsewhere.example", message_id="<m9@example.org>"))
    post(client, mail(message_id="<m10@example.org>", headers={"Auto-Submitted": "auto-replied"}))
    client.force_login(agent_n1)

    page = client.get(reverse("agent:inbox"), HTTP_ACCEPT_LANGUAGE=language).content.decode()

    assert sorted(InboundEmail.objects.values_list("note", flat=True)) == ["automatic message", "unknown sender"]
    assert said in page
    assert ("Automatic message (out of office, bounce)" if language == "en"
            else "Message automatique (réponse d&#x27;absence, message non distribué)") in page


def test_the_reasons_written_before_in_either_language_become_codes(db):
    written = ["Expéditeur inconnu", "Automatic message (out of office, bounce)", "facture.exe : type refusé"]
    for number, note in enumerate(written):
        InboundEmail.objects.create(message_id=f"<old{number}@example.org>", from_address="a@example.org",
                                    status="unmatched", note=note, raw=b"")
    migration = importlib.import_module("tickets.migrations.0019_inbound_note_codes")

    migration.to_codes(apps, None)

    notes = list(InboundEmail.objects.order_by("message_id").values_list("note", flat=True))
    assert notes == ["unknown sender", "automatic message", "facture.exe : type refusé"]
