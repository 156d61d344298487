"""manage.py api_token_create USERNAME --name NAME [--write] [--days N]: prints a new token, once."""

from __future__ import annotations

from datetime import timedelta

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from core.exceptions import ActionRefused

from ...models import Scope
from ...services import api_token_create


class Command(BaseCommand):
    help = "Create an API token for a user (a service account) and print it; only its hash is stored."

    def add_arguments(self, parser):
        parser.add_argument("username")
        parser.add_argument("--name", required=True, help="What the token is for.")
        parser.add_argument("--write", action="store_true", help="Allow changes (default: read only).")
        parser.add_argument("--days", type=int, default=None, help="Expire after N days (default: never).")

    def handle(self, *args, username, name, write, days, **options):
        user = get_user_model().objects.filter(username=username).first()
        if user is None:
            raise CommandError(f"No user named {username!r}.")
        expires_at = timezone.now() + timedelta(days=days) if days else None
        try:
            created = api_token_create(user=user, name=name, scope=Scope.WRITE if write else Scope.READ,
                                       expires_at=expires_at)
        except ActionRefused as refused:
            raise CommandError(str(refused.message)) from None
        self.stdout.write(created.raw)
