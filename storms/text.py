"""The words of a ticket, as storm detection compares them: the words of its title, folded (case and
accents out) and stemmed with the knowledge base's light stemmer (kb.fts), so "Connexion",
"connexions" and "CONNEXION" are one term. Pure functions, the same on PostgreSQL and SQLite; typos
are forgiven by the databases (storms.similarity; docs/storms.md, "Wording"). Descriptions are left
out: their greetings, signatures and everyday sentences ("je suis en télétravail") burst with any busy
morning."""

from __future__ import annotations

import functools
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


def words(text: str) -> list[str]:
    """The distinct words of a text, folded (case and accents out), stopwords, short words and numbers out."""
    found: dict[str, None] = {}
    for word in re.findall(r"[^\W_]+", fold(text)):
        if len(word) >= MIN_LENGTH and word not in STOPWORDS and not word.isdigit():
            found[word] = None
    return list(found)


def terms(text: str) -> set[str]:
    """The distinct stemmed terms of a text, stopwords and short words out."""
    return {stem(word) for word in words(text)} - STOPWORDS


# Titles whose terms a process keeps: twice STORM_WINDOW_LIMIT, the most tickets one detection reads.
TITLES_KEPT = 4096


@functools.lru_cache(maxsize=TITLES_KEPT)
def ticket_terms(title: str) -> frozenset[str]:
    """A ticket's terms, kept per process by title: each new ticket's detection reads the window's tickets again (the
    last hour's, up to STORM_WINDOW_LIMIT), and folding and stemming their titles once more was four fifths of the
    worker's time on a ticket under load (bench/RESULTS.md, session 23). Keyed by the title itself, an edited title
    is read anew."""
    return frozenset(terms(title))
