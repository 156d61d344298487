"""Only agents and managers see incidents and postmortems: a requester gets 404 on every URL, except
a published postmortem explicitly shared with them or their organisation, read-only."""

import pytest
from django.urls import reverse

from postmortem import services
from postmortem.models import CorrectiveAction, IncidentEntry, Postmortem
from tests.factories import OrganisationFactory, UserFactory
from tests.postmortem.conftest import resolve


@pytest.fixture
def postmortem(incident, agent_n1) -> Postmortem:
    resolve(incident.ticket, agent=agent_n1)
    postmortem = Postmortem.objects.get(incident=incident)
    services.postmortem_update(postmortem=postmortem, actor=agent_n1, root_cause="Certificat expiré",
                               lessons_learned="Superviser l'expiration", internal_notes="NOTE-INTERNE")
    return postmortem


def publish(postmortem, agent, manager):
    services.postmortem_submit(postmortem=postmortem, actor=agent)
    services.postmortem_publish(postmortem=postmortem, actor=manager)


def every_url(incident, postmortem, action):
    """(method, url) of every postmortem page and action."""
    return [
        ("get", reverse("postmortem:list")),
        ("get", reverse("postmortem:incident", args=[incident.pk])),
        ("get", reverse("postmortem:timeline", args=[incident.pk])),
        ("get", reverse("postmortem:postmortem", args=[postmortem.pk])),
        ("get", reverse("postmortem:export", args=[postmortem.pk])),
        ("post", reverse("postmortem:declare", args=[incident.ticket.reference])),
        ("post", reverse("postmortem:join", args=[incident.pk])),
        ("post", reverse("postmortem:mobilise", args=[incident.pk])),
        ("post", reverse("postmortem:dismiss", args=[incident.pk])),
        ("post", reverse("postmortem:add_entry", args=[incident.pk])),
        ("post", reverse("postmortem:post_update", args=[incident.pk])),
        ("post", reverse("postmortem:link_ticket", args=[incident.pk])),
        ("post", reverse("postmortem:edit", args=[postmortem.pk])),
        ("post", reverse("postmortem:move", args=[postmortem.pk, "submit"])),
        ("post", reverse("postmortem:move", args=[postmortem.pk, "publish"])),
        ("post", reverse("postmortem:move", args=[postmortem.pk, "back_to_draft"])),
        ("post", reverse("postmortem:action_add", args=[postmortem.pk])),
        ("post", reverse("postmortem:action_toggle", args=[postmortem.pk, action.pk])),
        ("post", reverse("postmortem:share", args=[postmortem.pk])),
    ]


POST_DATA = {"reason": "x", "time": "09:00", "text": "x", "body": "x", "reference": "2026-000001",
             "title": "x", "description": "x", "done": "1"}


def test_requesters_get_404_on_every_postmortem_url(client, postmortem, requester, other_requester, agent_n1):
    action = services.corrective_action_add(postmortem=postmortem, actor=agent_n1, owner=agent_n1,
                                            description="Sonde", due_date=postmortem.due_at.date())
    incident = postmortem.incident
    for user in (requester, other_requester):  # the main ticket's own requester too
        client.force_login(user)
        for method, url in every_url(incident, postmortem, action):
            response = getattr(client, method)(url, POST_DATA if method == "post" else None)
            assert response.status_code == 404, (user.username, method, url)
    assert not IncidentEntry.objects.exists()
    assert not incident.participants.exists()
    assert CorrectiveAction.objects.get().done is False


def test_anonymous_visitors_are_sent_to_the_login_page(client, postmortem):
    for url in (reverse("postmortem:list"), postmortem.get_absolute_url(), postmortem.incident.get_absolute_url()):
        response = client.get(url)
        assert response.status_code == 302
        assert "/login" in response["Location"]


def test_a_requester_reads_a_published_postmortem_shared_with_them(client, postmortem, requester, other_requester,
                                                                   agent_n1, manager):
    services.postmortem_share(postmortem=postmortem, actor=agent_n1, users=[requester], organisations=[])
    client.force_login(requester)
    assert client.get(postmortem.get_absolute_url()).status_code == 404  # not published yet

    publish(postmortem, agent_n1, manager)
    page = client.get(postmortem.get_absolute_url())

    assert page.status_code == 200
    content = page.content.decode()
    assert "Certificat expiré" in content
    assert "NOTE-INTERNE" not in content
    assert 'data-testid="postmortem-form"' not in content
    assert postmortem.incident.get_absolute_url() not in content
    assert client.get(reverse("postmortem:export", args=[postmortem.pk])).status_code == 404
    client.force_login(other_requester)
    assert client.get(postmortem.get_absolute_url()).status_code == 404


def test_a_postmortem_shared_with_an_organisation_is_readable_by_its_members(client, postmortem, agent_n1,
                                                                             manager):
    acme = OrganisationFactory(name="Acme")
    member = UserFactory(username="acme_member", organisation=acme)
    outsider = UserFactory(username="outsider", organisation=OrganisationFactory(name="Globex"))
    publish(postmortem, agent_n1, manager)
    client.force_login(agent_n1)

    client.post(reverse("postmortem:share", args=[postmortem.pk]), {"organisations": [acme.pk]})

    client.force_login(member)
    assert client.get(postmortem.get_absolute_url()).status_code == 200
    client.force_login(outsider)
    assert client.get(postmortem.get_absolute_url()).status_code == 404
    assert postmortem.events.filter(action="shared", actor=agent_n1).exists()


def test_agents_and_managers_see_every_page(client, postmortem, agent_n2, manager):
    for user in (agent_n2, manager):
        client.force_login(user)
        for url in (reverse("postmortem:list"), postmortem.incident.get_absolute_url(),
                    reverse("postmortem:timeline", args=[postmortem.incident.pk]), postmortem.get_absolute_url(),
                    reverse("postmortem:export", args=[postmortem.pk])):
            assert client.get(url).status_code == 200, (user.username, url)
