"""Signing in with OpenID Connect against a real provider (tests/oidc_provider, django-oauth-toolkit, in a
process of its own): the code flow with PKCE, state and nonce, the ID token checked against the provider's
keys, roles and organisation from the claims, and a clear page for each refusal."""

from __future__ import annotations

import datetime
import html
from urllib.parse import parse_qs, urlencode, urlsplit, urlunsplit

import pytest
import time_machine
from django.contrib.auth import get_user_model

from accounts.oidc import DirectoryOIDCBackend, TokenRejected
from accounts.roles import agent_level, group_names, is_manager
from tests.oidc_idp import ALICE, BRUNO, CAROLE, EVE, sign_in_at_provider

User = get_user_model()


def start(client, next_url: str = "") -> str:
    """Press "Se connecter avec …": the authorization URL the helpdesk sends the browser to."""
    response = client.get("/accounts/oidc/start/" + (f"?next={next_url}" if next_url else ""))
    assert response.status_code == 302
    return response["Location"]


def callback_path(callback_url: str) -> str:
    parts = urlsplit(callback_url)
    assert parts.path == "/accounts/oidc/callback/"
    return f"{parts.path}?{parts.query}"


def with_param(url: str, **changes) -> str:
    parts = urlsplit(url)
    query = {key: values[0] for key, values in parse_qs(parts.query).items()} | changes
    return urlunsplit(parts._replace(query=urlencode(query)))


def sign_in(client, person, **callback_changes):
    callback = sign_in_at_provider(start(client), person)
    if callback_changes:
        callback = with_param(callback, **callback_changes)
    return client.get(callback_path(callback))


def signed_in_user(client):
    user_id = client.session.get("_auth_user_id")
    return User.objects.get(pk=user_id) if user_id else None


def page_text(response) -> str:
    return html.unescape(response.content.decode())


def test_the_authorization_request_carries_state_nonce_and_a_pkce_challenge(oidc_settings, client, db):
    query = parse_qs(urlsplit(start(client)).query)

    assert query["response_type"] == ["code"]
    assert query["client_id"] == ["helpdesk"]
    assert query["code_challenge_method"] == ["S256"]
    assert len(query["code_challenge"][0]) == 43
    assert len(query["state"][0]) >= 32 and len(query["nonce"][0]) >= 32
    assert query["redirect_uri"] == ["http://testserver/accounts/oidc/callback/"]


def test_a_person_signs_in_at_the_provider_and_lands_in_the_queue_as_n2_of_acme(oidc_settings, client, db):
    response = sign_in(client, ALICE)

    assert response.status_code == 302
    user = signed_in_user(client)
    assert (user.email, user.get_full_name()) == (ALICE.email, "Alice Moreau")
    assert agent_level(user) == "N2" and not is_manager(user)
    assert user.profile.organisation.name == "Acme"
    assert not user.has_usable_password()
    assert client.get(response["Location"], follow=True).redirect_chain[-1][0] == "/agent/"


def test_the_page_asked_for_before_signing_in_is_where_the_person_lands(oidc_settings, client, db):
    callback = sign_in_at_provider(start(client, next_url="/dashboard/"), BRUNO)

    response = client.get(callback_path(callback))

    assert response["Location"] == "/dashboard/"
    assert is_manager(signed_in_user(client))


def test_an_existing_account_with_the_same_email_is_signed_into_and_updated(oidc_settings, client, db):
    from tests.factories import UserFactory

    existing = UserFactory(username="amoreau", email=ALICE.email.upper(), groups=["N1"])

    sign_in(client, ALICE)

    assert signed_in_user(client) == existing
    assert group_names(signed_in_user(client)) == {"N2"}


def test_a_person_in_no_mapped_group_gets_the_no_access_page(oidc_settings, client, db):
    response = sign_in(client, CAROLE)

    assert response.status_code == 403
    assert 'data-reason="no_role"' in page_text(response)
    assert "Votre compte n'a pas accès au support" in page_text(response)
    assert "le service informatique (poste 1234)" in page_text(response)
    assert signed_in_user(client) is None
    assert not User.objects.filter(email=CAROLE.email).exists()


def test_a_tampered_state_is_refused_with_a_clear_page(oidc_settings, client, db):
    response = sign_in(client, ALICE, state="forged-state-" + "x" * 20)

    assert response.status_code == 400
    assert 'data-reason="state"' in page_text(response)
    assert "Connexion refusée" in page_text(response)
    assert signed_in_user(client) is None


def test_a_callback_in_a_browser_that_never_started_signing_in_is_refused(oidc_settings, client, db):
    callback = sign_in_at_provider(start(client), ALICE)

    other_browser = client.__class__()
    response = other_browser.get(callback_path(callback))

    assert response.status_code == 400
    assert signed_in_user(other_browser) is None


def test_an_id_token_with_another_nonce_is_refused(oidc_settings, client, db):
    authorize = with_param(start(client), nonce="a-nonce-this-browser-never-made-" + "y" * 10)
    callback = sign_in_at_provider(authorize, ALICE)

    response = client.get(callback_path(callback))

    assert response.status_code == 400
    assert 'data-reason="nonce"' in page_text(response)
    assert signed_in_user(client) is None


def test_an_expired_id_token_is_refused_with_a_page_about_clocks(oidc_settings, client, db):
    callback = sign_in_at_provider(start(client), ALICE)

    # This server's clock an hour ahead of the provider's: the token (valid 5 minutes) is expired here.
    later = datetime.datetime.now(datetime.UTC) + datetime.timedelta(hours=1)
    with time_machine.travel(later, tick=True):
        response = client.get(callback_path(callback))

    assert response.status_code == 400
    assert 'data-reason="expired"' in page_text(response)
    assert "horloges" in page_text(response)
    assert signed_in_user(client) is None


def test_an_id_token_issued_in_this_servers_future_is_refused(oidc_settings, client, db):
    callback = sign_in_at_provider(start(client), ALICE)

    earlier = datetime.datetime.now(datetime.UTC) - datetime.timedelta(hours=1)
    with time_machine.travel(earlier, tick=True):
        response = client.get(callback_path(callback))

    assert response.status_code == 400
    assert 'data-reason="clock"' in page_text(response)
    assert signed_in_user(client) is None


def test_a_small_clock_difference_within_the_allowed_skew_signs_in(oidc_settings, client, db):
    callback = sign_in_at_provider(start(client), ALICE)

    earlier = datetime.datetime.now(datetime.UTC) - datetime.timedelta(seconds=20)
    with time_machine.travel(earlier, tick=True):
        response = client.get(callback_path(callback))

    assert response.status_code == 302 and signed_in_user(client) is not None


def test_an_id_token_for_another_application_is_refused(oidc_settings, client, db):
    response = sign_in(client, EVE)

    assert response.status_code == 400
    assert 'data-reason="audience"' in page_text(response)
    assert signed_in_user(client) is None
    assert not User.objects.filter(email=EVE.email).exists()


def test_an_id_token_not_signed_by_the_provider_is_refused(oidc_settings, identity_provider, db):
    import jwt
    import requests
    from cryptography.hazmat.primitives.asymmetric import rsa

    # Every claim right, signed by a key of our own under the kid of the provider's key.
    kid = requests.get(f"{identity_provider.issuer}/.well-known/jwks.json", timeout=10).json()["keys"][0]["kid"]
    now = int(datetime.datetime.now(datetime.UTC).timestamp())
    forged = jwt.encode({"iss": identity_provider.issuer, "aud": "helpdesk", "sub": "1", "iat": now, "exp": now + 60,
                         "nonce": "n"}, rsa.generate_private_key(public_exponent=65537, key_size=2048),
                        algorithm="RS256", headers={"kid": kid})

    with pytest.raises(TokenRejected) as rejected:
        DirectoryOIDCBackend().verify_token(forged, nonce="n")

    assert rejected.value.reason == "signature"


def test_the_provider_refusing_the_code_gives_a_clear_page(oidc_settings, client, db):
    response = sign_in(client, ALICE, code="a-code-the-provider-never-gave")

    assert response.status_code == 400
    assert 'data-reason="failed"' in page_text(response)
    assert signed_in_user(client) is None


def test_a_person_who_cancels_at_the_provider_gets_a_clear_page(oidc_settings, client, db):
    state = parse_qs(urlsplit(start(client)).query)["state"][0]

    response = client.get(f"/accounts/oidc/callback/?error=access_denied&state={state}")

    assert response.status_code == 400
    assert 'data-reason="failed"' in page_text(response)
    assert "access_denied" in page_text(response)


def test_a_provider_that_stopped_answering_gives_a_clear_page(oidc_settings, client, db, monkeypatch):
    callback = sign_in_at_provider(start(client), ALICE)
    # The cached discovery document now points at a closed port, as when the provider goes down.
    from accounts import oidc

    document = dict(oidc.provider())
    document["token_endpoint"] = "http://127.0.0.1:9/o/token/"
    monkeypatch.setattr(oidc, "provider", lambda: document)

    response = client.get(callback_path(callback))

    assert response.status_code == 503
    assert 'data-reason="unavailable"' in page_text(response)


def test_axes_counts_a_failed_password_but_not_a_failed_oidc_callback(rf, db):
    from axes.models import AccessAttempt
    from django.contrib.auth.signals import user_login_failed

    for path, is_oidc in (("/accounts/oidc/callback/", True), ("/accounts/login/", False)):
        request = rf.post(path)
        request.helpdesk_oidc = is_oidc
        user_login_failed.send(sender=__name__, credentials={"username": "alice"}, request=request)

    assert list(AccessAttempt.objects.values_list("path_info", flat=True)) == ["/accounts/login/"]


def test_failed_oidc_sign_ins_never_lock_the_address_out(oidc_settings, client, db, settings):
    from axes.models import AccessAttempt

    for _ in range(settings.AXES_FAILURE_LIMIT + 1):
        sign_in(client, ALICE, state="forged-" + "z" * 30)
        sign_in(client, EVE)

    assert AccessAttempt.objects.count() == 0
    assert sign_in(client, ALICE).status_code == 302


def test_logging_out_offers_the_providers_end_session_endpoint(oidc_settings, client, db):
    sign_in(client, ALICE)
    id_token = client.session["oidc_id_token"]

    response = client.post("/accounts/logout/")

    assert signed_in_user(client) is None
    assert response.status_code == 200
    end_session = parse_qs(urlsplit(response.context["end_session_url"]).query)
    assert response.context["end_session_url"].startswith(oidc_settings.HELPDESK_OIDC_ISSUER)
    assert end_session["id_token_hint"] == [id_token]
    assert end_session["post_logout_redirect_uri"] == ["http://testserver/accounts/login/"]
    assert 'data-testid="end-session"' in page_text(response)


def test_a_local_logout_goes_back_to_the_login_page(oidc_settings, client, db):
    from tests.factories import UserFactory

    client.force_login(UserFactory(username="local"))

    response = client.post("/accounts/logout/")

    assert response.status_code == 302 and response["Location"] == "/accounts/login/"
