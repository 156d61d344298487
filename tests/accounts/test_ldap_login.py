"""Logging in with the organisation's LDAP directory through the login form, against a real OpenLDAP
(tests/ldap_server.py): roles and organisations from the directory, wrong passwords, refused and removed
people, StartTLS, the lockout."""

from __future__ import annotations

import html
import re

import pytest
from axes.utils import reset
from django.contrib.auth import get_user_model
from django.test import Client

from accounts.roles import agent_level, group_names, is_agent, is_manager
from tests.factories import UserFactory, make_ticket
from tests.ldap_server import DAVID, JEAN, MARIE, PAUL, ZOE, Slapd, ldap_settings, require_slapd

User = get_user_model()
CSRF_INPUT = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')


@pytest.fixture
def slapd(tmp_path):
    require_slapd()
    server = Slapd(tmp_path / "slapd")
    yield server
    server.stop()


@pytest.fixture
def directory(settings, slapd, db):
    ldap_settings(settings, slapd)
    reset()
    return slapd


def log_in(username: str, password: str, client: Client | None = None):
    """Fill in and send the login page's form, as a browser does (CSRF checked)."""
    client = client or Client(enforce_csrf_checks=True)
    page = client.get("/accounts/login/")
    token = CSRF_INPUT.search(page.content.decode()).group(1)
    response = client.post("/accounts/login/", {"csrfmiddlewaretoken": token, "username": username,
                                                "password": password})
    return client, response


def signed_in_user(client):
    user_id = client.session.get("_auth_user_id")
    return User.objects.get(pk=user_id) if user_id else None


def test_an_agent_of_the_directory_logs_in_and_lands_in_the_queue_as_n2_of_acme(directory):
    client, response = log_in("jdupont", JEAN.password)

    assert response.status_code == 302
    user = signed_in_user(client)
    assert (user.username, user.email, user.get_full_name()) == ("jdupont", JEAN.email, "Jean Dupont")
    assert agent_level(user) == "N2" and not is_manager(user)
    assert user.profile.organisation.name == "Acme"
    assert not user.has_usable_password()
    assert client.get(response["Location"], follow=True).redirect_chain[-1][0] == "/agent/"


def test_logging_in_with_the_email_reaches_the_same_account(directory):
    first, _ = log_in("jdupont", JEAN.password)
    second, response = log_in(JEAN.email, JEAN.password)

    assert response.status_code == 302
    assert signed_in_user(second) == signed_in_user(first)
    assert User.objects.filter(email=JEAN.email).count() == 1


def test_a_manager_of_the_directory_is_a_manager_and_staff(directory):
    client, _ = log_in("mmartin", MARIE.password)

    user = signed_in_user(client)
    assert is_manager(user) and user.is_staff and not user.is_superuser


def test_the_organisation_attribute_names_the_organisation(directory):
    client, _ = log_in("pdurand", PAUL.password)

    user = signed_in_user(client)
    assert not is_agent(user)
    assert user.profile.organisation.name == "Globex Europe"


def test_a_wrong_password_is_refused_with_the_form_error(directory):
    client, response = log_in("jdupont", "not-the-password")

    assert response.status_code == 200
    assert signed_in_user(client) is None
    assert "Saisissez un nom d’utilisateur et un mot de passe valides" in response.content.decode()
    assert not User.objects.filter(username="jdupont").exists()


def test_a_person_in_no_mapped_group_is_told_they_have_no_access_and_whom_to_contact(directory):
    client, response = log_in("zlambert", ZOE.password)

    page = html.unescape(response.content.decode())
    assert response.status_code == 403
    assert 'data-reason="no_role"' in page
    assert "Votre compte n'a pas accès au support" in page
    assert "le service informatique (poste 1234)" in page
    assert signed_in_user(client) is None
    assert not User.objects.filter(username="zlambert").exists()


def test_a_member_of_the_disabled_group_cannot_log_in(directory):
    client, response = log_in("dleroy", DAVID.password)

    assert response.status_code == 200
    assert signed_in_user(client) is None
    assert not User.objects.filter(username="dleroy").exists()


def test_a_person_moved_out_of_a_group_loses_the_role_at_the_next_login(directory):
    log_in("jdupont", JEAN.password)
    directory.remove_from_group(JEAN, "helpdesk-n2")

    client, response = log_in("jdupont", JEAN.password)

    user = signed_in_user(client)
    assert response.status_code == 302
    assert not is_agent(user) and group_names(user) == set()


def test_a_person_moved_into_a_group_gains_the_role_at_the_next_login(directory):
    log_in("mmartin", MARIE.password)
    directory.add_to_group(MARIE, "helpdesk-n2")

    client, _ = log_in("mmartin", MARIE.password)

    assert group_names(signed_in_user(client)) == {"Manager", "N2"}


def test_a_person_disabled_in_the_directory_after_a_login_cannot_log_in_again(directory):
    log_in("jdupont", JEAN.password)
    directory.add_to_group(JEAN, "disabled")

    client, response = log_in("jdupont", JEAN.password)

    assert response.status_code == 200 and signed_in_user(client) is None


def test_a_person_removed_from_the_directory_cannot_log_in_and_their_tickets_stay(directory):
    first, _ = log_in("jdupont", JEAN.password)
    ticket = make_ticket(requester=signed_in_user(first))
    directory.delete(JEAN)

    client, response = log_in("jdupont", JEAN.password)

    assert response.status_code == 200 and signed_in_user(client) is None
    ticket.refresh_from_db()
    assert ticket.requester.username == "jdupont"


def test_a_local_account_still_logs_in_beside_the_directory(directory):
    UserFactory(username="localagent", groups=["N1"])

    client, response = log_in("localagent", "demo")

    assert response.status_code == 302 and signed_in_user(client).username == "localagent"


def test_five_wrong_directory_passwords_lock_the_account_out_even_with_the_right_one(directory):
    for _ in range(5):
        log_in("jdupont", "wrong")

    client, response = log_in("jdupont", JEAN.password)

    assert signed_in_user(client) is None
    assert 'data-testid="locked-out"' in response.content.decode()


def test_a_directory_that_does_not_answer_is_said_so_on_the_form(directory, settings):
    directory.stop()

    client, response = log_in("jdupont", JEAN.password)

    assert response.status_code == 200 and signed_in_user(client) is None
    assert "L'annuaire de l'organisation ne répond pas" in html.unescape(response.content.decode())


@pytest.fixture
def tls_directory(settings, tmp_path, db):
    require_slapd()
    server = Slapd(tmp_path / "slapd-tls", tls=True)
    ldap_settings(settings, server)
    settings.HELPDESK_LDAP_START_TLS = True
    reset()
    yield server
    server.stop()


def test_starttls_with_the_directory_ca_logs_in(tls_directory, settings):
    settings.HELPDESK_LDAP_CA_CERT_FILE = str(tls_directory.ca_file)

    client, response = log_in("jdupont", JEAN.password)

    assert response.status_code == 302 and agent_level(signed_in_user(client)) == "N2"


def test_starttls_refuses_a_server_whose_certificate_it_cannot_verify(tls_directory, settings, tmp_path):
    from tests.ldap_server import make_certificate

    other = tmp_path / "other-ca"
    other.mkdir()
    settings.HELPDESK_LDAP_CA_CERT_FILE = str(make_certificate(other)[0])

    client, response = log_in("jdupont", JEAN.password)

    assert response.status_code == 200 and signed_in_user(client) is None
