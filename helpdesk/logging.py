"""Logging configuration helpers referenced by settings.LOGGING."""

from __future__ import annotations

import logging
import threading
import time


class OncePerInterval(logging.Filter):
    """Let one record through per `seconds`, as a one-line warning; drop the others.

    For an outage that every request meets (the cache down): the log says so once a minute, with
    the cause, instead of a traceback per request.
    """

    def __init__(self, seconds: float = 60, message: str = "", clock=time.monotonic) -> None:
        super().__init__()
        self.clock = clock
        self.seconds = seconds
        self.message = message
        self._last = float("-inf")
        self._lock = threading.Lock()

    def filter(self, record: logging.LogRecord) -> bool:
        now = self.clock()
        with self._lock:
            if now - self._last < self.seconds:
                return False
            self._last = now
        cause = record.exc_info[1] if record.exc_info else None
        while cause is not None and cause.__cause__ is not None:
            cause = cause.__cause__
        record.levelno, record.levelname = logging.WARNING, "WARNING"
        record.msg = "%s (%s); silent for %s s"
        record.args = (self.message or record.getMessage(), f"{type(cause).__name__}: {cause}" if cause else "-",
                       int(self.seconds))
        record.exc_info = record.exc_text = None
        return True
