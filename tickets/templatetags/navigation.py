"""Which top-bar section the current page belongs to, so base.html can highlight it (aria-current)."""

from __future__ import annotations

from django import template

register = template.Library()

# URL namespaces (and agent pages) grouped under the "Management" menu.
MANAGEMENT_NAMESPACES = {"dashboard", "sla", "escalation", "postmortem"}
MANAGEMENT_AGENT_PAGES = {"inbox", "inbox_handled", "canned_replies", "canned_reply", "canned_reply_delete"}


@register.simple_tag(takes_context=True)
def nav_section(context) -> str:
    """'queue', 'manage', 'kb', 'new', 'mine' or '' (error pages, the login page)."""
    request = context.get("request")
    match = getattr(request, "resolver_match", None)
    if match is None:
        return ""
    namespace, name = match.namespace, match.url_name
    if namespace in MANAGEMENT_NAMESPACES or (namespace == "agent" and name in MANAGEMENT_AGENT_PAGES):
        return "manage"
    if namespace == "agent":
        return "queue"
    if namespace == "kb":
        return "kb"
    if namespace == "tickets":
        return "new" if name == "new" else "mine"
    return ""
