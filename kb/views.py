"""/kb/: browse and search, article pages, votes and deflection for everyone logged in; writing,
history, publishing and the ticket links for agents only (a 404 for others)."""

from __future__ import annotations

from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts.decorators import agent_required
from core.keyset import keyset_page
from tickets.middleware import keep_typed_text
from tickets.models import Status
from tickets.selectors import get_ticket_for
from tickets.views.agent import render_workspace

from . import services
from .forms import (
    ArticleEditForm,
    ArticleForm,
    DeflectForm,
    LinkArticleForm,
    LinkSearchForm,
    SearchForm,
    VoteForm,
)
from .models import ArticleVote
from .selectors import (
    SEARCH_CAP,
    article_history,
    article_revision_number,
    article_search,
    article_suggestions,
    articles_for_browse,
    category_counts,
    get_article_for,
    ticket_article_links,
)

SUGGESTIONS = 5
SEARCH_RESULTS = 20


def _search_page(request) -> int:
    """The search page asked for, 1 to the last page within SEARCH_CAP; 1 for anything else."""
    try:
        number = int(request.GET.get("page", 1))
    except (TypeError, ValueError):
        return 1
    return min(max(number, 1), SEARCH_CAP // SEARCH_RESULTS)


@login_required
@require_GET
def index(request):
    """Search box, categories with their counts, and either the results or the latest articles.

    Results: the best SEARCH_CAP at most, SEARCH_RESULTS a page (a capped top N: kb.selectors.SEARCH_CAP
    says why not a keyset); one more is read to know whether another page follows. The latest articles:
    newest first by keyset on (updated_at, id) (core.keyset), no count."""
    form = SearchForm(request.GET or None)
    query, category_id = "", None
    if form.is_valid():
        query, category_id = form.cleaned_data["q"].strip(), form.cleaned_data["category"]
    context = {"form": form, "query": query, "category_id": category_id,
               "categories": category_counts(user=request.user)}
    if query:
        number = _search_page(request)
        hits = article_search(user=request.user, query=query, limit=SEARCH_RESULTS + 1,
                              offset=(number - 1) * SEARCH_RESULTS, category_id=category_id)
        more = len(hits) > SEARCH_RESULTS and not hits[0].fuzzy  # a misspelling's guesses: one page
        last = number * SEARCH_RESULTS >= SEARCH_CAP
        params = {"q": query, **({"category": category_id} if category_id is not None else {})}
        context.update({
            "hits": hits[:SEARCH_RESULTS],
            "search_page": {
                "number": number, "first": (number - 1) * SEARCH_RESULTS + 1,
                "last": (number - 1) * SEARCH_RESULTS + len(hits[:SEARCH_RESULTS]),
                "previous": urlencode({**params, "page": number - 1}) if number > 1 else "",
                "next": urlencode({**params, "page": number + 1}) if more and not last else "",
                "capped": more and last, "cap": SEARCH_CAP,
            },
        })
    else:
        page = keyset_page(articles_for_browse(user=request.user, category_id=category_id), field="updated_at",
                           after=request.GET.get("older"), before=request.GET.get("newer"),
                           size=settings.HELPDESK_PAGE_SIZE)
        context["page"] = page
        context["articles"] = page.rows
        context["querystring"] = f"category={category_id}" if category_id is not None else ""
        context["current_category"] = next((c for c in context["categories"] if c.category_id == category_id
                                            and category_id is not None), None)
    return render(request, "kb/index.html", context)


@login_required
@require_GET
def article_detail(request, slug: str):
    article = get_article_for(request.user, slug)
    services.article_record_view(article=article)
    article.view_count += 1  # The row was read before the increment; this page counts as seen.
    vote = ArticleVote.objects.filter(article=article, user=request.user).values_list("helpful", flat=True).first()
    # Opened from the suggestions of the new-ticket form: offer "this solved my problem".
    from_suggestion = request.GET.get("from") == "new-ticket"
    return render(request, "kb/article.html", {
        "article": article,
        "vote": vote,
        "from_suggestion": from_suggestion,
        "deflect_form": DeflectForm(initial={"query": request.GET.get("q", "")[:200]}) if from_suggestion else None,
    })


@login_required
@require_POST
def article_vote(request, slug: str):
    article = get_article_for(request.user, slug)
    form = VoteForm(request.POST)
    if not form.is_valid() or not article.is_published:
        messages.error(request, _("Your vote could not be recorded."))
        return render(request, "kb/article.html", {"article": article, "vote": None}, status=400)
    services.article_vote(article=article, user=request.user, helpful=form.cleaned_data["helpful"])
    messages.success(request, _("Thank you for your feedback."))
    return redirect(article)


@login_required
@require_GET
def suggest(request):
    """htmx partial under the new ticket's title: public published articles matching what is typed."""
    query = (request.GET.get("title") or request.GET.get("q") or "").strip()[:200]
    hits = article_suggestions(query=query, limit=SUGGESTIONS) if len(query) >= 3 else []
    return render(request, "kb/partials/suggestions.html", {"hits": hits, "query": query})


@login_required
@require_POST
def deflect(request, slug: str):
    """“This solved my problem”: counted as a ticket not filed; a thank-you page."""
    article = get_article_for(request.user, slug)
    form = DeflectForm(request.POST)
    if not form.is_valid() or not article.is_published or not article.is_public:
        return render(request, "kb/article.html", {"article": article, "vote": None, "from_suggestion": True,
                                                   "deflect_form": form}, status=400)
    services.deflection_record(article=article, user=request.user, query=form.cleaned_data["query"])
    return render(request, "kb/deflected.html", {"article": article})


# --- Agents: writing, history, publishing


@agent_required
@require_http_methods(["GET", "POST"])
def article_create(request):
    form = ArticleForm(request.POST or None, submit=_("Create the draft"))
    if request.method == "POST" and form.is_valid():
        article = services.article_create(author=request.user, **form.cleaned_data)
        messages.success(request, _("Draft created. Publish it when it is ready."))
        return redirect(article)
    return render(request, "kb/form.html", {"form": form, "article": None}, status=400 if form.errors else 200)


@agent_required
@require_http_methods(["GET", "POST"])
def article_edit(request, slug: str):
    article = get_article_for(request.user, slug)
    initial = {**ArticleForm.initial_for(article), "revision": article_revision_number(article=article)}
    form = ArticleEditForm(request.POST or None, initial=initial)
    keep_typed_text(request, form)
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        article = services.article_update(article=article, editor=request.user,
                                          expected_revision=data.pop("revision"), **data)
        messages.success(request, _("Article saved."))
        return redirect(article)
    return render(request, "kb/form.html", {"form": form, "article": article}, status=400 if form.errors else 200)


@agent_required
@require_GET
def article_history_view(request, slug: str):
    article = get_article_for(request.user, slug)
    return render(request, "kb/history.html", {"article": article, "diffs": article_history(article=article)})


@agent_required
@require_POST
def article_publish(request, slug: str):
    article = services.article_publish(article=get_article_for(request.user, slug), actor=request.user)
    messages.success(request, _("Article published."))
    return redirect(article)


@agent_required
@require_POST
def article_unpublish(request, slug: str):
    article = services.article_unpublish(article=get_article_for(request.user, slug), actor=request.user)
    messages.success(request, _("Article back to draft: requesters no longer see it."))
    return redirect(article)


# --- Agents: the workspace panel and its actions


def workspace_panel(request, ticket, bound):
    """Context of the knowledge base panel in the agent workspace (registered in apps.py)."""
    links = ticket_article_links(ticket=ticket)
    return {
        "ticket": ticket,
        "links": links,
        "search_form": bound.get("kb_search") or LinkSearchForm(),
        "link_form": bound.get("kb_link"),
        "can_draft": ticket.status in (Status.RESOLVED, Status.CLOSED) and bool(ticket.solution.strip()),
        "draft": next((link.article for link in links if link.article.source_ticket_id == ticket.pk), None),
    }


@agent_required
@require_GET
def ticket_article_search(request, reference: str):
    """Articles to link, found by title: a partial for htmx, a page without JavaScript."""
    ticket = get_ticket_for(request.user, reference)
    form = LinkSearchForm(request.GET or None)
    query = form.cleaned_data["q"].strip() if form.is_valid() else ""
    hits = article_search(user=request.user, query=query, limit=10) if query else []
    linked = {link.article_id for link in ticket_article_links(ticket=ticket)}
    context = {"ticket": ticket, "hits": hits, "query": query, "linked": linked, "form": form}
    template = "kb/partials/link_results.html" if request.htmx else "kb/link_search.html"
    return render(request, template, context)


def _link_form_or_workspace(request, ticket):
    form = LinkArticleForm(request.POST)
    if form.is_valid():
        return form, None
    return form, render_workspace(request, ticket, bound={"kb_link": form}, status=400)


@agent_required
@require_POST
def ticket_link(request, reference: str):
    ticket = get_ticket_for(request.user, reference)
    form, refused = _link_form_or_workspace(request, ticket)
    if refused:
        return refused
    article = form.cleaned_data["article"]
    services.article_link_to_ticket(article=article, ticket=ticket, actor=request.user)
    messages.success(request, _("“%(title)s” is linked as a solution of the ticket.") % {"title": article.title})
    return redirect("agent:ticket", reference=ticket.reference)


@agent_required
@require_POST
def ticket_unlink(request, reference: str):
    ticket = get_ticket_for(request.user, reference)
    form, refused = _link_form_or_workspace(request, ticket)
    if refused:
        return refused
    services.article_unlink_from_ticket(article=form.cleaned_data["article"], ticket=ticket, actor=request.user)
    messages.success(request, _("The article is no longer linked to the ticket."))
    return redirect("agent:ticket", reference=ticket.reference)


@agent_required
@require_POST
def ticket_draft(request, reference: str):
    """Turn the resolved ticket's solution into an internal draft, then edit it."""
    ticket = get_ticket_for(request.user, reference)
    article, created = services.article_draft_from_ticket(ticket=ticket, actor=request.user)
    if created:
        messages.success(request, _("Draft article created from the ticket. Review it, then publish it."))
    else:
        messages.info(request, _("This ticket already has a draft article; here it is."))
    return redirect("kb:edit", slug=article.slug)
