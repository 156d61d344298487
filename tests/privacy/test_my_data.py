"""A person asks for the export of their own data from /privacy/me/ (issue 22): a task builds it with its
progress on the row, the link works for a day, for them and the managers only, one export in flight."""

from __future__ import annotations

import io
import json
import zipfile
from datetime import timedelta
from unittest import mock

import time_machine
from django.urls import reverse
from django.utils import timezone

from privacy import services
from privacy.models import ExportStatus, PersonalDataExport


def _ask(client, django_capture_on_commit_callbacks, *, execute=True):
    with django_capture_on_commit_callbacks(execute=execute):
        return client.post(reverse("privacy:my_data_export"))


def _zip_data(response) -> dict:
    archive = zipfile.ZipFile(io.BytesIO(b"".join(response.streaming_content)))
    return json.loads(archive.read("data.json"))


def test_the_page_shows_the_profile_and_the_export_button_in_french(client, alice):
    client.force_login(alice)
    response = client.get(reverse("privacy:my_data"))
    page = response.content.decode()
    assert response.status_code == 200
    assert "Mes données personnelles" in page and "Demander l’export de mes données" in page
    assert "alice.martin@example.org" in page and "06 12 34 56 78" in page and "Mairie" in page


def test_a_requester_exports_their_own_data_and_downloads_it(client, world, alice, django_capture_on_commit_callbacks):
    client.force_login(alice)
    response = _ask(client, django_capture_on_commit_callbacks)
    assert response.status_code == 302

    export = PersonalDataExport.objects.get()
    assert export.user == alice and export.status == ExportStatus.READY and export.progress == 100
    assert export.expires_at - export.finished_at == timedelta(days=1)
    page = client.get(reverse("privacy:my_data")).content.decode()
    link = reverse("privacy:export_download", args=[export.pk])
    assert link in page
    data = _zip_data(client.get(link))
    assert data["person"]["username"] == "requester"
    assert "BOB-SECRET-TITLE" not in json.dumps(data)


def test_another_requester_and_an_agent_get_404_a_manager_downloads(client, world, alice, bob, agent_n1, manager,
                                                                     django_capture_on_commit_callbacks):
    client.force_login(alice)
    _ask(client, django_capture_on_commit_callbacks)
    link = reverse("privacy:export_download", args=[PersonalDataExport.objects.get().pk])

    client.force_login(bob)
    assert client.get(link).status_code == 404
    client.force_login(agent_n1)
    assert client.get(link).status_code == 404
    client.force_login(manager)
    assert _zip_data(client.get(link))["person"]["username"] == "requester"
    client.logout()
    assert client.get(link).status_code == 302  # to the login page


def test_the_link_expires_after_a_day(client, world, alice, django_capture_on_commit_callbacks):
    client.force_login(alice)
    _ask(client, django_capture_on_commit_callbacks)
    link = reverse("privacy:export_download", args=[PersonalDataExport.objects.get().pk])
    with time_machine.travel(timezone.now() + timedelta(days=1, minutes=1)):
        assert client.get(link).status_code == 404
        page = client.get(reverse("privacy:my_data")).content.decode()
        assert link not in page and "Expiré" in page
        assert services.exports_purge() == 1
    assert PersonalDataExport.objects.get().file == ""
    assert client.get(link).status_code == 404


def test_one_export_in_flight_per_person(client, alice, bob, django_capture_on_commit_callbacks):
    client.force_login(alice)
    assert _ask(client, django_capture_on_commit_callbacks, execute=False).status_code == 302
    response = _ask(client, django_capture_on_commit_callbacks, execute=False)
    assert response.status_code == 409
    assert "déjà en cours de préparation" in response.content.decode()
    assert PersonalDataExport.objects.filter(user=alice).count() == 1
    # Someone else is not held back by Alice's export.
    client.force_login(bob)
    assert _ask(client, django_capture_on_commit_callbacks, execute=False).status_code == 302


def test_an_export_lost_for_an_hour_no_longer_blocks_a_new_one(alice):
    services.personal_data_export_request(user=alice)
    with time_machine.travel(timezone.now() + timedelta(hours=1, minutes=1)):
        services.personal_data_export_request(user=alice)
    assert PersonalDataExport.objects.filter(user=alice).count() == 2


def test_the_request_is_rate_limited(client, alice, settings, django_capture_on_commit_callbacks):
    settings.RATELIMIT_ENABLE = True
    settings.HELPDESK_RATE_PERSONAL_DATA_EXPORT = "1/d"
    from django.core.cache import cache

    cache.clear()
    client.force_login(alice)
    assert _ask(client, django_capture_on_commit_callbacks).status_code == 302
    assert _ask(client, django_capture_on_commit_callbacks).status_code == 429
    assert PersonalDataExport.objects.count() == 1


def test_the_build_reports_its_progress_and_runs_once(world, alice, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False):
        export = services.personal_data_export_request(user=alice)
    seen = []
    original = services.personal_data_export

    def spy(*, user, progress):
        def record(percent):
            seen.append(percent)
            progress(percent)
            seen.append(PersonalDataExport.objects.get(pk=export.pk).progress)
        return original(user=user, progress=record)

    with mock.patch.object(services, "personal_data_export", spy):
        built = services.personal_data_export_build(export_id=export.pk)
    assert built.status == ExportStatus.READY and built.progress == 100
    # data collected (20 %), summary written (30 %), the one file (95 %): the row followed each step.
    assert seen == [20, 20, 30, 30, 95, 95]
    assert services.personal_data_export_build(export_id=export.pk) is None  # a redelivered message


def test_a_failing_build_is_retried_then_marked_failed(alice, django_capture_on_commit_callbacks):
    from helpdesk.celery import app as celery_app
    from privacy.tasks import build_personal_data_export

    with django_capture_on_commit_callbacks(execute=False):
        export = services.personal_data_export_request(user=alice)
    celery_app.conf.task_eager_propagates = False  # so that the eager retries run inline
    try:
        with mock.patch.object(services, "personal_data_export", side_effect=OSError("disk full")) as build:
            result = build_personal_data_export.apply(args=[export.pk])
    finally:
        celery_app.conf.task_eager_propagates = True
    assert result.failed() and build.call_count == 3  # the first try and two retries
    export.refresh_from_db()
    assert export.status == ExportStatus.FAILED and not export.in_flight
    services.personal_data_export_request(user=alice)  # a failed export does not block a new one


def test_exports_the_broker_missed_are_sent_again(alice, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False):
        export = services.personal_data_export_request(user=alice)
    assert services.personal_data_exports_resend() == 0  # not yet a minute old
    with time_machine.travel(timezone.now() + timedelta(minutes=2)):
        assert services.personal_data_exports_resend() == 1
    export.refresh_from_db()
    assert export.status == ExportStatus.READY
