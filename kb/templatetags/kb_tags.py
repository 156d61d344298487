"""Markdown in templates, and the solution articles block of the requester's ticket page (tickets
cannot import kb, so its template loads this library instead)."""

from __future__ import annotations

from django import template
from django.utils.safestring import SafeString

from ..markdown import render_markdown
from ..selectors import ticket_solution_articles as solution_articles

register = template.Library()


@register.filter(name="markdown")
def markdown_filter(text: str) -> SafeString:
    """`{{ article.body|markdown }}`: the one sanitising renderer (kb.markdown)."""
    return render_markdown(text)


@register.inclusion_tag("kb/partials/ticket_solution_articles.html", takes_context=True)
def ticket_solution_articles(context, ticket) -> dict:
    """`{% ticket_solution_articles ticket %}`: the linked articles the viewer may read (one query)."""
    request = context.get("request")
    user = getattr(request, "user", None) or context.get("user")
    return {"articles": solution_articles(ticket=ticket, user=user) if user is not None else []}
