"""The statistical part of the classifier: character n-grams (Japanese has no spaces, and
n-grams shrug off typos and dialect endings) and a linear SVM, calibrated so `confidence` is
a probability the engine can act on. Trained from content/examples at start (under a
second) or loaded from the model cache; nothing downloaded, no pickles."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from bot.nlu.linear import LinearText, cache_key, cached
from bot.nlu.normalize import fold_kana, normalize


def build_pipeline() -> Any:
    from sklearn.calibration import CalibratedClassifierCV
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.pipeline import make_pipeline
    from sklearn.svm import LinearSVC

    return make_pipeline(
        TfidfVectorizer(analyzer="char", ngram_range=(1, 3), sublinear_tf=True, min_df=1),
        CalibratedClassifierCV(LinearSVC(C=1.0, random_state=0), cv=3, method="sigmoid"),
    )


def training_set(examples: Mapping[str, Sequence[str]]) -> tuple[list[str], list[str]]:
    texts, labels = [], []
    for intent, lines in sorted(examples.items()):
        for line in lines:
            texts.append(fold_kana(normalize(line)))
            labels.append(intent)
    return texts, labels


class IntentModel:
    def __init__(
        self,
        examples: Mapping[str, Sequence[str]],
        cache_dir: Path | None = None,
        kind: str = "intent",
    ) -> None:
        texts, labels = training_set(examples)
        if len(set(labels)) < 2:
            raise ValueError("training examples for at least two intents are needed")
        self.pipeline: Any = None

        def train() -> LinearText:
            self.pipeline = build_pipeline().fit(texts, labels)
            return LinearText.from_calibrated(self.pipeline)

        self.compiled = cached(cache_dir, cache_key(kind, texts, labels), train)
        self.classes = self.compiled.classes

    def proba(self, normalized: str) -> dict[str, float]:
        """Every intent's probability."""
        return dict(
            zip(self.classes, self.compiled.proba(fold_kana(normalized)).tolist(), strict=True)
        )
