"""`diagnose_record` against the langchain-tests tool suites, and the `diagnose()` Python API."""

from __future__ import annotations

import pytest
from langchain_core.messages import ToolMessage
from langchain_tests.integration_tests import ToolsIntegrationTests
from langchain_tests.unit_tests import ToolsUnitTests

from knowledge.graph.link import EntityLinker
from model.diagnosis.api import DiagnoseRecordTool, diagnose
from model.diagnosis.diagnose import Diagnoser
from model.diagnosis.scoring import KGScorer
from rag.safety import DISCLAIMER
from tests.model.test_diagnosis_scoring import _graph


def _diagnoser() -> Diagnoser:
    graph = _graph()
    return Diagnoser(KGScorer(graph), EntityLinker(graph))


class _Tool:
    @property
    def tool_constructor(self) -> DiagnoseRecordTool:
        return DiagnoseRecordTool(diagnoser=_diagnoser())

    @property
    def tool_invoke_params_example(self) -> dict:
        return {"text": "Fever and neck stiffness since this morning, no cough.", "age": 19, "sex": "female"}


class TestDiagnoseRecordUnit(_Tool, ToolsUnitTests):
    pass


class TestDiagnoseRecordIntegration(_Tool, ToolsIntegrationTests):
    pass


def test_tool_text_and_artifact() -> None:
    tool = DiagnoseRecordTool(diagnoser=_diagnoser())
    message = tool.invoke(
        {"type": "tool_call", "id": "1", "name": "diagnose_record", "args": {"text": "Fever and neck stiffness."}}
    )
    assert isinstance(message, ToolMessage)
    assert message.content.splitlines()[1].startswith("1. meningitis (G03.9) — supported by:")
    assert DISCLAIMER in message.content
    assert message.artifact["status"] == "ok" and message.artifact["differential"][0]["kg_id"] == "D:mening"
    empty = tool.invoke({"text": "Paperwork all day."})
    assert "No differential (no_findings)" in empty


def test_python_api_reads_dicts_and_records() -> None:
    rows = list(diagnose([{"id": "x", "findings": ["cough"]}, {"id": "y", "text": "nothing"}], diagnoser=_diagnoser()))
    assert [(r.id, r.status) for r in rows] == [("x", "ok"), ("y", "no_findings")]
    with pytest.raises(ValueError, match="id"):
        list(diagnose([{"text": "no id"}], diagnoser=_diagnoser()))
