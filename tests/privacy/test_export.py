import io
import json
import zipfile

import pytest
from django.core.management import call_command
from django.urls import reverse

from api.models import ApiToken
from tests.factories import UserFactory


def _open(blob: bytes) -> tuple[dict, zipfile.ZipFile]:
    archive = zipfile.ZipFile(io.BytesIO(blob))
    return json.loads(archive.read("data.json")), archive


def _export(tmp_path, username="requester") -> tuple[dict, zipfile.ZipFile]:
    output = tmp_path / "out.zip"
    call_command("personal_data_export", username, "--output", str(output))
    return _open(output.read_bytes())


def test_the_export_holds_everything_about_the_person(world, alice, tmp_path):
    data, archive = _export(tmp_path)

    assert data["schema"] == "helpdesk-personal-data/1"
    assert data["person"]["email"] == alice.email and data["person"]["phone"] == "06 12 34 56 78"
    assert data["person"]["organisation"] == "Mairie"
    # The web ticket and the one her mail opened; none of Bob's although they share the organisation.
    assert [t["title"] for t in data["tickets"]] == ["Imprimante d'Alice Martin", "Souris cassée"]
    ticket = data["tickets"][0]
    assert [f["body"] for f in ticket["followups"]] == ["Voici la capture, Alice Martin", "Bonjour Alice, c'est réglé."]
    assert [f["by"] for f in ticket["followups"]] == ["you", "support"]
    assert ticket["survey"]["score"] == 4 and ticket["events"]
    [attachment] = data["attachments"]
    assert archive.read(attachment["file"]) == b"alice-file-content"
    assert [v["helpful"] for v in data["kb_votes"]] == [True]
    assert [d["query"] for d in data["kb_deflections"]] == ["imprimante"]
    assert [t["name"] for t in data["api_tokens"]] == ["mon script"]
    [follow] = data["incidents_followed"]
    incident = world["outage"].major_incident
    assert (follow["incident"], follow["about"], follow["query"], follow["status_page"]) == (
        incident.pk, world["outage"].category.name, "Imprimante en panne, Alice",
        f"/postmortems/incidents/{incident.pk}/status/")
    assert data["audit"] and {row["ticket"] for row in data["audit"]} == {t["reference"] for t in data["tickets"]}
    assert "summary.html" in archive.namelist()
    assert "Imprimante d&#x27;Alice Martin" in archive.read("summary.html").decode()
    assert "Imprimante en panne, Alice" in archive.read("summary.html").decode()


def test_nothing_of_anyone_else_nor_the_agents_private_notes(world, tmp_path):
    data, archive = _export(tmp_path)
    everything = json.dumps(data, ensure_ascii=False) + archive.read("summary.html").decode()

    for secret in ("BOB-SECRET", "Durand", "other_requester", "AGENT-PRIVATE-NOTE", "Nadia", "Petit", "agent1"):
        assert secret not in everything, secret
    token = ApiToken.objects.get()
    assert token.key_hash not in everything and token.prefix not in everything


def test_the_export_command_refuses_an_unknown_user(db, tmp_path):
    from django.core.management.base import CommandError

    with pytest.raises(CommandError):
        call_command("personal_data_export", "nobody", "--output", str(tmp_path / "x.zip"))


def test_only_managers_export_from_the_admin_and_a_requester_never_gets_someone_else(world, client, alice, bob,
                                                                                      manager, agent_n1):
    changelist = reverse("admin:privacy_person_changelist")
    post = {"action": "export_personal_data", "_selected_action": [bob.pk]}

    client.force_login(alice)
    response = client.post(changelist, post)
    assert response.status_code == 302 and "login" in response["Location"]
    assert not response.get("Content-Type", "").startswith("application/zip")

    agent_n1.is_staff = True  # staff without the Manager role: still no
    agent_n1.save()
    client.force_login(agent_n1)
    assert client.post(changelist, post).status_code == 403

    manager.is_staff = True  # as in the demo
    manager.save()
    client.force_login(manager)
    response = client.post(changelist, {"action": "export_personal_data", "_selected_action": [alice.pk]})
    assert response["Content-Type"] == "application/zip"
    data, _archive = _open(response.content)
    assert data["person"]["username"] == "requester"


def test_the_celery_task_writes_the_export_under_media(world, alice, settings):
    from privacy.tasks import export_personal_data

    name = export_personal_data.apply(args=[alice.pk]).get()
    assert name.startswith("exports/") and (settings.MEDIA_ROOT / name).exists()


def test_the_one_day_link_serves_staff_only_and_expires(world, client, alice, bob):
    from datetime import timedelta

    import time_machine
    from django.utils import timezone

    admin = UserFactory(username="root", is_staff=True, is_superuser=True)
    client.force_login(admin)
    response = client.post(reverse("admin:privacy_person_changelist"),
                           {"action": "export_personal_data_link", "_selected_action": [alice.pk]}, follow=True)
    [message] = [str(m) for m in response.context["messages"]]
    link = message.split('href="')[1].split('"')[0]

    data, _archive = _open(b"".join(client.get(link).streaming_content))
    assert data["person"]["username"] == "requester"
    assert client.get(link[:-3] + "xyz/").status_code == 404
    with time_machine.travel(timezone.now() + timedelta(days=1, minutes=1)):
        assert client.get(link).status_code == 404
    client.force_login(bob)
    assert client.get(link).status_code == 302  # to the admin login


def test_exports_older_than_a_day_are_purged(world, alice, settings):
    from datetime import timedelta

    from django.utils import timezone

    from privacy.services import exports_purge, personal_data_export_to_media

    name = personal_data_export_to_media(user=alice)
    assert exports_purge() == 0
    assert exports_purge(now=timezone.now() + timedelta(days=1, minutes=1)) == 1
    assert not (settings.MEDIA_ROOT / name).exists()
