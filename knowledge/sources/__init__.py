"""Source loaders: one function per public dataset, each returning a `SourceBundle`."""

from __future__ import annotations

import difflib
from collections.abc import Callable
from pathlib import Path

from knowledge.errors import UnknownSourceError
from knowledge.sources.base import LoadReport, Problem, SourceBundle
from knowledge.sources.fda_labels import load_fda_labels
from knowledge.sources.indications import load_indications
from knowledge.sources.medquad import load_medquad
from knowledge.sources.networks import load_chatdoctor, load_ddxplus, load_hsdn
from knowledge.sources.ontologies import load_disease_ontology, load_symptom_ontology
from knowledge.sources.openstax import load_openstax_anatomy_physiology, load_openstax_microbiology
from knowledge.sources.packaged import load_hpo, load_icd10cm
from knowledge.sources.user_docs import load_user_docs

#: Loaders that read the data dir. `icd10cm` is special: it loads the codes the others refer to.
DATA_LOADERS: dict[str, Callable[[Path | None], SourceBundle]] = {
    "medquad": load_medquad,
    "disease_ontology": load_disease_ontology,
    "symptom_ontology": load_symptom_ontology,
    "hsdn": load_hsdn,
    "ddxplus": load_ddxplus,
    "chatdoctor": load_chatdoctor,
    "hpo": lambda _data_dir: load_hpo(),
    "fda_labels": load_fda_labels,
    "indications": load_indications,
    "openstax_anatomy_physiology": load_openstax_anatomy_physiology,
    "openstax_microbiology": load_openstax_microbiology,
}
KNOWN_SOURCES: tuple[str, ...] = (*DATA_LOADERS, "icd10cm")


def check_sources(names: list[str]) -> None:
    """Fail on unknown source names, suggesting the closest known one."""
    for name in names:
        if name not in KNOWN_SOURCES:
            close = difflib.get_close_matches(name, KNOWN_SOURCES, n=1)
            hint = f"; did you mean `{close[0]}`?" if close else ""
            msg = f"unknown source `{name}` in `sources`{hint} Known: {', '.join(KNOWN_SOURCES)}"
            raise UnknownSourceError(msg)


__all__ = [
    "DATA_LOADERS",
    "KNOWN_SOURCES",
    "LoadReport",
    "Problem",
    "SourceBundle",
    "check_sources",
    "load_chatdoctor",
    "load_ddxplus",
    "load_disease_ontology",
    "load_fda_labels",
    "load_hpo",
    "load_hsdn",
    "load_icd10cm",
    "load_indications",
    "load_medquad",
    "load_openstax_anatomy_physiology",
    "load_openstax_microbiology",
    "load_symptom_ontology",
    "load_user_docs",
]
