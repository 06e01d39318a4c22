"""Integration fixtures: a real knowledge base built once from a documented subset of CLINICALGPT_DATA_DIR.

These tests must run in CI (which sets CLINICALGPT_DATA_DIR=../shared/data); when the data folder is
missing they fail with the fix rather than skip silently.

The knowledge base is real (real loaders, real files, real embedding model, real indexes) but built from a
subset, so CI stays well inside its time on a machine several times slower than ours; the full build is
`bench/build.py`'s job. The subset (`integration_data_dir`) is a folder of links to the shared files except:

- MedQuAD: the answers of the foci the tests ask about (`FOCI`) plus a seeded sample of `MEDQUAD_SAMPLE`
  other answers;
- Disease Ontology definitions: those of the diseases the tests name (`DISEASES`) plus a seeded sample of
  `DEFINITION_SAMPLE` (every disease is still a node, with its hierarchy, cross-references and facts);
- FDA labels: the `LABELS` the tests ask about plus a seeded sample of `LABEL_SAMPLE` others, so the right
  label has to win against other drugs' sections.

Sources: `INTEGRATION_SOURCES`. HPO, ChatDoctor and the textbooks add build time without changing what is
checked here (their loaders have unit tests).
"""

from __future__ import annotations

import csv
import json
import os
import random
from pathlib import Path

import pytest

from knowledge.kb import KnowledgeBase, build_knowledge_base
from knowledge.settings import KnowledgeSettings

INTEGRATION_SOURCES = [
    "medquad",
    "disease_ontology",
    "symptom_ontology",
    "hsdn",
    "ddxplus",
    "fda_labels",
    "indications",
    "icd10cm",
]
#: MedQuAD foci asked about by the integration tests: all their answers are kept.
FOCI = frozenset(
    {
        "myocarditis",
        "influenza",
        "flu",
        "glaucoma",
        "paget's disease of bone",
        "cystic fibrosis",
        "abetalipoproteinemia",
    }
)
MEDQUAD_SAMPLE = 2000
#: Diseases whose definitions the tests rely on: myocarditis, influenza, glaucoma, Paget's disease of bone,
#: cystic fibrosis.
DISEASES = frozenset({"DOID:820", "DOID:8469", "DOID:1686", "DOID:5408", "DOID:1485"})
DEFINITION_SAMPLE = 1500
#: FDA labels kept: warfarin, atorvastatin, clopidogrel, ondansetron, tramadol, codeine.
LABELS = ("NDA009218", "NDA020702", "NDA020839", "NDA020103", "NDA020281", "NDA022402")
LABEL_SAMPLE = 40
SEED = 0


def real_data_dir() -> Path:
    value = os.environ.get("CLINICALGPT_DATA_DIR")
    default = Path(__file__).resolve().parents[3] / "shared" / "data"
    path = Path(value).expanduser() if value else default
    if not (path / "en" / "medquad").is_dir():
        pytest.fail(f"integration tests need the datasets: set CLINICALGPT_DATA_DIR (tried {path})")
    return path


def _link_tree(src: Path, dst: Path, skip: set[str]) -> None:
    """Mirror `src` into `dst` with symbolic links to its files, leaving out the relative paths in `skip`."""
    for path in src.rglob("*"):
        rel = path.relative_to(src).as_posix()
        if path.is_file() and rel not in skip:
            (dst / rel).parent.mkdir(parents=True, exist_ok=True)
            (dst / rel).symlink_to(path)


def integration_data_dir(real: Path, dest: Path) -> Path:
    """The documented subset of the datasets (see the module docstring), as a data folder under `dest`."""
    en, out = real / "en", dest / "en"
    medquad = "medquad/medquad_answered.jsonl"
    definitions = "disease_ontology/do_definitions.tsv"
    # Label files are named by application number (NDA…, ANDA…, BLA…); `timestamp.json` is not a label.
    others = sorted(p.name for p in (en / "fda_labels").glob("*A*.json") if p.stem not in LABELS)
    kept_labels = set(random.Random(SEED).sample(others, LABEL_SAMPLE))
    _link_tree(en, out, {medquad, definitions, *(f"fda_labels/{n}" for n in others if n not in kept_labels)})

    lines = (en / medquad).read_text(encoding="utf-8").splitlines()
    focus = [(json.loads(line).get("focus") or "").lower() for line in lines]
    chosen = set(random.Random(SEED).sample(range(len(lines)), MEDQUAD_SAMPLE))
    kept = [line for i, line in enumerate(lines) if i in chosen or focus[i] in FOCI]
    (out / medquad).write_text("\n".join(kept) + "\n", encoding="utf-8")

    with (en / definitions).open(encoding="utf-8", newline="") as fh:
        rows = list(csv.reader(fh, delimiter="\t"))
    header, body = rows[0], rows[1:]
    sample = set(random.Random(SEED).sample(range(len(body)), DEFINITION_SAMPLE))
    with (out / definitions).open("w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh, delimiter="\t", lineterminator="\n")
        writer.writerows([header, *(row for i, row in enumerate(body) if i in sample or row[0] in DISEASES)])
    return dest


@pytest.fixture(scope="session")
def real_kb(tmp_path_factory: pytest.TempPathFactory) -> KnowledgeBase:
    data_dir = integration_data_dir(real_data_dir(), tmp_path_factory.mktemp("integration-data"))
    kb_dir = tmp_path_factory.mktemp("realkb") / "kb"
    build_knowledge_base(
        KnowledgeSettings(data_dir=data_dir, kb_dir=kb_dir, sources=INTEGRATION_SOURCES, show_progress=False)
    )
    return KnowledgeBase.load(kb_dir)
