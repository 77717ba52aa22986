"""A fitted char-n-gram linear model as plain arrays: the same TF-IDF features, weights and
(optional) sigmoid calibration as the scikit-learn pipeline it came from, without sklearn's
per-call overhead, and storable without pickle (an .npz of arrays and a JSON vocabulary).

A cached model lets the bot start without importing scikit-learn or training at all."""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import numpy as np

log = logging.getLogger(__name__)
FORMAT = 1


class LinearText:
    def __init__(self, ngrams: tuple[int, int], vocabulary: dict[str, int], idf: np.ndarray,
                 weights: np.ndarray, bias: np.ndarray, classes: list[str],
                 a: np.ndarray | None = None, b: np.ndarray | None = None,
                 parts: int = 1) -> None:  # fmt: skip
        self.ngrams = ngrams
        self.vocabulary = vocabulary
        self.idf = idf
        self.weights = weights.astype(np.float32)  # (features, parts × outputs)
        self.bias = bias
        self.classes = classes
        self.a, self.b, self.parts = a, b, parts

    # -- building ------------------------------------------------------------------------------

    @classmethod
    def from_calibrated(cls, pipeline: Any) -> LinearText:
        """From TfidfVectorizer → CalibratedClassifierCV(LinearSVC, method="sigmoid")."""
        vectorizer, calibrated = pipeline.steps[0][1], pipeline.steps[1][1]
        parts = calibrated.calibrated_classifiers_
        return cls(
            vectorizer.ngram_range, dict(vectorizer.vocabulary_), vectorizer.idf_,
            np.hstack([p.estimator.coef_.T for p in parts]),
            np.concatenate([p.estimator.intercept_ for p in parts]),
            [str(c) for c in calibrated.classes_],
            np.concatenate([[c.a_ for c in p.calibrators] for p in parts]),
            np.concatenate([[c.b_ for c in p.calibrators] for p in parts]),
            len(parts),
        )  # fmt: skip

    @classmethod
    def from_binary_svm(cls, pipeline: Any) -> LinearText:
        """From TfidfVectorizer → LinearSVC with two classes (decision function only)."""
        vectorizer, svm = pipeline.steps[0][1], pipeline.steps[1][1]
        return cls(vectorizer.ngram_range, dict(vectorizer.vocabulary_), vectorizer.idf_,
                   svm.coef_.T, svm.intercept_, [str(c) for c in svm.classes_])  # fmt: skip

    # -- using ---------------------------------------------------------------------------------

    def scores(self, text: str) -> np.ndarray:
        """Raw linear scores (the SVM's decision function) for already-normalised text."""
        counts: dict[int, int] = {}
        low, high = self.ngrams
        text = " ".join(text.split())
        for n in range(low, high + 1):
            for i in range(len(text) - n + 1):
                index = self.vocabulary.get(text[i : i + n])
                if index is not None:
                    counts[index] = counts.get(index, 0) + 1
        if not counts:
            return self.bias.copy()
        idx = np.fromiter(counts, dtype=np.int64, count=len(counts))
        values = (1.0 + np.log(np.fromiter(counts.values(), dtype=np.float64))) * self.idf[idx]
        values /= np.sqrt(values @ values)
        return values @ self.weights[idx] + self.bias

    def proba(self, text: str) -> np.ndarray:
        """Calibrated class probabilities, as CalibratedClassifierCV.predict_proba."""
        assert self.a is not None and self.b is not None
        n = len(self.classes)
        probs = (1.0 / (1.0 + np.exp(self.a * self.scores(text) + self.b))).reshape(self.parts, n)
        sums = probs.sum(axis=1, keepdims=True)
        probs = np.where(sums > 0, probs / np.where(sums > 0, sums, 1), 1.0 / n)
        return probs.mean(axis=0)

    # -- storing -------------------------------------------------------------------------------

    def save(self, path: Path) -> None:
        vocab = sorted(self.vocabulary, key=self.vocabulary.__getitem__)
        arrays = {"idf": self.idf, "weights": self.weights, "bias": self.bias}
        if self.a is not None and self.b is not None:
            arrays |= {"a": self.a, "b": self.b}
        meta = {"format": FORMAT, "ngrams": list(self.ngrams), "vocabulary": vocab,
                "classes": self.classes, "parts": self.parts}  # fmt: skip
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".tmp.npz")
        np.savez(tmp, meta=np.frombuffer(json.dumps(meta, ensure_ascii=False).encode(), np.uint8),
                 **arrays)  # fmt: skip
        tmp.replace(path)

    @classmethod
    def load(cls, path: Path) -> LinearText:
        with np.load(path, allow_pickle=False) as data:
            meta = json.loads(bytes(data["meta"]).decode())
            if meta["format"] != FORMAT:
                raise ValueError("cache format changed")
            vocabulary = {ngram: i for i, ngram in enumerate(meta["vocabulary"])}
            return cls(tuple(meta["ngrams"]), vocabulary, data["idf"], data["weights"],
                       data["bias"], meta["classes"], data.get("a"), data.get("b"),
                       meta["parts"])  # fmt: skip


def cache_key(kind: str, *parts: Iterable[str]) -> str:
    """Changes whenever the training data or the model's recipe could change."""
    digest = hashlib.sha256(f"{kind}:{FORMAT}".encode())
    for part in parts:
        for item in part:
            digest.update(item.encode())
            digest.update(b"\0")
    return f"{kind}-{digest.hexdigest()[:20]}.npz"


def cached(cache_dir: Path | None, key: str, train: Any) -> LinearText:
    """Load the model from the cache, or train it (importing scikit-learn) and store it."""
    path = cache_dir / key if cache_dir else None
    if path and path.exists():
        try:
            return LinearText.load(path)
        except (OSError, ValueError, KeyError) as exc:
            log.warning("model cache unreadable, retraining", extra={"error": type(exc).__name__})
    model = train()
    if path:
        try:
            model.save(path)
        except OSError as exc:
            log.warning("model cache not writable", extra={"error": type(exc).__name__})
    return model
