"""Keyword rules. They run before any model, so a rule can never be outvoted by statistics."""

from __future__ import annotations

import re

from bot.nlu.normalize import normalize
from bot.nlu.types import Prediction

_SMALL_TALK = (
    ("help", re.compile(r"使い方|何ができる|なにができる|できること|ヘルプ|help|メニュー|どう使う")),
    ("thanks", re.compile(r"ありがと|感謝|助かった|thank|おやすみ")),
    ("greeting", re.compile(r"^(こんにち[はわ]|こんばん[はわ]|おはよ|はじめまして|やっほ|hello|hi|hey|もしもし|おーい)")),
)  # fmt: skip


class RuleClassifier:
    """The first version: greeting, help and thanks by keyword; everything else `other`."""

    def classify(self, text: str) -> Prediction:
        norm = normalize(text)
        for intent, pattern in _SMALL_TALK:
            if pattern.search(norm):
                return Prediction(intent, 1.0, "rule")
        return Prediction("other", 0.0, "rule")
