"""The README's agent example runs as written, with a fake tool-calling chat model."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from langchain_core.language_models.fake_chat_models import GenericFakeChatModel
from langchain_core.messages import AIMessage

from model.assistant import ClinicalAssistant

README = Path(__file__).resolve().parents[2] / "README.md"


class FakeToolCallingModel(GenericFakeChatModel):
    """Replays messages; accepts `bind_tools` so an agent can drive it."""

    def bind_tools(self, tools: Any, **kwargs: Any) -> FakeToolCallingModel:
        return self


def test_agent_example_runs(fake_assistant: ClinicalAssistant) -> None:
    code = re.search(r"<!-- agent-example -->\n```python\n(.*?)```", README.read_text(), re.S)
    assert code, "README lost its agent example"
    llm = FakeToolCallingModel(
        messages=iter(
            [
                AIMessage(
                    content="",
                    tool_calls=[
                        {
                            "name": "clinical_qa",
                            "id": "call-1",
                            "args": {"question": "What are the symptoms of myocarditis?"},
                        }
                    ],
                ),
                AIMessage(content="Chest pain and shortness of breath [1]."),
            ]
        )
    )
    namespace: dict[str, Any] = {"llm": llm, "assistant": fake_assistant}
    exec(compile(code.group(1), str(README), "exec"), namespace)
    cited = namespace["cited_answer"]
    assert cited["citations"][0]["id"] == "medquad:T1-2#0"
    assert namespace["result"]["messages"][-1].content == "Chest pain and shortness of breath [1]."
