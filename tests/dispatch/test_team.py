"""The managers' page of the dispatch: each level's policy and maximum, each agent's hours and skills."""

from __future__ import annotations

import pytest

from dispatch.models import AgentProfile, LevelSetting, Policy, Skill
from dispatch.selectors import skilled_levels
from sla.models import BusinessCalendar
from tests.conftest import login
from tests.factories import CategoryFactory, UserFactory


@pytest.mark.parametrize("url", ["/dispatch/team/", "/dispatch/team/{agent}/"])
def test_only_managers_see_the_team_pages(client, url, agent_n1, requester, manager):
    url = url.format(agent=agent_n1.pk)
    for user in (agent_n1, requester):
        login(client, user)
        assert client.get(url).status_code == 404
        assert client.post(url, {}).status_code == 404
    login(client, manager)
    assert client.get(url).status_code == 200


def test_a_user_who_is_not_an_agent_has_no_skills_page(client, manager, requester):
    login(client, manager)
    assert client.get(f"/dispatch/team/{requester.pk}/").status_code == 404
    assert client.get("/dispatch/team/999999/").status_code == 404


def test_a_manager_sets_an_agents_hours_and_skills(client, manager, agent_n1, db):
    erp = CategoryFactory(name="ERP")
    network = CategoryFactory(name="Réseau")
    hours = BusinessCalendar.objects.get(name="Jours ouvrés 9h–18h")
    Skill.objects.create(agent=agent_n1, level="N1", category=network)
    login(client, manager)
    assert skilled_levels() == frozenset({"N1"})
    response = client.post(f"/dispatch/team/{agent_n1.pk}/", {"calendar": hours.pk, "categories_N1": [erp.pk]})
    assert response.status_code == 302 and response["Location"] == "/dispatch/team/"
    assert list(Skill.objects.filter(agent=agent_n1).values_list("level", "category_id")) == [("N1", erp.pk)]
    assert AgentProfile.objects.get(agent=agent_n1).calendar == hours
    client.post(f"/dispatch/team/{agent_n1.pk}/", {"calendar": "", "every_N1": "on", "categories_N1": [erp.pk]})
    assert list(Skill.objects.filter(agent=agent_n1).values_list("level", "category_id")) == [("N1", None)]
    assert AgentProfile.objects.get(agent=agent_n1).calendar is None
    page = client.get("/dispatch/team/").content.decode()
    assert "toutes catégories" in page
    # No skill left at any level: the cache of the skilled levels follows at once.
    client.post(f"/dispatch/team/{agent_n1.pk}/", {"calendar": ""})
    assert not Skill.objects.filter(agent=agent_n1).exists()
    assert skilled_levels() == frozenset()


def test_bad_input_is_a_form_error_not_a_500(client, manager, agent_n1):
    login(client, manager)
    response = client.post(f"/dispatch/team/{agent_n1.pk}/", {"calendar": "999999", "categories_N1": ["x"]})
    assert response.status_code == 400
    assert response.context["form"].errors.keys() >= {"calendar", "categories_N1"}
    response = client.post("/dispatch/team/", {"form-TOTAL_FORMS": "1", "form-INITIAL_FORMS": "1",
                                               "form-0-id": LevelSetting.objects.get(level="N1").pk,
                                               "form-0-policy": "nope", "form-0-max_open": "-1"})
    assert response.status_code == 400


def test_a_manager_sets_a_levels_policy_and_maximum(client, manager):
    login(client, manager)
    settings = list(LevelSetting.objects.order_by("level"))
    data = {"form-TOTAL_FORMS": str(len(settings)), "form-INITIAL_FORMS": str(len(settings))}
    for index, setting in enumerate(settings):
        data |= {f"form-{index}-id": setting.pk, f"form-{index}-policy": setting.policy,
                 f"form-{index}-max_open": setting.max_open}
    data |= {"form-0-policy": Policy.LEAST_LOADED, "form-0-max_open": "5"}
    response = client.post("/dispatch/team/", data)
    assert response.status_code == 302, response.context["formset"].non_form_errors()
    n1 = LevelSetting.objects.get(level="N1")
    assert (n1.policy, n1.max_open) == (Policy.LEAST_LOADED, 5)


def test_a_names_markup_is_escaped(client, manager, agent_n1):
    agent_n1.first_name = "<script>alert(1)</script>"
    agent_n1.save()
    login(client, manager)
    for url in ("/dispatch/team/", f"/dispatch/team/{agent_n1.pk}/"):
        page = client.get(url).content.decode()
        assert "<script>alert(1)</script>" not in page and "&lt;script&gt;" in page


@pytest.mark.parametrize("agents", [2, 20])
def test_the_team_page_has_a_fixed_budget(client, manager, agents, django_assert_max_num_queries, settings):
    settings.SESSION_ENGINE = "django.contrib.sessions.backends.db"
    parent = CategoryFactory(name="Applications")
    erp = CategoryFactory(name="ERP", parent=parent)
    hours = BusinessCalendar.objects.get(name="Jours ouvrés 9h–18h")
    for index in range(agents):
        agent = UserFactory(username=f"agent{index}", groups=["N1" if index % 2 else "N2"])
        AgentProfile.objects.create(agent=agent, calendar=hours)
        Skill.objects.create(agent=agent, level="N1", category=erp)
        Skill.objects.create(agent=agent, level="N2", category=None)
    login(client, manager)
    client.get("/dispatch/team/")
    # session, user; the level settings; COUNT and the page of agents with profiles and calendars; their
    # skills with categories, their groups.
    with django_assert_max_num_queries(7):
        response = client.get("/dispatch/team/")
    assert response.status_code == 200
