"""Labels of codes that other apps store in ticket history (an escalation reason, the rule that acted),
registered by those apps in their AppConfig.ready() so the timeline and the emails show words without
`tickets` importing them."""

from __future__ import annotations

REASON_LABELS: dict[str, str] = {}
RULE_LABELS: dict[str, str] = {}


def register_reasons(choices) -> None:
    REASON_LABELS.update(dict(choices))


def register_rules(choices) -> None:
    RULE_LABELS.update(dict(choices))


def reason_label(code: str) -> str:
    return str(REASON_LABELS.get(code, code))


def rule_label(code: str) -> str:
    return str(RULE_LABELS.get(code, code))
