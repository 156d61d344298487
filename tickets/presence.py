"""Who has a ticket open in the workspace: advisory, kept a few seconds in the shared cache.

The workspace polls every 10 s; a viewer not seen for PRESENCE_TTL seconds is gone. A lost update
between two workers only delays a notice by one poll, which is acceptable for a hint; what really
protects the ticket is the version check of every form (tickets.services._rows.lock).
"""

from __future__ import annotations

import time

from django.core.cache import cache

PRESENCE_TTL = 30


def presence_touch(*, ticket_id: int, user) -> list[str]:
    """Record that `user` views the ticket; return the names of the other current viewers."""
    key = f"ticket-presence:{ticket_id}"
    now = time.time()
    viewers = {
        uid: (name, seen) for uid, (name, seen) in (cache.get(key) or {}).items() if now - seen < PRESENCE_TTL
    }
    viewers[str(user.pk)] = (user.get_full_name() or user.get_username(), now)
    cache.set(key, viewers, PRESENCE_TTL * 2)
    return sorted(name for uid, (name, _seen) in viewers.items() if uid != str(user.pk))
