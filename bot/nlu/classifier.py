"""Intent classification: normalise → safety rules → model. One object, built once."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

from bot.nlu.model import IntentModel
from bot.nlu.normalize import normalize
from bot.nlu.safety import SafetyRules
from bot.nlu.types import Prediction

MODEL_CHARS = 600


class IntentClassifier:
    def __init__(self, safety: SafetyRules, examples: Mapping[str, Sequence[str]],
                 cache_dir: Path | None = None) -> None:  # fmt: skip
        self.safety = safety
        self.model = IntentModel(examples, cache_dir)

    def classify(self, text: str) -> Prediction:
        norm = normalize(text)
        if not norm:
            return Prediction("other", 0.0, "empty")
        rule = self.safety.match(norm)  # on the whole text: a crisis sign anywhere counts
        if rule:
            return Prediction(rule, 1.0, "rule")
        if len(norm) > MODEL_CHARS:  # rambling: the point is usually at the start or the end
            norm = norm[: MODEL_CHARS // 2] + " " + norm[-MODEL_CHARS // 2 :]
        intent, confidence = self.model.predict(norm)
        return Prediction(intent, confidence, "model")
