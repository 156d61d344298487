"""/privacy/audit/: for managers, administrators and the DPO only; filters, keyset pages with a fixed
number of queries, and the CSV of the filtered entries, safe to open in a spreadsheet."""

from __future__ import annotations

import csv
import io
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from audit.models import Action, AuditEntry
from tests.factories import UserFactory

URL = reverse("audit:log")
CSV = reverse("audit:csv")


@pytest.fixture
def dpo(db):
    return UserFactory(username="dpo", groups=["DPO"], is_staff=True)


@pytest.fixture
def entries(requester, agent_n1, manager):
    start = timezone.now() - timedelta(days=3)
    rows = [
        (Action.LOGIN, requester, requester, "198.51.100.1"),
        (Action.LOGIN_FAILED, None, agent_n1, "198.51.100.2"),
        (Action.GROUP_ADDED, manager, agent_n1, "203.0.113.5"),
        (Action.EXPORT, manager, requester, "203.0.113.5"),
    ]
    made = []
    for n, (action, actor, subject, ip) in enumerate(rows):
        entry = AuditEntry.objects.entry(action, actor=actor, subject=subject, at=start + timedelta(hours=n),
                                         details={"n": n})
        entry.ip = ip
        made.append(entry)
    return AuditEntry.objects.record_many(made)


def _rows(response) -> list[int]:
    """The `n` detail of each entry shown, in the page's order."""
    import re

    return [int(n) for n in re.findall(r'<span class="text-muted">n</span> (\d+)', response.content.decode())]


@pytest.mark.parametrize("who", ["requester", "agent_n1", "other_requester"])
def test_requesters_and_agents_get_a_404(request, client, who, entries):
    client.force_login(request.getfixturevalue(who))

    assert client.get(URL).status_code == 404
    assert client.get(CSV).status_code == 404


def test_an_anonymous_visitor_is_sent_to_the_login(client, db):
    assert client.get(URL).status_code == 302


@pytest.mark.parametrize("who", ["manager", "dpo"])
def test_a_manager_and_the_dpo_read_it_newest_first(request, client, who, entries):
    client.force_login(request.getfixturevalue(who))

    response = client.get(URL)

    assert response.status_code == 200 and _rows(response) == [3, 2, 1, 0]  # (today's have no `n`)
    assert 'data-testid="audit-log-link"' in response.content.decode()


@pytest.mark.parametrize(("query", "expected"), [
    ({"action": Action.LOGIN_FAILED}, [1]),
    ({"actor": "MANAGER"}, [3, 2]),
    ({"subject": "agent1"}, [2, 1]),
    ({"ip": "203.0.113.5"}, [3, 2]),
    ({"subject": "requester", "actor": "manager"}, [3]),
    ({"since": "2000-01-01", "until": "2000-01-02"}, []),
])
def test_the_filters(client, manager, entries, query, expected):
    client.force_login(manager)

    assert _rows(client.get(URL, query)) == expected


def test_the_date_range_is_inclusive_in_the_sites_time_zone(client, manager, entries):
    client.force_login(manager)
    day = timezone.localtime(entries[0].at).date()

    shown = _rows(client.get(URL, {"since": day.isoformat(), "until": day.isoformat()}))

    assert 0 in shown and all(timezone.localtime(entries[n].at).date() == day for n in shown)


def test_bad_filters_show_errors_not_a_500(client, manager, entries):
    client.force_login(manager)

    response = client.get(URL, {"ip": "not-an-ip", "since": "2026-13-45", "action": "nope"})

    assert response.status_code == 200 and "is-invalid" in response.content.decode()
    assert client.get(URL, {"older": "garbage!!", "newer": "Zm9v"}).status_code == 200


def test_keyset_pages_older_and_newer_keep_the_filters(client, manager, entries, settings):
    settings.HELPDESK_PAGE_SIZE = 2
    client.force_login(manager)
    # A filter the links must keep, which leaves out today's entries (the cast's groups, this login).
    yesterday = (timezone.localdate() - timedelta(days=1)).isoformat()
    query = {"until": yesterday}

    first = client.get(URL, query)
    assert _rows(first) == [3, 2] and first.context["page"].newer is None
    assert f"until={yesterday}&amp;older=" in first.content.decode()
    second = client.get(URL, {**query, "older": first.context["page"].older})
    assert _rows(second) == [1, 0] and second.context["page"].older is None
    back = client.get(URL, {**query, "newer": second.context["page"].newer})
    assert _rows(back) == [3, 2] and back.context["page"].newer is None


def test_the_page_has_a_fixed_number_of_queries(client, manager, entries, settings, django_assert_max_num_queries):
    settings.SESSION_ENGINE = "django.contrib.sessions.backends.db"
    client.force_login(manager)
    client.get(URL)
    for n in range(60):
        AuditEntry.objects.record(Action.LOGIN, actor=UserFactory(username=f"u{n}"), subject=manager)

    older = client.get(URL).context["page"].older
    with django_assert_max_num_queries(3):  # the session, the user, the page's one query
        response = client.get(URL, {"older": older})
    assert len(response.context["entries"]) == settings.HELPDESK_PAGE_SIZE


def _csv(response) -> list[list[str]]:
    return list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))


def test_the_csv_holds_the_filtered_entries(client, manager, requester, entries):
    client.force_login(manager)

    response = client.get(CSV, {"subject": "requester"})

    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    header, *rows = _csv(response)
    assert header[:5] == ["at", "action", "action_label", "actor", "subject"]
    assert [(row[1], row[3], row[4], row[7]) for row in rows] == [
        ("export", "manager", "requester", "203.0.113.5"), ("login", "requester", "requester", "198.51.100.1")]


def test_the_csv_is_safe_from_formula_injection(client, manager, db):
    evil = UserFactory(username="=HYPERLINK(1)")
    AuditEntry.objects.record(Action.LOGIN, actor=evil, subject=evil, details={"via": "@x"}, request=None)
    entry = AuditEntry.objects.get(actor=evil)
    client.force_login(manager)

    [_header, *rows] = _csv(client.get(CSV, {"actor": "=HYPERLINK(1)"}))

    assert rows[0][3] == "'=HYPERLINK(1)" and rows[0][4] == "'=HYPERLINK(1)"
    assert all(not cell.startswith(("=", "+", "-", "@")) for row in rows for cell in row)
    assert entry.pk
