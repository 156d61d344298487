"""Registering endpoints (managers and admins only), and never sending to our own network (SSRF)."""

from __future__ import annotations

import pytest

from core.exceptions import ActionRefused
from webhooks import net, services
from webhooks.models import WebhookAttempt, WebhookEndpoint

UNSAFE = ["127.0.0.1", "10.0.0.8", "172.16.3.4", "192.168.1.1", "169.254.169.254", "100.64.0.1", "0.0.0.0",  # noqa: S104
          "::1", "fe80::1", "fc00::1", "::ffff:127.0.0.1", "224.0.0.1"]


@pytest.mark.parametrize("address", UNSAFE)
def test_private_loopback_and_link_local_addresses_are_refused(address):
    with pytest.raises(net.UnsafeDestination):
        net.resolve(address, 443, allow_private=False)


def test_public_addresses_are_accepted():
    assert net.resolve("93.184.215.14", 443, allow_private=False) == ["93.184.215.14"]


def test_every_resolved_address_is_checked(monkeypatch):
    monkeypatch.setattr(net.socket, "getaddrinfo", lambda *args, **kwargs: [
        (2, 1, 6, "", ("93.184.215.14", 443)), (2, 1, 6, "", ("10.1.2.3", 443))])

    with pytest.raises(net.UnsafeDestination):
        net.resolve("rebinding.example", 443, allow_private=False)


@pytest.mark.parametrize("url", ["ftp://example.org/", "http://user:pw@example.org/", "https:///nohost", "x"])
def test_odd_urls_are_refused(url):
    with pytest.raises(net.UnsafeDestination):
        net.split_url(url)


def test_a_private_url_is_refused_at_registration(manager, settings):
    settings.HELPDESK_WEBHOOK_ALLOW_PRIVATE = False

    with pytest.raises(ActionRefused):
        services.endpoint_create(actor=manager, url="http://127.0.0.1:9/hooks", events=["ticket.created"])


def test_a_private_address_is_refused_at_sending_time_too(endpoint, receiver, settings, requester, category,
                                                          django_capture_on_commit_callbacks):
    """The setting was on at registration and is off now (or the DNS answer changed): nothing leaves."""
    from tests.factories import make_ticket

    settings.HELPDESK_WEBHOOK_ALLOW_PRIVATE = False
    with django_capture_on_commit_callbacks(execute=True):
        make_ticket(requester=requester, category=category)

    assert receiver.requests == 0
    assert "HELPDESK_WEBHOOK_ALLOW_PRIVATE" in WebhookAttempt.objects.get().error


def test_only_managers_register_webhooks(agent_n1, requester, allow_private):
    for person in (agent_n1, requester):
        with pytest.raises(ActionRefused):
            services.endpoint_create(actor=person, url="http://127.0.0.1:9/", events=["ticket.created"])


def test_the_webhook_pages_are_a_404_to_everyone_but_managers(client, agent_n1, requester, manager, allow_private):
    endpoint = services.endpoint_create(actor=manager, url="http://127.0.0.1:9/", events=["ticket.created"])
    for person in (agent_n1, requester):
        client.force_login(person)
        for path in ("/webhooks/", f"/webhooks/{endpoint.pk}/"):
            assert client.get(path).status_code == 404
        assert client.post(f"/webhooks/{endpoint.pk}/test/").status_code == 404


def test_a_manager_registers_an_endpoint_on_the_page(client, manager, allow_private):
    client.force_login(manager)

    response = client.post("/webhooks/", {"url": "http://127.0.0.1:9/hooks", "events": ["ticket.created",
                                                                                        "sla.breached"],
                                          "description": "Supervision", "is_active": "on"})

    endpoint = WebhookEndpoint.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/webhooks/{endpoint.pk}/"
    assert endpoint.events == ["ticket.created", "sla.breached"] and endpoint.owner == manager
    assert endpoint.secret.startswith("whsec_")
    assert endpoint.secret in client.get(response["Location"]).content.decode()


def test_the_page_refuses_a_private_address(client, manager, settings):
    settings.HELPDESK_WEBHOOK_ALLOW_PRIVATE = False
    client.force_login(manager)

    response = client.post("/webhooks/", {"url": "http://169.254.169.254/", "events": ["ticket.created"]})

    assert response.status_code == 400 and not WebhookEndpoint.objects.exists()


def test_an_admin_registers_an_endpoint_in_the_admin(client, allow_private):
    from tests.factories import UserFactory

    admin = UserFactory(username="root", is_staff=True, is_superuser=True)
    client.force_login(admin)

    response = client.post("/admin/webhooks/webhookendpoint/add/", {
        "url": "http://127.0.0.1:9/hooks", "events": ["ticket.created"], "description": "", "is_active": "on",
        "deliveries-TOTAL_FORMS": "0", "deliveries-INITIAL_FORMS": "0"}, follow=True)

    assert response.status_code == 200
    endpoint = WebhookEndpoint.objects.get()
    assert endpoint.owner == admin and endpoint.secret.startswith("whsec_")
    services.endpoint_test(endpoint=endpoint, actor=admin)
    delivery = endpoint.deliveries.get()
    assert client.get(f"/admin/webhooks/webhookendpoint/{endpoint.pk}/change/").status_code == 200
    assert client.get(f"/admin/webhooks/webhookdelivery/{delivery.pk}/change/").status_code == 200
