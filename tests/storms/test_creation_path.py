"""The ticket-creation path: detection runs after commit through the broker, never failing the request."""

from __future__ import annotations

from datetime import timedelta
from unittest import mock

import pytest
import time_machine
from django.urls import reverse

from storms.models import Storm, StormTicket
from tests.conftest import login
from tests.factories import make_ticket

from .conftest import T0, burst, person

pytestmark = pytest.mark.django_db


def test_a_created_ticket_is_examined_after_commit(baseline, vpn, django_capture_on_commit_callbacks):
    burst(4, category=vpn, detect=False)

    with time_machine.travel(T0 + timedelta(minutes=10), tick=False), django_capture_on_commit_callbacks(execute=True):
        ticket = make_ticket(requester=person("fifth"), category=vpn, title="VPN coupé")

    assert StormTicket.objects.filter(ticket=ticket).exists()


def test_a_broker_outage_does_not_fail_the_new_ticket_form(client, baseline, vpn, requester,
                                                           django_capture_on_commit_callbacks):
    login(client, requester)
    with mock.patch("storms.tasks.detect_storms.apply_async", side_effect=ConnectionError("broker down")), \
            django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("tickets:new"), {
            "ticket_type": "incident", "category": vpn.pk, "title": "VPN coupé", "description": "Depuis 9 h",
            "urgency": "medium", "impact": "medium"})

    assert response.status_code == 302
    assert not Storm.objects.exists()


def test_a_web_process_gathers_its_detections_for_storm_detection_wait_ms(settings, vpn,
                                                                         django_capture_on_commit_callbacks):
    """A detection reads its window whatever its number of tickets: the web sends them in a task per
    STORM_DETECTION_WAIT_MS, longer than the notifications' wait."""
    settings.STORM_DETECTION_WAIT_MS = 1234
    with mock.patch("storms.receivers.publish_ids") as publish, django_capture_on_commit_callbacks(execute=True):
        ticket = make_ticket(requester=person("someone"), category=vpn, title="VPN coupé")

    (task, ids), kwargs = publish.call_args
    assert task.name == "storms.tasks.detect_storms" and ids == [ticket.pk]
    assert kwargs["wait_ms"] == 1234


def test_the_default_detection_wait_is_longer_than_the_notifications(settings):
    from storms.conf import storm_settings

    assert storm_settings().detection_wait_ms == 1000 > settings.HELPDESK_BROKER_COALESCE_MS
