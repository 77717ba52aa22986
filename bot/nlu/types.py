from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Prediction:
    intent: str
    confidence: float
    source: str = "model"  # "rule" when a safety or keyword rule decided
