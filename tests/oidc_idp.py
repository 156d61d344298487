"""The OpenID Connect provider the sign-in tests use: tests/oidc_provider (django-oauth-toolkit) in a
process of its own on a free port, with an RSA signing key made for the run, the people below, and the
helpdesk registered as a confidential client with PKCE required.

tests/conftest.py registers this module's fixtures (pytest_plugins): identity_provider, oidc_settings."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urljoin

import pytest
import requests

from tests.live import ROOT, free_port, stop, wait_for_port

CLIENT_ID, CLIENT_SECRET = "helpdesk", "helpdesk-client-secret"
OTHER_AUDIENCE = "another-application"


@dataclass(frozen=True)
class Person:
    username: str
    password: str
    email: str
    first_name: str
    last_name: str
    groups: tuple[str, ...]


ALICE = Person("alice", "alice-pass", "alice.moreau@acme.example", "Alice", "Moreau", ("helpdesk-n2",))
BRUNO = Person("bruno", "bruno-pass", "bruno.garnier@acme.example", "Bruno", "Garnier", ("helpdesk-managers",))
CAROLE = Person("carole", "carole-pass", "carole.roy@acme.example", "Carole", "Roy", ("marketing",))
# Her ID tokens are minted for another application (settings.AUDIENCE_OVERRIDES of the provider).
EVE = Person("eve", "eve-pass", "eve.fabre@acme.example", "Eve", "Fabre", ("helpdesk-n2",))
PEOPLE = (ALICE, BRUNO, CAROLE, EVE)
CALLBACKS = ("http://testserver/accounts/oidc/callback/", "http://localhost/accounts/oidc/callback/")
LOGIN_PAGES = ("http://testserver/accounts/login/", "http://localhost/accounts/login/")


@dataclass
class IdentityProvider:
    url: str
    process: subprocess.Popen

    @property
    def issuer(self) -> str:
        return f"{self.url}/o"


def _rsa_key_pem() -> str:
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                             serialization.NoEncryption()).decode()


def start_identity_provider(folder: Path) -> IdentityProvider:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "rsa.pem").write_text(_rsa_key_pem())
    port = free_port()
    setup = {
        "people": [person.__dict__ | {"groups": list(person.groups)} for person in PEOPLE],
        "clients": [{"client_id": CLIENT_ID, "client_secret": CLIENT_SECRET, "redirect_uris": CALLBACKS,
                     "post_logout_redirect_uris": LOGIN_PAGES}],
    }
    env = {**os.environ, "IDP_DIR": str(folder), "IDP_PORT": str(port), "IDP_SETUP": json.dumps(setup),
           "IDP_AUDIENCE_OVERRIDES": json.dumps({EVE.username: OTHER_AUDIENCE})}
    env.pop("DJANGO_SETTINGS_MODULE", None)
    env.pop("DATABASE_URL", None)
    log = folder / "idp.log"
    process = subprocess.Popen([sys.executable, "-m", "tests.oidc_provider.serve"], cwd=ROOT, env=env,
                               stdout=subprocess.DEVNULL, stderr=log.open("w"))
    try:
        wait_for_port(port, timeout=60)
    except RuntimeError:
        stop(process)
        raise RuntimeError(log.read_text()[-3000:]) from None
    return IdentityProvider(url=f"http://127.0.0.1:{port}", process=process)


@pytest.fixture(scope="session")
def identity_provider(tmp_path_factory):
    provider = start_identity_provider(tmp_path_factory.mktemp("idp"))
    yield provider
    stop(provider.process)


@pytest.fixture
def oidc_settings(settings, identity_provider):
    """The helpdesk configured for the provider as docs/sso.md says (Keycloak-like: a groups claim)."""
    from accounts.oidc import forget_provider

    settings.HELPDESK_OIDC_ISSUER = identity_provider.issuer
    settings.OIDC_RP_CLIENT_ID = CLIENT_ID
    settings.OIDC_RP_CLIENT_SECRET = CLIENT_SECRET
    settings.OIDC_RP_SCOPES = "openid email profile"
    settings.HELPDESK_OIDC_BUTTON_LABEL = "Test IdP"
    settings.HELPDESK_OIDC_GROUPS_CLAIM = "groups"
    settings.HELPDESK_SSO_ROLE_MAP = {"helpdesk-n2": "N2", "helpdesk-managers": "manager"}
    settings.HELPDESK_SSO_DEFAULT_ROLE = ""
    settings.HELPDESK_SSO_ORGANISATION_MAP = {"acme.example": "Acme"}
    settings.HELPDESK_SSO_ORGANISATION_ATTRIBUTE = ""
    settings.HELPDESK_SSO_CONTACT = "le service informatique (poste 1234)"
    settings.AUTHENTICATION_BACKENDS = ["axes.backends.AxesStandaloneBackend", "accounts.backends.LocalBackend",
                                        "accounts.oidc.DirectoryOIDCBackend"]
    forget_provider()
    yield settings
    forget_provider()


CSRF_INPUT = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')


def sign_in_at_provider(authorize_url: str, person: Person) -> str:
    """What the person's browser does at the provider: open the authorization URL, sign in on its form, and
    come back with the redirect to the helpdesk's callback, whose URL is returned (not followed)."""
    browser = requests.Session()
    answer = browser.get(authorize_url, allow_redirects=False, timeout=30)
    assert answer.status_code == 302, answer.text[:500]
    login_url = urljoin(authorize_url, answer.headers["Location"])
    page = browser.get(login_url, timeout=30)
    token = CSRF_INPUT.search(page.text).group(1)
    next_url = re.search(r'name="next" value="([^"]*)"', page.text).group(1).replace("&amp;", "&")
    answer = browser.post(login_url, data={"csrfmiddlewaretoken": token, "username": person.username,
                                           "password": person.password, "next": next_url},
                          allow_redirects=False, timeout=30)
    assert answer.status_code == 302, answer.text[:500]
    answer = browser.get(urljoin(login_url, answer.headers["Location"]), allow_redirects=False, timeout=30)
    assert answer.status_code == 302, answer.text[:500]
    return answer.headers["Location"]
