"""The thresholds of storm detection, each a setting with its default (docs/storms.md, "Settings")."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings

DEFAULTS = {
    # How far back a burst is looked for, and how long without a new ticket closes a storm.
    "STORM_WINDOW_MINUTES": 60,
    "STORM_QUIET_MINUTES": 60,
    # A burst needs tickets from at least this many people (one person filing ten tickets is no storm).
    "STORM_MIN_REQUESTERS": 5,
    # "Well above the usual rate": the usual rate of the key at that hour of the week is multiplied by
    # this before the test, and never taken below the floor (tickets per hour).
    "STORM_RATE_FACTOR": 2.0,
    "STORM_FLOOR_PER_HOUR": 0.5,
    # A burst is a count of people that the (multiplied) usual rate gives with a probability below this
    # (Poisson), over the best span ending at the new ticket.
    "STORM_ALPHA": 1e-4,
    # Baseline: weeks of history the beat job reads.
    "STORM_BASELINE_WEEKS": 8,
    # A dismissed storm is suggested again once it has grown by this factor and by at least this many tickets.
    "STORM_REGROW_FACTOR": 1.5,
    "STORM_REGROW_MIN": 5,
    # At most this many tickets of the window are read by one detection (a bound on its cost).
    "STORM_WINDOW_LIMIT": 2000,
    # A web process gathers its new tickets' detections for this long into one task (core.broker.publish_ids):
    # a detection reads its window whatever its number of tickets, so under load each ticket alone cost the
    # worker ninety times what it costs in a task of a hundred (bench/RESULTS.md, session 24).
    "STORM_DETECTION_WAIT_MS": 1000,
}


@dataclass(frozen=True)
class StormSettings:
    window: timedelta
    quiet: timedelta
    min_requesters: int
    rate_factor: float
    floor_per_hour: float
    alpha: float
    baseline_weeks: int
    regrow_factor: float
    regrow_min: int
    window_limit: int
    detection_wait_ms: int


def storm_settings() -> StormSettings:
    def get(name):
        return getattr(settings, name, DEFAULTS[name])

    return StormSettings(
        window=timedelta(minutes=get("STORM_WINDOW_MINUTES")), quiet=timedelta(minutes=get("STORM_QUIET_MINUTES")),
        min_requesters=int(get("STORM_MIN_REQUESTERS")), rate_factor=float(get("STORM_RATE_FACTOR")),
        floor_per_hour=float(get("STORM_FLOOR_PER_HOUR")), alpha=float(get("STORM_ALPHA")),
        baseline_weeks=int(get("STORM_BASELINE_WEEKS")), regrow_factor=float(get("STORM_REGROW_FACTOR")),
        regrow_min=int(get("STORM_REGROW_MIN")), window_limit=int(get("STORM_WINDOW_LIMIT")),
        detection_wait_ms=int(get("STORM_DETECTION_WAIT_MS")),
    )
