"""The managers' SLA pages: /sla/, the policy pages and the calendar pages.

Pages are submitted the way a browser would: the test reads the page's forms, changes a few
fields and posts everything back (`page_data`).
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

import pytest
import time_machine
from django import forms
from django.utils.html import escape
from django.utils.translation import ngettext

from sla import tasks
from sla.calendar import add_working_time
from sla.models import BusinessCalendar, Holiday, SlaClock, SlaPolicy, SlaTarget, WorkingHours
from tests.factories import OrganisationFactory, UserFactory, advance, make_ticket
from tickets.models import TicketEvent

BUSINESS_CALENDAR = "Jours ouvrés 9h–18h"  # created with the default policy by sla/migrations/0002


@pytest.fixture
def default_policy(db) -> SlaPolicy:
    return SlaPolicy.objects.get(is_default=True)


@pytest.fixture
def business_calendar(db) -> BusinessCalendar:
    return BusinessCalendar.objects.get(name=BUSINESS_CALENDAR)


@pytest.fixture
def always_open_calendar(db) -> BusinessCalendar:
    return BusinessCalendar.objects.get(always_open=True)


def _form_data(form: forms.BaseForm) -> dict:
    data = {}
    for field in form:
        if field.field.disabled:
            continue  # a browser does not send disabled inputs
        value = field.value()
        if isinstance(field.field, forms.BooleanField):
            if value:
                data[field.html_name] = "on"
        elif isinstance(value, time):
            data[field.html_name] = value.strftime("%H:%M")
        elif isinstance(value, date):
            data[field.html_name] = value.isoformat()
        else:
            data[field.html_name] = "" if value is None else value
    return data


def page_data(response) -> dict:
    """Everything the page's <form> would post unchanged: main form, formsets and management forms."""
    page = response.context["page"]
    data = {}
    for part in vars(page).values():
        if isinstance(part, forms.BaseForm):
            data.update(_form_data(part))
        elif isinstance(part, forms.BaseFormSet):
            data.update(_form_data(part.management_form))
            for form in part:
                data.update(_form_data(form))
    return data


def row_of(data: dict, prefix: str, field: str, value) -> int:
    """Index of the formset row whose `field` has `value`."""
    index = 0
    while f"{prefix}-{index}-{field}" in data:
        if str(data[f"{prefix}-{index}-{field}"]) == str(value):
            return index
        index += 1
    raise AssertionError(f"no {prefix} row with {field}={value}")


def assert_error_shown(response, message: str) -> None:
    assert response.status_code == 400
    assert escape(message) in response.content.decode(), message


def _targets(policy: SlaPolicy) -> list[tuple]:
    return list(policy.targets.order_by("priority").values_list(
        "priority", "response_value", "response_unit", "resolution_value", "resolution_unit"))


def _calendar_state(calendar: BusinessCalendar) -> tuple:
    calendar.refresh_from_db()
    return (
        calendar.name, calendar.time_zone, calendar.always_open, calendar.holiday_country,
        list(calendar.working_hours.values_list("weekday", "start", "end")),
        list(calendar.holidays.values_list("day", "name")),
    )


# --- Who may come in

PAGES = ["/sla/", "/sla/policies/new/", "/sla/policies/{policy}/", "/sla/calendars/new/",
         "/sla/calendars/{calendar}/"]


def _url(template: str, policy: SlaPolicy, calendar: BusinessCalendar) -> str:
    return template.format(policy=policy.pk, calendar=calendar.pk)


@pytest.mark.parametrize("page_path", PAGES)
@pytest.mark.parametrize("cast", ["agent_n1", "requester"])
def test_agents_and_requesters_get_404_on_every_sla_page(client, request, cast, page_path, default_policy,
                                                          business_calendar):
    client.force_login(request.getfixturevalue(cast))

    response = client.get(_url(page_path, default_policy, business_calendar))

    assert response.status_code == 404


@pytest.mark.parametrize("cast", ["agent_n1", "requester"])
def test_an_agent_or_requester_cannot_change_a_policy_by_posting(client, request, cast, default_policy):
    before = _targets(default_policy)
    client.force_login(request.getfixturevalue(cast))

    response = client.post(f"/sla/policies/{default_policy.pk}/", {"name": "Piratée", "targets-TOTAL_FORMS": "0"})

    assert response.status_code == 404
    default_policy.refresh_from_db()
    assert default_policy.name != "Piratée"
    assert _targets(default_policy) == before


@pytest.mark.parametrize("page_path", PAGES)
def test_anonymous_visitors_are_sent_to_the_login_page(client, page_path, default_policy, business_calendar):
    url = _url(page_path, default_policy, business_calendar)

    response = client.get(url)

    assert response.status_code == 302
    assert response.url.startswith("/login/") or "login" in response.url
    assert "next=" in response.url


def test_only_managers_see_the_sla_link_in_the_navbar(client, manager, agent_n1):
    client.force_login(manager)
    assert 'href="/sla/"' in client.get("/tickets/").content.decode()

    client.force_login(agent_n1)
    assert 'href="/sla/"' not in client.get("/tickets/").content.decode()


# --- The overview


def test_the_overview_lists_policies_with_their_targets_and_calendars_with_their_next_holidays(
        client, manager, default_policy, business_calendar):
    Holiday.objects.create(calendar=business_calendar, day=date(2026, 4, 3), name="Pont de Pâques")
    client.force_login(manager)

    with time_machine.travel(datetime(2026, 4, 1, 10, tzinfo=UTC), tick=False):
        response = client.get("/sla/")

    assert response.status_code == 200
    html = response.content.decode()
    policies = response.context["policies"]
    five_days = ngettext("%(count)d day", "%(count)d days", 5) % {"count": 5}
    assert [row["policy"] for row in policies] == [default_policy]
    assert [(t["priority"], t["response"], t["resolution"]) for t in policies[0]["targets"]] == [
        ("P1", "15 min", "4 h"), ("P2", "1 h", "8 h"), ("P3", "4 h", "48 h"), ("P4", "24 h", five_days),
    ]
    assert "15 min / 4 h" in html
    calendars = {row["calendar"].name: row for row in response.context["calendars"]}
    business = calendars[BUSINESS_CALENDAR]
    assert len(business["hours"]) == 1 and business["hours"][0].endswith("09:00–18:00")
    # The custom day first, then France's public holidays as the deadline arithmetic sees them.
    assert [(h.day, h.custom) for h in business["upcoming"]] == [
        (date(2026, 4, 3), True), (date(2026, 4, 6), False), (date(2026, 5, 1), False),
        (date(2026, 5, 8), False), (date(2026, 5, 14), False),
    ]
    assert "Pont de Pâques" in html
    assert "Lundi de Pâques" in html  # the public holiday's name, in the page's language
    assert calendars["24/7"]["upcoming"] == []


# /sla/ as a manager:
#  1. the session
#  2. the user
#  3. the user's groups (manager_required, then cached for the navbar)
#  4. the policies, their calendar and organisation joined
#  5. their targets (one prefetch)
#  6. the calendars, with the number of policies using each
#  7. their working hours (one prefetch)
#  8. their custom holidays (one prefetch)
OVERVIEW = 8


@pytest.mark.parametrize("extra_policies", [0, 4], ids=["1-policy", "5-policies"])
def test_the_overview_has_a_fixed_query_budget(client, manager, default_policy, business_calendar, extra_policies,
                                               django_assert_max_num_queries):
    for number in range(extra_policies):
        calendar = BusinessCalendar.objects.create(name=f"Calendrier {number}", holiday_country="BE")
        WorkingHours.objects.create(calendar=calendar, weekday=0, start=time(8), end=time(12))
        WorkingHours.objects.create(calendar=calendar, weekday=0, start=time(13), end=time(17))
        Holiday.objects.create(calendar=calendar, day=date.today() + timedelta(days=3), name="Fermeture")
        policy = SlaPolicy.objects.create(name=f"Contrat {number}", contract=f"Gold {number}", calendar=calendar)
        SlaTarget.objects.bulk_create(
            SlaTarget(policy=policy, priority=priority, response_value=1, response_unit="hours",
                      resolution_value=1, resolution_unit="days")
            for priority in ("P1", "P2", "P3", "P4")
        )
    client.force_login(manager)

    with django_assert_max_num_queries(OVERVIEW):
        response = client.get("/sla/")

    assert response.status_code == 200
    assert len(response.context["policies"]) == 1 + extra_policies


# --- Policies


def test_a_manager_changes_a_policy_target(client, manager, default_policy):
    client.force_login(manager)
    page = client.get(f"/sla/policies/{default_policy.pk}/")
    assert page.status_code == 200
    data = page_data(page)
    p1 = row_of(data, "targets", "id", default_policy.targets.get(priority="P1").pk)
    data[f"targets-{p1}-response_value"] = "10"
    data[f"targets-{p1}-response_unit"] = "minutes"

    response = client.post(f"/sla/policies/{default_policy.pk}/", data)

    assert response.status_code == 302
    assert response.url == "/sla/"
    assert _targets(default_policy)[0] == ("P1", 10, "minutes", 4, "hours")
    assert _targets(default_policy)[1:] == [("P2", 1, "hours", 8, "hours"), ("P3", 4, "hours", 48, "hours"),
                                           ("P4", 24, "hours", 5, "days")]


def test_a_manager_creates_a_policy_for_an_organisation_with_the_spec_targets_offered(
        client, manager, business_calendar):
    acme = OrganisationFactory(name="Acme", is_vip=True)
    client.force_login(manager)
    data = page_data(client.get("/sla/policies/new/"))
    data.update(name="Acme VIP", organisation=acme.pk, calendar=business_calendar.pk)
    data[f"targets-{row_of(data, 'targets', 'response_value', 15)}-resolution_value"] = "2"

    response = client.post("/sla/policies/new/", data)

    assert response.status_code == 302
    policy = SlaPolicy.objects.get(name="Acme VIP")
    assert (policy.organisation, policy.calendar, policy.is_default, policy.warning_percent) == (
        acme, business_calendar, False, 75)
    assert _targets(policy) == [("P1", 15, "minutes", 2, "hours"), ("P2", 1, "hours", 8, "hours"),
                                ("P3", 4, "hours", 48, "hours"), ("P4", 24, "hours", 5, "days")]


def test_a_target_of_zero_is_refused_and_nothing_is_saved(client, manager, default_policy,
                                                          django_capture_on_commit_callbacks):
    before = _targets(default_policy)
    client.force_login(manager)
    data = page_data(client.get(f"/sla/policies/{default_policy.pk}/"))
    data.update({"name": "Renommée", "targets-0-response_value": "0"})

    with django_capture_on_commit_callbacks() as callbacks:
        response = client.post(f"/sla/policies/{default_policy.pk}/", data)

    error = response.context["page"].targets.forms[0].errors["response_value"][0]
    assert_error_shown(response, error)
    assert "1" in error
    default_policy.refresh_from_db()
    assert default_policy.name != "Renommée"
    assert _targets(default_policy) == before
    assert callbacks == []


@pytest.mark.parametrize(("change", "field"), [
    ({"is_default": "on"}, "is_default"),  # a second default
    ({"organisation": "acme", "contract": "Gold"}, "contract"),  # both scopes
    ({}, "organisation"),  # no scope at all: no ticket would use it
    ({"contract": "gold"}, "contract"),  # the Gold contract already has its policy
    ({"contract": "Silver", "warning_percent": "100"}, "warning_percent"),
])
def test_a_policy_with_an_inconsistent_scope_is_refused_with_the_reason(client, manager, business_calendar,
                                                                        change, field):
    acme = OrganisationFactory(name="Acme", contract="Gold")
    gold = SlaPolicy.objects.create(name="Gold", contract="Gold", calendar=business_calendar)
    client.force_login(manager)
    data = page_data(client.get("/sla/policies/new/"))
    data.update(name="Nouvelle", calendar=business_calendar.pk)
    data.update({key: acme.pk if value == "acme" else value for key, value in change.items()})

    response = client.post("/sla/policies/new/", data)

    errors = response.context["page"].policy.errors[field]
    assert_error_shown(response, errors[0])
    assert set(SlaPolicy.objects.values_list("name", flat=True)) == {"Politique par défaut", gold.name}


def test_the_default_policy_cannot_stop_being_the_default(client, manager, default_policy):
    client.force_login(manager)
    data = page_data(client.get(f"/sla/policies/{default_policy.pk}/"))
    del data["is_default"]

    response = client.post(f"/sla/policies/{default_policy.pk}/", data)

    assert_error_shown(response, response.context["page"].policy.errors["is_default"][0])
    default_policy.refresh_from_db()
    assert default_policy.is_default


def test_changing_a_policy_recomputes_the_deadlines_of_its_open_tickets(
        client, manager, requester, agent_n1, category, default_policy, django_capture_on_commit_callbacks):
    open_ticket = make_ticket(requester=requester, category=category)  # P3: 4 h / 48 h on 24/7
    waiting = advance(make_ticket(requester=requester, category=category), to="waiting", agent=agent_n1)
    resolved = advance(make_ticket(requester=requester, category=category), to="resolved", agent=agent_n1)
    resolved_deadline = resolved.resolution_due_at
    client.force_login(manager)
    data = page_data(client.get(f"/sla/policies/{default_policy.pk}/"))
    p3 = row_of(data, "targets", "id", default_policy.targets.get(priority="P3").pk)
    data.update({f"targets-{p3}-resolution_value": "24", f"targets-{p3}-response_value": "2"})

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(f"/sla/policies/{default_policy.pk}/", data)

    assert response.status_code == 302
    open_ticket.refresh_from_db()
    assert open_ticket.response_due_at == open_ticket.created_at + timedelta(hours=2)
    assert open_ticket.resolution_due_at == open_ticket.created_at + timedelta(hours=24)
    assert SlaClock.objects.get(ticket=open_ticket, target="resolution").due_at == open_ticket.resolution_due_at
    assert TicketEvent.objects.filter(ticket=open_ticket, data__reason="policy changed").exists()
    waiting.refresh_from_db()
    assert waiting.resolution_due_at == waiting.created_at + timedelta(hours=24)
    resolved.refresh_from_db()
    assert resolved.resolution_due_at == resolved_deadline  # not open: left as it was


def test_a_new_organisation_policy_applies_to_that_organisations_open_tickets(
        client, manager, category, business_calendar, django_capture_on_commit_callbacks):
    acme = OrganisationFactory(name="Acme")
    member = UserFactory(username="acme_user", organisation=acme)
    ticket = make_ticket(requester=member, category=category)
    client.force_login(manager)
    data = page_data(client.get("/sla/policies/new/"))
    data.update(name="Acme", organisation=acme.pk, calendar=business_calendar.pk)

    with django_capture_on_commit_callbacks(execute=True):
        assert client.post("/sla/policies/new/", data).status_code == 302

    assert SlaClock.objects.get(ticket=ticket, target="response").policy.name == "Acme"


def test_a_broker_outage_does_not_break_the_save(client, manager, default_policy, monkeypatch, caplog,
                                                django_capture_on_commit_callbacks):
    def refuse(*args, **kwargs):
        raise ConnectionError("broker down")

    monkeypatch.setattr(tasks.recompute_open_ticket_deadlines, "apply_async", refuse)
    client.force_login(manager)
    data = page_data(client.get(f"/sla/policies/{default_policy.pk}/"))
    data["warning_percent"] = "80"

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(f"/sla/policies/{default_policy.pk}/", data)

    assert response.status_code == 302
    default_policy.refresh_from_db()
    assert default_policy.warning_percent == 80
    assert "Broker unavailable" in caplog.text


def test_a_recompute_the_broker_lost_is_sent_again_by_the_beat_drain(
        client, manager, requester, category, default_policy, monkeypatch, django_capture_on_commit_callbacks):
    open_ticket = make_ticket(requester=requester, category=category)  # P3: 4 h / 48 h on 24/7
    monkeypatch.setattr(tasks.recompute_open_ticket_deadlines, "apply_async",
                        lambda *args, **kwargs: (_ for _ in ()).throw(ConnectionError("broker down")))
    client.force_login(manager)
    data = page_data(client.get(f"/sla/policies/{default_policy.pk}/"))
    p3 = row_of(data, "targets", "id", default_policy.targets.get(priority="P3").pk)
    data.update({f"targets-{p3}-resolution_value": "24", f"targets-{p3}-response_value": "2"})
    with django_capture_on_commit_callbacks(execute=True):
        client.post(f"/sla/policies/{default_policy.pk}/", data)
    default_policy.refresh_from_db()
    open_ticket.refresh_from_db()
    assert default_policy.recompute_requested_at is not None  # saved, the recompute owed
    assert open_ticket.resolution_due_at == open_ticket.created_at + timedelta(hours=48)

    monkeypatch.undo()  # the broker is back
    assert tasks.send_pending_recomputes() == 0  # too recent: its own message may still be on the way
    with time_machine.travel(default_policy.recompute_requested_at + timedelta(minutes=3)):
        assert tasks.send_pending_recomputes() == 1
        assert tasks.send_pending_recomputes() == 0

    open_ticket.refresh_from_db()
    default_policy.refresh_from_db()
    assert open_ticket.resolution_due_at == open_ticket.created_at + timedelta(hours=24)
    assert default_policy.recompute_requested_at is None


# --- Calendars


def test_a_manager_edits_a_calendars_hours_and_holidays(client, manager, business_calendar):
    client.force_login(manager)
    page = client.get(f"/sla/calendars/{business_calendar.pk}/")
    assert page.status_code == 200
    data = page_data(page)
    monday = row_of(data, "hours", "weekday", 0)
    friday = row_of(data, "hours", "weekday", 4)
    data[f"hours-{monday}-end"] = "12:00"
    data[f"hours-{friday}-DELETE"] = "on"
    data.update({"hours-5-weekday": "0", "hours-5-start": "14:00", "hours-5-end": "18:00",
                 "hours-6-weekday": "5", "hours-6-start": "09:00", "hours-6-end": "00:00",
                 "holidays-0-day": "2026-12-24", "holidays-0-name": "Veille de Noël",
                 "holiday_subdivision": "57"})

    response = client.post(f"/sla/calendars/{business_calendar.pk}/", data)

    assert response.status_code == 302
    name, zone, always_open, country, hours, holidays = _calendar_state(business_calendar)
    assert hours == [(0, time(9), time(12)), (0, time(14), time(18)), (1, time(9), time(18)),
                     (2, time(9), time(18)), (3, time(9), time(18)), (5, time(9), time(0))]
    assert holidays == [(date(2026, 12, 24), "Veille de Noël")]
    assert (country, business_calendar.holiday_subdivision) == ("FR", "57")


def test_a_manager_creates_a_calendar(client, manager):
    client.force_login(manager)
    data = page_data(client.get("/sla/calendars/new/"))
    assert data["time_zone"] == "Europe/Paris"
    data.update({"name": "Support Montréal", "time_zone": "America/Toronto", "holiday_country": "ca",
                 "hours-0-weekday": "0", "hours-0-start": "08:00", "hours-0-end": "16:00"})

    response = client.post("/sla/calendars/new/", data)

    assert response.status_code == 302
    calendar = BusinessCalendar.objects.get(name="Support Montréal")
    assert (calendar.time_zone, calendar.holiday_country, calendar.always_open) == ("America/Toronto", "CA", False)
    assert list(calendar.working_hours.values_list("weekday", "start", "end")) == [(0, time(8), time(16))]


@pytest.mark.parametrize("case", ["overlap", "end_before_start", "bad_country", "bad_region", "bad_zone",
                                  "duplicate_holiday", "no_hours"])
def test_an_invalid_calendar_is_refused_with_the_reason_and_nothing_is_saved(client, manager, business_calendar,
                                                                             case):
    before = _calendar_state(business_calendar)
    client.force_login(manager)
    data = page_data(client.get(f"/sla/calendars/{business_calendar.pk}/"))
    monday = row_of(data, "hours", "weekday", 0)
    data["name"] = "Renommé"
    if case == "overlap":
        data.update({"hours-5-weekday": "0", "hours-5-start": "12:00", "hours-5-end": "14:00"})
    elif case == "end_before_start":
        data[f"hours-{monday}-end"] = "08:00"
    elif case == "bad_country":
        data["holiday_country"] = "ZZ"
    elif case == "bad_region":
        data["holiday_subdivision"] = "99"
    elif case == "bad_zone":
        data["time_zone"] = "Mars/Olympus_Mons"
    elif case == "duplicate_holiday":
        data.update({"holidays-0-day": "2026-12-24", "holidays-1-day": "2026-12-24"})
    elif case == "no_hours":
        for index in range(5):
            data[f"hours-{index}-DELETE"] = "on"

    response = client.post(f"/sla/calendars/{business_calendar.pk}/", data)

    page = response.context["page"]
    errors = {
        "overlap": lambda: page.hours.non_form_errors()[0],
        "end_before_start": lambda: page.hours.forms[monday].errors["end"][0],
        "bad_country": lambda: page.calendar.errors["holiday_country"][0],
        "bad_region": lambda: page.calendar.errors["holiday_subdivision"][0],
        "bad_zone": lambda: page.calendar.errors["time_zone"][0],
        "duplicate_holiday": lambda: page.holidays.non_form_errors()[0],
        "no_hours": lambda: page.hours.non_form_errors()[0],
    }
    assert_error_shown(response, errors[case]())
    assert _calendar_state(business_calendar) == before


def test_changing_a_calendar_recomputes_the_deadlines_of_the_tickets_of_its_policies(
        client, manager, requester, category, always_open_calendar, django_capture_on_commit_callbacks):
    with time_machine.travel(datetime(2026, 3, 2, 8, tzinfo=UTC), tick=False):  # a Monday, 09:00 in Paris
        ticket = make_ticket(requester=requester, category=category)  # P3: 4 h / 48 h
    client.force_login(manager)
    data = page_data(client.get(f"/sla/calendars/{always_open_calendar.pk}/"))
    data.pop("always_open", None)
    data.update({"holiday_country": "FR", "hours-0-weekday": "0", "hours-0-start": "09:00",
                 "hours-0-end": "11:00", "hours-1-weekday": "1", "hours-1-start": "09:00",
                 "hours-1-end": "18:00"})

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(f"/sla/calendars/{always_open_calendar.pk}/", data)

    assert response.status_code == 302
    ticket.refresh_from_db()
    always_open_calendar.refresh_from_db()
    calendar = always_open_calendar.as_working_calendar()
    assert ticket.response_due_at == add_working_time(ticket.created_at, timedelta(hours=4), calendar)
    assert ticket.response_due_at == datetime(2026, 3, 3, 10, tzinfo=UTC)  # Mon 9–11, then Tue 9–11 (Paris)


def test_a_manager_creates_a_policy_for_a_contract(client, manager, default_policy):
    client.force_login(manager)
    data = page_data(client.get("/sla/policies/new/"))
    data.update(name="Gold", contract=" Gold ", calendar=default_policy.calendar_id)

    assert client.post("/sla/policies/new/", data).status_code == 302

    policy = SlaPolicy.objects.get(name="Gold")
    assert (policy.contract, policy.organisation, policy.is_default) == ("Gold", None, False)


@pytest.mark.parametrize("url", ["/sla/policies/new/", "/sla/calendars/new/"])
def test_a_post_without_the_page_rows_is_refused_not_crashed(client, manager, url):
    client.force_login(manager)
    policies, calendars = SlaPolicy.objects.count(), BusinessCalendar.objects.count()

    response = client.post(url, {"name": "Incomplète", "targets-TOTAL_FORMS": "2", "targets-INITIAL_FORMS": "0"})

    assert response.status_code == 400
    assert (SlaPolicy.objects.count(), BusinessCalendar.objects.count()) == (policies, calendars)


@pytest.mark.parametrize("kind", ["policy", "calendar"])
def test_a_save_that_conflicts_with_another_managers_is_a_409_that_keeps_the_typed_values(
        client, manager, default_policy, business_calendar, monkeypatch, kind):
    """Another manager's save meanwhile (a second default, the same name) breaks a uniqueness rule at the
    database: the page comes back with a 409, the conflict said, and what was typed still in the fields."""
    from django.db import IntegrityError

    from sla import services

    def conflict(**kwargs):
        raise IntegrityError("duplicate key value violates unique constraint")

    url = (f"/sla/policies/{default_policy.pk}/" if kind == "policy"
           else f"/sla/calendars/{business_calendar.pk}/")
    monkeypatch.setattr(services, "sla_policy_save" if kind == "policy" else "sla_calendar_save", conflict)
    client.force_login(manager)
    data = page_data(client.get(url))
    data["name"] = "Nom tapé avant le conflit"

    response = client.post(url, data)

    assert response.status_code == 409
    content = response.content.decode()
    assert "enregistrée au même moment, entre en conflit" in content
    assert 'value="Nom tapé avant le conflit"' in content
    stored = SlaPolicy.objects.get(pk=default_policy.pk) if kind == "policy" else BusinessCalendar.objects.get(
        pk=business_calendar.pk)
    assert stored.name != "Nom tapé avant le conflit"
