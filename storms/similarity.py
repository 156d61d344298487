"""Close wording, as the database finds it (docs/storms.md, "Wording"): which tickets' titles hold a word
close to a given term, typos forgiven ("outlook" is in "Outlok ne démarre plus").

- PostgreSQL: pg_trgm's word similarity, `word_similarity(term, title) >= WORD_SIMILARITY` (the share
  of the term's trigrams found in the closest stretch of the title, words padded by spaces), the title
  folded (lower case, accents out) as the terms are.
- SQLite: the FTS5 trigram index of the titles (storms migration 0002): the share of the term's
  trigrams that the title's trigrams hold, counted in its fts5vocab view, >= TRIGRAM_SHARE.

Both count shared trigrams; they differ at the edges (PostgreSQL pads words and wants the trigrams in one
stretch of the title, SQLite counts them anywhere in it): "Yousgn" alone is close to "yousign" on
PostgreSQL (0.5) and not on SQLite (2 of 5 trigrams), "Telphone" to "telephon" on SQLite (3 of 6) and not
on PostgreSQL (0.45). Half is the threshold on both: one letter dropped, doubled or swapped with the next
in a word of 5 to 13 letters is forgiven 80 % of the time on PostgreSQL, 83 % on SQLite (231 such typos
of 12 words of the simulation; 0.6 forgave 59 % and 65 %, and left a "Yousgn" out of its storm).
Only terms of MIN_LENGTH letters or more are compared so: in shorter words one letter changed is too
often another word ("mail", "main"), and their trigrams are too few to tell.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable

from django.db import connection
from django.db.models import Func, Value
from django.db.models.functions import Lower

MIN_LENGTH = 5
WORD_SIMILARITY = 0.5
TRIGRAM_SHARE = 0.5
# The (ticket, term) pairs whose title holds at least `needed` of the term's trigrams: the vocabulary view
# gives, for a trigram, the tickets holding it (parameter: [[ticket id, term, trigram, needed], …]).
SQLITE_CLOSE = (
    "WITH q(doc, term, trigram, needed) AS (SELECT json_extract(value, '$[0]'), json_extract(value, '$[1]'), "
    "json_extract(value, '$[2]'), json_extract(value, '$[3]') FROM json_each(%s)) "
    "SELECT q.doc, q.term FROM q JOIN storms_title_trigram_vocab v ON v.term = q.trigram AND v.doc = q.doc "
    "GROUP BY q.doc, q.term HAVING count(DISTINCT v.term) >= max(q.needed)"
)
# PostgreSQL folds the title as kb.fts.fold does for French (translate: no unaccent extension needed).
ACCENTED = "àâäáãåéèêëîïíìôöóòõùûüúçñÿÀÂÄÁÃÅÉÈÊËÎÏÍÌÔÖÓÒÕÙÛÜÚÇÑŸ"
PLAIN = "aaaaaaeeeeiiiiooooouuuucnyaaaaaaeeeeiiiiooooouuuucny"


class Folded(Func):
    """Lower case, accents out (PostgreSQL only)."""

    function = "translate"

    def __init__(self, expression, **extra):
        super().__init__(Lower(expression), Value(ACCENTED), Value(PLAIN), **extra)


def _trigrams(term: str) -> list[str]:
    """The trigrams SQLite's tokenizer makes of a word: every three letters in a row."""
    return sorted({term[i:i + 3] for i in range(len(term) - 2)})


def close_in_titles(pairs: Iterable[tuple[int, str]]) -> set[tuple[int, str]]:
    """Of these (ticket id, term) pairs, those whose ticket's title holds a word close to the term (the
    term itself, or a typo of it); terms of fewer than MIN_LENGTH letters are left out. One query, its
    work in proportion to the pairs asked about (the callers ask only about the pairs that may be a typo)."""
    pairs = sorted({(ticket_id, term) for ticket_id, term in pairs if len(term) >= MIN_LENGTH})
    if not pairs:
        return set()
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                "SELECT p.id, p.term FROM unnest(%s::integer[], %s::text[]) AS p(id, term) "
                "JOIN tickets_ticket t ON t.id = p.id "
                "WHERE word_similarity(p.term, translate(lower(t.title), %s, %s)) >= %s",
                [[i for i, _t in pairs], [t for _i, t in pairs], ACCENTED, PLAIN, WORD_SIMILARITY])
        else:
            wanted = [[ticket_id, term, trigram, _needed(term)] for ticket_id, term in pairs
                      for trigram in _trigrams(term)]
            cursor.execute(SQLITE_CLOSE, [json.dumps(wanted)])
        return {(ticket_id, term) for ticket_id, term in cursor.fetchall()}


def _needed(term: str) -> int:
    """How many of the term's trigrams a title must hold (SQLite)."""
    return max(1, math.ceil(round(len(_trigrams(term)) * TRIGRAM_SHARE, 6)))
