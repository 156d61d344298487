"""Sign-in with an OpenID Connect provider (Entra ID, Google, Keycloak, Okta…): docs/sso.md.

mozilla-django-oidc runs the authorization code flow with PKCE, state and nonce; this module adds what it
leaves to us: the provider's endpoints from its discovery document (HELPDESK_OIDC_ISSUER, fetched on first
use and cached), the ID token's audience, issuer, expiry and issue time checked against our clock with
HELPDESK_OIDC_CLOCK_SKEW of leeway, the claims handed to accounts.services.directory_user_sync, and a
page a person can act on for each way it can fail (accounts.problems.sign_in_problem), never a 500.
"""

from __future__ import annotations

import logging
import threading
import time
from urllib.parse import urlencode

import jwt
import requests
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import SuspiciousOperation
from django.http import Http404
from django.urls import reverse
from django.views.generic import View
from mozilla_django_oidc.auth import OIDCAuthenticationBackend
from mozilla_django_oidc.views import OIDCAuthenticationCallbackView, OIDCAuthenticationRequestView

from .backends import user_in_one_query
from .directory import DirectoryAccessDenied, DirectoryIdentity
from .problems import sign_in_problem
from .services import directory_user_sync

logger = logging.getLogger(__name__)

DISCOVERY_PATH = "/.well-known/openid-configuration"
REQUIRED_METADATA = ("issuer", "authorization_endpoint", "token_endpoint", "jwks_uri")


class ProviderUnavailable(Exception):
    """The provider (its discovery document, token, keys or userinfo endpoint) did not answer usably."""


class TokenRejected(SuspiciousOperation):
    """The provider's answer failed a check: reason is expired, clock, audience, issuer, signature or nonce."""

    def __init__(self, reason: str, detail: str = "") -> None:
        super().__init__(f"ID token rejected ({reason}) {detail}".strip())
        self.reason = reason


def oidc_enabled() -> bool:
    return bool(settings.HELPDESK_OIDC_ISSUER and settings.OIDC_RP_CLIENT_ID)


def discovery_url(issuer: str) -> str:
    """The discovery document's URL: HELPDESK_OIDC_ISSUER may be the issuer or that URL itself."""
    issuer = issuer.strip()
    return issuer if issuer.endswith(DISCOVERY_PATH) else issuer.rstrip("/") + DISCOVERY_PATH


_discovery_lock = threading.Lock()
_discovery_cache: dict[str, tuple[float, dict]] = {}


def provider() -> dict:
    """The provider's discovery document, fetched once per HELPDESK_OIDC_DISCOVERY_TTL seconds per process.

    A failure is not cached: the next sign-in tries again. Raises ProviderUnavailable."""
    url = discovery_url(settings.HELPDESK_OIDC_ISSUER)
    cached = _discovery_cache.get(url)
    if cached and cached[0] > time.monotonic():
        return cached[1]
    with _discovery_lock:
        try:
            response = requests.get(url, timeout=settings.OIDC_TIMEOUT)
            response.raise_for_status()
            document = response.json()
        except (requests.RequestException, ValueError) as exc:
            logger.warning("OpenID Connect discovery failed at %s: %s", url, exc)
            raise ProviderUnavailable(str(exc)) from exc
        missing = [key for key in REQUIRED_METADATA if not document.get(key)]
        if missing:
            logger.warning("OpenID Connect discovery at %s lacks %s", url, ", ".join(missing))
            raise ProviderUnavailable(f"discovery document without {', '.join(missing)}")
        _discovery_cache[url] = (time.monotonic() + settings.HELPDESK_OIDC_DISCOVERY_TTL, document)
        return document


def forget_provider() -> None:
    """Drop the cached discovery documents (tests; a provider that moved its endpoints)."""
    _discovery_cache.clear()


def identity_from_claims(claims: dict) -> DirectoryIdentity:
    groups = claims.get(settings.HELPDESK_OIDC_GROUPS_CLAIM) or ()
    if isinstance(groups, str):
        groups = (groups,)
    email = str(claims.get("email") or "").strip()
    return DirectoryIdentity(
        source="oidc",
        username=(email or str(claims.get("preferred_username") or claims.get("sub") or "")).lower(),
        email=email,
        first_name=str(claims.get("given_name") or ""),
        last_name=str(claims.get("family_name") or ""),
        groups=tuple(str(group) for group in groups),
        attributes=claims,
    )


class DirectoryOIDCBackend(OIDCAuthenticationBackend):
    """mozilla-django-oidc's backend with the endpoints from discovery and every ID token claim checked.

    It answers only the callback (CallbackView marks the request): a password typed in the form is none
    of its business."""

    def __init__(self, *args, **kwargs):
        # The parent reads the endpoints here; they come from the discovery document, fetched only when a
        # callback needs them (Django builds every backend for every login, local ones included).
        self.UserModel = get_user_model()
        self.OIDC_RP_CLIENT_ID = settings.OIDC_RP_CLIENT_ID
        self.OIDC_RP_CLIENT_SECRET = settings.OIDC_RP_CLIENT_SECRET
        self.OIDC_RP_SIGN_ALGO = settings.OIDC_RP_SIGN_ALGO
        self.OIDC_RP_IDP_SIGN_KEY = None

    # The request's user in one query, as for a local sign-in (accounts.backends).
    def get_user(self, user_id):
        return user_in_one_query(user_id)

    @property
    def OIDC_OP_TOKEN_ENDPOINT(self) -> str:  # noqa: N802 - the parent's attribute name
        return provider()["token_endpoint"]

    @property
    def OIDC_OP_JWKS_ENDPOINT(self) -> str:  # noqa: N802
        return provider()["jwks_uri"]

    def authenticate(self, request, **kwargs):
        if request is None or not getattr(request, "helpdesk_oidc", False) or not oidc_enabled():
            return None
        return super().authenticate(request, **kwargs)

    def verify_token(self, token, **kwargs):
        """The ID token: signed by one of the provider's keys (JWKS) with the expected algorithm, for us
        (aud), by the provider (iss), not expired nor issued in the future (with the allowed clock skew),
        carrying the nonce of this sign-in."""
        try:
            key = self.retrieve_matching_jwk(token)
        except (SuspiciousOperation, jwt.PyJWTError, KeyError) as exc:
            raise TokenRejected("signature", str(exc)) from exc
        payload = self._verify_jws(token, key)
        if payload.get("nonce") != kwargs.get("nonce"):
            raise TokenRejected("nonce")
        return payload

    def _verify_jws(self, payload, key):
        try:
            algorithm = jwt.get_unverified_header(payload).get("alg")
        except jwt.PyJWTError as exc:
            raise TokenRejected("signature", str(exc)) from exc
        if algorithm != self.OIDC_RP_SIGN_ALGO:
            raise TokenRejected("signature", f"algorithm {algorithm!r}")
        try:
            return jwt.decode(
                payload, key, algorithms=[algorithm], audience=self.OIDC_RP_CLIENT_ID,
                issuer=provider()["issuer"], leeway=settings.HELPDESK_OIDC_CLOCK_SKEW,
                options={"require": ["exp", "iat", "iss", "aud", "sub"]},
            )
        except jwt.ExpiredSignatureError as exc:
            raise TokenRejected("expired", str(exc)) from exc
        except (jwt.ImmatureSignatureError, jwt.InvalidIssuedAtError) as exc:
            raise TokenRejected("clock", str(exc)) from exc
        except jwt.InvalidAudienceError as exc:
            raise TokenRejected("audience", str(exc)) from exc
        except jwt.InvalidIssuerError as exc:
            raise TokenRejected("issuer", str(exc)) from exc
        except jwt.PyJWTError as exc:
            raise TokenRejected("signature", str(exc)) from exc

    def get_userinfo(self, access_token, id_token, payload):
        """The ID token's claims, completed by the userinfo endpoint's when the provider has one (Entra ID
        puts groups in the ID token, Keycloak in both)."""
        claims = dict(payload)
        endpoint = provider().get("userinfo_endpoint")
        if not (endpoint and access_token):
            return claims
        response = requests.get(endpoint, headers={"Authorization": f"Bearer {access_token}"},
                                timeout=settings.OIDC_TIMEOUT)
        response.raise_for_status()
        if response.headers.get("content-type", "").lower().startswith("application/json"):
            info = response.json()
            if info.get("sub") != payload.get("sub"):
                raise TokenRejected("signature", "userinfo about another subject")
            claims.update(info)
        return claims

    def get_or_create_user(self, access_token, id_token, payload):
        claims = self.get_userinfo(access_token, id_token, payload)
        if claims.get("email_verified") in (False, "false"):
            raise DirectoryAccessDenied("no_email", str(claims.get("email", "")))
        return directory_user_sync(identity=identity_from_claims(claims))


class StartView(OIDCAuthenticationRequestView):
    """The "Se connecter avec …" button: off to the provider with state, nonce and a PKCE challenge."""

    def __init__(self, **kwargs):
        View.__init__(self, **kwargs)
        self.OIDC_RP_CLIENT_ID = settings.OIDC_RP_CLIENT_ID

    def get(self, request):
        if not oidc_enabled():
            raise Http404
        try:
            self.OIDC_OP_AUTH_ENDPOINT = provider()["authorization_endpoint"]
        except ProviderUnavailable:
            return sign_in_problem(request, "unavailable")
        return super().get(request)


class CallbackView(OIDCAuthenticationCallbackView):
    """Back from the provider: mozilla-django-oidc checks the state and runs the backend; every refusal
    is a page saying what happened, logged."""

    def get(self, request):
        if not oidc_enabled():
            raise Http404
        request.helpdesk_oidc = True  # for DirectoryOIDCBackend and django-axes (is_oidc_attempt)
        try:
            return super().get(request)
        except DirectoryAccessDenied as refusal:
            logger.info("OpenID Connect sign-in refused: %s", refusal)
            return sign_in_problem(request, refusal.reason)
        except TokenRejected as rejected:
            logger.warning("OpenID Connect sign-in refused: %s", rejected)
            return sign_in_problem(request, rejected.reason)
        except SuspiciousOperation as exc:  # mozilla-django-oidc: a state this browser did not start
            logger.warning("OpenID Connect sign-in refused: %s", exc)
            return sign_in_problem(request, "state")
        except requests.HTTPError as exc:
            status = exc.response.status_code if exc.response is not None else 0
            logger.warning("OpenID Connect provider refused the exchange: %s", exc)
            return sign_in_problem(request, "failed" if 400 <= status < 500 else "unavailable")
        except (requests.RequestException, ProviderUnavailable) as exc:
            logger.warning("OpenID Connect provider unreachable: %s", exc)
            return sign_in_problem(request, "unavailable")

    def login_failure(self):
        error = self.request.GET.get("error", "")
        logger.info("OpenID Connect sign-in did not complete%s", f": {error}" if error else "")
        return sign_in_problem(self.request, "failed", provider_error=error)

    def login_success(self):
        response = super().login_success()
        self.request.session["helpdesk_sign_in"] = "oidc"
        return response


def end_session_url(request, id_token: str) -> str:
    """The provider's end-session endpoint for this ID token, coming back to our login page; "" when the
    provider has none or does not answer."""
    try:
        endpoint = provider().get("end_session_endpoint", "")
    except ProviderUnavailable:
        return ""
    if not endpoint:
        return ""
    query = {"client_id": settings.OIDC_RP_CLIENT_ID,
             "post_logout_redirect_uri": request.build_absolute_uri(reverse("login"))}
    if id_token:
        query["id_token_hint"] = id_token
    return f"{endpoint}{'&' if '?' in endpoint else '?'}{urlencode(query)}"
