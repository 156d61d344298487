"""How a query becomes an FTS5 MATCH expression on SQLite (kb/fts.py): folded like the index, stems
matched as prefixes, quoted so no query is FTS5 syntax, and one-typo variants bounded by the word."""

from __future__ import annotations

from kb import fts
from tests.kb.factories import make_article


def test_terms_are_folded_and_split_as_the_index_tokenizer_does():
    words = ["IMPRIMANTE", "bloquée", "d'erreur", "l’écran", "Wi-Fi", "0x51", "a_b"]

    assert fts.terms(words) == ["imprimante", "bloquee", "erreur", "ecran", "wi", "fi", "0x51"]


def test_common_endings_are_stripped_while_four_letters_remain():
    stems = {word: fts.stem(word) for word in ["imprimantes", "imprimante", "bloquees", "relancer", "relancez",
                                               "documents", "printing", "ecran", "passe", "mot", "vpns"]}

    assert stems == {"imprimantes": "imprimant", "imprimante": "imprimant", "bloquees": "bloqu",
                     "relancer": "relanc", "relancez": "relanc", "documents": "document", "printing": "print",
                     "ecran": "ecran", "passe": "pass", "mot": "mot", "vpns": "vpns"}


def test_the_expression_quotes_every_term_and_matches_short_ones_exactly():
    assert fts.match_expression(["imprimantes", "vpn"], match_any=False) == '"imprimant"* AND "vpn"'
    assert fts.match_expression(["imprimantes", "vpn"], match_any=True) == '"imprimant"* OR "vpn"'
    assert fts.match_expression(["imprimnte", "vpn"], match_any=False,
                                alternatives={"imprimnte": ["imprimante", "imprimantes"]}) == (
        '("imprimnt"* OR "imprimant"*) AND "vpn"')


def test_one_typo_variants_cover_each_kind_of_typo_and_stay_bounded():
    assert "imprimante" in fts.one_typo_variants("imprimnte")  # inserted
    assert "imprimnte" not in fts.one_typo_variants("imprimnte")
    assert "bloquee" in fts.one_typo_variants("bloqee")
    assert "imprimante" in fts.one_typo_variants("imprimantte")  # deleted
    assert "imprimante" in fts.one_typo_variants("imprimente")  # changed
    assert "imprimante" in fts.one_typo_variants("imprimatne")  # swapped
    assert len(fts.one_typo_variants("imprimnte")) < 60 * len("imprimnte")
    assert fts.one_typo_variants("mail") == set()  # too short: one letter away is another word
    assert fts.one_typo_variants("x" * 31) == set()


def test_indexed_text_cannot_carry_the_snippet_markers(agent_n1):
    article = make_article(author=agent_n1, title="Titre \ue000faux\ue001", body="Corps \ue000faux\ue001")

    assert fts.index_row(article)[1:] == ("Titre faux", "", "Corps faux")
