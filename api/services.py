"""Writes of the api app: creating and revoking tokens (docs/architecture.md, "Services")."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from audit.models import Action, AuditEntry
from core.exceptions import ActionRefused

from .models import ApiToken, Scope, hash_token

TOKEN_PREFIX = "hd_"  # noqa: S105 - the visible prefix of every token, not a secret
# last_used_at is written at most once a minute per token: a script's every request is no write.
LAST_USED_GRANULARITY = timedelta(minutes=1)


@dataclass(frozen=True)
class NewToken:
    token: ApiToken
    raw: str  # shown once to its owner, never stored


@transaction.atomic
def api_token_create(*, user, name: str, scope: str = Scope.READ, expires_at: datetime | None = None,
                     created_by=None) -> NewToken:
    """Create a token for `user` (by themselves, or by an admin for a service account); returns it with
    its raw value, which only this call ever sees: the row keeps a SHA-256 hash."""
    name = name.strip()
    if not name:
        raise ActionRefused(_("Give the token a name."))
    if expires_at is not None and expires_at <= timezone.now():
        raise ActionRefused(_("The expiry date must be in the future."))
    raw = TOKEN_PREFIX + secrets.token_urlsafe(32)
    try:
        with transaction.atomic():
            token = ApiToken.objects.create(
                user=user, name=name[:80], key_hash=hash_token(raw), prefix=raw[:10], scope=Scope(scope).value,
                expires_at=expires_at, created_by=created_by or user,
            )
    except IntegrityError:
        raise ActionRefused(_("You already have a token named “%(name)s”.") % {"name": name}) from None
    # The token's id and scope: never its name (typed text), its prefix nor its hash.
    AuditEntry.objects.record(Action.TOKEN_CREATED, actor=created_by or user, subject=user, obj=token,
                              details={"scope": token.scope})
    return NewToken(token=token, raw=raw)


@transaction.atomic
def api_token_revoke(*, token: ApiToken, actor) -> ApiToken:
    """Revoke a token at once (its owner, or an admin); revoking twice changes nothing."""
    if ApiToken.objects.filter(pk=token.pk, revoked_at__isnull=True).update(revoked_at=timezone.now()):
        AuditEntry.objects.record(Action.TOKEN_REVOKED, actor=actor, subject=token.user_id, obj=token)
    token.refresh_from_db(fields=["revoked_at"])
    return token


def api_token_touch(*, token: ApiToken, at=None) -> None:
    """Record that the token was used, at most once per LAST_USED_GRANULARITY (no write otherwise)."""
    at = at or timezone.now()
    if token.last_used_at is not None and at - token.last_used_at < LAST_USED_GRANULARITY:
        return
    ApiToken.objects.filter(pk=token.pk).update(last_used_at=at)
    token.last_used_at = at
