"""Labels of codes that other apps store in ticket history (an escalation reason, say), registered
by those apps in their AppConfig.ready() so the timeline shows words without `tickets` importing them."""

from __future__ import annotations

REASON_LABELS: dict[str, str] = {}


def register_reasons(choices) -> None:
    REASON_LABELS.update(dict(choices))


def reason_label(code: str) -> str:
    return str(REASON_LABELS.get(code, code))
