"""`clinical_qa` and `kg_lookup` against the langchain-tests tool suites, plus their artifacts."""

from __future__ import annotations

import pytest
from langchain_core.messages import ToolMessage
from langchain_tests.integration_tests import ToolsIntegrationTests
from langchain_tests.unit_tests import ToolsUnitTests

from model.assistant import ClinicalAssistant
from model.tools import ClinicalQATool, KGLookupTool, clinical_tools


class _QA:
    assistant: ClinicalAssistant

    @pytest.fixture(autouse=True)
    def _assistant(self, fake_assistant: ClinicalAssistant) -> None:
        type(self).assistant = fake_assistant

    @property
    def tool_constructor(self) -> ClinicalQATool:
        return ClinicalQATool(assistant=type(self).assistant)

    @property
    def tool_invoke_params_example(self) -> dict:
        return {"question": "What are the symptoms of myocarditis?", "k": 3}


class TestClinicalQAUnit(_QA, ToolsUnitTests):
    pass


class TestClinicalQAIntegration(_QA, ToolsIntegrationTests):
    pass


class _KG(_QA):
    @property
    def tool_constructor(self) -> KGLookupTool:
        return KGLookupTool(assistant=type(self).assistant)

    @property
    def tool_invoke_params_example(self) -> dict:
        return {"entity": "influenza", "relation": "has_symptom", "limit": 3}


class TestKGLookupUnit(_KG, ToolsUnitTests):
    pass


class TestKGLookupIntegration(_KG, ToolsIntegrationTests):
    pass


def test_clinical_qa_artifact_is_the_cited_answer(fake_assistant: ClinicalAssistant) -> None:
    tool = ClinicalQATool(assistant=fake_assistant)
    call = {
        "name": "clinical_qa",
        "args": {"question": "What are the symptoms of myocarditis?"},
        "id": "1",
        "type": "tool_call",
    }
    message = tool.invoke(call)
    assert isinstance(message, ToolMessage)
    assert "[1]" in message.content and "References:" in message.content
    artifact = message.artifact
    assert artifact["citations"][0]["id"] == "medquad:T1-2#0"
    assert artifact["refused"] is False and artifact["notice"]


def test_kg_lookup_returns_citable_facts(fake_assistant: ClinicalAssistant) -> None:
    content, artifact = KGLookupTool(assistant=fake_assistant)._run("the flu", relation="treated_with")
    assert artifact["links"][0]["node_id"] == "DOID:8469"
    assert [f["id"] for f in artifact["facts"]] == ["fact:DOID:8469:treated_with"]
    assert content.startswith("[fact:DOID:8469:treated_with] Medications used for influenza")
    empty, art = KGLookupTool(assistant=fake_assistant)._run("zzzz")
    assert art["facts"] == [] and "No knowledge-graph facts" in empty
    assert [t.name for t in clinical_tools(fake_assistant)] == ["clinical_qa", "kg_lookup"]
