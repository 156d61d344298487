"""Reference screenshots (issue 17): the queue, the workspace, the requester's ticket, the new-ticket form
and the dashboard, at 1366 and 390 px, compared with the images kept in tests/browser/screenshots/.

A change beyond a small tolerance fails the test and leaves the new image and a difference image in
test-artifacts/screenshots/. After a change made on purpose, write the new references with
`UPDATE_SCREENSHOTS=1 bin/test tests/browser/test_screenshots.py`, look at them, and commit them.

Deterministic by construction: fixed people and tickets, a frozen clock (time-machine, also seen by the live
server's thread), the Europe/Paris zone and French, and one font from Debian (fonts-dejavu-core) forced on
every element; animations and the caret are off."""

from __future__ import annotations

import os
import shutil
import subprocess
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image, ImageChops
from playwright.sync_api import Browser, Page

from tests.browser.conftest import ARTIFACTS, login
from tests.factories import CategoryFactory, OrganisationFactory, UserFactory, advance, make_ticket
from tickets import services as ticket_services
from tickets.models import Scale

REFERENCES = Path(__file__).resolve().parent / "screenshots"
UPDATE = os.environ.get("UPDATE_SCREENSHOTS") == "1"
WIDTHS = (1366, 390)
# Tolerance: a pixel counts as changed when a channel moves by more than CHANNEL_TOLERANCE (anti-aliasing
# noise stays under it); the image fails when more than CHANGED_SHARE of its pixels changed.
CHANNEL_TOLERANCE = 48
CHANGED_SHARE = 0.002
FONT = "DejaVu Sans"
# Only for this test's context (which bypasses the CSP to add it): the same font everywhere, whatever
# fontconfig would pick for Bootstrap's system-ui stack on this machine.
FIXED_FONT_CSS = f"""*, *::before, *::after {{ font-family: "{FONT}", sans-serif !important; }}
* {{ transition: none !important; animation: none !important; }}"""
PARIS = ZoneInfo("Europe/Paris")
START = datetime(2026, 3, 10, 8, 0, tzinfo=PARIS)  # a Tuesday morning, inside business hours
PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
    "1f15c4890000000d49444154789c6360000002000154a24f5d0000000049454e44ae426082"
)


@pytest.fixture
def clock():
    with time_machine.travel(START, tick=False) as traveller:
        yield traveller


def _cast_and_tickets(clock) -> dict:
    """The same people and tickets every run, each created a few minutes after the previous one."""
    acme = OrganisationFactory(name="Acme Industries", is_vip=True)
    camille = UserFactory(username="requester", first_name="Camille", last_name="Dubois", organisation=acme)
    thomas = UserFactory(username="requester2", first_name="Thomas", last_name="Martin")
    nadia = UserFactory(username="agent1", groups=["N1"], first_name="Nadia", last_name="Petit")
    UserFactory(username="manager", groups=["Manager"], first_name="Claire", last_name="Moreau")
    printers = CategoryFactory(name="Matériel")
    network = CategoryFactory(name="Réseau")
    erp = CategoryFactory(name="ERP")

    def step(minutes=7):
        clock.shift(timedelta(minutes=minutes))

    made = {}
    for title, requester, category, urgency, impact in [
        ("Wi-Fi invité inaccessible pour les clients", thomas, network, Scale.MEDIUM, Scale.LOW),
        ("ERP : lenteurs à la saisie des commandes depuis ce matin", camille, erp, Scale.HIGH, Scale.MEDIUM),
        ("Clavier de la caisse n°2 défectueux", thomas, printers, Scale.LOW, Scale.LOW),
        ("Le logiciel de caisse plante à l'ouverture", thomas, erp, Scale.HIGH, Scale.HIGH),
        ("Demande de second écran pour le poste de comptabilité", camille, printers, Scale.LOW, Scale.MEDIUM),
    ]:
        made[title] = make_ticket(requester=requester, category=category, title=title, urgency=urgency,
                                  impact=impact, description="Constaté ce matin à l'ouverture.")
        step()
    printer = make_ticket(
        requester=camille, category=printers, title="Imprimante du 2e étage bloquée",
        description="Depuis ce matin 9 h, l'imprimante HP du 2e étage affiche « Erreur 0x51 » et refuse "
                    "tous les travaux.\nJ'ai redémarré l'imprimante deux fois, sans effet.",
        attachments=[SimpleUploadedFile("capture-erreur.png", PNG, "image/png")])
    step()
    printer = advance(printer, to="in_progress", agent=nadia)
    step(3)
    ticket_services.followup_add(ticket=printer, author=nadia,
                                 body="Bonjour Camille, pouvez-vous m'indiquer le numéro d'inventaire "
                                      "de l'imprimante (étiquette sur le côté) ?")
    step(2)
    ticket_services.followup_add(ticket=printer, author=nadia, is_public=False,
                                 body="L'erreur 0x51 correspond à un bourrage du module recto-verso.")
    step()
    advance(made["Clavier de la caisse n°2 défectueux"], to="resolved", agent=nadia)
    step(120)  # the screenshots are taken two hours later: the SLA clocks have run
    return {"printer": printer}


def _compare(name: str, actual: bytes) -> str | None:
    """None when the screenshot matches its reference; else what differs (and the images to look at)."""
    reference = REFERENCES / f"{name}.png"
    if UPDATE or not reference.exists():
        REFERENCES.mkdir(parents=True, exist_ok=True)
        reference.write_bytes(actual)
        return None if UPDATE else f"{name}: no reference yet, written to {reference} (commit it)"
    out = ARTIFACTS / "screenshots"
    out.mkdir(parents=True, exist_ok=True)
    (out / f"{name}-actual.png").write_bytes(actual)
    with Image.open(reference) as expected_image, Image.open(out / f"{name}-actual.png") as actual_image:
        expected, got = expected_image.convert("RGB"), actual_image.convert("RGB")
        if expected.size != got.size:
            return f"{name}: size {got.size} instead of {expected.size} (see {out})"
        red, green, blue = ImageChops.difference(expected, got).split()
        largest = ImageChops.lighter(ImageChops.lighter(red, green), blue)  # each pixel's largest move
        changed = sum(largest.histogram()[CHANNEL_TOLERANCE + 1:])
        share = changed / (got.width * got.height)
        if share > CHANGED_SHARE:
            largest.point(lambda value: 255 if value > CHANNEL_TOLERANCE else 0).save(out / f"{name}-diff.png")
            return f"{name}: {share:.2%} of the pixels changed (tolerance {CHANGED_SHARE:.2%}; see {out})"
    return None


def _shoot(page: Page, base: str, path: str) -> bytes:
    page.goto(base + path)
    page.wait_for_load_state("networkidle")
    page.add_style_tag(content=FIXED_FONT_CSS)
    page.evaluate("document.fonts.ready")
    return page.screenshot(full_page=True, animations="disabled", caret="hide")


def test_pages_look_as_their_reference_screenshots(live_server, browser: Browser, clock):
    if shutil.which("fc-list") is None or not subprocess.run(  # noqa: S603
            ["fc-list", f":family={FONT}"], capture_output=True, text=True, check=False).stdout.strip():  # noqa: S607
        pytest.fail(f"the font {FONT!r} is missing: apt-get install fonts-dejavu-core", pytrace=False)
    world = _cast_and_tickets(clock)
    printer = world["printer"]
    base = live_server.url
    shutil.rmtree(ARTIFACTS / "screenshots", ignore_errors=True)
    problems = []
    for username, pages in [
        ("agent1", [("queue", "/agent/"), ("workspace", printer.get_agent_url())]),
        ("requester", [("requester-ticket", printer.get_absolute_url()), ("new-ticket", "/tickets/new/")]),
        ("manager", [("dashboard", "/dashboard/")]),
    ]:
        context = browser.new_context(locale="fr-FR", timezone_id="Europe/Paris", bypass_csp=True,
                                      device_scale_factor=1)
        page = context.new_page()
        try:
            login(page, base, username)
            for width in WIDTHS:
                page.set_viewport_size({"width": width, "height": 900})
                for name, path in pages:
                    problem = _compare(f"{name}-{width}", _shoot(page, base, path))
                    if problem:
                        problems.append(problem)
        finally:
            context.close()
    assert not problems, "\n".join(problems)
