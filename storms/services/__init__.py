"""Storm detection and its suggestions: every change is one function here (docs/architecture.md,
"Services"; docs/storms.md).

By sub-domain: `detection` (the set-based `storms_detect`, called with a list of one on each new
ticket and with the last hour's tickets by the beat pass `storms_scan`), `baseline` (the usual rates,
rebuilt by beat), `suggestions` (declare a storm a major incident, dismiss it, follow an incident).
"""

from .baseline import storm_baselines_refresh
from .detection import DetectResult, hour_of_week, poisson_tail, storms_detect, storms_scan
from .suggestions import storm_declare, storm_dismiss

__all__ = [
    "DetectResult", "hour_of_week", "poisson_tail", "storm_baselines_refresh", "storm_declare", "storm_dismiss",
    "storms_detect", "storms_scan",
]
