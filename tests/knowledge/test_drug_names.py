"""The outside brand → generic table (`drug-named-entity-recognition`'s dictionary, read without importing it)."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from knowledge.errors import KnowledgeError
from knowledge.graph import drug_names
from knowledge.graph.drug_names import drug_words, generic_names


def test_brands_the_knowledge_base_lacks_map_to_their_generic_names() -> None:
    names = generic_names()
    assert names["tylenol"] == "acetaminophen" and names["paracetamol"] == "acetaminophen"
    assert names["advil"] == "ibuprofen" and names["glucophage"] == "metformin"
    assert "aspirin" not in names  # a generic name is not its own alias
    assert not [n for n in names if " " in n or len(n) < drug_names.MIN_NAME_LETTERS]
    # Read from the installed files, never imported: importing it would unpickle a cache from the home folder.
    assert "drug_named_entity_recognition" not in sys.modules


def test_drug_words_hold_generic_names_as_well_as_brands() -> None:
    """The spelling fixer read "aclidinium" (a generic the knowledge base lacks) as a typo of "clidinium"."""
    words = drug_words()
    assert {"aclidinium", "eliquis", "apixaban", "tylenol", "acetaminophen"} <= words
    assert not [w for w in words if " " in w or len(w) < drug_names.MIN_NAME_LETTERS]


def test_a_dictionary_that_is_not_the_pinned_release_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    fake = tmp_path / "drug_ner_dictionary.pkl.bz2"
    fake.write_bytes(b"not the pinned file")
    monkeypatch.setattr(drug_names, "dictionary_path", lambda: fake)
    generic_names.cache_clear()
    try:
        with pytest.raises(KnowledgeError, match="not the pinned"):
            generic_names()
    finally:
        generic_names.cache_clear()
