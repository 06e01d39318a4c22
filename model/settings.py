"""Application settings: the composition root reads `CLINICALGPT_*` environment variables.

`CLINICALGPT_DATA_DIR` and `CLINICALGPT_KB_DIR` are the two everyday settings; any nested field can be
set with `__`, e.g. `CLINICALGPT_RETRIEVAL__K=8` or `CLINICALGPT_KNOWLEDGE__INDEX__EMBED_MAX_CHUNKS_PER_DOC=0`.
A JSON or TOML file given with `--config` (or `CLINICALGPT_CONFIG`) is read below the environment.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource, SettingsConfigDict

from knowledge.schema import json_hash
from knowledge.settings import KnowledgeSettings
from model.errors import ConfigError
from rag.settings import AnswerSettings, RetrievalSettings


class GeneratorSettings(BaseModel):
    """Which model writes the answers."""

    model_config = ConfigDict(extra="forbid")

    spec: str = Field(default="default", description="`default` (Gemma 3 270M), `hf:PATH` or `openai:URL[#model]`.")
    adapter: Path | None = Field(default=None, description="LoRA adapter folder for local generators.")
    use_shipped_adapter: bool = Field(
        default=True,
        description="With `spec = default` and no `adapter`: load the adapter shipped in the package "
        "(`model/adapters/`) when there is one; false (`--no-adapter`) = the base model.",
    )
    temperature: float = Field(default=0.0, ge=0.0, description="0 = greedy decoding (reproducible).")
    timeout: float | None = Field(default=None, gt=0, description="Seconds before generation is stopped.")
    cache_dir: Path = Field(
        default=Path("~/.cache/clinicalgpt/models"), description="Where the default model's safetensors copy is cached."
    )


class AppSettings(BaseSettings):
    """Everything the `clinicalgpt` CLI and Python API need."""

    model_config = SettingsConfigDict(env_prefix="CLINICALGPT_", env_nested_delimiter="__", extra="forbid")

    data_dir: Path | None = Field(default=None, description="Public datasets folder (holds `en/…`).")
    kb_dir: Path = Field(default=Path("~/.cache/clinicalgpt/kb"), description="Knowledge base folder.")
    knowledge: KnowledgeSettings = Field(default_factory=KnowledgeSettings)
    retrieval: RetrievalSettings = Field(default_factory=RetrievalSettings)
    answer: AnswerSettings = Field(default_factory=AnswerSettings)
    generator: GeneratorSettings = Field(default_factory=GeneratorSettings)

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        # Explicit arguments (CLI flags, config file) beat the environment.
        return init_settings, env_settings

    @model_validator(mode="after")
    def _one_home_for_folders(self) -> AppSettings:
        # The knowledge section has the same two fields for library users; here the top-level ones are the
        # only home, so a nested value would be silently overwritten: refuse it and name the right setting.
        for name in ("kb_dir", "data_dir"):
            if name in self.knowledge.model_fields_set:
                msg = (
                    f"`knowledge.{name}` is not read by the application; set `{name}` instead "
                    f"(env CLINICALGPT_{name.upper()}, or `{name}` at the top of the config file)"
                )
                raise ValueError(msg)
        return self

    def knowledge_settings(self) -> KnowledgeSettings:
        """Knowledge settings with the top-level `data_dir`/`kb_dir` applied (their only home)."""
        return self.knowledge.model_copy(update={"data_dir": self.data_dir, "kb_dir": self.kb_dir})

    def settings_hash(self) -> str:
        """Hash of all settings, stamped on outputs."""
        return json_hash(self.model_dump(mode="json"))


def load_settings(config: Path | None = None, **overrides: Any) -> AppSettings:
    """Settings from an optional JSON/TOML file, the environment, then explicit overrides.

    Any invalid value, wherever it came from, raises `ConfigError` naming the setting, its environment
    variable and the problem.
    """
    data = _read_config_file(config) if config is not None else {}
    try:
        # File values sit below the environment: build from env first, then merge the file underneath.
        env = AppSettings().model_dump(exclude_unset=True)
        merged = _deep_merge(_deep_merge(data, env), {k: v for k, v in overrides.items() if v is not None})
        return AppSettings(**merged)
    except ValidationError as exc:
        raise ConfigError(_describe_invalid(exc, config)) from exc


def _describe_invalid(exc: ValidationError, config: Path | None) -> str:
    """One line per problem: `retrieval.k` (CLINICALGPT_RETRIEVAL__K): what is wrong, and the value given."""
    where = f" or in {config}" if config is not None else ""
    problems = []
    for error in exc.errors():
        if not error["loc"]:  # a rule across fields: its message names the settings itself
            problems.append(str(error["msg"]).removeprefix("Value error, "))
            continue
        dotted = ".".join(str(part) for part in error["loc"])
        env = "CLINICALGPT_" + "__".join(str(part) for part in error["loc"]).upper()
        given = error.get("input")
        shown = f", got {given!r}" if isinstance(given, str | int | float | bool) else ""
        problems.append(f"`{dotted}` (env {env}{where}): {error['msg']}{shown}")
    return "invalid setting " + "; ".join(problems[:5]) + ("; …" if len(problems) > 5 else "")


def _read_config_file(config: Path) -> dict[str, Any]:
    """A JSON/TOML settings file as a dict; unreadable, undecodable or malformed files name the problem."""
    path = Path(config).expanduser()
    if not path.is_file():
        msg = f"config file not found: {path} (`--config` / CLINICALGPT_CONFIG)"
        raise ConfigError(msg)
    if path.suffix not in (".json", ".toml"):
        msg = f"config file {path} must be .json or .toml (`--config`)"
        raise ConfigError(msg)
    try:
        text = path.read_bytes().decode("utf-8")
    except UnicodeDecodeError as exc:
        msg = f"config file {path} is not UTF-8 text (bad byte at offset {exc.start}); save it as UTF-8"
        raise ConfigError(msg) from exc
    except OSError as exc:
        msg = f"cannot read config file {path}: {exc.strerror}"
        raise ConfigError(msg) from exc
    try:
        if path.suffix == ".toml":
            import tomllib

            data = tomllib.loads(text)
        else:
            import json

            data = json.loads(text)
    except ValueError as exc:  # json.JSONDecodeError and tomllib.TOMLDecodeError both say where
        msg = f"config file {path} is not valid {path.suffix[1:].upper()}: {exc}"
        raise ConfigError(msg) from exc
    if not isinstance(data, dict):
        msg = f'config file {path} must hold an object of settings (e.g. {{"retrieval": {{"k": 8}}}})'
        raise ConfigError(msg)
    return data


def _deep_merge(base: dict[str, Any], top: dict[str, Any]) -> dict[str, Any]:
    out = dict(base)
    for key, value in top.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = _deep_merge(out[key], value)
        else:
            out[key] = value
    return out
