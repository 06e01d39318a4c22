"""Applying spelling corrections to a question, and the notice that says so."""

from __future__ import annotations

from rag.policies import respell, spelling_notice


def test_whole_words_are_replaced_in_their_own_capitalisation() -> None:
    fixes = {"rabbies": "rabies", "tranaunay": "trenaunay"}
    assert respell("Help about Rabbies", fixes) == "Help about Rabies"
    assert respell("KLIPPEL-TRANAUNAY syndrome", fixes) == "KLIPPEL-TRENAUNAY syndrome"
    assert respell("rabbiesx is not a word we fix", fixes) == "rabbiesx is not a word we fix"


def test_no_fixes_leave_the_text_alone() -> None:
    assert respell("What is asthma?", {}) == "What is asthma?"


def test_the_notice_names_both_spellings() -> None:
    notice = spelling_notice({"fybromyaglia": "fibromyalgia"})
    assert "“fybromyaglia” as “fibromyalgia”" in notice
