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


class CompiledModel:
    """The fitted pipeline as plain arrays: the same n-grams, idf, SVM weights and sigmoid
    calibration, without sklearn's per-call validation (8 ms → well under 1 ms a message)."""

    def __init__(self, pipeline: Pipeline) -> None:
        vectorizer, calibrated = pipeline.steps[0][1], pipeline.steps[1][1]
        self.ngrams = vectorizer.ngram_range
        self.vocabulary: dict[str, int] = vectorizer.vocabulary_
        self.idf = vectorizer.idf_.astype(np.float64)
        parts = calibrated.calibrated_classifiers_
        self.weights = np.hstack([p.estimator.coef_.T for p in parts]).astype(np.float32)
        self.bias = np.concatenate([p.estimator.intercept_ for p in parts])
        self.a = np.concatenate([[c.a_ for c in p.calibrators] for p in parts])
        self.b = np.concatenate([[c.b_ for c in p.calibrators] for p in parts])
        self.parts = len(parts)

    def proba(self, text: str) -> np.ndarray:
        counts: dict[int, int] = {}
        low, high = self.ngrams
        text = " ".join(text.split())
        for n in range(low, high + 1):
            for i in range(len(text) - n + 1):
                index = self.vocabulary.get(text[i : i + n])
                if index is not None:
                    counts[index] = counts.get(index, 0) + 1
        n_classes = self.weights.shape[1] // self.parts
        if not counts:
            scores = self.bias
        else:
            idx = np.fromiter(counts, dtype=np.int64, count=len(counts))
            values = (1.0 + np.log(np.fromiter(counts.values(), dtype=np.float64))) * self.idf[idx]
            values /= np.sqrt(values @ values)
            scores = values @ self.weights[idx] + self.bias
        probs = 1.0 / (1.0 + np.exp(self.a * scores + self.b))
        probs = probs.reshape(self.parts, n_classes)
        sums = probs.sum(axis=1, keepdims=True)
        probs = np.where(sums > 0, probs / np.where(sums > 0, sums, 1), 1.0 / n_classes)
        return probs.mean(axis=0)


class IntentModel:
    def __init__(self, examples: Mapping[str, Sequence[str]]) -> None:
        texts, labels = training_set(examples)
        if len(set(labels)) < 2:
            raise ValueError("training examples for at least two intents are needed")
        self.pipeline = build_pipeline().fit(texts, labels)
        self.classes: list[str] = [str(c) for c in self.pipeline.classes_]
        self.compiled = CompiledModel(self.pipeline)

    def predict(self, normalized: str) -> tuple[str, float]:
        probs = self.compiled.proba(fold_kana(normalized))
        best = int(np.argmax(probs))
        return self.classes[best], float(probs[best])
