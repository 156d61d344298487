"""Behind the reverse proxy every request comes from its address: only wrong passwords count, per username
and real client IP, for the rate limit (HELPDESK_RATE_LOGIN) and for django-axes' lockout."""

import pytest
from axes.utils import reset
from django.core.cache import cache
from django.test import Client
from django.urls import reverse

from tests.factories import UserFactory

PROXY = "10.0.0.1"
ALICE_HOME = "203.0.113.10"
ALICE_OFFICE = "203.0.113.20"
ATTACKER = "198.51.100.66"


@pytest.fixture
def behind_proxy(settings, db):
    settings.PROXY_COUNT = 1
    settings.RATELIMIT_ENABLE = True
    cache.clear()
    reset()
    yield settings
    cache.clear()


def log_in(client, username, password, forwarded=None, remote_addr=PROXY):
    headers = {"REMOTE_ADDR": remote_addr}
    if forwarded is not None:
        headers["HTTP_X_FORWARDED_FOR"] = forwarded
    return client.post(reverse("login"), {"username": username, "password": password}, **headers)


def is_rate_limited(response):
    return response.status_code == 429 and b'data-testid="rate-limited"' in response.content


def is_locked_out(response):
    return b'data-testid="locked-out"' in response.content


def test_forty_users_logging_in_through_the_proxy_are_all_let_in(behind_proxy):
    behind_proxy.HELPDESK_RATE_LOGIN = "5/h"
    users = [UserFactory(username=f"employee{i}") for i in range(40)]

    for i, user in enumerate(users):
        client = Client()
        response = log_in(client, user.username, "demo", forwarded=f"203.0.113.{i + 1}")
        assert response.status_code == 302, user.username
        assert client.session["_auth_user_id"] == str(user.pk)


def test_successful_logins_from_one_address_never_count(behind_proxy):
    """An office behind one NAT address: its people log in, and in again, far past the rate."""
    behind_proxy.HELPDESK_RATE_LOGIN = "5/h"
    users = [UserFactory(username=f"employee{i}") for i in range(10)]

    codes = [log_in(Client(), user.username, "demo", forwarded=ALICE_OFFICE).status_code
             for user in users + users]

    assert codes == [302] * 20


def test_wrong_passwords_from_one_address_do_not_lock_the_owner_out_elsewhere(behind_proxy, client, requester):
    for _ in range(6):
        log_in(Client(), "requester", "wrong", forwarded=ATTACKER)

    owner = log_in(client, "requester", "demo", forwarded=ALICE_HOME)
    seventh = log_in(Client(), "requester", "demo", forwarded=ATTACKER)

    assert owner.status_code == 302
    assert client.session["_auth_user_id"] == str(requester.pk)
    assert seventh.status_code == 429
    assert is_locked_out(seventh) or is_rate_limited(seventh)


def test_the_fourth_wrong_password_for_a_username_and_ip_gets_429(behind_proxy, requester):
    behind_proxy.HELPDESK_RATE_LOGIN = "3/h"
    behind_proxy.AXES_FAILURE_LIMIT = 100
    attacker = Client()

    codes = [log_in(attacker, "requester", "wrong", forwarded=ATTACKER).status_code for _ in range(3)]
    fourth = log_in(attacker, "requester", "wrong", forwarded=ATTACKER)
    # Past the limit the password is not even tried: the right one is refused from there too.
    right_password = log_in(attacker, "requester", "demo", forwarded=ATTACKER)
    # Neither case nor spaces make a fresh budget for the same account.
    variant = log_in(attacker, " Requester ", "wrong", forwarded=ATTACKER)

    assert codes == [200, 200, 200]
    assert is_rate_limited(fourth)
    assert is_rate_limited(right_password)
    assert "_auth_user_id" not in attacker.session
    assert is_rate_limited(variant)


def test_the_failed_login_limit_leaves_the_same_username_from_another_ip_alone(behind_proxy, requester):
    behind_proxy.HELPDESK_RATE_LOGIN = "3/h"
    behind_proxy.AXES_FAILURE_LIMIT = 100
    for _ in range(4):
        log_in(Client(), "requester", "wrong", forwarded=ATTACKER)

    wrong_from_home = log_in(Client(), "requester", "wrong", forwarded=ALICE_HOME)
    owner = Client()
    right_from_home = log_in(owner, "requester", "demo", forwarded=ALICE_HOME)

    assert wrong_from_home.status_code == 200
    assert right_from_home.status_code == 302
    assert owner.session["_auth_user_id"] == str(requester.pk)


def test_rotating_a_forged_forwarded_for_without_trusted_proxies_lifts_no_rate_limit(behind_proxy, requester):
    behind_proxy.PROXY_COUNT = 0
    behind_proxy.HELPDESK_RATE_LOGIN = "3/h"
    behind_proxy.AXES_FAILURE_LIMIT = 100

    responses = [log_in(Client(), "requester", "wrong", forwarded=f"192.0.2.{i}", remote_addr=ATTACKER)
                 for i in range(4)]

    assert [r.status_code for r in responses[:3]] == [200, 200, 200]
    assert is_rate_limited(responses[3])


def test_rotating_a_forged_forwarded_for_without_trusted_proxies_lifts_no_lockout(behind_proxy, requester):
    behind_proxy.PROXY_COUNT = 0
    for i in range(5):
        log_in(Client(), "requester", "wrong", forwarded=f"192.0.2.{i}", remote_addr=ATTACKER)

    attacker = Client()
    response = log_in(attacker, "requester", "demo", forwarded="192.0.2.99", remote_addr=ATTACKER)

    assert is_locked_out(response)
    assert "_auth_user_id" not in attacker.session
