"""Labels of codes that other apps store in ticket history (an escalation reason, the rule that acted),
registered by those apps in their AppConfig.ready() so the timeline and the emails show words without
`tickets` importing them."""

from __future__ import annotations

from collections.abc import Callable

REASON_LABELS: dict[str, str] = {}
# Who explains an automatic assignment: the `why` an app stored on the assigned event names it ("by").
EXPLAINERS: dict[str, Callable[[dict], str]] = {}
RULE_LABELS: dict[str, str] = {}


def register_reasons(choices) -> None:
    REASON_LABELS.update(dict(choices))


def register_rules(choices) -> None:
    RULE_LABELS.update(dict(choices))


def reason_label(code: str) -> str:
    return str(REASON_LABELS.get(code, code))


def rule_label(code: str) -> str:
    return str(RULE_LABELS.get(code, code))


def register_explainer(code: str, explain: Callable[[dict], str]) -> None:
    EXPLAINERS[code] = explain


def explain(why: dict) -> str:
    """The sentence that explains an automatic assignment, in the reader's language ("" if unknown)."""
    explainer = EXPLAINERS.get((why or {}).get("by", ""))
    return explainer(why) if explainer else ""
