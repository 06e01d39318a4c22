"""Generator set-up failures end as one-line project errors (CLI exit 2), never as library tracebacks."""

from __future__ import annotations

import json
import logging
import multiprocessing
import os
import re
import shutil
import socket
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path
from typing import Any

import pytest

from knowledge.errors import ClinicalAssistantError
from model import generators
from model.generators import load_generator, prepare_default_model

# --- openai:URL -------------------------------------------------------------------------------------------------


def _closed_port() -> int:
    """A loopback port with nothing listening (bound once to pick it, then released)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.mark.enable_socket
@pytest.mark.parametrize("call", ["invoke", "stream"])
def test_unreachable_openai_server_names_the_url(call: str) -> None:
    from model.generators import openai_chat_model

    url = f"http://127.0.0.1:{_closed_port()}/v1"
    llm = openai_chat_model(f"openai:{url}", max_retries=0)
    with pytest.raises(ClinicalAssistantError, match=re.escape(f"cannot reach the generator at {url}")) as info:
        if call == "invoke":
            llm.invoke("hi")
        else:
            list(llm.stream("hi"))
    assert "(connection refused)" in str(info.value)
    assert "--generator" in str(info.value)
    assert isinstance(info.value, ConnectionError)


@pytest.mark.enable_socket
async def test_unreachable_openai_server_async() -> None:
    from model.generators import openai_chat_model

    url = f"http://127.0.0.1:{_closed_port()}/v1"
    with pytest.raises(ClinicalAssistantError, match="cannot reach the generator"):
        await openai_chat_model(f"openai:{url}", max_retries=0).ainvoke("hi")


class _NotFound(BaseHTTPRequestHandler):
    def do_POST(self) -> None:  # noqa: N802 - http.server API
        data = json.dumps({"error": {"message": "no such route", "type": "not_found"}}).encode()
        self.send_response(404)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def not_found_server() -> Iterator[str]:
    httpd = HTTPServer(("127.0.0.1", 0), _NotFound)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()


@pytest.mark.enable_socket
def test_openai_server_error_status_names_the_url(not_found_server: str) -> None:
    from model.generators import openai_chat_model

    # A common slip: the base URL without /v1.
    with pytest.raises(ClinicalAssistantError, match="HTTP 404") as info:
        openai_chat_model(f"openai:{not_found_server}", max_retries=0).invoke("hi")
    assert not_found_server in str(info.value)
    assert "--generator" in str(info.value)


# --- hf:PATH ----------------------------------------------------------------------------------------------------


def _not_a_model(tmp_path: Path, kind: str) -> Path:
    folder = tmp_path / kind
    if kind == "missing":
        return folder
    folder.mkdir()
    if kind == "random-files":
        (folder / "notes.txt").write_text("not a model")
        (folder / "weights.dat").write_bytes(b"\0" * 16)
    if kind == "config-without-weights":
        (folder / "config.json").write_text('{"model_type": "llama"}')
    return folder


@pytest.mark.parametrize("kind", ["empty", "random-files", "missing", "config-without-weights"])
def test_folder_that_is_not_a_model(tmp_path: Path, kind: str) -> None:
    folder = _not_a_model(tmp_path, kind)
    with pytest.raises(ClinicalAssistantError, match="config.json") as info:
        load_generator(f"hf:{folder}").load()  # type: ignore[attr-defined]
    message = str(info.value)
    assert str(folder) in message
    assert "save_pretrained" in message
    assert "--generator" in message
    assert "\n" not in message


def _corrupt(folder: Path, kind: str) -> None:
    if kind == "config-not-json":
        (folder / "config.json").write_text("{not json")
    elif kind == "config-without-model-type":
        (folder / "config.json").write_text("{}")
    elif kind == "corrupt-weights":
        (folder / "model.safetensors").write_bytes(b"garbage")


@pytest.mark.parametrize("kind", ["config-not-json", "config-without-model-type", "corrupt-weights"])
def test_model_files_transformers_cannot_load(tiny_model_dir: Path, tmp_path: Path, kind: str) -> None:
    folder = Path(shutil.copytree(tiny_model_dir, tmp_path / "model"))
    _corrupt(folder, kind)
    with pytest.raises(ClinicalAssistantError, match="cannot load the model") as info:
        load_generator(f"hf:{folder}").load()  # type: ignore[attr-defined]
    assert str(folder) in str(info.value)
    assert "\n" not in str(info.value)
    assert isinstance(info.value, ValueError)


# --- --adapter --------------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def adapter_dir(tiny_model_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A real LoRA adapter for the tiny model, written by peft's save_pretrained."""
    from peft import LoraConfig, get_peft_model
    from transformers import AutoModelForCausalLM

    folder = tmp_path_factory.mktemp("adapter") / "lora"
    base = AutoModelForCausalLM.from_pretrained(tiny_model_dir)
    get_peft_model(base, LoraConfig(r=2, target_modules=["q_proj", "v_proj"])).save_pretrained(folder)
    return folder


def _break_adapter(folder: Path, kind: str) -> None:
    config_path = folder / "adapter_config.json"
    config = json.loads(config_path.read_text())
    if kind == "config-not-json":
        config_path.write_text("nope{")
    elif kind == "config-empty-object":
        config_path.write_text("{}")
    elif kind.startswith("config-without-"):
        del config[kind.removeprefix("config-without-")]
        config_path.write_text(json.dumps(config))
    elif kind == "no-weights":
        (folder / "adapter_model.safetensors").unlink()
    elif kind == "corrupt-weights":
        (folder / "adapter_model.safetensors").write_bytes(b"xx")
    elif kind == "unknown-target-modules":
        config_path.write_text(json.dumps(config | {"target_modules": ["no_such_module"]}))


@pytest.mark.parametrize(
    "kind",
    [
        "config-not-json",
        "config-empty-object",
        "config-without-peft_type",
        "config-without-base_model_name_or_path",
        "config-without-r",
        "no-weights",
        "corrupt-weights",  # these two pass validation: peft itself fails to load them
        "unknown-target-modules",
    ],
)
def test_broken_adapter_folder(tiny_model_dir: Path, adapter_dir: Path, tmp_path: Path, kind: str) -> None:
    folder = Path(shutil.copytree(adapter_dir, tmp_path / "adapter"))
    _break_adapter(folder, kind)
    with pytest.raises(ClinicalAssistantError, match=re.escape(str(folder))) as info:
        load_generator(f"hf:{tiny_model_dir}", adapter=folder).load()  # type: ignore[attr-defined]
    message = str(info.value)
    assert "point --adapter at a folder written by peft's save_pretrained" in message
    assert "\n" not in message
    assert isinstance(info.value, ValueError)


def test_adapter_written_by_peft_passes_validation(tiny_model_dir: Path, adapter_dir: Path) -> None:
    tokenizer, model = load_generator(f"hf:{tiny_model_dir}", adapter=adapter_dir).load()  # type: ignore[attr-defined]
    assert type(model).__name__.startswith("Peft")


# --- default model: one-time conversion -------------------------------------------------------------------------


def _fake_converter(calls: Path, delay: float = 0.3) -> Any:
    """A stand-in for the ~45 s GGUF conversion: records each call (across processes) and writes a model."""

    def convert(out: Path) -> None:
        with calls.open("a") as f:
            f.write(f"{os.getpid()}\n")
        time.sleep(delay)
        (out / "config.json").write_text('{"model_type": "gemma3_text"}')
        (out / "model.safetensors").write_bytes(b"weights")

    return convert


def _prepare_in_child(cache: Path, barrier: Any, results: Any) -> None:
    barrier.wait()
    try:
        results.put(("ok", str(prepare_default_model(cache))))
    except Exception as exc:  # reported to the parent, which asserts there were none
        results.put(("error", repr(exc)))


def test_concurrent_first_runs_convert_once(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    calls = tmp_path / "calls.txt"
    calls.touch()
    monkeypatch.setattr(generators, "_convert_default_model", _fake_converter(calls))
    cache = tmp_path / "cache"
    ctx = multiprocessing.get_context("fork")  # children inherit the fake converter
    barrier, results = ctx.Barrier(2), ctx.Queue()
    children = [ctx.Process(target=_prepare_in_child, args=(cache, barrier, results)) for _ in range(2)]
    for child in children:
        child.start()
    outcomes = [results.get(timeout=60) for _ in children]
    for child in children:
        child.join(timeout=60)
    expected = str(cache / generators.DEFAULT_MODEL_NAME)
    assert outcomes == [("ok", expected), ("ok", expected)]
    assert len(calls.read_text().split()) == 1
    assert sorted(p.name for p in cache.iterdir() if not p.name.endswith(".lock")) == [generators.DEFAULT_MODEL_NAME]


def test_install_tolerates_a_folder_installed_meanwhile(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    cache = tmp_path / "cache"
    target = cache / generators.DEFAULT_MODEL_NAME
    convert = _fake_converter(tmp_path / "calls.txt", delay=0)

    def convert_while_another_installs(out: Path) -> None:
        # Another installer (one that does not take the lock, e.g. an older version) finishes first.
        target.mkdir(parents=True)
        convert(target)
        convert(out)

    monkeypatch.setattr(generators, "_convert_default_model", convert_while_another_installs)
    assert prepare_default_model(cache) == target
    assert sorted(p.name for p in cache.iterdir() if not p.name.endswith(".lock")) == [target.name]


def test_first_run_logs_before_converting(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    seen: list[str] = []
    convert = _fake_converter(tmp_path / "calls.txt", delay=0)

    def convert_and_look(out: Path) -> None:
        seen.extend(r.getMessage() for r in caplog.records)
        convert(out)

    monkeypatch.setattr(generators, "_convert_default_model", convert_and_look)
    caplog.set_level(logging.INFO, logger="model.generators")
    prepare_default_model(tmp_path / "cache")
    assert any("preparing the default generator (one-time conversion, about a minute)" in m for m in seen)
    caplog.clear()
    prepare_default_model(tmp_path / "cache")  # already converted: nothing to announce
    assert not any("preparing the default generator" in r.getMessage() for r in caplog.records)
