"""A text model for drafts the lexicon has no word for: character n-grams and a linear SVM
trained on content/nudge/risky.txt and light.txt at start (or loaded from the model cache).
It also finds the clause that weighs most, so even a model-only nudge quotes the user's own
words as its reason."""

from __future__ import annotations

import re
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from bot.nlu.linear import LinearText, cache_key, cached
from bot.nlu.normalize import fold_kana, normalize

_CLAUSE = re.compile(r"[^。．.！!？?\n／/、,]+[。．.！!？?]?")


def _prep(text: str) -> str:
    return fold_kana(normalize(text))


class RiskModel:
    def __init__(self, risky: Sequence[str], light: Sequence[str], margin: float = 0.0,
                 cache_dir: Path | None = None) -> None:  # fmt: skip
        if not risky or not light:
            raise ValueError("risky and light examples are both needed")
        self.margin = margin
        texts = [_prep(t) for t in (*risky, *light)]
        labels = [1] * len(risky) + [0] * len(light)

        def train() -> LinearText:
            from sklearn.feature_extraction.text import TfidfVectorizer
            from sklearn.pipeline import make_pipeline
            from sklearn.svm import LinearSVC

            pipeline = make_pipeline(
                TfidfVectorizer(analyzer="char", ngram_range=(1, 3), sublinear_tf=True),
                LinearSVC(C=1.0, class_weight="balanced"),
            ).fit(texts, labels)
            return LinearText.from_binary_svm(pipeline)

        self.model = cached(cache_dir, cache_key("risk", texts, map(str, labels)), train)

    def score(self, text: str) -> float:
        """Above 0: reads like the risky drafts."""
        return float(self.model.scores(_prep(text))[0]) - self.margin

    def riskiest_clause(self, text: str) -> str:
        clauses = [c.group().strip() for c in _CLAUSE.finditer(text) if c.group().strip()]
        if len(clauses) <= 1:
            return text.strip()
        scores = np.array([self.model.scores(_prep(c))[0] for c in clauses])
        return clauses[int(scores.argmax())]
