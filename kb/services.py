"""Every change to the knowledge base is one function here (docs/architecture.md, "Services").

Articles are written by agents: each save writes an ArticleRevision in the same transaction and
refreshes the article's search index: its search vector on PostgreSQL, its row in the FTS5 index on
SQLite (kb/fts.py). Counters (views, votes) move with F() expressions so concurrent requests never
lose an increment. Tickets are only read and linked: kb never changes a ticket, and tickets never
imports kb.
"""

from __future__ import annotations

from datetime import timedelta

from django.contrib.postgres.search import SearchVector
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, connection, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.text import slugify
from django.utils.translation import gettext as _

from accounts.roles import is_agent
from core.exceptions import ActionRefused, StaleForm
from tickets.models import Category, Status, Ticket

from . import fts
from .models import (
    Article,
    ArticleRevision,
    ArticleStatus,
    ArticleVote,
    Audience,
    Deflection,
    TicketArticleLink,
    normalise_tags,
)
from .selectors import article_revision_number

# Paths under /kb/ that a slug must not shadow (see kb/urls.py).
RESERVED_SLUGS = {"new", "suggest", "tickets"}
# A requester who clicks "this solved my problem" twice within this window counts once.
DEFLECTION_WINDOW = timedelta(hours=1)
SEARCH_CONFIGS = ("french", "english")


def _require_agent(user) -> None:
    if not is_agent(user):
        raise PermissionDenied(_("Only agents write knowledge base articles."))


def _unique_slug(title: str, *, exclude_pk: int | None = None) -> str:
    base = (slugify(title) or "article")[:200].strip("-") or "article"
    taken = set(Article.objects.filter(slug__startswith=base).exclude(pk=exclude_pk)
                .values_list("slug", flat=True))
    slug, number = base, 2
    while slug in taken or slug in RESERVED_SLUGS:
        slug, number = f"{base}-{number}", number + 1
    return slug


def search_vector_expression():
    """French and English stems of the title (weight A), tags (C) and body (B)."""
    vector = None
    for config in SEARCH_CONFIGS:
        for field, weight in (("title", "A"), ("tags", "C"), ("body", "B")):
            part = SearchVector(field, config=config, weight=weight)
            vector = part if vector is None else vector + part
    return vector


def _refresh_search_index(article: Article) -> None:
    """PostgreSQL computes the vector from the saved row; SQLite replaces the article's row in the FTS5
    index (migration 0004). Publishing and unpublishing leave both alone: the search joins the index
    to the articles the reader may see, so a status or audience change counts at once."""
    if connection.vendor == "postgresql":
        Article.objects.filter(pk=article.pk).update(search_vector=search_vector_expression())
    elif connection.vendor == "sqlite":
        with connection.cursor() as cursor:
            cursor.execute(f"DELETE FROM {fts.FTS_TABLE} WHERE rowid = %s", [article.pk])  # noqa: S608
            cursor.execute(f"INSERT INTO {fts.FTS_TABLE} (rowid, title, tags, body) VALUES (%s, %s, %s, %s)",  # noqa: S608
                           fts.index_row(article))


def _drop_from_search_index(article_id: int) -> None:
    """The vector goes with the row on PostgreSQL; SQLite's FTS5 index is a table of its own."""
    if connection.vendor == "sqlite":
        with connection.cursor() as cursor:
            cursor.execute(f"DELETE FROM {fts.FTS_TABLE} WHERE rowid = %s", [article_id])  # noqa: S608


class ArticleChanged(StaleForm):
    """Someone saved the article since the editor's form was loaded; the 409 page keeps the typed text
    and offers it again with the current revision (`current`)."""


def _write_revision(article: Article, author) -> ArticleRevision:
    # Called with the article row locked (or just inserted), so numbers cannot collide.
    last = article_revision_number(article=article)
    return ArticleRevision.objects.create(article=article, number=last + 1, title=article.title,
                                          body=article.body, author=author)


def _clean_fields(*, title: str, body: str, audience: str, tags: str) -> dict:
    title, body = title.strip(), body.strip()
    if not title:
        raise ValidationError(_("The title cannot be empty."))
    if not body:
        raise ValidationError(_("The article has no text."))
    return {"title": title[:200], "body": body, "audience": Audience(audience).value, "tags": normalise_tags(tags)}


@transaction.atomic
def article_create(*, author, title: str, body: str, audience: str = Audience.PUBLIC,
                   category: Category | None = None, tags: str = "", source_ticket: Ticket | None = None) -> Article:
    """Create a draft article with a unique slug from its title; writes revision 1 and its search index."""
    _require_agent(author)
    fields = _clean_fields(title=title, body=body, audience=audience, tags=tags)
    now = timezone.now()
    article = Article.objects.create(
        slug=_unique_slug(fields["title"]), category=category, author=author, status=ArticleStatus.DRAFT,
        source_ticket=source_ticket, created_at=now, updated_at=now, **fields,
    )
    _write_revision(article, author)
    _refresh_search_index(article)
    return article


@transaction.atomic
def article_update(*, article: Article, editor, title: str, body: str, audience: str,
                   category: Category | None = None, tags: str = "",
                   expected_revision: int | None = None) -> Article:
    """Save an edit: the fields change, a new revision records title and body, the search index follows.
    The slug stays: links to the article keep working after a title change. With `expected_revision`
    (the revision the editor's form was loaded from), a save over someone else's newer revision is
    refused with ArticleChanged instead of silently replacing it."""
    _require_agent(editor)
    fields = _clean_fields(title=title, body=body, audience=audience, tags=tags)
    article = Article.objects.select_for_update().get(pk=article.pk)
    if expected_revision is not None:
        # Read under the row lock: every revision is written with the article row locked.
        current = article_revision_number(article=article)
        if current != expected_revision:
            raise ArticleChanged(
                _("“%(title)s” was saved by someone else since you opened it (it is now at revision "
                  "%(number)d). Your text is kept: compare it with the article's history, then save it "
                  "again.") % {"title": article.title, "number": current},
                current={"revision": current},
            )
    for name, value in fields.items():
        setattr(article, name, value)
    article.category = category
    article.updated_at = timezone.now()
    article.save(update_fields=[*fields, "category", "updated_at"])
    _write_revision(article, editor)
    _refresh_search_index(article)
    return article


@transaction.atomic
def article_publish(*, article: Article, actor) -> Article:
    """Publish: requesters see it if it is public. published_at keeps the first publication."""
    _require_agent(actor)
    article = Article.objects.select_for_update().get(pk=article.pk)
    if article.status != ArticleStatus.PUBLISHED:
        article.status = ArticleStatus.PUBLISHED
        article.published_at = article.published_at or timezone.now()
        article.updated_at = timezone.now()
        article.save(update_fields=["status", "published_at", "updated_at"])
    return article


@transaction.atomic
def article_unpublish(*, article: Article, actor) -> Article:
    """Back to draft: it disappears at once from requesters' pages, search and suggestions."""
    _require_agent(actor)
    article = Article.objects.select_for_update().get(pk=article.pk)
    if article.status != ArticleStatus.DRAFT:
        article.status = ArticleStatus.DRAFT
        article.updated_at = timezone.now()
        article.save(update_fields=["status", "updated_at"])
    return article


@transaction.atomic
def article_delete(*, article: Article, actor) -> None:
    """Delete the article for good: its revisions, votes, ticket links and deflections go with it
    (CASCADE), and its row leaves the search index in the same transaction. No page offers it yet (the
    admin refuses, revisions being undeletable there); this is the one way to do it that keeps the
    SQLite index in step."""
    _require_agent(actor)
    article_id = article.pk
    Article.objects.filter(pk=article_id).delete()
    _drop_from_search_index(article_id)


@transaction.atomic
def article_vote(*, article: Article, user, helpful: bool) -> ArticleVote:
    """One vote per user: a first vote adds to a counter, a changed vote moves one from the other
    counter, the same vote again changes nothing. The vote row is locked (or its insert raced and
    re-read locked), so two clicks at once cannot count twice."""
    if not article.is_published:
        raise PermissionDenied(_("Only published articles can be rated."))
    vote = ArticleVote.objects.select_for_update().filter(article=article, user=user).first()
    if vote is None:
        try:
            with transaction.atomic():
                vote = ArticleVote.objects.create(article=article, user=user, helpful=helpful)
        except IntegrityError:
            vote = ArticleVote.objects.select_for_update().get(article=article, user=user)
        else:
            counter = "helpful_count" if helpful else "not_helpful_count"
            Article.objects.filter(pk=article.pk).update(**{counter: F(counter) + 1})
            return vote
    if vote.helpful != helpful:
        plus, minus = ("helpful_count", "not_helpful_count") if helpful else ("not_helpful_count", "helpful_count")
        Article.objects.filter(pk=article.pk).update(**{plus: F(plus) + 1, minus: F(minus) - 1})
        vote.helpful = helpful
        vote.updated_at = timezone.now()
        vote.save(update_fields=["helpful", "updated_at"])
    return vote


def article_record_view(*, article: Article) -> None:
    """One more view, counted in the database (UPDATE … SET view_count = view_count + 1): no lost update."""
    Article.objects.filter(pk=article.pk).update(view_count=F("view_count") + 1)


@transaction.atomic
def article_link_to_ticket(*, article: Article, ticket: Ticket, actor) -> TicketArticleLink:
    """Give the article as a solution of the ticket (once); the requester sees it on the ticket page
    if the article is public and published."""
    _require_agent(actor)
    link, _created = TicketArticleLink.objects.get_or_create(
        ticket=ticket, article=article, defaults={"linked_by": actor}
    )
    return link


@transaction.atomic
def article_unlink_from_ticket(*, article: Article, ticket: Ticket, actor) -> bool:
    _require_agent(actor)
    deleted, _rows = TicketArticleLink.objects.filter(ticket=ticket, article=article).delete()
    return bool(deleted)


def draft_body_from_ticket(ticket: Ticket) -> str:
    sections = [
        (_("Problem"), ticket.title),
        (_("Root cause"), ticket.root_cause.strip() or _("To be documented.")),
        (_("Solution"), ticket.solution.strip()),
    ]
    return "\n\n".join(f"## {heading}\n\n{text}" for heading, text in sections)


@transaction.atomic
def article_draft_from_ticket(*, ticket: Ticket, actor) -> tuple[Article, bool]:
    """Turn a resolved or closed ticket's solution into an internal draft (title, root cause and
    solution prefilled, category kept), written by `actor` and linked to the ticket. Returns
    (article, created): a second request finds the draft the first one made (one per ticket)."""
    _require_agent(actor)
    if ticket.status not in (Status.RESOLVED, Status.CLOSED) or not ticket.solution.strip():
        # The page offered the button, but the ticket was reopened meanwhile: a 409 with the message.
        raise ActionRefused(_("Only a resolved or closed ticket with a solution can become an article."),
                                ticket=ticket)
    existing = Article.objects.filter(source_ticket=ticket).first()
    if existing is not None:
        return existing, False
    try:
        with transaction.atomic():
            article = article_create(
                author=actor, title=ticket.title, body=draft_body_from_ticket(ticket), audience=Audience.INTERNAL,
                category=ticket.category, source_ticket=ticket,
            )
    except IntegrityError:  # Another request drafted it a moment ago (source_ticket is unique).
        return Article.objects.get(source_ticket=ticket), False
    article_link_to_ticket(article=article, ticket=ticket, actor=actor)
    return article, True


@transaction.atomic
def deflection_record(*, article: Article, user, query: str = "") -> tuple[Deflection, bool]:
    """“This solved my problem”: count a ticket that was not filed. The same user and article within
    DEFLECTION_WINDOW count once (a double click, a reload)."""
    since = timezone.now() - DEFLECTION_WINDOW
    recent = Deflection.objects.filter(article=article, user=user, created_at__gte=since).first()
    if recent is not None:
        return recent, False
    return Deflection.objects.create(article=article, user=user, query=query.strip()[:200]), True

