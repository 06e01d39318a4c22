"""Retrieval metrics with binary relevance: recall@k, nDCG@10 and MRR.

Relevance is by `relevant_ids` against the ranked ids (the prediction) when the item gives ids, else by
normalised `relevant_urls` against `extras["ranked_urls"]`. A document retrieved several times (several
passages of one page) counts once, at its first rank; ranks are the retriever's own positions.
"""

from __future__ import annotations

import math
from collections.abc import Callable

from eval.metrics import MetricInputError, MetricNotApplicableError, ScoringContext
from eval.schema import Item, ItemResult, RetrievalItem

_NDCG_K = 10


def _url_normalizer() -> Callable[[str], str]:
    # One home for URL rules: the dataset loaders normalise reference URLs the same way (imported lazily so
    # that importing the metrics registry reads no dataset code).
    from eval.datasets import normalize_url

    return normalize_url


def _ranked_and_relevant(result: ItemResult, item: Item, metric: str) -> tuple[list[str | None], set[str]]:
    """The ranked documents (None where a document repeats) and the relevant set, in the same key space."""
    if not isinstance(item, RetrievalItem):
        msg = f"`{metric}` scores retrieval items, got {type(item).__name__} `{item.id}`"
        raise MetricInputError(msg)
    if item.relevant_ids:
        ranked, relevant, what = result.prediction, set(item.relevant_ids), "the ranked ids as the prediction"
        normalize: Callable[[str], str] | None = None
    elif item.relevant_urls:
        ranked, what = result.extras.get("ranked_urls"), 'the ranked urls in extras["ranked_urls"]'
        normalize = _url_normalizer()
        relevant = {normalize(url) for url in item.relevant_urls}
    else:
        msg = f"item `{item.id}` lists neither relevant ids nor relevant urls"
        raise MetricNotApplicableError(msg)
    if not isinstance(ranked, list) or not all(isinstance(doc, str) for doc in ranked):
        msg = f"`{metric}` needs {what} (a list of str) for `{item.id}`, got {ranked!r}"
        raise MetricInputError(msg)
    docs = [normalize(doc) for doc in ranked] if normalize else ranked
    # A repeated document would count as relevant twice (nDCG above 1); keep its first rank, keep the others' ranks.
    positions: list[str | None] = []
    seen: set[str] = set()
    for doc in docs:
        positions.append(None if doc in seen else doc)
        seen.add(doc)
    return positions, relevant


def recall_at_k(result: ItemResult, item: Item, ctx: ScoringContext) -> dict[str, float]:
    """`recall@k` for each k in `ctx.ks`: share of the relevant documents among the first k results."""
    ranked, relevant = _ranked_and_relevant(result, item, "recall_at_k")
    if any(k < 1 for k in ctx.ks):
        msg = f"`ks` cut-offs must be ≥ 1, got {ctx.ks}"
        raise MetricInputError(msg)
    return {
        f"recall@{k}": len(relevant & {doc for doc in ranked[:k] if doc is not None}) / len(relevant) for k in ctx.ks
    }


def ndcg_at_10(result: ItemResult, item: Item, ctx: ScoringContext) -> dict[str, float]:
    """`ndcg@10`: DCG of the first 10 results (gain 1 per relevant document, 1/log2(rank+1)) over the ideal DCG."""
    ranked, relevant = _ranked_and_relevant(result, item, "ndcg_at_10")
    dcg = sum(1.0 / math.log2(rank + 1) for rank, doc in enumerate(ranked[:_NDCG_K], start=1) if doc in relevant)
    ideal = sum(1.0 / math.log2(rank + 1) for rank in range(1, min(len(relevant), _NDCG_K) + 1))
    return {"ndcg@10": dcg / ideal}


#: Passages `answer_coverage_at_5` reads (the retrieval predictor keeps their texts in `extras["top_texts"]`).
COVERAGE_K = 5


def answer_coverage_at_5(result: ItemResult, item: Item, ctx: ScoringContext) -> dict[str, float]:
    """`answer_coverage@5`: the largest share of the reference answer's content words found in one passage.

    Words are `knowledge.lexical.tokenize` tokens (lower case, English stop words out, Snowball stems), counted
    once each. The first reference answer (`meta["references"][0]`) is scored, as QA scores its reference.
    """
    from knowledge.lexical import tokenize

    if not isinstance(item, RetrievalItem):
        msg = f"`answer_coverage_at_5` scores retrieval items, got {type(item).__name__} `{item.id}`"
        raise MetricInputError(msg)
    references = item.meta.get("references") or []
    reference = set(tokenize(references[0])) if references and isinstance(references[0], str) else set()
    if not reference:
        msg = f"item `{item.id}` has no reference answer text (meta.references) to cover"
        raise MetricNotApplicableError(msg)
    texts = result.extras.get("top_texts")
    if not isinstance(texts, list) or not all(isinstance(t, str) for t in texts):
        msg = f'`answer_coverage_at_5` needs the passages\' texts in extras["top_texts"] for `{item.id}`, got {texts!r}'
        raise MetricInputError(msg)
    return {"answer_coverage@5": answer_coverage(references[0], texts[:COVERAGE_K])}


def answer_coverage(reference: str, texts: list[str]) -> float:
    """The largest share of `reference`'s content words (`knowledge.lexical.tokenize`, counted once) that one of
    `texts` contains; 0.0 for a reference without content words."""
    from knowledge.lexical import tokenize

    return coverage_of(set(tokenize(reference)), [set(tokenize(text)) for text in texts])


def coverage_of(reference_words: set[str], passage_words: list[set[str]]) -> float:
    """`answer_coverage` on words already tokenised (the weight sweep tokenises each passage once)."""
    if not reference_words:
        return 0.0
    return max((len(reference_words & words) for words in passage_words), default=0) / len(reference_words)


def mrr(result: ItemResult, item: Item, ctx: ScoringContext) -> dict[str, float]:
    """`mrr`: 1 / rank of the first relevant result (0 when none was retrieved)."""
    ranked, relevant = _ranked_and_relevant(result, item, "mrr")
    first = next((rank for rank, doc in enumerate(ranked, start=1) if doc in relevant), None)
    return {"mrr": 1.0 / first if first else 0.0}
