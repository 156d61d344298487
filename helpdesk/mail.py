"""The demo's email backend: Django's console backend, readable in a log."""

from __future__ import annotations

from django.core.mail.backends import console


class ConsoleEmailBackend(console.EmailBackend):
    """Writes each message as Django's console backend does, after one plain line naming its recipients
    and subject: the real headers are RFC 2047-encoded (=?utf-8?q?…) as soon as they hold an accent, so
    `grep Subject var/celery.log` finds nothing readable, while `grep "Email to"` does."""

    def write_message(self, message) -> None:
        self.stream.write(f"Email to {', '.join(message.recipients())}: {message.subject}\n")
        super().write_message(message)
