"""Reference data: what almost every request reads and what changes a few times a year (SLA policies and
their calendars, escalation rules, categories, organisations, the agents of each level), read from the
shared cache instead of the database (docs/architecture.md, "Reference data cache").

    policies = reference("sla.policies", build_policies)     # build_policies() reads the database
    invalidate("sla.policies")                                # on every save or delete of what it read

Each name has a version in the cache (a random token); its value is kept under that version, in the cache
and in this process (so a read costs at most one cache round trip, none within LOCAL_TRUST seconds of the
last check, and no unpickling). `invalidate` gives
the name a new version at once and again when the transaction commits, so a reader that loaded the old
rows in between cached them under a version nobody asks for any more. What `reference` returns is shared
by every request of the process: read it, never change it.

The cache is an optimisation, never a requirement: when it is down (django-redis IGNORE_EXCEPTIONS answers
"nothing") every read goes to the database. It is used when HELPDESK_REFERENCE_CACHE is on, which is the
default when the cache is Redis (shared by every process); with the per-process memory cache of the
embedded demo, a change made in one process would not reach the others, so the database is read.
"""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Callable, Hashable
from typing import TypeVar

from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.utils.translation import get_language

from .recent import Recent

T = TypeVar("T")

VERSION_TIMEOUT = 24 * 3600
VALUE_TIMEOUT = 3600
# A process keeps its copy this long at most, even if a lost invalidation left the version unchanged.
LOCAL_MAX_AGE = 300.0
# For this long after checking the version, a process uses its copy without asking the cache again: a
# change made by another process reaches it within that delay (the changing process sees it at once).
LOCAL_TRUST = 2.0

# This process's copies: (version, loaded at, value) by name.
_local: dict[str, tuple[str, float, object]] = {}
# The versions last read from the cache, and when: (version, checked at) by name. Shared by `reference` and
# `derived`: one round trip per name and LOCAL_TRUST, whichever asks.
_checked: dict[str, tuple[str, float]] = {}
_lock = threading.Lock()


def enabled() -> bool:
    return bool(getattr(settings, "HELPDESK_REFERENCE_CACHE", False))


def _version_key(name: str) -> str:
    return f"ref:{name}:version"


def _value_key(name: str, version: str) -> str:
    return f"ref:{name}:{version}"


def _current_version(name: str) -> str | None:
    """The name's version; a new one if it has none yet; None if the cache does not answer."""
    version = cache.get(_version_key(name))
    if version is None:
        version = uuid.uuid4().hex
        if not cache.add(_version_key(name), version, VERSION_TIMEOUT):
            version = cache.get(_version_key(name))  # another process set it first (or the cache is down)
    return version


def _version_now(name: str) -> str | None:
    """The name's version: as checked within the last LOCAL_TRUST seconds by this process, else the cache's
    (one round trip per name and LOCAL_TRUST); None if the cache does not answer."""
    now = time.monotonic()
    checked = _checked.get(name)
    if checked is not None and now - checked[1] < LOCAL_TRUST:
        return checked[0]
    version = _current_version(name)
    if version is not None:
        with _lock:
            _checked[name] = (version, now)
    return version


def reference(name: str, build: Callable[[], T]) -> T:
    """The value of `name`: this process's copy if its version is current, else the cache's, else
    build() (the database), stored for the next readers."""
    if not enabled():
        return build()
    version = _version_now(name)
    if version is None:
        return build()
    now = time.monotonic()
    local = _local.get(name)
    if local is not None and local[0] == version and now - local[1] < LOCAL_MAX_AGE:
        return local[2]  # type: ignore[return-value]
    stored = cache.get(_value_key(name, version))  # a tuple of one, so that a value of None is cached too
    if stored is None:
        stored = (build(),)
        cache.set(_value_key(name, version), stored, VALUE_TIMEOUT)
    value = stored[0]
    with _lock:
        _local[name] = (version, now, value)
    return value


def _bump(names: tuple[str, ...]) -> None:
    cache.set_many({_version_key(name): uuid.uuid4().hex for name in names}, VERSION_TIMEOUT)
    with _lock:
        for name in names:
            _local.pop(name, None)
            _checked.pop(name, None)


def invalidate(*names: str) -> None:
    """What `names` hold has changed (or is changing in the current transaction): new versions now, and
    again once the transaction commits."""
    if not enabled():
        return
    _bump(names)
    transaction.on_commit(lambda: _bump(names))


def forget_local() -> None:
    """Drop this process's copies (tests, after clearing the cache)."""
    with _lock:
        _local.clear()
        _checked.clear()
    _derived.clear()


# What a page builds from reference data and little else (a form's options and the markup around them), kept
# in this process under the versions of the names it read, its key and the language: the most recent ones, each
# LOCAL_MAX_AGE at most (as the values it was built from).
_derived = Recent(128)  # (value, built at) by (names, versions, language, key)


def derived(names: tuple[str, ...], key: Hashable, build: Callable[[], T]) -> T:
    """What `build()` returns, when it depends only on the reference data `names` (read through `reference`),
    on `key` and on the active language: built once per version of those names in this process, then shared
    (read it, never change it). A change to one of the names (`invalidate`) gives it a new version, so the next
    call builds anew; the 128 most recently used values are kept, each LOCAL_MAX_AGE at most. The
    versions are read as `reference` reads them (at most one cache round trip per name and LOCAL_TRUST). Without
    the cache (off, or not answering), build() every time."""
    if not enabled():
        return build()
    versions = tuple(_version_now(name) for name in names)
    if None in versions:
        return build()
    full_key = (names, versions, get_language(), key)
    now = time.monotonic()
    found = _derived.get(full_key)
    if found is not None and now - found[1] < LOCAL_MAX_AGE:
        return found[0]  # type: ignore[return-value]
    value = build()
    _derived.put(full_key, (value, now))
    return value


def by_pk(name: str, objects: Callable[[], list]) -> dict:
    """The objects of the reference data `name` (`objects()`, which reads them through `reference`) by primary
    key, built once per version in this process (`derived`): for rows that name them by id, as the queue's
    rows name their category, organisation and assignee. Shared: read it, never change it."""
    return derived((name,), ("core.cache.by_pk", name), lambda: {obj.pk: obj for obj in objects()})
