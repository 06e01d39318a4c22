"""Training data (issue 10): examples in the inference prompt format, cited, decontaminated, split-safe."""

from __future__ import annotations

import random
import re

import pytest
from langchain_core.documents import Document

from knowledge.kb import KnowledgeBase
from knowledge.splits import medquad_split
from model.assistant import ClinicalAssistant
from model.settings import AppSettings
from model.train import builders
from model.train.decontaminate import EvalIndex, decontaminate, question_of, registered_eval_texts
from model.train.examples import TrainExample
from model.train.mixture import MixtureSettings, build_mixture
from rag.prompts import REFUSAL_SENTINEL, build_messages
from tests.conftest import TEST_DATA

MARKER = re.compile(r"\[(\d+)\]")


def test_cite_puts_the_marker_before_the_full_stop() -> None:
    assert builders.cite("It affects 1 in 12,000 people.", 2) == "It affects 1 in 12,000 people [2]."
    assert builders.cite("No full stop here", 3) == "No full stop here [3]."


def test_cited_sentences_skip_headings_questions_and_cut_ends() -> None:
    text = "Treatment. How might it be treated? Rest and fluids help most people recover. Severe cases need care …"
    assert builders.cited_sentences(text, 1, sentences=3, words=80) == "Rest and fluids help most people recover [1]."
    assert builders.cited_sentences("Short. Tiny.", 1, sentences=3, words=80) is None


def test_curated_items_keep_only_the_named_source() -> None:
    text = "Symptoms and signs of flu: Fever [Disease Ontology]; Groin pain [ChatDoctor]; cough [Disease Ontology]."
    assert builders.curated_items(text, "Disease Ontology") == ["Fever", "cough"]


def test_invented_names_are_unknown_and_passages_about_the_focus_are_not_refusal_context() -> None:
    names = builders.invented_names(random.Random(0), known=lambda name: name.startswith("Kess"), n=20)
    assert len(set(names)) == 20 and not any(n.startswith("Kess") for n in names)
    uti = {"UMLS:1", "urinary tract infections"}
    about = Document(page_content="Bacteria in the urinary tract cause infection.", metadata={"title": "Cystitis"})
    tagged = Document(page_content="Unrelated words.", metadata={"entities": ["UMLS:1"], "title": "x"})
    other = Document(page_content="Asthma narrows the airways.", metadata={"title": "Asthma"})
    assert builders._about(about, uti) and builders._about(tagged, uti) and not builders._about(other, uti)
    # Short specific words and plural forms count too ("Anal Cancer", "Minerals").
    anal = Document(page_content="Treatment options include surgery.", metadata={"title": "Anal Cancer"})
    assert builders._about(anal, {"anal cancer"})
    mineral = Document(page_content="Mineral and bone disorder in kidney disease.", metadata={"title": "x"})
    assert builders._about(mineral, {"minerals"})
    xyy = Document(page_content="Boys with it are taller.", metadata={"title": "47, XYY syndrome"})
    assert builders._about(xyy, {"47,xyy syndrome"})
    colon = Document(page_content="x", metadata={"title": "arginine:glycine amidinotransferase deficiency"})
    assert builders._about(colon, {"DOID:1", "l-arginine:glycine amidinotransferase deficiency"})


@pytest.fixture(scope="module")
def mixture(tiny_kb: KnowledgeBase) -> tuple[list[TrainExample], dict]:  # type: ignore[type-arg]
    assistant = ClinicalAssistant(AppSettings(kb_dir=tiny_kb.kb_dir), kb=tiny_kb)
    settings = MixtureSettings(knowledge_qa=6, kg_qa=3, exam=2, refusal_medquad=2, refusal_fictional=2, seed=1)
    return build_mixture(assistant, TEST_DATA, settings, [("toy-eval", "")])


def test_examples_use_the_chains_prompt_and_cite_the_gold_passage(
    mixture: tuple[list[TrainExample], dict],
    tiny_kb: KnowledgeBase,  # type: ignore[type-arg]
) -> None:
    examples, report = mixture
    assert report["kept_per_kind"]["knowledge_qa"] >= 3 and report["kept_per_kind"]["refusal"] >= 2
    assert report["decontamination"]["sets_not_checked"] == ["toy-eval"]
    for example in examples:
        user = example.messages[-1].content
        assert user.startswith("<sources>") and user.endswith("\nAnswer:")
        assert example.messages[0].role == "system"
        numbers = [int(n) for n in MARKER.findall(example.target)]
        if example.kind == "refusal":
            assert example.target == REFUSAL_SENTINEL and not numbers
            continue
        assert numbers and set(numbers) == set(example.cited)
        # The cited block holds the words the target quotes (the answer comes from that source).
        block = user.split(f"\n\n[{example.cited[0]}] (", 1)[1].split("\n\n[", 1)[0]
        assert _quoted(example) and all(part.lower() in block.lower() for part in _quoted(example)), example.id
    # The same prompt as inference: rebuilding it from the sources gives the same text.
    example = next(e for e in examples if e.kind == "knowledge_qa")
    assert example.messages[0].content == build_messages("q", [])[0]["content"]


def test_knowledge_questions_come_from_the_dev_split_only(
    mixture: tuple[list[TrainExample], dict],
    tiny_kb: KnowledgeBase,  # type: ignore[type-arg]
) -> None:
    examples, _ = mixture
    for example in examples:
        if example.kind == "knowledge_qa":
            doc_id = example.id.split(":", 1)[1]
            chunk = tiny_kb.chunk(f"{doc_id}#0")
            assert medquad_split(chunk.title) == "dev"


def _quoted(example: TrainExample) -> list[str]:
    """What the target takes from its source: the sentences of a knowledge answer, the items of a listing,
    the chosen option of an exam question."""
    text = MARKER.sub("", example.target).replace(" .", ".")
    if example.kind == "knowledge_qa":
        return [s.strip().rstrip(".") for s in re.split(r"(?<=\.) ", text) if s.strip()]
    if example.kind == "exam":
        return [text.split(": ", 1)[1].split(" is a symptom of ")[0]]
    items = re.split(r" include | is labelled for ", text, maxsplit=1)[1].rstrip(". ")
    return re.split(r", | and ", items)


def _qa(question: str, target: str, id_: str = "ex") -> TrainExample:
    return TrainExample(
        id=id_,
        kind="knowledge_qa",
        messages=build_messages(question, [Document(page_content="p", id="d1")]),
        target=target,
        source="test",
        licence="CC0",
        cited=[1],
    )


def test_decontamination_drops_shared_runs_and_equal_short_questions() -> None:
    exam_text = "A 45-year-old man presents with crushing chest pain radiating to the left arm and sweating for an hour"
    index = EvalIndex([("medqa", exam_text), ("medquad-heldout", "What is (are) Asthma ?"), ("empty", "")])
    copied = _qa(
        "What is the diagnosis?",
        "Presents with crushing chest pain radiating to the left arm and sweating for an hour, which is typical [1].",
        "copied",
    )
    same_question = _qa("What is (are) asthma?", "Asthma narrows the airways [1].", "same")
    clean = _qa("What is asthma?", "Asthma is a chronic disease of the airways [1].", "clean")
    assert question_of(same_question) == "What is (are) asthma?"
    kept, report = decontaminate([copied, same_question, clean], index)
    assert [e.id for e in kept] == ["clean"]
    assert report["dropped_per_set"] == {"medqa": 1, "medquad-heldout": 1}
    assert report["sets_not_checked"] == ["empty"]


def test_the_eval_package_registers_its_texts() -> None:
    from importlib.metadata import entry_points

    assert [e.value for e in entry_points(group="clinicalgpt.eval_texts")] == ["eval.contamination:evaluation_texts"]
    assert callable(registered_eval_texts)


def test_consultations_are_the_evaluations_prompt_and_the_reference_note() -> None:
    item = {
        "id": "mts-dialog:train-0",
        "prompt": "Below is a conversation…",
        "target": " HPI text. ",
        "source": "mts-dialog",
        "licence": "CC BY 4.0",
    }
    (example,) = list(builders.from_train_items([{**item, "kind": "consultation"}], "consultation"))
    assert example.kind == "consultation" and example.target == "HPI text."
    assert [m.role for m in example.messages] == ["user"] and example.messages[0].content == item["prompt"]


def test_templated_records_are_compared_whole() -> None:
    record = "Age: 40\nSex: male\nSymptoms and findings:\n- Do you have a cough that produces colored sputum? yes"
    index = EvalIndex([("ddxplus", record + "\n- Have you had a fever in the last week? yes")])
    same_frames = _qa("q", "Pneumonia\nBronchitis", "frames").model_copy(update={"exact_check": record})
    copied = _qa("q", "Pneumonia", "copy").model_copy(
        update={"exact_check": record + "\n- Have you had a fever in the last week? yes"}
    )
    kept, report = decontaminate([same_frames, copied], index)
    assert [e.id for e in kept] == ["frames"] and report["dropped_per_set"] == {"ddxplus": 1}


def test_only_permissive_licences_train_a_shipped_adapter() -> None:
    from model.train.mixture import permissively_licensed

    assert permissively_licensed("CC BY 4.0") and permissively_licensed("Apache-2.0; CC0 1.0; Public domain (NLM)")
    assert not permissively_licensed("CC BY-NC 4.0") and not permissively_licensed("CC0 1.0; CC BY-SA 4.0")
    assert not permissively_licensed("")
