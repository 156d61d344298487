"""One person with data everywhere (requester Alice Martin) and a colleague of the same organisation
whose data must never leak into her export."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from accounts.models import Profile
from api.services import api_token_create
from kb import services as kb_services
from postmortem.models import MajorIncident
from postmortem.services import incident_follow
from tests.factories import OrganisationFactory, advance, make_ticket
from tests.kb.factories import make_article
from tickets import services
from tickets.inbound import inbound_receive
from tickets.models import Survey

PHONE = "06 12 34 56 78"
EMAIL = "alice.martin@example.org"


@pytest.fixture
def shared_org(db):
    return OrganisationFactory(name="Mairie", share_tickets=True)


@pytest.fixture
def alice(requester, shared_org):
    requester.email = EMAIL
    requester.save()
    Profile.objects.update_or_create(user=requester, defaults={"organisation": shared_org, "phone": PHONE})
    return requester


@pytest.fixture
def bob(other_requester, shared_org):
    Profile.objects.update_or_create(user=other_requester, defaults={"organisation": shared_org,
                                                                     "phone": "07 98 76 54 32"})
    return other_requester


@pytest.fixture
def world(alice, bob, agent_n1, category, settings):
    """Alice's ticket (closed, surveyed, with a file, a reply, a private note), a mail of hers, her KB
    traces and token; Bob's ticket in the same shared organisation."""
    settings.HELPDESK_INBOUND_SECRET = "s"
    ticket = make_ticket(requester=alice, category=category, title="Imprimante d'Alice Martin",
                         description=f"Rappelez-moi au {PHONE} ou écrivez à {EMAIL}. Alice")
    services.followup_add(ticket=ticket, author=alice, body="Voici la capture, Alice Martin",
                          attachments=[SimpleUploadedFile("capture.txt", b"alice-file-content",
                                                          content_type="text/plain")])
    ticket.refresh_from_db()
    services.followup_add(ticket=ticket, author=agent_n1, body="Bonjour Alice, c'est réglé.")
    services.followup_add(ticket=ticket, author=agent_n1, body="AGENT-PRIVATE-NOTE Martin semble pressée",
                          is_public=False)
    ticket.refresh_from_db()
    ticket = advance(ticket, to="closed", agent=agent_n1)
    services.survey_answer(survey=Survey.objects.get(ticket=ticket), score=4, comment="Merci, Alice Martin ici")
    bobs = make_ticket(requester=bob, category=category, title="BOB-SECRET-TITLE",
                       description="BOB-SECRET-DESCRIPTION Bob Durand")
    services.followup_add(ticket=bobs, author=agent_n1, body="BOB-SECRET-REPLY")
    message = (f"From: Alice Martin <{EMAIL}>\r\nTo: support@helpdesk.localhost\r\nSubject: Souris cassée\r\n"
               f"Message-ID: <alice1@example.org>\r\n\r\nSigné Alice Martin, {PHONE}\r\n").encode()
    inbound_receive(message)
    article = make_article(author=agent_n1)
    kb_services.article_vote(article=article, user=alice, helpful=True)
    kb_services.deflection_record(article=article, user=alice, query="imprimante")
    api_token_create(user=alice, name="mon script")
    # Bob's P1 opens a major incident; Alice follows it ("me too") instead of filing a ticket.
    outage = make_ticket(requester=bob, category=category, title="BOB-SECRET-OUTAGE", urgency="high", impact="high")
    incident_follow(incident=MajorIncident.objects.get(ticket=outage), user=alice,
                    query="Imprimante en panne, Alice")
    return {"ticket": ticket, "bobs": bobs, "outage": outage}
