"""The knowledge base: articles with their revisions, votes, links to tickets and deflections.

Articles change only through kb.services (revision written, search index refreshed); reads go
through kb.selectors, which alone decide what a requester may see.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib.postgres.search import SearchVectorField
from django.db import models
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from tickets.models import Category, Ticket


class Audience(models.TextChoices):
    PUBLIC = "public", _("Public (requesters and agents)")
    INTERNAL = "internal", _("Internal (agents only)")


class ArticleStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    PUBLISHED = "published", _("Published")


def normalise_tags(raw: str) -> str:
    """“VPN,  wifi ; Vpn” → “vpn, wifi”: lower case, trimmed, deduplicated, sorted.

    Tags are a normalised comma-separated field rather than a Tag model: they are only shown and
    searched (they go into the search vector), so a join table would cost a query on every list
    and a second write per save for nothing a page needs.
    """
    parts = {part.strip().lower() for part in raw.replace(";", ",").split(",")}
    return ", ".join(sorted(part[:40] for part in parts if part))


class Article(models.Model):
    title = models.CharField(_("title"), max_length=200)
    slug = models.SlugField(_("slug"), max_length=220, unique=True)
    body = models.TextField(_("body (Markdown)"))
    category = models.ForeignKey(
        Category, on_delete=models.SET_NULL, null=True, blank=True, related_name="articles",
        verbose_name=_("category"),
    )
    tags = models.CharField(_("tags"), max_length=255, blank=True)
    audience = models.CharField(_("audience"), max_length=10, choices=Audience.choices, default=Audience.PUBLIC)
    status = models.CharField(_("status"), max_length=10, choices=ArticleStatus.choices,
                              default=ArticleStatus.DRAFT)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="kb_articles",
        verbose_name=_("author"),
    )
    # The resolved ticket this article was drafted from (article_draft_from_ticket): one draft per ticket.
    source_ticket = models.OneToOneField(
        Ticket, on_delete=models.SET_NULL, null=True, blank=True, related_name="+",
        verbose_name=_("drafted from ticket"),
    )
    created_at = models.DateTimeField(_("created at"), default=timezone.now, editable=False)
    updated_at = models.DateTimeField(_("updated at"), default=timezone.now)
    published_at = models.DateTimeField(_("published at"), null=True, blank=True)
    view_count = models.PositiveIntegerField(_("views"), default=0)
    helpful_count = models.PositiveIntegerField(_("helpful votes"), default=0)
    not_helpful_count = models.PositiveIntegerField(_("not helpful votes"), default=0)
    # PostgreSQL only, written by kb.services (French and English, title A, tags C, body B); its GIN
    # index and the title's trigram index are created by migration 0002 on PostgreSQL only. On SQLite
    # the column stays NULL and the search uses the FTS5 index of kb/fts.py (migration 0004).
    search_vector = SearchVectorField(null=True, blank=True, editable=False)

    class Meta:
        ordering = ["-updated_at", "-id"]
        verbose_name = _("article")
        verbose_name_plural = _("articles")
        indexes = [
            # What requesters browse: published public articles by category, most recent first.
            models.Index(fields=["status", "audience", "category", "-updated_at"], name="kb_article_visible"),
            # Search ranks the 500 most recent matches (kb.selectors). For a word found in thousands of
            # articles, walking these newest first and stopping at 500 matches beats reading every match
            # through the GIN index and sorting them (bench/kb_search.py: 'proxy' 66 ms → 11 ms at 50,000
            # articles); a rare word still goes through the GIN index. Requesters' and agents' versions.
            models.Index(fields=["-updated_at"], name="kb_article_public_recent",
                         condition=models.Q(status=ArticleStatus.PUBLISHED, audience=Audience.PUBLIC)),
            models.Index(fields=["-updated_at"], name="kb_article_recent"),
        ]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return reverse("kb:article", args=[self.slug])

    @property
    def is_published(self) -> bool:
        return self.status == ArticleStatus.PUBLISHED

    @property
    def is_public(self) -> bool:
        return self.audience == Audience.PUBLIC

    @property
    def tag_list(self) -> list[str]:
        return [tag for tag in self.tags.split(", ") if tag]


class ArticleRevision(models.Model):
    """The article as one save left it; written by the service on every save, never changed."""

    article = models.ForeignKey(Article, on_delete=models.CASCADE, related_name="revisions")
    number = models.PositiveIntegerField(_("revision"))
    title = models.CharField(_("title"), max_length=200)
    body = models.TextField(_("body (Markdown)"))
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+",
        verbose_name=_("author"),
    )
    created_at = models.DateTimeField(_("at"), default=timezone.now, editable=False)

    class Meta:
        ordering = ["article", "-number"]
        verbose_name = _("article revision")
        verbose_name_plural = _("article revisions")
        constraints = [models.UniqueConstraint(fields=["article", "number"], name="kb_revision_number_once")]

    def __str__(self) -> str:
        return f"{self.article_id} r{self.number}"


class ArticleVote(models.Model):
    """One vote per user and article; voting again changes it (the counters follow)."""

    article = models.ForeignKey(Article, on_delete=models.CASCADE, related_name="votes")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    helpful = models.BooleanField(_("helpful"))
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("article vote")
        verbose_name_plural = _("article votes")
        constraints = [models.UniqueConstraint(fields=["article", "user"], name="kb_vote_once_per_user")]

    def __str__(self) -> str:
        return f"{self.article_id} {self.user_id} {'+' if self.helpful else '-'}"


class TicketArticleLink(models.Model):
    """An article an agent gave as (part of) the solution of a ticket; the requester sees public ones."""

    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="kb_links")
    article = models.ForeignKey(Article, on_delete=models.CASCADE, related_name="ticket_links")
    linked_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+",
                                  verbose_name=_("linked by"))
    created_at = models.DateTimeField(_("linked at"), default=timezone.now, editable=False)

    class Meta:
        ordering = ["created_at", "id"]
        verbose_name = _("ticket solution article")
        verbose_name_plural = _("ticket solution articles")
        constraints = [models.UniqueConstraint(fields=["ticket", "article"], name="kb_link_once")]

    def __str__(self) -> str:
        return f"{self.ticket_id} → {self.article_id}"


class Deflection(models.Model):
    """A requester found the answer in a suggested article instead of filing a ticket."""

    article = models.ForeignKey(Article, on_delete=models.CASCADE, related_name="deflections")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+")
    query = models.CharField(_("what they typed"), max_length=200, blank=True)
    created_at = models.DateTimeField(_("at"), default=timezone.now, editable=False, db_index=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("deflected ticket")
        verbose_name_plural = _("deflected tickets")

    def __str__(self) -> str:
        return f"{self.article_id} {self.created_at:%Y-%m-%d %H:%M}"
