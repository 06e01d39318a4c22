"""`clinicalgpt ask` and `clinicalgpt chat` with a fake chat model (CliRunner, scripted input)."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from model import cli
from model.assistant import ClinicalAssistant

runner = CliRunner()


@pytest.fixture
def patched(monkeypatch: pytest.MonkeyPatch, fake_assistant: ClinicalAssistant) -> ClinicalAssistant:
    monkeypatch.setattr(cli, "_assistant", lambda *args: fake_assistant)
    return fake_assistant


def test_ask_json_has_the_contract(patched: ClinicalAssistant) -> None:
    result = runner.invoke(cli.app, ["ask", "What are the symptoms of myocarditis?", "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    for key in ("answer", "citations", "contexts", "refused", "red_flags", "model", "settings_hash", "timings_ms"):
        assert key in data
    assert data["citations"][0] == {
        "n": 1,
        "id": "medquad:T1-2#0",
        "source": "medquad",
        "title": "Myocarditis",
        "url": "https://example.org/myocarditis",
        "licence": "CC BY 4.0",
        "attribution": None,
        "trust": "curated",
        "flags": [],
    }
    context = data["contexts"][0]  # the chunk record as a LangChain document, plus how it was retrieved
    assert context["id"] == "medquad:T1-2#0" and context["page_content"]
    assert {"chunk_id", "doc_id", "title", "section", "source", "url", "licence", "trust", "flags"} <= set(
        context["metadata"]
    )
    assert set(context["metadata"]["retrieval"]) == {"score", "mode", "ranks", "scores"}
    assert set(data["timings_ms"]) == {"retrieve", "generate", "total"}
    assert data["refused"] is False and data["model"]["name"]


def test_ask_text_shows_references_and_notice(patched: ClinicalAssistant) -> None:
    result = runner.invoke(cli.app, ["ask", "What are the symptoms of myocarditis?"])
    assert result.exit_code == 0
    assert "[1] Myocarditis — medquad:T1-2#0 — https://example.org/myocarditis" in result.stdout
    assert "not a substitute" in result.stdout


def test_ask_rejects_empty_question(patched: ClinicalAssistant) -> None:
    result = runner.invoke(cli.app, ["ask", "   "])
    assert result.exit_code == 2 and "`question` is empty" in result.stderr


def test_ask_streams_tokens_to_stderr(patched: ClinicalAssistant) -> None:
    result = runner.invoke(cli.app, ["ask", "What are the symptoms of myocarditis?", "--stream"])
    assert result.exit_code == 0
    assert "shortness of breath [1]" in result.stderr  # raw tokens as generated
    assert "References" in result.stdout


def test_chat_session_with_history_sources_and_reset(patched: ClinicalAssistant) -> None:
    # The canned answer cites [1], which in the second turn is another passage: keep it, marked, so that both
    # turns print references (the default, `drop`, would refuse that turn: see test_chain for that path).
    patched.settings.answer.unsupported = "flag"
    script = (
        "\n".join(
            [
                "/help",
                "My son has myocarditis.",
                "What symptoms should I watch for?",
                "/sources",
                "/reset",
                "/sources",
                "/nonsense",
            ]
        )
        + "\n"
    )
    result = runner.invoke(cli.app, ["chat"], input=script)
    assert result.exit_code == 0, result.output
    out = result.stdout
    assert out.count("References") == 2, out
    assert "medquad:T1-2#0" in out
    assert "conversation cleared" in out and "no answer yet" in out and "unknown command /nonsense" in out
    assert out.rstrip().endswith("bye")  # Ctrl-D (end of input) quits cleanly
    assert "could you tell me the patient's age" in out  # personal symptom talk without age/duration/severity


def test_chat_history_reaches_the_retrieval_query(
    fake_assistant: ClinicalAssistant, monkeypatch: pytest.MonkeyPatch
) -> None:
    seen: list[str] = []
    original = fake_assistant.ask

    def spy(question: str, **kwargs):  # type: ignore[no-untyped-def]
        answer = original(question, **kwargs)
        seen.append(answer.retrieval_query)
        return answer

    monkeypatch.setattr(fake_assistant, "ask", spy)
    monkeypatch.setattr(cli, "_assistant", lambda *args: fake_assistant)
    runner.invoke(cli.app, ["chat"], input="I think I have the flu.\nHow is it treated?\n")
    assert seen == ["I think I have the flu.", "How is it treated? I think I have the flu."]


def test_references_say_when_a_source_is_the_users_own_document() -> None:
    from rag.schema import Citation

    user = Citation(n=1, id="user:notes.md#0", source="user", title="My notes", trust="user")
    curated = Citation(n=2, id="medquad:1-1#0", source="medquad", title="Flu", trust="curated")
    flagged = Citation(n=3, id="user:x#0", source="user", title="X", trust="user", flags=["addresses_model"])
    assert "trust: user" in cli._trust_note(user)
    assert cli._trust_note(curated) == ""
    assert "flagged: addresses_model" in cli._trust_note(flagged)


def test_the_unsupported_count_matches_what_the_text_shows(capsys: pytest.CaptureFixture[str]) -> None:
    from types import SimpleNamespace

    from rag.citations import SentenceCheck

    shown = SentenceCheck(text="Rest helps.", citations=[1], support=0.8, supported=True)
    fragment = SentenceCheck(text="Answer:", citations=[], support=0.0, supported=False, dropped=True)

    def answer(text: str, *sentences: SentenceCheck) -> SimpleNamespace:
        return SimpleNamespace(
            red_flags=[],
            lead=None,
            policy_notices=[],
            answer=text,
            clarifying_question=None,
            citations=[],
            sentences=list(sentences),
            refused=False,
            notice="notice",
            model=SimpleNamespace(name="m", adapter=None),
            timings_ms={"total": 1.0},
        )

    # A bare "Answer:" the chain withheld is no unsupported sentence of the shown text (it was reported as one).
    cli._print_answer(answer("Rest helps [1].", shown, fragment))
    text = capsys.readouterr().out
    assert "not supported" not in text and "1 sentence(s) of the model's answer withheld" in text
    unsupported = SentenceCheck(text="It cures it.", citations=[1], support=0.1, supported=False)
    cli._print_answer(answer("Rest helps [1]. It cures it [1] (unsupported).", shown, unsupported))
    assert "1 sentence(s) marked (unsupported)" in capsys.readouterr().out


def test_mode_option_reaches_the_answer_settings(
    monkeypatch: pytest.MonkeyPatch, fake_assistant: ClinicalAssistant
) -> None:
    seen = {}

    def load(settings):  # type: ignore[no-untyped-def]
        seen["mode"] = settings.answer.mode
        return fake_assistant

    monkeypatch.setattr("model.assistant.load_assistant", load)
    result = runner.invoke(cli.app, ["ask", "What are the symptoms of myocarditis?", "--mode", "extractive", "--json"])
    assert result.exit_code == 0, result.output
    assert seen["mode"] == "extractive"
    bad = runner.invoke(cli.app, ["ask", "What is lupus?", "--mode", "quoted"])
    assert bad.exit_code == 2 and "--mode must be one of" in bad.stderr
