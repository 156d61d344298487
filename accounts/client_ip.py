"""The client's IP address, the one place that reads X-Forwarded-For.

django-axes (AXES_CLIENT_IP_CALLABLE) and django-ratelimit (RATELIMIT_IP_META_KEY, every key="ip") call
client_ip(), so the login lockout and the rate limits see the same address.
"""

from __future__ import annotations

import ipaddress

from django.conf import settings
from django.http import HttpRequest


def client_ip(request: HttpRequest) -> str:
    """The address of whoever sent the request, trusting settings.PROXY_COUNT proxies in front of us.

    Each trusted proxy appends the address it received the request from to X-Forwarded-For, so with N of
    them the client is the N-th entry from the right; anything further left was written by the client and
    may be forged. With PROXY_COUNT=0 the header is ignored. A header shorter than N (a request that came
    in through fewer proxies) gives its leftmost entry; a missing header or an entry that is not an IP
    address gives REMOTE_ADDR.
    """
    remote_addr = request.META.get("REMOTE_ADDR", "")
    proxy_count = settings.PROXY_COUNT
    forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
    if proxy_count <= 0 or not forwarded:
        return remote_addr
    entries = [entry.strip() for entry in forwarded.split(",")]
    candidate = entries[-min(proxy_count, len(entries))]
    try:
        return str(ipaddress.ip_address(candidate))
    except ValueError:
        return remote_addr
