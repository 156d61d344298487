"""Reads of the knowledge base. `articles_visible_to` is the one rule of who sees what: every page,
search, suggestion and ticket link starts from it, so an internal article or a draft never reaches
a requester by any road."""

from __future__ import annotations

import difflib
import json
import re
from dataclasses import dataclass, field

from django.contrib.postgres.search import SearchHeadline, SearchQuery, SearchRank, TrigramWordSimilarity
from django.db import connection, transaction
from django.db.models import BooleanField, Count, F, Func, Max, QuerySet, Value
from django.http import Http404
from django.utils.html import escape, format_html_join
from django.utils.safestring import SafeString

from accounts.roles import is_agent
from core.db import objects_compiled_once
from tickets.models import Ticket

from . import fts
from .models import Article, ArticleRevision, ArticleStatus, Audience, Deflection, TicketArticleLink

# ts_headline (PostgreSQL) and snippet() (SQLite) wrap matches in these; they cannot come from an
# article (private-use code points are stripped from the headline's text first, and from the SQLite
# index's text), and the snippet is rebuilt escaped with <mark> around them.
START_SEL, STOP_SEL = "\ue000", "\ue001"
MIN_QUERY_LENGTH = 2
MAX_QUERY_WORDS = 8
WORD_SIMILARITY_THRESHOLD = 0.45
RANK_CANDIDATES = 500
# The search page shows the best SEARCH_CAP results at most, a page at a time (kb.views): a capped "top N"
# read with an OFFSET of at most SEARCH_CAP, not a keyset. A relevance rank is no stable key (bm25 moves
# with the index's statistics as articles change; PostgreSQL ranks a bounded set of candidates anyway), and
# past the first pages people refine their words rather than read on. Kept within RANK_CANDIDATES so every
# page shown is ranked exactly as the first.
SEARCH_CAP = 200
# SQLite: the snippet's length in words (tokens), about PostgreSQL's headline (max_words=30).
SNIPPET_TOKENS = 24
# SQLite: a misspelt word is searched as at most this many words of the index one typo away.
MAX_TYPO_ALTERNATIVES = 5
# Words that would match nearly every article on SQLite and in "any word" suggestions
# (PostgreSQL's French and English configurations drop these and more by themselves).
STOP_WORDS = frozenset((
    "le", "la", "les", "un", "une", "des", "du", "de", "d", "l", "et", "ou", "en", "au", "aux", "ce",
    "ces", "cet", "cette", "mon", "ma", "mes", "ne", "pas", "plus", "sur", "pour", "par", "avec", "dans",
    "est", "sont", "je", "il", "elle", "on", "nous", "vous", "ils", "qui", "que", "quoi", "ça", "the", "a",
    "an", "and", "or", "of", "to", "in", "on", "is", "are", "it", "my", "not", "no", "for", "with", "be",
    "can", "cannot", "t",
))


@dataclass(frozen=True)
class SearchHit:
    article: Article
    snippet: SafeString
    rank: float = 0.0
    # Found by forgiving a misspelling (nothing matched the words as typed): shown on the first page only.
    fuzzy: bool = False


@dataclass
class CategoryCount:
    category_id: int | None
    name: str
    count: int


@dataclass
class RevisionDiff:
    revision: ArticleRevision
    previous: ArticleRevision | None
    lines: list[tuple[str, str]] = field(default_factory=list)  # (kind: add/remove/hunk/context, text)


# --- Who sees what


def articles_visible_to(user) -> QuerySet[Article]:
    """Agents see every article, drafts and internal ones included; requesters see public published
    articles only; anonymous visitors see nothing."""
    if not getattr(user, "is_authenticated", False):
        return Article.objects.none()
    queryset = Article.objects.defer("search_vector")
    if is_agent(user):
        return queryset
    return public_articles(queryset)


def public_articles(queryset: QuerySet[Article] | None = None) -> QuerySet[Article]:
    queryset = Article.objects.defer("search_vector") if queryset is None else queryset
    return queryset.filter(status=ArticleStatus.PUBLISHED, audience=Audience.PUBLIC)


def get_article_for(user, slug: str) -> Article:
    """The article if `user` may see it, else a 404 (a requester cannot learn that a draft exists)."""
    article = articles_visible_to(user).select_related("category__parent", "author").filter(slug=slug).first()
    if article is None:
        raise Http404
    return article


# --- Browsing


def category_counts(*, user) -> list[CategoryCount]:
    """The categories that hold articles `user` can see, with how many, in one grouped query."""
    rows = (
        articles_visible_to(user)
        .order_by()
        .values("category_id", "category__name", "category__parent__name")
        .annotate(count=Count("id"))
    )
    counts = []
    for row in rows:
        name = row["category__name"] or ""
        if row["category__parent__name"]:
            name = f"{row['category__parent__name']} › {name}"
        counts.append(CategoryCount(category_id=row["category_id"], name=name, count=row["count"]))
    return sorted(counts, key=lambda c: (c.category_id is None, c.name.lower()))


def articles_for_browse(*, user, category_id: int | None = None) -> QuerySet[Article]:
    queryset = articles_visible_to(user).defer("body", "search_vector").select_related("category")
    if category_id is not None:
        queryset = queryset.filter(category_id=category_id)
    return queryset.order_by("-updated_at", "-id")


# --- Search


def _clean_query(query: str) -> str:
    return " ".join((query or "").split()[:MAX_QUERY_WORDS])[:200]


def _readable(text: str) -> str:
    """Markdown markers out (line-start headings, quotes, bullets; bold, code, strike; table pipes) and
    whitespace collapsed: a snippet reads as text. What remains is escaped later, never interpreted."""
    text = re.sub(r"(?m)^[ \t]*(#{1,6}|>+|[-*+]|\d+\.)[ \t]+", "", text)
    text = re.sub(r"\*\*|__|`+|~~|\|", " ", text)
    return " ".join(text.split())


def _highlighted(parts: list[str]) -> SafeString:
    """[plain, marked, plain, marked, …, plain] → escaped text with <mark> around the marked parts."""
    pairs = [(parts[i], parts[i + 1]) for i in range(0, len(parts) - 1, 2)]
    return format_html_join("", "{}<mark>{}</mark>", pairs) + escape(parts[-1] if len(parts) % 2 else "")


def snippet_from_headline(headline: str) -> SafeString:
    """ts_headline output (article text, so untrusted) → escaped snippet with <mark> highlights."""
    cleaned = _readable(headline or "")
    parts = re.split(f"{START_SEL}(.*?){STOP_SEL}", cleaned, flags=re.DOTALL)
    return _highlighted([part.replace(START_SEL, "").replace(STOP_SEL, "") for part in parts])


class _WordSimilar(Func):
    """`query <% title`: true when the query is close to some words of the title (pg_trgm's
    word_similarity_threshold, 0.6 by default). The operator form is what the trigram GIN index serves."""

    arg_joiner = " <%% "
    template = "(%(expressions)s)"
    output_field = BooleanField()


def _search_postgresql(queryset: QuerySet[Article], query: str, limit: int, match_any: bool,
                       offset: int = 0) -> list[SearchHit]:
    # websearch syntax: words are ANDed, "quoted phrases", -excluded; "or" between words for suggestions.
    text = (" or ".join(_words(query)) or query) if match_any else query
    search = SearchQuery(text, search_type="websearch", config="french") | SearchQuery(
        text, search_type="websearch", config="english"
    )
    # Ranking reads each candidate's vector, so a word found in thousands of articles would cost
    # thousands of reads: only the RANK_CANDIDATES most recently updated matches are ranked (found
    # through the GIN index, without reading vectors). Below that many matches the ranking is exact.
    # ts_headline is costly too, but PostgreSQL evaluates it after ORDER BY … LIMIT, on `limit` rows.
    candidates = queryset.filter(search_vector=search).order_by("-updated_at").values("pk")[:RANK_CANDIDATES]
    ranked = (
        queryset.defer("body", "search_vector")
        .filter(pk__in=candidates)
        .annotate(
            rank=SearchRank(F("search_vector"), search),
            headline=SearchHeadline("body", search, config="french", start_sel=START_SEL, stop_sel=STOP_SEL,
                                    max_words=30, min_words=12, max_fragments=2, fragment_delimiter=" … "),
        )
        .order_by("-rank", "-updated_at", "-id")[offset:offset + limit]
    )
    hits = [SearchHit(article=a, snippet=snippet_from_headline(a.headline), rank=a.rank) for a in ranked]
    if hits or offset:
        return hits
    # Nothing matched the stems: forgive a misspelling by trigram word similarity on the title. The
    # default threshold (0.6) misses one wrong letter in a ten-letter word (“imprimente”: 0.57), so it
    # is lowered for this transaction only (set_config(…, true) is SET LOCAL: pooled connections keep the
    # default).
    similar = (
        queryset.defer("body", "search_vector")
        .filter(_WordSimilar(Value(query), F("title")))
        .annotate(similarity=TrigramWordSimilarity(query, "title"),
                  headline=SearchHeadline("body", search, config="french", max_words=30, min_words=12,
                                          start_sel=START_SEL, stop_sel=STOP_SEL))
        .order_by("-similarity", "-updated_at", "-id")[offset:offset + limit]
    )
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SELECT set_config('pg_trgm.word_similarity_threshold', %s, true)",
                       [str(WORD_SIMILARITY_THRESHOLD)])
        similar = list(similar)
    return [SearchHit(article=a, snippet=snippet_from_headline(a.headline), rank=a.similarity, fuzzy=True)
            for a in similar]


def _search_sqlite(queryset: QuerySet[Article], query: str, limit: int, match_any: bool,
                   offset: int = 0) -> list[SearchHit]:
    """The FTS5 index (kb/fts.py): every word (search page) or any word (suggestions), accents and case
    folded, each matched as the prefix of its stem; ranked by bm25, title first. If nothing matches,
    each word may also be any word of the index one typo away from it, and the search runs once more."""
    terms = fts.terms(_words(query) or [query])
    if not terms:
        return []
    hits = _fts_hits(queryset, fts.match_expression(terms, match_any=match_any), limit, offset)
    if hits or offset:
        return hits
    alternatives = _one_typo_alternatives(terms)
    if not alternatives:
        return []
    return [SearchHit(article=hit.article, snippet=hit.snippet, rank=hit.rank, fuzzy=True) for hit in
            _fts_hits(queryset, fts.match_expression(terms, match_any=match_any, alternatives=alternatives), limit)]


def _fts_hits(queryset: QuerySet[Article], expression: str, limit: int, offset: int = 0) -> list[SearchHit]:
    # One query: the index joined to the articles the reader may see. SQLite walks the matches in rank
    # order (FTS5 sorts them itself: ORDER BY rank is consumed by the virtual table), checks each one's
    # visibility by primary key and stops at `limit`; snippet() runs on those rows only. Unlike
    # PostgreSQL's (RANK_CANDIDATES), this ranking reads every match, in C: about 40 ms for a word found
    # in 32,000 of 50,000 articles, a few ms for a few hundred matches. extra() because the ORM cannot
    # join a table that has no model; the SQL is constant, the expression a bound parameter.
    ranked = (
        queryset.defer("body", "search_vector")
        .extra(  # noqa: S610
            select={"fts_rank": f"{fts.FTS_TABLE}.rank",
                    "fts_snippet": f"snippet({fts.FTS_TABLE}, 2, %s, %s, %s, {SNIPPET_TOKENS})"},
            select_params=(START_SEL, STOP_SEL, "…"),
            tables=[fts.FTS_TABLE],
            where=[f"{fts.FTS_TABLE}.rowid = {Article._meta.db_table}.id", f"{fts.FTS_TABLE} MATCH %s"],
            params=[expression],
        )
        .order_by("fts_rank")[offset:offset + limit]
    )
    # bm25 is lower for better matches: negated, a higher rank is better, as on PostgreSQL.
    return [SearchHit(article=a, snippet=snippet_from_headline(a.fts_snippet), rank=-a.fts_rank) for a in ranked]


def _one_typo_alternatives(terms: list[str]) -> dict[str, list[str]]:
    """For each term, the index's words one typo away from it, the most frequent first (at most
    MAX_TYPO_ALTERNATIVES): one lookup of a few hundred candidates per word in the vocabulary."""
    variants = {term: fts.one_typo_variants(term) for term in terms}
    candidates = sorted(set().union(*variants.values()))
    if not candidates:
        return {}
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT term, doc FROM {fts.VOCAB_TABLE} WHERE term IN (SELECT value FROM json_each(%s))",  # noqa: S608
                       [json.dumps(candidates)])
        documents = dict(cursor.fetchall())
    alternatives = {}
    for term, words in variants.items():
        known = sorted(words & documents.keys(), key=lambda word: (-documents[word], word))
        if known:
            alternatives[term] = known[:MAX_TYPO_ALTERNATIVES]
    return alternatives


def _words(query: str) -> list[str]:
    """The query's meaningful words: letters and digits only (no search operators), stop words out."""
    words = re.findall(r"\w[\w'’.-]*\w|\w", query.lower())
    return [word for word in words if len(word) >= MIN_QUERY_LENGTH and word not in STOP_WORDS][:MAX_QUERY_WORDS]


def _search(queryset: QuerySet[Article], query: str, limit: int, *, match_any: bool = False,
            offset: int = 0) -> list[SearchHit]:
    query = _clean_query(query)
    if len(query) < MIN_QUERY_LENGTH:
        return []
    queryset = queryset.select_related("category")
    if connection.vendor == "postgresql":
        return _search_postgresql(queryset, query, limit, match_any, offset)
    return _search_sqlite(queryset, query, limit, match_any, offset)


def article_search(*, user, query: str, limit: int = 20, category_id: int | None = None,
                   offset: int = 0) -> list[SearchHit]:
    """Articles `user` can see that match `query`, best first, each with a highlighted snippet.

    PostgreSQL: websearch syntax over the French and English stems (title A, body B), ranked by
    ts_rank; if nothing matches, trigram similarity on the title forgives a misspelling. SQLite: the
    FTS5 index, accents and case folded, words matched by the prefix of their stem, ranked by bm25
    (title first); if nothing matches, one typo per word is forgiven through the index's vocabulary
    (two more queries). Either way the cost does not grow with the number of articles read one by one.
    `offset` skips the best ones: a later page of the search page, at most SEARCH_CAP (see there). The
    misspelling fallback runs for the first page only; its hits say `fuzzy` (no later page follows them)."""
    queryset = articles_visible_to(user)
    if category_id is not None:
        queryset = queryset.filter(category_id=category_id)
    return _search(queryset, query, limit, offset=min(max(offset, 0), SEARCH_CAP))


def article_suggestions(*, query: str, limit: int = 5) -> list[SearchHit]:
    """Deflection on the new-ticket form: public published articles only, whoever is typing. A title
    is a sentence, not a query: articles matching any of its words are offered, most matches first."""
    return _search(public_articles(), query, limit, match_any=True)


# --- Tickets


def ticket_solution_articles(*, ticket: Ticket, user) -> list[Article]:
    """The articles linked to the ticket as its solution that `user` may read (one query)."""
    return list(
        articles_visible_to(user).defer("body", "search_vector")
        .filter(ticket_links__ticket=ticket).order_by("ticket_links__created_at", "ticket_links__id")
    )


def ticket_article_links(*, ticket: Ticket) -> list[TicketArticleLink]:
    """Every link of the ticket, for agents (internal and draft articles included)."""
    # Compiled once per connection (core.db): the workspace shows them for every ticket.
    return objects_compiled_once("kb.ticket_article_links", _article_links, ticket.pk, bound=True)


def _article_links(ticket_id: int) -> QuerySet[TicketArticleLink]:
    return (TicketArticleLink.objects.filter(ticket_id=ticket_id)
            .select_related("article", "linked_by").defer("article__body", "article__search_vector"))


# --- History


def _diff_lines(previous: ArticleRevision | None, revision: ArticleRevision) -> list[tuple[str, str]]:
    before_title = previous.title if previous else ""
    before_body = previous.body.splitlines() if previous else []
    lines = []
    if before_title != revision.title:
        lines += [("remove", f"# {before_title}")] if previous else []
        lines += [("add", f"# {revision.title}")]
    diff = difflib.unified_diff(before_body, revision.body.splitlines(),
                                fromfile=f"r{previous.number}" if previous else "/dev/null",
                                tofile=f"r{revision.number}", lineterm="", n=2)
    for line in diff:
        if line.startswith(("---", "+++")):
            continue
        kind = {"+": "add", "-": "remove", "@": "hunk"}.get(line[:1], "context")
        lines.append((kind, line))
    return lines


def article_revision_number(*, article: Article) -> int:
    """The number of the article's latest revision: every save of its text writes the next one, so the
    edit form carries it and a save from an older one is refused (kb.services.article_update)."""
    return article.revisions.aggregate(last=Max("number"))["last"] or 0


def article_history(*, article: Article) -> list[RevisionDiff]:
    """Revisions newest first, each with the unified diff from the one before (one query)."""
    revisions = list(article.revisions.select_related("author").order_by("number"))
    diffs = []
    previous = None
    for revision in revisions:
        diffs.append(RevisionDiff(revision=revision, previous=previous, lines=_diff_lines(previous, revision)))
        previous = revision
    return list(reversed(diffs))


def deflection_count(*, start, end) -> int:
    """How many tickets the suggestions spared between `start` and `end` (the dashboard's figure)."""
    return Deflection.objects.filter(created_at__gte=start, created_at__lt=end).count()
