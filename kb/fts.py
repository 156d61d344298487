"""SQLite's full-text index of articles (FTS5): its tables, what a row holds, and how a query becomes
an FTS5 MATCH expression. Pure names and functions: kb.services writes the rows, kb.selectors reads
them. PostgreSQL does not use any of this (it has the article's search vector, kb.services).

Migration 0004 creates, on SQLite only:
- `kb_article_fts(title, tags, body)`, rowid = the article's id, tokenised by unicode61 with
  diacritics removed: "Bloquée", "BLOQUEE" and "bloquee" are the same term. Its `rank` is
  bm25(10, 2, 1): a title match outweighs a tag match, which outweighs a body match.
- `kb_article_fts_vocab`, an fts5vocab view of the index's terms (nothing to keep in sync), where
  the one-typo variants of a query word are looked up.

The index holds every article, drafts and internal ones included: who sees what is decided by
kb.selectors.articles_visible_to, joined to the index in the same query.
"""

from __future__ import annotations

import re
import unicodedata

FTS_TABLE = "kb_article_fts"
VOCAB_TABLE = "kb_article_fts_vocab"
# kb.selectors wraps matches in these private-use code points; they are taken out of the indexed
# text so an article cannot forge a highlight.
UNINDEXED = str.maketrans("", "", "\ue000\ue001")

# Words of at least this many letters match as a prefix of their stem ("imprimantes" → imprimant*).
# Shorter ones ("vpn", "mot") match exactly: as prefixes they would match far too many words.
PREFIX_MIN_LENGTH = 4
# Common French and English inflections, longest first, stripped while 4 letters remain: plurals
# (-s, -x, -es), feminine and past participles (-e, -ee, -ees, -ed), infinitives and imperatives
# (-er, -ez), -ing, -ement, -ation. A light stemmer; the prefix match does the rest ("relanc*" finds
# "relancez", "relancer", "relance").
SUFFIXES = ("ements", "ement", "ations", "ation", "ings", "ing", "ees", "ee", "es", "er", "ez", "ed", "e", "s", "x")
MIN_STEM_LENGTH = 4
# One typo is forgiven in words of 5 to 30 letters ("bloqee" → "bloquee"): in shorter ones one letter
# changed is too often another word ("mail" → "main"), and a longer one is not a word someone misspelt.
TYPO_MIN_LENGTH, TYPO_MAX_LENGTH = 5, 30
ALPHABET = "abcdefghijklmnopqrstuvwxyz"


def fold(text: str) -> str:
    """Lower case without diacritics, as unicode61 remove_diacritics 2 indexes French and English words
    ("Écran" → "ecran", "Œuvre" → "œuvre")."""
    decomposed = unicodedata.normalize("NFKD", text.lower())
    return "".join(char for char in decomposed if not unicodedata.combining(char))


def index_row(article) -> tuple[int, str, str, str]:
    """(rowid, title, tags, body) of the article's row in the index."""
    return (article.pk, article.title.translate(UNINDEXED), article.tags.translate(UNINDEXED),
            article.body.translate(UNINDEXED))


def terms(words: list[str]) -> list[str]:
    """The index terms of the query's words, as the tokenizer splits them: letters and digits, folded
    ("d'erreur" → "erreur", "Wi-Fi" → "wi", "fi"); one-letter pieces out, duplicates once."""
    found: dict[str, None] = {}
    for word in words:
        for term in re.findall(r"[^\W_]+", fold(word)):
            if len(term) >= 2:
                found[term] = None
    return list(found)


def stem(term: str) -> str:
    for suffix in SUFFIXES:
        if term.endswith(suffix) and len(term) - len(suffix) >= MIN_STEM_LENGTH:
            return term[: -len(suffix)]
    return term


def _term_query(term: str) -> str:
    # Terms are letters and digits only, so quoting them is enough to keep FTS5 syntax (AND, NEAR, ^,
    # column filters) out of a query.
    return f'"{stem(term)}"*' if len(term) >= PREFIX_MIN_LENGTH else f'"{term}"'


def match_expression(terms: list[str], *, match_any: bool, alternatives: dict[str, list[str]] | None = None) -> str:
    """Every term (search page) or any term (suggestions), each as its stem's prefix or, given
    `alternatives`, as any of them: `"imprimnt"* AND ("bloqe"* OR "bloqu"*)`."""
    parts = []
    for term in terms:
        options = list(dict.fromkeys(_term_query(t) for t in [term, *(alternatives or {}).get(term, [])]))
        parts.append(options[0] if len(options) == 1 else f"({' OR '.join(options)})")
    return (" OR " if match_any else " AND ").join(parts)


def one_typo_variants(term: str) -> set[str]:
    """Every word one letter deleted, swapped with the next, changed or inserted away from `term`
    (53 per letter or so: 500 for "imprimnte"), to be looked up in the index's vocabulary: the cost
    depends on the word, not on the number of articles."""
    if not TYPO_MIN_LENGTH <= len(term) <= TYPO_MAX_LENGTH:
        return set()
    splits = [(term[:i], term[i:]) for i in range(len(term) + 1)]
    variants = {left + right[1:] for left, right in splits if right}
    variants |= {left + right[1] + right[0] + right[2:] for left, right in splits if len(right) > 1}
    variants |= {left + letter + right[1:] for left, right in splits if right for letter in ALPHABET}
    variants |= {left + letter + right for left, right in splits for letter in ALPHABET}
    variants.discard(term)
    return variants
