"""Typed records that flow from sources to indexes.

Citations are a data contract: every `SourceDoc`, `Chunk` and KG fact has a stable id and carries its
provenance (source, native id, title, url, licence, section), so an answer can always point at a
checkable origin.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any, Literal

from langchain_core.documents import Document
from pydantic import BaseModel, ConfigDict, Field, computed_field, model_validator

NodeType = Literal["disease", "symptom", "phenotype", "icd10cm", "test", "drug", "evidence", "concept"]
Relation = Literal[
    "has_symptom",
    "is_a",
    "has_code",
    "same_as",
    "has_test",
    "treated_with",
    "has_evidence",
    "has_risk_factor",
    "not_indicated",
]


Trust = Literal["curated", "user"]
#: Source name of the user's own documents (`knowledge.sources.user_docs`).
USER_SOURCE = "user"


def trust_of(source: str) -> Trust:
    """`user` for the user's own documents, `curated` for the public sources the project ships loaders for."""
    return "user" if source == USER_SOURCE else "curated"


class Provenance(BaseModel):
    """Where a record came from."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    source: str = Field(description="Source name, e.g. `medquad`, `disease_ontology`.")
    native_id: str = Field(description="Identifier in the source, e.g. `DOID:820` or a MedQuAD qid.")
    url: str | None = Field(default=None, description="Public URL of the record, when known.")
    licence: str = Field(description="Licence of the source, e.g. `CC BY 4.0`.")
    file: str | None = Field(default=None, description="File (relative to the data dir) it was read from.")


class SourceDoc(BaseModel):
    """One citable document before chunking (a QA answer, a definition, a user's note)."""

    model_config = ConfigDict(extra="forbid")

    doc_id: str = Field(description="Stable id, `<source>:<native id>`.")
    title: str = Field(description="Human title, e.g. the disease name.")
    text: str = Field(description="Plain text body.")
    section: str | None = Field(default=None, description="Section or question type, e.g. `symptoms`.")
    provenance: Provenance
    entities: list[str] = Field(default_factory=list, description="KG node ids this document is about.")
    metadata: dict[str, Any] = Field(default_factory=dict, description="Extra JSON-serialisable fields.")


class Chunk(BaseModel):
    """A retrievable unit: a piece of a `SourceDoc` or a rendered KG fact."""

    model_config = ConfigDict(extra="forbid")

    chunk_id: str = Field(description="Stable id: `<doc_id>#<n>` for text, `fact:<hash>` for KG facts.")
    doc_id: str
    kind: Literal["text", "fact"] = "text"
    title: str
    section: str | None = None
    text: str
    chunk_index: int = 0
    source: str
    native_id: str
    url: str | None = None
    licence: str
    entities: list[str] = Field(default_factory=list)
    embed: bool = Field(default=True, description="Whether the chunk is in the dense index.")
    flags: list[str] = Field(
        default_factory=list,
        description="Reason codes of `knowledge.injection` (instruction-like text or markup); empty for ordinary text.",
    )
    attribution: str | None = Field(
        default=None, description="Credit line the source's licence asks every citation to show (CC BY books)."
    )

    @model_validator(mode="before")
    @classmethod
    def _derived_trust(cls, data: Any) -> Any:
        # `trust` is serialised for readers of chunks.jsonl but always derived from `source` on load.
        if isinstance(data, dict) and "trust" in data:
            data = dict(data)
            stored = data.pop("trust")
            if stored != trust_of(str(data.get("source", ""))):
                msg = f"chunk trust {stored!r} does not match its source {data.get('source')!r}"
                raise ValueError(msg)
        return data

    @computed_field  # type: ignore[prop-decorator]  # pydantic's documented computed-field pattern
    @property
    def trust(self) -> Trust:
        """`user` for the user's documents, else `curated` (derived from `source`)."""
        return trust_of(self.source)

    def index_text(self) -> str:
        """Text seen by the embedder and BM25: title and section heading, then the body."""
        # A title path that already ends with the section heading ("… › Anthrax", section "Anthrax") says it once.
        repeated = self.section is not None and self.title.rstrip().lower().endswith(self.section.strip().lower())
        head = self.title if not self.section or repeated else f"{self.title} — {self.section}"
        return f"{head}: {self.text}" if self.kind == "text" else self.text

    def metadata(self) -> dict[str, Any]:
        """The chunk record minus its text: the metadata of its LangChain `Document` (see `to_document`)."""
        return {
            "chunk_id": self.chunk_id,
            "doc_id": self.doc_id,
            "kind": self.kind,
            "title": self.title,
            "section": self.section,
            "chunk_index": self.chunk_index,
            "source": self.source,
            "native_id": self.native_id,
            "url": self.url,
            "licence": self.licence,
            "entities": list(self.entities),
            "flags": list(self.flags),
            "trust": self.trust,
            "attribution": self.attribution,
        }

    def to_document(self) -> Document:
        """The chunk as a LangChain `Document`: id = chunk id, text = page content, the record as metadata.

        Retrieval adds one key to this metadata, `retrieval` (`rag.retrieve.RetrievalInfo`); every other key
        is the record as the knowledge base stores it, from index to citation.
        """
        return Document(id=self.chunk_id, page_content=self.text, metadata=self.metadata())


class NodeRecord(BaseModel):
    """A KG node as a loader reports it, before cross-source merging."""

    model_config = ConfigDict(extra="forbid")

    node_id: str = Field(description="Namespaced id, e.g. `DOID:820`, `SYMP:0000614`, `ICD10CM:I40`.")
    type: NodeType
    name: str
    synonyms: list[str] = Field(default_factory=list)
    definition: str | None = None
    xrefs: list[str] = Field(default_factory=list, description="Ids in other vocabularies (`UMLS:C…`).")
    provenance: Provenance


class EdgeRecord(BaseModel):
    """A typed, directed KG edge with its provenance."""

    model_config = ConfigDict(extra="forbid")

    head: str
    relation: Relation
    tail: str
    weight: float | None = Field(default=None, description="Edge strength when the source gives one.")
    provenance: Provenance


def stable_hash(*parts: str, length: int = 12) -> str:
    """Short content hash used for ids that have no natural key."""
    digest = hashlib.sha256("\x1f".join(parts).encode("utf-8")).hexdigest()
    return digest[:length]


def json_hash(obj: Any, length: int = 16) -> str:
    """Hash of a JSON-serialisable object, key-order independent."""
    data = json.dumps(obj, sort_keys=True, ensure_ascii=False, default=str).encode("utf-8")
    return hashlib.sha256(data).hexdigest()[:length]
