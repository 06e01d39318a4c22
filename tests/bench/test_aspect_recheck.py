"""The aspect re-check of judged answers reads the files it names and the quoted text of each answer."""

from __future__ import annotations

from bench.aspect_recheck import JUDGED, answer_body
from bench.judged_sample import DATA


def test_every_judged_sample_it_reads_is_in_the_repository() -> None:
    for _, _, answers, judgments in JUDGED:
        assert answers.is_file(), answers
        assert (DATA / judgments).is_file(), judgments


def test_the_answer_body_is_the_quoted_sentences_only() -> None:
    rendered = (
        "What the sources say about Statins:\nStatins lower cholesterol [1]. Take them daily [2].\n"
        "References:\n[1] Statins (medquad:1#0)\n\nThis information is for education only."
    )
    assert answer_body(rendered) == "Statins lower cholesterol [1]. Take them daily [2]."
