"""The postmortem page: the template's fields, corrective actions, draft → in review → published
with who moved it, and the Markdown export in the template's layout."""

from datetime import date

import pytest
from django.urls import reverse

from postmortem import services
from postmortem.models import CorrectiveAction, Postmortem, PostmortemState
from tests.postmortem.conftest import resolve


@pytest.fixture
def postmortem(incident, agent_n1) -> Postmortem:
    resolve(incident.ticket, agent=agent_n1)
    return Postmortem.objects.get(incident=incident)


def write_analysis(postmortem, actor):
    return services.postmortem_update(postmortem=postmortem, actor=actor, root_cause="Certificat expiré",
                                      lessons_learned="Superviser les dates d'expiration")


def edit_data(postmortem, **overrides):
    return {
        "title": "Panne du site marchand", "started_at": "2026-11-23T09:00", "ended_at": "2026-11-23T11:30",
        "impact_users": "Tous les clients (~12 000)", "business_loss": "≈ 40 k€ de ventes",
        "timeline": postmortem.timeline, "root_cause": "Certificat TLS expiré",
        "lessons_learned": "Alerter 30 jours avant l'expiration", "internal_notes": "Voir le contrat de l'hébergeur",
        "owner": postmortem.owner_id, **overrides,
    }


def test_the_owner_fills_in_the_template_fields(client, postmortem, agent_n1):
    client.force_login(agent_n1)

    response = client.post(reverse("postmortem:edit", args=[postmortem.pk]), edit_data(postmortem))

    assert response.status_code == 302
    postmortem.refresh_from_db()
    assert postmortem.root_cause == "Certificat TLS expiré"
    assert postmortem.duration.total_seconds() == 2.5 * 3600
    assert postmortem.events.filter(action="edited", actor=agent_n1).exists()


def test_an_invalid_edit_is_shown_again_with_its_errors(client, postmortem, agent_n1):
    client.force_login(agent_n1)

    response = client.post(reverse("postmortem:edit", args=[postmortem.pk]),
                           edit_data(postmortem, ended_at="2026-11-23T08:00", title=""))

    assert response.status_code == 400
    assert b"invalid-feedback" in response.content
    postmortem.refresh_from_db()
    assert postmortem.root_cause == ""


def test_state_moves_are_recorded_with_who_moved(client, postmortem, agent_n1, manager):
    write_analysis(postmortem, agent_n1)
    client.force_login(agent_n1)
    page = client.get(postmortem.get_absolute_url())
    assert b'data-testid="postmortem-publish"' not in page.content  # only managers publish

    client.post(reverse("postmortem:move", args=[postmortem.pk, "submit"]))
    client.force_login(manager)
    page = client.get(postmortem.get_absolute_url())
    assert b'data-testid="postmortem-publish"' in page.content
    response = client.post(reverse("postmortem:move", args=[postmortem.pk, "publish"]))

    assert response.status_code == 302
    postmortem.refresh_from_db()
    assert postmortem.state == PostmortemState.PUBLISHED
    assert postmortem.published_at is not None
    moves = [(e.action, e.from_state, e.to_state, e.actor) for e in postmortem.events.exclude(action="edited")]
    assert moves == [
        ("created", "", "draft", None),
        ("submit", "draft", "in_review", agent_n1),
        ("publish", "in_review", "published", manager),
    ]
    postmortem.incident.refresh_from_db()
    assert postmortem.incident.state == "postmortem"


def test_a_reviewer_sends_it_back_to_draft(postmortem, agent_n1, manager):
    write_analysis(postmortem, agent_n1)
    services.postmortem_submit(postmortem=postmortem, actor=agent_n1)

    services.postmortem_back_to_draft(postmortem=postmortem, actor=manager)

    postmortem.refresh_from_db()
    assert postmortem.state == PostmortemState.DRAFT
    assert postmortem.events.latest("id").actor == manager


def test_submitting_without_root_cause_or_publishing_as_an_agent_is_refused(client, postmortem, agent_n1):
    client.force_login(agent_n1)

    without_analysis = client.post(reverse("postmortem:move", args=[postmortem.pk, "submit"]))
    write_analysis(postmortem, agent_n1)
    services.postmortem_submit(postmortem=postmortem, actor=agent_n1)
    as_agent = client.post(reverse("postmortem:move", args=[postmortem.pk, "publish"]))
    unknown = client.post(reverse("postmortem:move", args=[postmortem.pk, "explode"]))

    assert (without_analysis.status_code, as_agent.status_code, unknown.status_code) == (409, 409, 404)
    postmortem.refresh_from_db()
    assert postmortem.state == PostmortemState.IN_REVIEW


def test_a_published_postmortem_can_no_longer_be_edited(client, postmortem, agent_n1, manager):
    write_analysis(postmortem, agent_n1)
    services.postmortem_submit(postmortem=postmortem, actor=agent_n1)
    services.postmortem_publish(postmortem=postmortem, actor=manager)
    client.force_login(agent_n1)

    response = client.post(reverse("postmortem:edit", args=[postmortem.pk]), edit_data(postmortem))

    assert response.status_code == 409
    postmortem.refresh_from_db()
    assert postmortem.root_cause == "Certificat expiré"


def test_corrective_actions_are_added_and_ticked_done(client, postmortem, agent_n1, agent_n2):
    client.force_login(agent_n1)

    client.post(reverse("postmortem:action_add", args=[postmortem.pk]),
                {"description": "Renouveler les certificats automatiquement", "owner": agent_n2.pk,
                 "due_date": "2026-12-01"})
    action = CorrectiveAction.objects.get()
    client.post(reverse("postmortem:action_toggle", args=[postmortem.pk, action.pk]), {"done": "1"})
    client.post(reverse("postmortem:action_toggle", args=[postmortem.pk, action.pk]), {"done": "1"})

    action.refresh_from_db()
    assert (action.owner, action.due_date, action.done, action.done_by) == (agent_n2, date(2026, 12, 1), True,
                                                                           agent_n1)
    client.post(reverse("postmortem:action_toggle", args=[postmortem.pk, action.pk]), {"done": "0"})
    action.refresh_from_db()
    assert (action.done, action.done_at) == (False, None)


def test_the_markdown_export_follows_the_template(client, postmortem, agent_n1, agent_n2):
    services.postmortem_update(postmortem=postmortem, actor=agent_n1, impact_users="Tous les clients",
                               business_loss="40 k€", root_cause="Certificat expiré",
                               lessons_learned="Superviser l'expiration", internal_notes="SECRET-NOTE")
    services.corrective_action_add(postmortem=postmortem, actor=agent_n1, description="Automatiser le renouvellement",
                                   owner=agent_n2, due_date=date(2026, 12, 1))
    client.force_login(agent_n1)

    response = client.get(reverse("postmortem:export", args=[postmortem.pk]))

    assert response.status_code == 200
    assert response["Content-Type"] == "text/markdown; charset=utf-8"
    assert response["Content-Disposition"].startswith("attachment;")
    text = response.content.decode()
    assert text.startswith(f"## Incident : {postmortem.title}\n")
    for heading in ("**Date** : ", "**Durée** : ", "**Impact** : Tous les clients ; 40 k€", "### Chronologie\n- ",
                    "### Cause racine\nCertificat expiré", "### Actions correctives\n- [ ] Automatiser le "
                    "renouvellement (Hugo Bernard, ", "### Enseignements\nSuperviser l'expiration"):
        assert heading in text
    headings = [line for line in text.splitlines() if line.startswith("#")]
    assert [h.split(" : ")[0] for h in headings] == [
        "## Incident", "### Chronologie", "### Cause racine", "### Actions correctives", "### Enseignements",
    ]
    assert "SECRET-NOTE" not in text
    assert "&#x27;" not in text  # plain text, not HTML-escaped
