"""OpenStax textbooks on hand-written CNXML: order, title paths, kept and dropped text, ids, problems, credit."""

from __future__ import annotations

import shutil
from collections import Counter
from pathlib import Path

import pytest

from knowledge.errors import SourceNotFoundError
from knowledge.injection import injection_flags
from knowledge.schema import SourceDoc
from knowledge.sources import DATA_LOADERS, load_openstax_anatomy_physiology, load_openstax_microbiology
from knowledge.sources.cnxml import parse_xml, read_page
from knowledge.sources.openstax import ANATOMY_PHYSIOLOGY, page_slug, read_openstax

BOOK = "Anatomy and Physiology 2e"
CHAPTER_1 = f"{BOOK} › 1 An Introduction to the Human Body"
OVERVIEW = f"{CHAPTER_1} › 1.1 Overview of Anatomy and Physiology"
PAGES = "https://openstax.org/books/anatomy-and-physiology-2e/pages/"


@pytest.fixture
def docs(test_data: Path) -> dict[str, SourceDoc]:
    return {d.doc_id: d for d in load_openstax_anatomy_physiology(test_data).docs}


def test_book_order_and_title_paths(docs: dict[str, SourceDoc]) -> None:
    # Collection order, then reading order within a page; a parent section comes before its subsection.
    assert list(docs) == [
        "openstax_ap:m00001:lead",
        "openstax_ap:m00002:lead",
        "openstax_ap:m00002:sec-levels",
        "openstax_ap:m00002:sec-cells",
        "openstax_ap:m00002:sec-summary",
        "openstax_ap:m00002:glossary",
        "openstax_ap:m00005:sec-burns",
    ]
    assert [d.metadata["order"] for d in docs.values()] == list(range(7))
    assert docs["openstax_ap:m00001:lead"].title == f"{CHAPTER_1} › Introduction"
    assert docs["openstax_ap:m00002:lead"].title == OVERVIEW
    assert docs["openstax_ap:m00002:lead"].section is None
    cells = docs["openstax_ap:m00002:sec-cells"]
    assert cells.title == f"{OVERVIEW} › Levels of Organization › The Cellular Level"
    assert cells.section == "The Cellular Level"
    assert cells.metadata["section_path"] == ["Levels of Organization", "The Cellular Level"]
    assert docs["openstax_ap:m00002:sec-summary"].metadata["kind"] == "summary"
    # Chapters are numbered through the book, across units ("Support and Movement" holds chapter 2).
    burns = docs["openstax_ap:m00005:sec-burns"]
    chapter_2 = f"{BOOK} › 2 The Integumentary System"
    assert burns.title == f"{chapter_2} › 2.2 Diseases, Disorders, and Injuries of the Integumentary System › Burns"
    assert burns.metadata["chapter"] == "The Integumentary System" and burns.metadata["chapter_number"] == 2


def test_text_is_readable_prose(docs: dict[str, SourceDoc]) -> None:
    text = {k.rsplit(":", 1)[1]: d.text for k, d in docs.items() if k.startswith("openstax_ap:m00002")}
    # Inline term/emphasis/link keep their text; an empty cross-reference names what it points at.
    assert text["lead"] == "Human anatomy is the study of the body’s structures (Figure a). See this video for more."
    levels = text["sec-levels"]
    assert "N + 3H → NH3" in levels  # MathML as plain text
    assert "6.02 × 10^23 particles of Ca++" in levels  # a power of ten, and a charge without a caret
    assert "Figure: Gross and Microscopic Anatomy. (a) Gross anatomy considers large structures." in levels
    assert "cells. tissues." in levels  # list items end as sentences
    cells = text["sec-cells"]
    assert "Disorders: Skin Cancer. Melanoma is the most deadly skin cancer." in cells  # feature box kept
    assert "Functional Groups. Group: Hydroxyl; Importance: Polar. Group: Amino; Importance: In amino acids." in cells
    assert text["glossary"] == (
        "anatomy: science that studies the form of the body. physiology: science that studies the function of the body."
    )
    intro = docs["openstax_ap:m00001:lead"].text
    assert intro == (
        "Figure: Blood Pressure. Anatomy is fundamental to the health professions. "
        "Knowing the human body helps you make healthful choices."
    )


def test_nested_section_text_is_not_repeated_in_its_parent(docs: dict[str, SourceDoc]) -> None:
    assert "smallest independently functioning unit" in docs["openstax_ap:m00002:sec-cells"].text
    assert "smallest independently functioning unit" not in docs["openstax_ap:m00002:sec-levels"].text
    assert "Ammonia" not in docs["openstax_ap:m00002:sec-cells"].text


def test_exercises_objectives_media_and_footnotes_are_dropped(test_data: Path) -> None:
    read = read_openstax(ANATOMY_PHYSIOLOGY, test_data)
    everything = " ".join(d.title + " " + d.text for d in read.bundle.docs)
    for gone in (
        "REVIEW-QUESTION-TEXT",  # multiple-choice section
        "CRITICAL-THINKING-TEXT",  # free-response section
        "Review Questions",
        "Watch this video",  # interactive note
        "After studying this chapter",  # chapter objectives
        "By the end of this section",  # abstract (learning objectives)
        "credit",  # photo credits in captions
        "Some citation",  # footnote
        "A nurse takes",  # image alt text
        "Nothing Here",  # empty section
        "<",
        "http",
    ):
        assert gone not in everything, gone
    assert read.dropped == {
        "note:chapter-objectives": 1,
        "note:interactive": 1,
        "section:multiple-choice": 1,
        "section:free-response": 1,
        "empty": 1,
    }


def test_missing_and_malformed_pages_are_counted_not_fatal(test_data: Path) -> None:
    bundle = load_openstax_anatomy_physiology(test_data)
    report = bundle.report
    assert (report.records, report.malformed, report.skipped) == (3, 1, 1)
    problems = {p.file: p for p in report.problems}
    folder = "en/openstax_anatomy_physiology/modules"
    assert "missing on disk" in problems[f"{folder}/m00003/index.cnxml"].reason
    assert problems[f"{folder}/m00004/index.cnxml"].line == 5
    assert "invalid CNXML" in problems[f"{folder}/m00004/index.cnxml"].reason
    # The missing page opened chapter 2 and the malformed one is 2.1: the page after them is still 2.2.
    burns = next(d for d in bundle.docs if d.doc_id == "openstax_ap:m00005:sec-burns")
    assert burns.provenance.url == PAGES + "2-2-diseases-disorders-and-injuries-of-the-integumentary-system"


def test_provenance_and_attribution_on_every_doc(docs: dict[str, SourceDoc], test_data: Path) -> None:
    for doc in docs.values():
        prov = doc.provenance
        assert prov.source == "openstax_anatomy_physiology" and prov.licence == "CC BY 4.0"
        assert doc.doc_id == f"openstax_ap:{prov.native_id}"
        assert prov.file and (test_data / prov.file).is_file()
        assert prov.url and prov.url.startswith(PAGES)
        credit = doc.metadata["attribution"]
        assert credit.startswith(f"{BOOK}, OpenStax, CC BY 4.0, {prov.url}")
        assert doc.entities == []
    assert docs["openstax_ap:m00001:lead"].provenance.url == PAGES + "1-introduction"
    assert docs["openstax_ap:m00002:glossary"].provenance.url == PAGES + "1-1-overview-of-anatomy-and-physiology"


def test_loading_twice_gives_the_same_documents(test_data: Path) -> None:
    first = load_openstax_anatomy_physiology(test_data).docs
    assert first == load_openstax_anatomy_physiology(test_data).docs


def test_registered_sources() -> None:
    assert DATA_LOADERS["openstax_anatomy_physiology"] is load_openstax_anatomy_physiology
    assert DATA_LOADERS["openstax_microbiology"] is load_openstax_microbiology


@pytest.mark.parametrize(
    ("label", "title", "slug"),
    [
        (
            "2-1",
            "Elements and Atoms: The Building Blocks of Matter",
            "2-1-elements-and-atoms-the-building-blocks-of-matter",
        ),
        ("26-4", "Acid-Base Balance ", "26-4-acid-base-balance"),
        ("11-4", "Protein Synthesis (Translation)", "11-4-protein-synthesis-translation"),
        ("1", "Introduction", "1-introduction"),
    ],
)
def test_page_slug_as_openstax_org_writes_it(label: str, title: str, slug: str) -> None:
    assert page_slug(label, title) == slug


def test_doctype_with_entities_is_refused(test_data: Path, tmp_path: Path) -> None:
    book = tmp_path / "en" / "openstax_anatomy_physiology"
    shutil.copytree(test_data / "en" / "openstax_anatomy_physiology", book)
    (book / "modules" / "m00005" / "index.cnxml").write_text(
        '<?xml version="1.0"?><!DOCTYPE d [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;">]>'
        '<document xmlns="http://cnx.rice.edu/cnxml"><title>Bomb</title><content><para>&b;</para></content></document>',
        encoding="utf-8",
    )
    bundle = load_openstax_anatomy_physiology(tmp_path)
    assert bundle.report.malformed == 2
    assert any("DOCTYPE" in p.reason for p in bundle.report.problems)
    assert not any(d.doc_id.startswith("openstax_ap:m00005") for d in bundle.docs)


_MICRO_COLLECTION = """<?xml version="1.0"?>
<col:collection xmlns="http://cnx.rice.edu/collxml" xmlns:md="http://cnx.rice.edu/mdml"
  xmlns:col="http://cnx.rice.edu/collxml">
  <metadata><md:title>Microbiology</md:title></metadata>
  <col:content>
    <col:module document="m90000"/>
    <col:subcollection><md:title>An Invisible World</md:title>
      <col:content><col:module document="m90001"/></col:content></col:subcollection>
    <col:module document="m90002"/>
  </col:content>
</col:collection>"""
_MICRO_MODULES = {
    "m90000": '<document xmlns="http://cnx.rice.edu/cnxml" class="preface"><title>Preface</title>'
    "<content><para>Welcome to Microbiology.</para></content></document>",
    "m90001": '<document xmlns="http://cnx.rice.edu/cnxml"><title>What Our Ancestors Knew</title><content>'
    '<section id="lo" class="learning-objectives"><title>Learning Objectives</title><para>Describe it.</para></section>'
    '<note class="microbiology check-your-understanding"><list><item>Why? QUESTION-TEXT</item></list></note>'
    '<note class="microbiology clinical-focus"><title>Part 1</title><para>Cora has a stiff neck.</para></note>'
    '<section id="s1"><title>Fermented Foods</title><para>Yogurt is fermented.</para></section>'
    "</content></document>",
    "m90002": '<document xmlns="http://cnx.rice.edu/cnxml"><title>Glossary</title><content class="appendix">'
    '<section id="g" class="column-container"><section id="ga"><title>A</title><list>'
    "<item><emphasis>acidophile</emphasis> organism that grows best at low pH</item>"
    "</list></section></section></content></document>",
}


def test_microbiology_book_front_and_back_matter(tmp_path: Path) -> None:
    book = tmp_path / "en" / "openstax_microbiology"
    (book / "collections").mkdir(parents=True)
    (book / "collections" / "microbiology.collection.xml").write_text(_MICRO_COLLECTION, encoding="utf-8")
    for module, xml in _MICRO_MODULES.items():
        (book / "modules" / module).mkdir(parents=True)
        (book / "modules" / module / "index.cnxml").write_text(xml, encoding="utf-8")
    docs = {d.doc_id: d for d in load_openstax_microbiology(tmp_path).docs}
    assert list(docs) == ["openstax_micro:m90001:lead", "openstax_micro:m90001:s1", "openstax_micro:m90002:ga"]
    assert docs["openstax_micro:m90001:lead"].text == "Clinical focus: Part 1. Cora has a stiff neck."
    assert (
        docs["openstax_micro:m90001:s1"].title
        == "Microbiology › 1 An Invisible World › 1.1 What Our Ancestors Knew › Fermented Foods"
    )
    glossary = docs["openstax_micro:m90002:ga"]
    assert glossary.title == "Microbiology › Appendix A: Glossary › A"
    assert glossary.text == "acidophile: organism that grows best at low pH."
    assert glossary.metadata["kind"] == "glossary"
    assert glossary.provenance.url == "https://openstax.org/books/microbiology/pages/a-glossary"
    assert (
        docs["openstax_micro:m90001:s1"]
        .metadata["attribution"]
        .startswith(
            "Microbiology, OpenStax, CC BY 4.0, https://openstax.org/books/microbiology/pages/1-1-what-our-ancestors-knew"
        )
    )


def test_missing_book_names_the_setting(tmp_path: Path) -> None:
    with pytest.raises(SourceNotFoundError, match="CLINICALGPT_DATA_DIR"):
        load_openstax_microbiology(tmp_path)
    with pytest.raises(SourceNotFoundError, match="CLINICALGPT_DATA_DIR"):
        load_openstax_microbiology(None)


def test_a_system_table_header_does_not_read_as_a_chat_role() -> None:
    # "System: Digestive system" opening a sentence is what `knowledge.injection` flags as a role label.
    page = read_page(
        parse_xml(
            b'<document xmlns="http://cnx.rice.edu/cnxml"><title>Stress</title><content><table><tgroup cols="2">'
            b"<thead><row><entry>System</entry><entry>Illness</entry></row></thead><tbody>"
            b"<row><entry>Digestive system</entry><entry>Heartburn</entry></row></tbody></tgroup></table>"
            b"</content></document>"
        ),
        Counter(),
    )
    (part,) = page.parts
    assert part.text == "System — Digestive system; Illness: Heartburn."
    assert injection_flags(part.text) == []
