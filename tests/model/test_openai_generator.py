"""`--generator openai:URL`: the assistant talks to an OpenAI-compatible server (a stub on loopback)."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, HTTPServer

import pytest

from knowledge.kb import KnowledgeBase
from model.assistant import ClinicalAssistant, build_chat_model
from model.errors import GenerationError
from model.settings import AppSettings, GeneratorSettings

REQUESTS: list[dict] = []


class _Handler(BaseHTTPRequestHandler):
    def do_POST(self) -> None:  # noqa: N802 - http.server API
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        REQUESTS.append({"path": self.path, "body": body})
        reply = {
            "id": "cmpl-1",
            "object": "chat.completion",
            "created": 0,
            "model": body["model"],
            "choices": [
                {
                    "index": 0,
                    "finish_reason": "stop",
                    "message": {"role": "assistant", "content": "Myocarditis causes chest pain [1]."},
                }
            ],
            "usage": {"prompt_tokens": 50, "completion_tokens": 8, "total_tokens": 58},
        }
        data = json.dumps(reply).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def server() -> Iterator[str]:
    httpd = HTTPServer(("127.0.0.1", 0), _Handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}/v1"
    httpd.shutdown()


@pytest.mark.enable_socket
def test_answers_through_an_openai_compatible_server(server: str, tiny_kb: KnowledgeBase) -> None:
    REQUESTS.clear()
    settings = AppSettings(kb_dir=tiny_kb.kb_dir, generator=GeneratorSettings(spec=f"openai:{server}#served-llm"))
    answer = ClinicalAssistant(settings, kb=tiny_kb).ask("What are the symptoms of myocarditis?")
    assert REQUESTS[0]["path"] == "/v1/chat/completions"
    body = REQUESTS[0]["body"]
    assert body["model"] == "served-llm"
    assert "<sources>" in body["messages"][-1]["content"]
    assert answer.citations[0].id == "medquad:T1-2#0"
    assert answer.model.name.startswith("served-llm")


def test_bad_openai_spec_names_the_setting() -> None:
    with pytest.raises(GenerationError, match="generator.spec"):
        build_chat_model(AppSettings(generator=GeneratorSettings(spec="openai:localhost:8000")))


def test_chat_clinicalgpt_refuses_an_openai_spec_at_construction() -> None:
    """Issue 8: the class documented `openai:URL`, then failed inside `load_generator` at the first answer."""
    from pydantic import ValidationError

    from model.chat_models import ChatClinicalGPT

    with pytest.raises(ValidationError, match="build_chat_model"):
        ChatClinicalGPT(model="openai:http://localhost:8000/v1")
    assert ChatClinicalGPT(model="hf:/some/folder").generator_spec == "hf:/some/folder"  # lazy: nothing loaded
