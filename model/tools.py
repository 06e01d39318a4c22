"""LangChain tools: `clinical_qa` (cited answers) and `kg_lookup` (knowledge-graph facts).

Both use `response_format="content_and_artifact"`: the model sees readable text, the application gets
the structured result from `ToolMessage.artifact`.
"""

from __future__ import annotations

from typing import Any, Literal

from langchain_core.tools import BaseTool
from pydantic import BaseModel, ConfigDict, Field

from model.assistant import ClinicalAssistant


class ClinicalQAInput(BaseModel):
    """Arguments of `clinical_qa`."""

    question: str = Field(
        description="The medical question to answer, in plain language, with any relevant "
        "patient details (age, duration, severity)."
    )
    k: int | None = Field(
        default=None, ge=1, le=20, description="How many knowledge-base passages to retrieve; default: the assistant's."
    )


class ClinicalQATool(BaseTool):
    """Answers a medical question from the ClinicalGPT knowledge base, with numbered citations."""

    model_config = ConfigDict(arbitrary_types_allowed=True)

    name: str = "clinical_qa"
    description: str = (
        "Answer a medical question using a curated medical knowledge base (NIH MedQuAD, Disease Ontology, "
        "symptom networks, FDA drug labels, drug indications, OpenStax textbooks). Returns a short answer whose "
        "sentences cite numbered sources, or 'Insufficient evidence'. Use it for facts about diseases, symptoms, "
        "tests, treatments and medicines; it is not a diagnosis."
    )
    args_schema: type[BaseModel] = ClinicalQAInput
    response_format: Literal["content", "content_and_artifact"] = "content_and_artifact"
    assistant: ClinicalAssistant = Field(exclude=True)

    def _run(self, question: str, k: int | None = None, **kwargs: Any) -> tuple[str, dict[str, Any]]:
        answer = self.assistant.ask(question, k=k)
        return answer.render_text(), answer.model_dump(mode="json")


class KGLookupInput(BaseModel):
    """Arguments of `kg_lookup`."""

    entity: str = Field(description="A disease, symptom, test or drug name, e.g. 'myocarditis' or 'fever'.")
    relation: Literal[
        "any",
        "about",
        "has_symptom",
        "has_test",
        "treated_with",
        "has_risk_factor",
        "has_evidence",
        "used_for",
        "not_indicated",
        "not_indicated_for",
    ] = Field(default="any", description="Which facts to return; 'any' returns all of them.")
    limit: int = Field(default=5, ge=1, le=25, description="Maximum number of facts.")


class KGLookupTool(BaseTool):
    """Looks an entity up in the medical knowledge graph and returns its facts with citable ids."""

    model_config = ConfigDict(arbitrary_types_allowed=True)

    name: str = "kg_lookup"
    description: str = (
        "Look up a medical entity (disease, symptom, test, drug) in the knowledge graph. Returns facts such "
        "as symptoms, tests, medications, what a drug is used for and ICD-10-CM codes, each with an id like "
        "fact:DOID:820:has_symptom "
        "that can be cited."
    )
    args_schema: type[BaseModel] = KGLookupInput
    response_format: Literal["content", "content_and_artifact"] = "content_and_artifact"
    assistant: ClinicalAssistant = Field(exclude=True)

    def _run(self, entity: str, relation: str = "any", limit: int = 5, **kwargs: Any) -> tuple[str, dict[str, Any]]:
        kb = self.assistant.kb
        links = kb.linker.link(entity, top=3)
        facts: list[dict[str, Any]] = []
        for link in links:
            for row in kb.by_entity.get(link.node_id, []):
                chunk = kb.chunks[row]
                if chunk.kind == "fact" and relation in ("any", chunk.section):
                    facts.append(
                        {
                            "id": chunk.chunk_id,
                            "entity": link.node_id,
                            "name": link.name,
                            "relation": chunk.section,
                            "text": chunk.text,
                            "licence": chunk.licence,
                        }
                    )
        facts = facts[:limit]
        artifact = {"entity": entity, "links": [link.model_dump() for link in links], "facts": facts}
        if not facts:
            return f"No knowledge-graph facts found for '{entity}'.", artifact
        return "\n".join(f"[{f['id']}] {f['text']}" for f in facts), artifact


def clinical_tools(assistant: ClinicalAssistant) -> list[BaseTool]:
    """Both tools over one assistant, ready for an agent."""
    return [ClinicalQATool(assistant=assistant), KGLookupTool(assistant=assistant)]
