"""The words of a ticket, as storm detection compares them: the words of its title, folded (case and
accents out) and stemmed with the knowledge base's light stemmer (kb.fts), so "Connexion",
"connexions" and "CONNEXION" are one term. Pure functions, the same on PostgreSQL and SQLite
(docs/storms.md, "Wording"). Descriptions are left out: their greetings, signatures and everyday
sentences ("je suis en télétravail") burst with any busy morning."""

from __future__ import annotations

import re

from kb.fts import fold, stem

# Words that say nothing about what broke: grammar and the helpdesk's everyday vocabulary. The
# baseline (StormBaseline, kind "term") makes any other frequent word hard to burst; these are out
# even before a baseline exists.
_STOPWORDS = """
a au aux avec ce ces cet cette dans de des du elle en est et il ils je la le les leur lui ma mais me
mes mon ne nos notre nous on ou par pas plus pour qu que qui sa se ses son sur ta te tes ton tu un une
vos votre vous y ai as avons avez ont suis sont etre avoir fait faire peut peux plus depuis tres
bonjour merci cordialement svp stp madame monsieur urgent urgence aide besoin demande probleme
problemes souci soucis impossible marche fonctionne fonctionner fonction erreur panne bloque bloquee
encore toujours matin soir aujourd hui hier jour cela ceci comme quand avant apres sans sous tout tous
the and for with from not can cannot does doesn don isn this that have has please help issue error
problem hello thanks
"""
STOPWORDS = frozenset(_STOPWORDS.split())
MIN_LENGTH = 3


def terms(text: str) -> set[str]:
    """The distinct stemmed terms of a text, stopwords and short words out."""
    found = set()
    for word in re.findall(r"[^\W_]+", fold(text)):
        if len(word) >= MIN_LENGTH and word not in STOPWORDS and not word.isdigit():
            found.add(stem(word))
    return found - STOPWORDS


def ticket_terms(title: str) -> set[str]:
    return terms(title)


def near(a: str, b: str) -> bool:
    """Two terms one typo apart: two neighbouring letters swapped, at any length ("vnp" ~ "vpn"), or one
    letter added, dropped or replaced when the shorter has at least NEAR_MIN_LENGTH letters ("outlok" ~
    "outlook"; "mail" and "main" stay two words)."""
    la, lb = len(a), len(b)
    if a == b or abs(la - lb) > 1 or min(la, lb) < MIN_LENGTH:
        return False
    if la == lb:
        diff = [i for i in range(la) if a[i] != b[i]]
        if len(diff) == 2 and diff[1] == diff[0] + 1 and a[diff[0]] == b[diff[1]] and a[diff[1]] == b[diff[0]]:
            return True
        return len(diff) == 1 and la >= NEAR_MIN_LENGTH
    if min(la, lb) < NEAR_MIN_LENGTH:
        return False
    short, long = (a, b) if la < lb else (b, a)
    i = 0
    while i < len(short) and short[i] == long[i]:
        i += 1
    return short[i:] == long[i + 1:]


NEAR_MIN_LENGTH = 5


def typo_map(weights: dict[str, float]) -> dict[str, str]:
    """{typo: term}: each term one typo away (`near`) from a heavier one is read as the heaviest such
    term (weights: how many tickets of the window hold it; an open storm's word counts more than any).
    Words are compared only with words of the same first letter and a length one apart at most."""
    buckets: dict[tuple[str, int], list[str]] = {}
    for term in weights:
        buckets.setdefault((term[:1], len(term)), []).append(term)
    found = {}
    for term, weight in weights.items():
        best = None
        for length in (len(term) - 1, len(term), len(term) + 1):
            for other in buckets.get((term[:1], length), ()):
                if (weights[other] > weight and near(term, other)
                        and (best is None or (weights[other], other) > (weights[best], best))):
                    best = other
        if best is not None:
            found[term] = best
    return found


def share_a_word(these: set[str], those: set[str]) -> bool:
    """A word in common, typos forgiven (`near`): "VNP" meets "VPN"."""
    return bool(these & those) or any(near(a, b) for a in these for b in those)
