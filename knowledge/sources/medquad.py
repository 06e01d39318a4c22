"""MedQuAD: NIH consumer-health question–answer pairs (CC BY 4.0).

Each distinct answer becomes one `SourceDoc` (titled by the question's focus, sectioned by question type),
and each focus becomes a KG node carrying its UMLS CUI so it can merge with the Disease Ontology.
"""

from __future__ import annotations

import tarfile
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from pathlib import Path, PurePosixPath
from typing import Any, Literal

from knowledge.schema import NodeRecord, Provenance, SourceDoc
from knowledge.sources.base import LoadReport, SourceBundle, clean_text, iter_jsonl, require_file

SOURCE = "medquad"
LICENCE = "CC BY 4.0"
JSONL = "en/medquad/medquad_answered.jsonl"
RAW_XML = "en/medquad/medquad_raw_xml.tar.gz"

# UMLS semantic types of disorders (Disorders group); other foci (genes, drugs) are plain concepts.
_DISORDER_TYPES = {
    "T019",
    "T020",
    "T033",
    "T037",
    "T046",
    "T047",
    "T048",
    "T049",
    "T050",
    "T184",
    "T190",
    "T191",
}


def focus_node_id(focus: str) -> str:
    """KG id of a MedQuAD focus before merging (`MEDQUAD:<lower-case focus>`)."""
    return "MEDQUAD:" + " ".join(focus.lower().split())


def _iter_xml(path: Path, report: LoadReport) -> Iterator[tuple[int, dict[str, Any]]]:
    """Flatten the original MedQuAD XML tree into the same rows as the JSONL file."""
    with tarfile.open(path, "r:gz") as tar:
        for member in tar:
            if not member.isfile() or not member.name.endswith(".xml"):
                continue
            handle = tar.extractfile(member)
            if handle is None:
                continue
            try:
                root = ET.parse(handle).getroot()
            except ET.ParseError as exc:
                report.bad(member.name, exc.position[0], f"invalid XML: {exc}")
                continue
            # Local archives start with "./", GitHub's with "MedQuAD-<commit>/": find the collection folder.
            parts = PurePosixPath(member.name).parts
            collection = next((p for p in parts if p[:1].isdigit() and "_" in p), parts[0])
            cui = root.findtext("FocusAnnotations/UMLS/CUIs/CUI")
            base = {
                "collection": collection,
                "doc_id": root.get("id"),
                "source": root.get("source"),
                "url": root.get("url"),
                "focus": root.findtext("Focus"),
                "cui": cui,
                "semantic_type": root.findtext("FocusAnnotations/UMLS/SemanticTypes/SemanticType"),
            }
            for pair in root.iter("QAPair"):
                question = pair.find("Question")
                answer = pair.findtext("Answer") or ""
                if question is None or not answer.strip():
                    continue  # MedQuAD removed many answers for copyright; not malformed
                row = dict(
                    base, qid=question.get("qid"), qtype=question.get("qtype"), question=question.text, answer=answer
                )
                yield 0, row


def load_medquad(data_dir: Path | None, fmt: Literal["auto", "jsonl", "xml"] = "auto") -> SourceBundle:
    """Load answered MedQuAD pairs from the JSONL export or the raw XML archive.

    `auto` reads the JSONL export when present, else the raw XML archive (what `kb download` fetches).
    """
    report = LoadReport(source=SOURCE)
    if fmt == "auto":
        fmt = "jsonl" if data_dir is not None and (Path(data_dir).expanduser() / JSONL).exists() else "xml"
    path = require_file(data_dir, JSONL if fmt == "jsonl" else RAW_XML, SOURCE)
    report.files.append(str(path))
    rows = iter_jsonl(path, report) if fmt == "jsonl" else _iter_xml(path, report)
    docs: dict[str, SourceDoc] = {}
    nodes: dict[str, NodeRecord] = {}
    seen_qids: dict[str, int] = {}
    for lineno, row in rows:
        qid, answer = row.get("qid"), row.get("answer")
        # A few CDC pairs have no focus: the question then serves as the title.
        focus = row.get("focus") or row.get("question")
        if not qid or not focus or not isinstance(answer, str) or not answer.strip():
            report.bad(path.name, lineno, "missing qid, focus/question or answer")
            continue
        report.records += 1
        # CancerGov reuses one qid for the sibling foci of a page: number the repeats, in file order.
        seen_qids[qid] = seen_qids.get(qid, 0) + 1
        if seen_qids[qid] > 1:
            qid = f"{qid}~{seen_qids[qid]}"
        text = clean_text(answer)
        node_id = focus_node_id(str(focus)) if row.get("focus") else None
        if node_id and node_id not in nodes:
            cui = row.get("cui")
            nodes[node_id] = NodeRecord(
                node_id=node_id,
                type="disease" if row.get("semantic_type") in _DISORDER_TYPES else "concept",
                name=clean_text(str(focus)),
                xrefs=[f"UMLS:{cui}"] if cui else [],
                provenance=Provenance(
                    source=SOURCE,
                    native_id=str(row.get("doc_id")),
                    url=row.get("url"),
                    licence=LICENCE,
                    file=JSONL if fmt == "jsonl" else RAW_XML,
                ),
            )
        # Several questions share one answer text: index it once, remember every qid.
        key = text
        if key in docs:
            # GHR reuses boilerplate answers ("inherited in an autosomal recessive pattern") across
            # conditions: the passage is about every focus that uses it.
            docs[key].metadata["qids"].append(qid)
            if node_id and node_id not in docs[key].entities:
                docs[key].entities.append(node_id)
            continue
        docs[key] = SourceDoc(
            doc_id=f"{SOURCE}:{qid}",
            title=clean_text(str(focus)),
            text=text,
            section=row.get("qtype"),
            provenance=Provenance(
                source=SOURCE,
                native_id=str(qid),
                url=row.get("url"),
                licence=LICENCE,
                file=JSONL if fmt == "jsonl" else RAW_XML,
            ),
            entities=[node_id] if node_id else [],
            metadata={
                "qids": [qid],
                "question": row.get("question"),
                "collection": row.get("collection"),
                "nih_source": row.get("source"),
            },
        )
    return SourceBundle(docs=list(docs.values()), nodes=list(nodes.values()), report=report)
