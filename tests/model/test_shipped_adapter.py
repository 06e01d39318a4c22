"""The default generator loads the adapter shipped for it when there is one; `--no-adapter` gives the base."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

import model.assistant as assistant_module
import model.generators as generators
from model.assistant import build_chat_model
from model.cli import app
from model.settings import AppSettings, GeneratorSettings


class _Loaded(Exception):
    """Raised by the stand-in loader, carrying what it was asked to load."""


def _capture(spec: str, *, adapter: Any = None, cache_dir: Any = None) -> Any:
    raise _Loaded(spec, adapter)


@pytest.fixture
def shipped(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = tmp_path / "adapters" / "gemma-3-270m-clinicalgpt"
    folder.mkdir(parents=True)
    (folder / "adapter_config.json").write_text("{}")
    monkeypatch.setattr(generators, "SHIPPED_ADAPTER", folder)
    monkeypatch.setattr(assistant_module, "load_generator", _capture)
    return folder


def _loaded(settings: AppSettings) -> tuple[str, Any]:
    with pytest.raises(_Loaded) as caught:
        build_chat_model(settings)
    return caught.value.args  # type: ignore[return-value]


def test_default_generator_uses_the_shipped_adapter_unless_told_not_to(shipped: Path) -> None:
    assert _loaded(AppSettings()) == ("default", shipped)
    base = AppSettings(generator=GeneratorSettings(use_shipped_adapter=False))
    assert _loaded(base) == ("default", None)
    mine = AppSettings(generator=GeneratorSettings(adapter=Path("/x/mine")))
    assert _loaded(mine) == ("default", Path("/x/mine"))
    other = AppSettings(generator=GeneratorSettings(spec="hf:/models/qwen"))
    assert _loaded(other) == ("hf:/models/qwen", None)  # a shipped adapter fits only the default model


def test_no_shipped_adapter_means_the_base_model(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setattr(generators, "SHIPPED_ADAPTER", tmp_path / "absent")
    assert generators.shipped_adapter() is None


def test_adapter_and_no_adapter_together_is_an_error() -> None:
    result = CliRunner().invoke(app, ["ask", "q", "--adapter", "/x", "--no-adapter"])
    assert result.exit_code == 2 and "contradict" in result.output


def test_the_candidate_adapter_is_a_valid_peft_folder_that_names_no_machine_path() -> None:
    import json

    # The DPO + NLL adapter kept with its card for `--adapter` (not shipped: see its README).
    folder = Path(__file__).parents[2] / "reports" / "train" / "dpo-nll-rerun-2026-12-07" / "adapter"
    assert generators._adapter_problem(folder) is None
    config = json.loads((folder / "adapter_config.json").read_text(encoding="utf-8"))
    assert config["peft_type"] == "LORA" and not config["base_model_name_or_path"].startswith("/")
    assert (folder / "README.md").is_file()  # the model card
