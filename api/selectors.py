"""Reads of the api app: tokens by their raw value, a person's tokens."""

from __future__ import annotations

from django.db.models import QuerySet

from .models import ApiToken, hash_token


def token_from_raw(raw: str) -> ApiToken | None:
    """The usable token with this raw value, its user joined; None for unknown, revoked or expired."""
    return ApiToken.objects.usable().select_related("user").filter(key_hash=hash_token(raw)).first()


def tokens_of(user) -> QuerySet[ApiToken]:
    """A person's tokens, newest first, the revoked ones included (shown struck through)."""
    return ApiToken.objects.filter(user=user).order_by("revoked_at", "-created_at", "-id")
