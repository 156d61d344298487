"""/tickets/ at any size (issue 23): keyset pages, a capped total, the same queries for 10 tickets and
1,000, and nobody else's tickets (an organisation shares only when it says so)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from accounts.models import Profile
from tests.factories import OrganisationFactory, UserFactory
from tickets.models import Status, Ticket
from tickets.portal import COUNT_CAP, decode_cursor, ticket_cursor


@pytest.fixture(autouse=True)
def _page_size(settings):
    settings.HELPDESK_PAGE_SIZE = 25


def _bulk(requester, count: int, *, organisation=None, prefix: str = "1999", status: str = Status.NEW) -> list[Ticket]:
    """`count` tickets of `requester` in `status`, one a minute back from now, written at once."""
    now = timezone.now()
    Ticket.objects.bulk_create([
        Ticket(reference=f"{prefix}-{n:06d}", title=f"Ticket {n}", description="x",
               requester=requester, organisation=organisation, created_at=now - timedelta(minutes=n), status=status,
               updated_at=now, phase_started_at=now)
        for n in range(count)])
    return list(Ticket.objects.filter(requester=requester).order_by("-created_at", "-id"))


def _references(response) -> list[str]:
    return [ticket.reference for ticket in response.context["tickets"]]


def _walk(client, tab: str = "") -> list[str]:
    """Every reference of the tab, following the "Plus anciens" links from the first page."""
    seen, params = [], {"tab": tab} if tab else {}
    while True:
        response = client.get("/tickets/", params)
        seen += _references(response)
        if not response.context["page"].older:
            return seen
        params = {**params, "older": response.context["page"].older}


@pytest.mark.parametrize("count", [10, 1000])
def test_the_list_costs_the_same_queries_for_10_and_1000_tickets(client, requester, count,
                                                                 django_assert_max_num_queries):
    _bulk(requester, count)
    client.force_login(requester)
    # session, user, profile (the organisation side), groups, the page (one index range scan), the capped
    # count, the navigation's role checks: the same at 10 and 1,000.
    with django_assert_max_num_queries(8):
        first = client.get("/tickets/")
    with django_assert_max_num_queries(8):
        client.get("/tickets/", {"older": first.context["page"].older or ""})


def test_an_organisation_wide_list_costs_one_query_more_whatever_its_size(client, requester, other_requester,
                                                                         django_assert_max_num_queries):
    organisation = OrganisationFactory(share_tickets=True)
    for person in (requester, other_requester):
        Profile.objects.update_or_create(user=person, defaults={"organisation": organisation})
    _bulk(other_requester, 1000, organisation=organisation)
    client.force_login(requester)
    with django_assert_max_num_queries(9):  # the organisation's side is a second range scan
        response = client.get("/tickets/")
    assert len(_references(response)) == 25


def test_pages_follow_each_other_without_gap_or_repeat_and_back(client, requester):
    tickets = _bulk(requester, 60)
    # Two tickets at the same instant: the id breaks the tie.
    Ticket.objects.filter(pk=tickets[30].pk).update(created_at=tickets[29].created_at)
    client.force_login(requester)

    walked = _walk(client)
    expected = list(Ticket.objects.filter(requester=requester).order_by("-created_at", "-id")
                    .values_list("reference", flat=True))
    assert walked == expected and len(set(walked)) == 60
    first = client.get("/tickets/")
    second = client.get("/tickets/", {"older": first.context["page"].older})
    back = client.get("/tickets/", {"newer": second.context["page"].newer})
    assert _references(back) == _references(first) and back.context["page"].newer is None


def test_the_total_is_capped_and_said_in_french(client, requester):
    _bulk(requester, COUNT_CAP + 1)
    client.force_login(requester)
    page = client.get("/tickets/").content.decode()
    assert "Plus de 1\u202f000 tickets" in page or "Plus de 1\xa0000 tickets" in page or "Plus de 1 000 tickets" in page
    assert "Plus anciens" in page and "Plus récents" in page


def test_a_small_total_is_exact(client, requester):
    _bulk(requester, 3)
    client.force_login(requester)
    assert "3 tickets" in client.get("/tickets/").content.decode()


def test_another_requester_sees_nothing_of_mine_on_any_page(client, requester, other_requester):
    mine = _bulk(requester, 30)
    _bulk(other_requester, 2, prefix="1998")
    client.force_login(other_requester)
    walked = _walk(client)
    assert len(walked) == 2 and not set(walked) & {t.reference for t in mine}
    # A cursor taken from my list shows them nothing of mine either.
    response = client.get("/tickets/", {"older": ticket_cursor(mine[0])})
    assert not set(_references(response)) & {t.reference for t in mine}
    assert client.get(f"/tickets/{mine[0].reference}/").status_code == 404


def test_an_organisation_that_does_not_share_shows_nothing_of_colleagues(client, requester, other_requester):
    organisation = OrganisationFactory(share_tickets=False)
    for person in (requester, other_requester):
        Profile.objects.update_or_create(user=person, defaults={"organisation": organisation})
    _bulk(other_requester, 5, organisation=organisation, prefix="1998")
    client.force_login(requester)
    assert _walk(client) == []


def test_an_organisation_that_shares_shows_mine_and_colleagues_merged_newest_first(client, requester,
                                                                                  other_requester):
    organisation, elsewhere = OrganisationFactory(share_tickets=True), OrganisationFactory(share_tickets=True)
    Profile.objects.update_or_create(user=requester, defaults={"organisation": organisation})
    Profile.objects.update_or_create(user=other_requester, defaults={"organisation": organisation})
    stranger = UserFactory(username="stranger")
    Profile.objects.update_or_create(user=stranger, defaults={"organisation": elsewhere})
    _bulk(requester, 20)  # mine, without the organisation on them (created before I joined)
    _bulk(other_requester, 20, organisation=organisation, prefix="1998")
    _bulk(stranger, 5, organisation=elsewhere, prefix="1997")
    client.force_login(requester)

    walked = _walk(client)
    expected = list(Ticket.objects.filter(requester__in=[requester, other_requester])
                    .order_by("-created_at", "-id").values_list("reference", flat=True))
    assert walked == expected and len(walked) == 40


@pytest.mark.parametrize("cursor", ["", "garbage", "eyJ4IjoxfQ", ticket_cursor.__name__])
def test_a_forged_cursor_is_the_first_page_never_an_error(client, requester, cursor):
    _bulk(requester, 30)
    client.force_login(requester)
    response = client.get("/tickets/", {"older": cursor})
    assert response.status_code == 200 and len(_references(response)) == 25
    assert decode_cursor(cursor) is None


# --- Open first: the tickets under way by default, the closed ones in their own tab, every one in "all"


def _statuses(requester) -> dict[str, str]:
    """Mixed statuses on 12 tickets, newest first: under way (new, in progress, waiting, resolved) or closed."""
    cycle = [Status.NEW, Status.CLOSED, Status.IN_PROGRESS, Status.CLOSED, Status.WAITING, Status.RESOLVED]
    tickets = _bulk(requester, 12)
    for ticket, status in zip(tickets, cycle * 2, strict=True):
        Ticket.objects.filter(pk=ticket.pk).update(status=status)
    return {ticket.reference: status for ticket, status in zip(tickets, cycle * 2, strict=True)}


def test_the_list_opens_on_the_tickets_under_way_newest_first(client, requester, settings):
    settings.HELPDESK_PAGE_SIZE = 3
    statuses = _statuses(requester)
    client.force_login(requester)
    response = client.get("/tickets/")
    assert response.context["page"].tab == "active"
    walked = _walk(client)
    assert walked == [ref for ref, status in statuses.items() if status != Status.CLOSED]
    assert "8 tickets" in response.content.decode()  # the tab's own total


def test_the_closed_tab_shows_only_closed_tickets_across_pages(client, requester, settings):
    settings.HELPDESK_PAGE_SIZE = 3
    statuses = _statuses(requester)
    client.force_login(requester)
    assert _walk(client, "closed") == [ref for ref, status in statuses.items() if status == Status.CLOSED]
    assert _walk(client, "all") == list(statuses)


def test_the_page_links_keep_the_tab(client, requester, settings):
    settings.HELPDESK_PAGE_SIZE = 3
    _statuses(requester)
    client.force_login(requester)
    page = client.get("/tickets/", {"tab": "closed"}).content.decode()
    assert 'href="?tab=closed&amp;older=' in page
    assert 'aria-current="page" href="?tab=closed">Clos</a>' in page


def test_an_unknown_tab_is_the_default_one(client, requester):
    _statuses(requester)
    client.force_login(requester)
    response = client.get("/tickets/", {"tab": "<script>"})
    assert response.status_code == 200 and response.context["page"].tab == "active"
    assert "<script>" not in response.content.decode().split('data-testid="ticket-tabs"')[1]


def test_a_requester_with_only_closed_tickets_is_told_where_they_are(client, requester):
    _bulk(requester, 2, status=Status.CLOSED)
    client.force_login(requester)
    page = client.get("/tickets/").content.decode()
    assert "Aucun ticket en cours." in page and 'href="?tab=all"' in page


@pytest.mark.parametrize("tab", ["active", "closed"])
@pytest.mark.parametrize("count", [10, 1000])
def test_each_tab_costs_the_same_queries_for_10_and_1000_tickets(client, requester, tab, count,
                                                                 django_assert_max_num_queries):
    _bulk(requester, count // 2)
    _bulk(requester, count - count // 2, status=Status.CLOSED, prefix="1998")
    client.force_login(requester)
    # session, user, profile, groups, the page (one index range scan), the capped count, the navigation's
    # role checks.
    with django_assert_max_num_queries(8):
        first = client.get("/tickets/", {"tab": tab})
    assert len(_references(first)) == min(25, count // 2)
    with django_assert_max_num_queries(8):
        client.get("/tickets/", {"tab": tab, "older": first.context["page"].older or ""})


def test_another_requester_sees_none_of_my_tickets_in_any_tab(client, requester, other_requester):
    mine = {t.reference for t in _bulk(requester, 4)} | {t.reference for t in _bulk(requester, 4, status=Status.CLOSED,
                                                                                   prefix="1998")}
    client.force_login(other_requester)
    for tab in ("active", "closed", "all"):
        assert not set(_walk(client, tab)) & mine
