"""The client IP behind PROXY_COUNT trusted proxies: the one address the lockout and the rate limits see."""

import pytest
from django.test import RequestFactory

from accounts.client_ip import client_ip

PROXY = "10.0.0.1"


def request_from(remote_addr=PROXY, forwarded=None):
    headers = {"REMOTE_ADDR": remote_addr}
    if forwarded is not None:
        headers["HTTP_X_FORWARDED_FOR"] = forwarded
    return RequestFactory().get("/", **headers)


def test_without_trusted_proxies_a_forged_forwarded_for_is_ignored(settings):
    settings.PROXY_COUNT = 0

    assert client_ip(request_from("203.0.113.7", "198.51.100.1")) == "203.0.113.7"


def test_behind_one_proxy_the_client_is_the_last_forwarded_entry(settings):
    settings.PROXY_COUNT = 1

    # The client forged the first entry; our proxy appended the address it really saw.
    assert client_ip(request_from(PROXY, "198.51.100.1, 203.0.113.7")) == "203.0.113.7"


def test_behind_two_proxies_the_client_is_the_second_entry_from_the_right(settings):
    settings.PROXY_COUNT = 2

    assert client_ip(request_from(PROXY, "198.51.100.1, 203.0.113.7, 10.0.0.2")) == "203.0.113.7"


def test_a_forwarded_for_shorter_than_the_proxy_count_gives_its_leftmost_entry(settings):
    settings.PROXY_COUNT = 3

    assert client_ip(request_from(PROXY, "203.0.113.7, 10.0.0.2")) == "203.0.113.7"


def test_behind_a_proxy_a_request_without_forwarded_for_is_its_remote_addr(settings):
    settings.PROXY_COUNT = 1

    assert client_ip(request_from("203.0.113.7")) == "203.0.113.7"


@pytest.mark.parametrize("forwarded", ["not-an-ip", "203.0.113.7:4242", "", " , ", "999.1.1.1", "<script>"])
def test_garbage_in_forwarded_for_falls_back_to_remote_addr(settings, forwarded):
    settings.PROXY_COUNT = 1

    assert client_ip(request_from(PROXY, forwarded)) == PROXY


def test_ipv6_addresses_come_back_in_canonical_form(settings):
    settings.PROXY_COUNT = 1

    assert client_ip(request_from(PROXY, "2001:DB8:0:0:0:0:0:1")) == "2001:db8::1"
