"""GET /api/v1/tickets/ for a requester (issue 23): the plan of /tickets/ (one index range scan per side,
"mine" and "my organisation's", merged by keyset), cursor pages without gap or repeat, the same queries for
a few tickets and many, and nothing of anybody else's."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from accounts.models import Profile
from tests.api.conftest import ApiClient, token_for
from tests.factories import OrganisationFactory
from tickets.models import Status, Ticket


def _bulk(requester, count: int, *, organisation=None, prefix: str = "1999", status=Status.NEW) -> list[str]:
    now = timezone.now()
    Ticket.objects.bulk_create([
        Ticket(reference=f"{prefix}-{n:06d}", title=f"Panne {n}", description="x", requester=requester,
               organisation=organisation, status=status, created_at=now - timedelta(minutes=n // 2),
               updated_at=now, phase_started_at=now)
        for n in range(count)])  # two tickets a minute: pairs share their instant, the id breaks the tie
    return [f"{prefix}-{n:06d}" for n in range(count)]


def _newest_first(references: list[str]) -> list[str]:
    return list(Ticket.objects.filter(reference__in=references).order_by("-created_at", "-id")
                .values_list("reference", flat=True))


def _walk(client, **params) -> list[str]:
    seen, url = [], "/api/v1/tickets/"
    page = client.get(url, params).json()
    while True:
        seen += [row["reference"] for row in page["results"]]
        if not page["next"]:
            return seen
        page = client.get(page["next"].replace("http://testserver", "")).json()


def _share(organisation, *people):
    for person in people:
        Profile.objects.update_or_create(user=person, defaults={"organisation": organisation})


@pytest.mark.parametrize("count", [3, 300])
def test_the_requester_list_costs_the_same_queries_for_3_and_300_tickets(requester, other_requester, count,
                                                                        django_assert_max_num_queries):
    organisation = OrganisationFactory(share_tickets=True)
    _share(organisation, requester, other_requester)
    _bulk(requester, count)
    _bulk(other_requester, count, organisation=organisation, prefix="1998")
    client = ApiClient(token_for(requester))
    client.get("/api/v1/me/")  # the token's last use is written once a minute: not in the budget
    # 1. the token and its user  2. the groups  3. the profile  4. its organisation (does it share?)
    # 5.-6. my side's range scan, its requesters prefetched (my tickets here have no organisation)
    # 7.-9. my organisation's side's range scan, its requesters and its organisation prefetched
    # (no count: the API gives `next`)
    with django_assert_max_num_queries(9):
        first = client.get("/api/v1/tickets/", {"limit": 4}).json()
    with django_assert_max_num_queries(9):
        client.get(first["next"].replace("http://testserver", ""))
    assert len(first["results"]) == 4


def test_pages_follow_each_other_newest_first_without_gap_or_repeat(requester, other_requester):
    organisation = OrganisationFactory(share_tickets=True)
    _share(organisation, requester, other_requester)
    _bulk(requester, 23)
    _bulk(other_requester, 17, organisation=organisation, prefix="1998")
    client = ApiClient(token_for(requester))

    walked = _walk(client, limit=7)

    expected = list(Ticket.objects.order_by("-created_at", "-id").values_list("reference", flat=True))
    assert walked == expected and len(set(walked)) == 40


def test_the_status_and_search_filters_apply_to_both_sides(requester, other_requester):
    organisation = OrganisationFactory(share_tickets=True)
    _share(organisation, requester, other_requester)
    mine_closed = _bulk(requester, 3, status=Status.CLOSED)
    theirs_closed = _bulk(other_requester, 2, organisation=organisation, prefix="1998", status=Status.CLOSED)
    _bulk(requester, 4, prefix="1997")
    client = ApiClient(token_for(requester))

    assert sorted(_walk(client, status="closed", limit=2)) == sorted(mine_closed + theirs_closed)
    assert _walk(client, q="1998-") == _newest_first(theirs_closed)
    assert client.get("/api/v1/tickets/", {"status": "nonsense"}).status_code == 400


def test_another_requester_gets_nothing_of_mine_even_with_my_cursor(requester, other_requester):
    mine = _bulk(requester, 12)
    _bulk(other_requester, 1, prefix="1998")
    mine_client, their_client = ApiClient(token_for(requester)), ApiClient(token_for(other_requester))
    cursor = mine_client.get("/api/v1/tickets/", {"limit": 5}).json()["next"].split("after=")[1]

    assert _walk(their_client) == ["1998-000000"]
    assert not {r["reference"] for r in their_client.get("/api/v1/tickets/", {"after": cursor}).json()["results"]} \
        & set(mine)
    assert their_client.get(f"/api/v1/tickets/{mine[0]}/").status_code == 404


def test_a_colleague_of_an_organisation_that_does_not_share_sees_nothing(requester, other_requester):
    organisation = OrganisationFactory(share_tickets=False)
    _share(organisation, requester, other_requester)
    _bulk(other_requester, 4, organisation=organisation, prefix="1998")

    assert _walk(ApiClient(token_for(requester))) == []


@pytest.mark.parametrize("cursor", ["garbage", "eyJ4IjoxfQ", "W10"])
def test_a_forged_cursor_is_the_first_page(requester, cursor):
    refs = _bulk(requester, 3)
    response = ApiClient(token_for(requester)).get("/api/v1/tickets/", {"after": cursor})
    assert response.status_code == 200 and [r["reference"] for r in response.json()["results"]] == _newest_first(refs)
