"""Attachments: checked on upload (size, extension, content), stored under a random name, served
only through the access-checked view, never from a public media URL."""

from __future__ import annotations

import struct
import zlib
from pathlib import Path

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils.html import escape

from tickets.models import Attachment, Ticket


def _png_1x1() -> bytes:
    """A real 1×1 PNG: signature, IHDR, IDAT and IEND chunks with their CRCs."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", 1, 1, 8, 6, 0, 0, 0)  # 1×1, 8 bits, RGBA
    pixels = zlib.compress(b"\x00\xff\x00\x00\xff")  # filter byte + one red pixel
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", pixels) + chunk(b"IEND", b"")


PNG_BYTES = _png_1x1()
WINDOWS_EXE = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00" + b"\x00" * 48 + b"This program"
LINUX_ELF = b"\x7fELF\x02\x01\x01\x00" + b"\x00" * 56


def _upload(name: str, content: bytes, content_type: str = "application/octet-stream") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content, content_type=content_type)


def _new_ticket(client, category, *files, title: str = "Écran bleu au démarrage"):
    data = {"ticket_type": "incident", "category": category.pk, "title": title,
            "description": "Capture jointe.", "urgency": "medium", "impact": "medium"}
    if files:
        data["attachments"] = list(files)
    return client.post("/tickets/new/", data)


def _assert_refused(response, requester, *fragments: str) -> None:
    """The form is shown again with the upload error, and no ticket was created."""
    assert response.status_code == 400
    errors = response.context["form"].errors["attachments"]
    html = response.content.decode()
    for message in errors:
        assert escape(message) in html
    for fragment in fragments:
        assert any(fragment in message for message in errors), (fragment, errors)
    assert not Ticket.objects.filter(requester=requester).exists()
    assert not Attachment.objects.filter(uploaded_by=requester).exists()


@pytest.fixture
def png_ticket(client, requester, category):
    client.force_login(requester)
    response = _new_ticket(client, category, _upload("capture.png", PNG_BYTES, "image/png"))
    assert response.status_code == 302
    client.logout()
    return Ticket.objects.get(requester=requester)


def _download(client, user, attachment):
    client.force_login(user)
    return client.get(f"/tickets/{attachment.ticket.reference}/attachments/{attachment.pk}/")


# --- A good upload


def test_a_png_uploaded_with_the_new_ticket_form_is_stored(png_ticket):
    attachment = Attachment.objects.get(ticket=png_ticket)

    assert attachment.original_name == "capture.png"
    assert attachment.content_type == "image/png"
    assert attachment.size == len(PNG_BYTES)
    assert attachment.followup is None
    assert Path(attachment.file.path).read_bytes() == PNG_BYTES


def test_the_requester_downloads_their_png_with_nosniff(client, requester, png_ticket):
    attachment = Attachment.objects.get(ticket=png_ticket)

    response = _download(client, requester, attachment)

    assert response.status_code == 200
    assert b"".join(response.streaming_content) == PNG_BYTES
    assert response["Content-Type"] == "image/png"
    assert response["X-Content-Type-Options"] == "nosniff"


@pytest.mark.parametrize("agent", ["agent_n1", "agent_n2", "manager"])
def test_agents_download_the_png(client, png_ticket, agent, request):
    attachment = Attachment.objects.get(ticket=png_ticket)

    response = _download(client, request.getfixturevalue(agent), attachment)

    assert response.status_code == 200
    assert b"".join(response.streaming_content) == PNG_BYTES
    assert response["X-Content-Type-Options"] == "nosniff"


def test_another_requester_gets_404_on_the_png(client, other_requester, png_ticket):
    attachment = Attachment.objects.get(ticket=png_ticket)

    response = _download(client, other_requester, attachment)

    assert response.status_code == 404


def test_the_ticket_page_links_to_the_access_checked_download(client, requester, png_ticket):
    attachment = Attachment.objects.get(ticket=png_ticket)
    client.force_login(requester)

    html = client.get(f"/tickets/{png_ticket.reference}/").content.decode()

    assert f'href="/tickets/{png_ticket.reference}/attachments/{attachment.pk}/"' in html
    assert attachment.file.name not in html


# --- Refused uploads


def test_a_file_over_the_size_limit_is_refused_and_no_ticket_is_created(client, requester, category, settings):
    settings.HELPDESK_ATTACHMENT_MAX_BYTES = 100
    client.force_login(requester)

    response = _new_ticket(client, category, _upload("journal.txt", b"x" * 101, "text/plain"))

    _assert_refused(response, requester, "journal.txt", "volumineux")


def test_a_file_at_the_size_limit_is_accepted(client, requester, category, settings):
    settings.HELPDESK_ATTACHMENT_MAX_BYTES = 100
    client.force_login(requester)

    response = _new_ticket(client, category, _upload("journal.txt", b"x" * 100, "text/plain"))

    assert response.status_code == 302
    assert Attachment.objects.get(uploaded_by=requester).size == 100


@pytest.mark.parametrize(("name", "content"), [("invoice.pdf", WINDOWS_EXE), ("notes.txt", LINUX_ELF)],
                         ids=["windows-exe-as-pdf", "elf-as-txt"])
def test_a_disguised_executable_is_refused_with_a_message(client, requester, category, name, content):
    client.force_login(requester)

    response = _new_ticket(client, category, _upload(name, content))

    _assert_refused(response, requester, name, "programme")


def test_a_pdf_whose_content_is_not_a_pdf_is_refused(client, requester, category):
    client.force_login(requester)

    response = _new_ticket(client, category, _upload("facture.pdf", b"<html><script>alert(1)</script></html>"))

    _assert_refused(response, requester, "facture.pdf")


@pytest.mark.parametrize("name", ["setup.exe", "page.html"])
def test_an_unknown_extension_is_refused(client, requester, category, name):
    client.force_login(requester)

    response = _new_ticket(client, category, _upload(name, b"hello"))

    _assert_refused(response, requester, name)


def test_one_bad_file_among_good_ones_refuses_the_whole_form(client, requester, category):
    client.force_login(requester)

    response = _new_ticket(client, category, _upload("capture.png", PNG_BYTES, "image/png"),
                           _upload("virus.pdf", WINDOWS_EXE))

    _assert_refused(response, requester, "virus.pdf")


# --- Storage


def test_the_stored_file_name_is_not_the_users_and_cannot_traverse_paths(client, requester, category):
    client.force_login(requester)

    response = _new_ticket(client, category, _upload("../../etc/passwd.txt", b"root:x:0:0\n", "text/plain"))

    assert response.status_code == 302
    attachment = Attachment.objects.get(uploaded_by=requester)
    stored = Path(attachment.file.name)
    assert "passwd" not in attachment.file.name
    assert ".." not in stored.parts
    assert stored.parts[0] == "attachments"
    media_root = Path(settings.MEDIA_ROOT).resolve()
    on_disk = Path(attachment.file.path).resolve()
    assert on_disk.is_relative_to(media_root)
    assert on_disk.read_bytes() == b"root:x:0:0\n"
    assert "/" not in attachment.original_name
    assert ".." not in attachment.original_name
    assert not (media_root.parent / "etc" / "passwd.txt").exists()


def test_media_has_no_public_url(client, requester, png_ticket):
    attachment = Attachment.objects.get(ticket=png_ticket)
    client.force_login(requester)

    assert not settings.MEDIA_URL
    assert client.get(f"/media/{attachment.file.name}").status_code == 404
    assert client.get(f"/{attachment.file.name}").status_code == 404
    assert client.get("/media/").status_code == 404
