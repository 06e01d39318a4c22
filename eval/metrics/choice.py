"""Multiple-choice answers: the letter a model chose, read from free text, and exam accuracy.

`parse_choice` reads the letter from what models actually write ("Answer: B", "(b)", "**D**", "The answer
is C because…", `{"answer": "A"}`, "答案：B", the option text itself) and returns None rather than guess
when the text names several letters as its answer.
"""

from __future__ import annotations

import json
import re
import unicodedata
from collections.abc import Mapping, Sequence

from eval.metrics import MetricInputError, ScoringContext
from eval.schema import Item, ItemResult, MCItem

_SEP = r"\s*(?:,|/|&|\band\b|\bor\b|、|和|或|及)\s*"
_ITEM = r"(?<![A-Za-z0-9])[(\[]?[A-Za-z][)\]]?(?![A-Za-z0-9])"
_LIST = rf"(?P<list>{_ITEM}(?:{_SEP}{_ITEM})*)"
_ITEM_PARTS = re.compile(r"(?P<open>[(\[]?)(?P<letter>[A-Za-z])(?P<close>[)\]]?)")

# Tiers, strongest first: the first tier that names any letter decides (one letter, or ambiguous → None).
_TIERS: tuple[tuple[re.Pattern[str], ...], ...] = (
    (
        re.compile(rf"\bfinal\s+answer\s*(?:is|:|=|-)?\s*(?:option\s*|choice\s*)?{_LIST}", re.IGNORECASE),
        re.compile(rf"\\boxed\{{\s*{_LIST}"),
    ),
    (
        re.compile(
            rf"(?:\b(?:correct|best|right)\s+(?:answer|option|choice)|\banswer(?:\s+(?:choice|option))?|正确答案|答案)"
            rf"\s*(?:is|would\s+be|will\s+be|should\s+be|:|=|-|是|为|应为|应该是|选)?\s*(?:option\s*|choice\s*|选项\s*)?"
            rf"{_LIST}",
            re.IGNORECASE,
        ),
    ),
    (
        re.compile(
            rf"(?:^|[\n.!?;]\s*|\b(?:option|choice)\s+){_LIST}\s+(?:is|are|seems|appears)\s+(?:to\s+be\s+)?"
            r"(?:the\s+)?(?:both\s+|all\s+)?(?:most\s+)?(?:correct|right|best|true|appropriate)\b",
            re.IGNORECASE,
        ),
        re.compile(
            rf"\b(?:choose|chose|select|pick|go\s+with|opt\s+for)\s+(?:option\s+|choice\s+|answer\s+)?{_LIST}",
            re.IGNORECASE,
        ),
        re.compile(rf"选(?:择)?\s*(?:项\s*)?{_LIST}"),
    ),
    (
        re.compile(r"^\s*(?P<list>[(\[]?[A-Za-z](?:[)\].:]|\s*$))(?![A-Za-z0-9])"),
        re.compile(r"(?m)^\s*(?P<list>[(\[]?[A-Za-z][)\].:]?)\s*$"),
    ),
    (re.compile(r"(?P<list>[(\[][A-Z][)\]])"),),
)

_JSON_OBJECT = re.compile(r"\{[^{}]*\}")
_JSON_KEYS = {"answer", "choice", "option", "final_answer", "answer_letter"}
_LOWER_OK_AFTER = re.compile(r"\s*(?:[.:;!?)\]]|$)")


def _clean(text: str) -> str:
    # NFKC folds full-width letters and punctuation ("Ｂ", "：") into ASCII; emphasis marks carry no meaning.
    return unicodedata.normalize("NFKC", text).replace("*", "").replace("`", "").strip()


def _letters_in(match: re.Match[str], text: str, allowed: set[str]) -> list[str]:
    """Letters a list match names as answers (a lone lower-case letter only when it cannot be a word)."""
    items = list(_ITEM_PARTS.finditer(match.group("list")))
    if not items:
        return []
    first_is_upper = items[0].group("letter").isupper()
    same_case = [it for it in items if it.group("letter").isupper() == first_is_upper]
    if not first_is_upper and len(same_case) == 1:
        only = same_case[0]
        bracketed = bool(only.group("open")) or bool(only.group("close"))
        end = match.start("list") + only.end()
        if not bracketed and not _LOWER_OK_AFTER.match(text, end):
            return []  # "the answer is a combination…": an article, not a choice
    return [it.group("letter").upper() for it in same_case if it.group("letter").upper() in allowed]


def _from_json(text: str, letters: Sequence[str], options: Mapping[str, str] | None) -> tuple[bool, str | None]:
    for candidate in _JSON_OBJECT.findall(text):
        try:
            data = json.loads(candidate)
        except json.JSONDecodeError:
            continue
        if not isinstance(data, dict):
            continue
        for key, value in data.items():
            if str(key).casefold() in _JSON_KEYS and isinstance(value, str):
                return True, _parse_text(_clean(value), letters, options)
    return False, None


def _norm_phrase(text: str) -> str:
    return re.sub(r"\s+", " ", text.casefold()).strip(" .。;；:：!?！？")


def _from_options(text: str, options: Mapping[str, str]) -> str | None:
    said = _norm_phrase(text)
    texts = {letter.upper(): _norm_phrase(option) for letter, option in options.items() if _norm_phrase(option)}
    exact = [letter for letter, option in texts.items() if option == said]
    if len(exact) == 1:
        return exact[0]
    found = {
        letter: option
        for letter, option in texts.items()
        if re.search(rf"(?<![a-z0-9]){re.escape(option)}(?![a-z0-9])", said)
    }
    # An option inside a longer matched option ("aspirin" in "aspirin and clopidogrel") is not a second answer.
    kept = [letter for letter, option in found.items() if not any(option in o and option != o for o in found.values())]
    return kept[0] if len(kept) == 1 else None


def _parse_text(text: str, letters: Sequence[str], options: Mapping[str, str] | None) -> str | None:
    allowed = {letter.upper() for letter in letters}
    for tier in _TIERS:
        named: set[str] = set()
        for pattern in tier:
            for match in pattern.finditer(text):
                named.update(_letters_in(match, text, allowed))
        if named:
            return named.pop() if len(named) == 1 else None
    return _from_options(text, options) if options else None


def parse_choice(text: str, letters: Sequence[str], options: Mapping[str, str] | None = None) -> str | None:
    """The option letter a model's answer names, or None when it names none or several.

    Reads, strongest signal first: a JSON object's `answer`; "final answer"/`\\boxed{}`; "answer is/:"
    (also 答案); "X is correct", "choose X" (also 选X); a leading or lone letter ("B.", "(b)"); a
    parenthesised capital; and, when `options` is given, the text of exactly one option. Full-width
    characters and Markdown emphasis are ignored. A lower-case letter counts only where it cannot be the
    article "a" ("(a)", "a.", "answer: a").

    Args:
        text: The model's output.
        letters: The valid option letters, e.g. `"ABCD"` or `["A", "B", "C", "D", "E"]`.
        options: Letter → option text, to recognise an answer that repeats the option text only.

    Returns:
        The upper-case letter, or None (no letter, or an ambiguous answer such as "A or C").

    Raises:
        ValueError: A letter is not a single ASCII letter.
    """
    for letter in letters:
        if len(letter) != 1 or not ("A" <= letter.upper() <= "Z"):
            msg = f"option letters must be single ASCII letters, got {letter!r} in {list(letters)}"
            raise ValueError(msg)
    cleaned = _clean(text)
    if not cleaned:
        return None
    from_json, json_letter = _from_json(cleaned, letters, options)
    if from_json:
        return json_letter
    return _parse_text(cleaned, letters, options)


def accuracy(result: ItemResult, item: Item, ctx: ScoringContext) -> dict[str, float]:
    """`accuracy`: 1.0 when the predicted letter is the gold letter, else 0.0 (no letter counts as wrong).

    Raises:
        MetricInputError: The item is not multiple choice or the prediction is not a letter string or None.
    """
    if not isinstance(item, MCItem):
        msg = f"`accuracy` scores multiple-choice items, got {type(item).__name__} `{item.id}`"
        raise MetricInputError(msg)
    prediction = result.prediction
    if prediction is None:
        return {"accuracy": 0.0}
    if not isinstance(prediction, str):
        msg = f"`accuracy` expects the chosen letter (str or None) as the prediction of `{item.id}`, got {prediction!r}"
        raise MetricInputError(msg)
    return {"accuracy": float(prediction.strip().upper() == item.answer.strip().upper())}
