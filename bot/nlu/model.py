"""The statistical part of the classifier: character n-grams (Japanese has no spaces, and
n-grams shrug off typos and dialect endings) and a linear SVM, calibrated so `confidence` is
a probability the engine can act on. Trained from content/examples at start: under a second,
nothing downloaded, no pickles committed."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
from sklearn.calibration import CalibratedClassifierCV
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.svm import LinearSVC

from bot.nlu.normalize import fold_kana, normalize


def build_pipeline() -> Pipeline:
    return make_pipeline(
        TfidfVectorizer(analyzer="char", ngram_range=(1, 3), sublinear_tf=True, min_df=1),
        CalibratedClassifierCV(LinearSVC(C=1.0), cv=3, method="sigmoid"),
    )


def training_set(examples: Mapping[str, Sequence[str]]) -> tuple[list[str], list[str]]:
    texts, labels = [], []
    for intent, lines in sorted(examples.items()):
        for line in lines:
            texts.append(fold_kana(normalize(line)))
            labels.append(intent)
    return texts, labels


class IntentModel:
    def __init__(self, examples: Mapping[str, Sequence[str]]) -> None:
        texts, labels = training_set(examples)
        if len(set(labels)) < 2:
            raise ValueError("training examples for at least two intents are needed")
        self.pipeline = build_pipeline().fit(texts, labels)
        self.classes: list[str] = list(self.pipeline.classes_)

    def predict(self, normalized: str) -> tuple[str, float]:
        probs = self.pipeline.predict_proba([fold_kana(normalized)])[0]
        best = int(np.argmax(probs))
        return self.classes[best], float(probs[best])
