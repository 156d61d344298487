"""A bounded mapping of this process's most recently used values, safe across threads: what a process keeps of
what it built or read, when the key names everything the value depends on (core.cache.derived's markup and forms,
dashboard.rollups' rollup rows). Values are shared: read them, never change them."""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Hashable, Iterator


class Recent:
    """The `size` most recently used (key, value) pairs: `get` counts as a use, `put` drops the least recently used
    beyond `size`."""

    def __init__(self, size: int) -> None:
        self.size = size
        self._values: OrderedDict = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: Hashable):
        """The value kept for `key`, or None."""
        with self._lock:
            value = self._values.get(key)
            if value is not None:
                self._values.move_to_end(key)
            return value

    def put(self, key: Hashable, value) -> None:
        with self._lock:
            self._values[key] = value
            self._values.move_to_end(key)
            while len(self._values) > self.size:
                self._values.popitem(last=False)

    def clear(self) -> None:
        with self._lock:
            self._values.clear()

    def __len__(self) -> int:
        # Under the lock: within a put the mapping holds one value more until the least recently used goes.
        with self._lock:
            return len(self._values)

    def __iter__(self) -> Iterator:
        with self._lock:
            return iter(list(self._values))
