"""An email backend that counts its connections to the mail server, for the tests and bench/notifications.py."""

from __future__ import annotations

from django.core.mail.backends.locmem import EmailBackend

# One item per connection opened, by every CountingBackend of the process.
OPENED: list[int] = []


class CountingBackend(EmailBackend):
    """The messages kept in memory (django.core.mail.outbox), with SMTP's rule for connections: send_messages opens
    one when none is open and closes what it opened; open() keeps one open for several calls. Each opening is
    counted in OPENED: for SMTP, a TCP (and TLS) handshake and a login. A recipient whose address holds "refuse" is
    refused, as a mail server refuses an unknown mailbox."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.is_open = False

    def open(self) -> bool:
        if self.is_open:
            return False
        self.is_open = True
        OPENED.append(1)
        return True

    def close(self) -> None:
        self.is_open = False

    def send_messages(self, messages):
        if any("refuse" in address for message in messages for address in message.to):
            raise ConnectionRefusedError("550 mailbox unavailable")
        created = self.open()
        try:
            return super().send_messages(messages)
        finally:
            if created:
                self.close()
