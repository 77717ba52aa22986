"""The reader behind `classify`: a message → its frame → the contract's intent id. One object,
built once (the model is trained or loaded from the cache here)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

from bot.nlu.frame import Frame, Reader
from bot.nlu.lexicon import Lexicon
from bot.nlu.model import IntentModel
from bot.nlu.safety import SafetyRules
from bot.nlu.types import Prediction


class IntentClassifier:
    def __init__(self, safety: SafetyRules, lexicon: Lexicon,
                 examples: Mapping[str, Sequence[str]], cache_dir: Path | None = None) -> None:  # fmt: skip
        self.model = IntentModel(examples, cache_dir)
        self.reader = Reader(safety, lexicon, self.model)

    def read(self, text: str) -> Frame:
        return self.reader.read(text)

    def classify(self, text: str) -> Prediction:
        frame = self.reader.read(text)
        return Prediction(frame.intent, frame.confidence, frame.source)
