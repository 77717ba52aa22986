"""Rules from content/rules.yaml. They run before the model and cannot be outvoted: a crisis
sign anywhere in a message makes it `crisis`; then boundary risks; then a draft's shape."""

from __future__ import annotations

import re
from dataclasses import dataclass

from bot.nlu.normalize import fold_kana

SAFETY_INTENTS = ("crisis", "stalking_risk")  # outrank whatever the dialogue was waiting for
ORDER = (*SAFETY_INTENTS, "draft")


@dataclass(frozen=True)
class SafetyRules:
    patterns: tuple[tuple[str, re.Pattern[str]], ...]

    @classmethod
    def from_content(cls, data: dict[str, list[str]]) -> SafetyRules:
        """Compile; raises ValueError naming the intent and pattern that does not compile."""
        compiled = []
        for intent in ORDER:
            for n, source in enumerate(data.get(intent) or [], 1):
                try:
                    compiled.append((intent, re.compile(source)))
                except re.error as exc:
                    raise ValueError(f"{intent} pattern #{n}: {exc}") from None
        return cls(tuple(compiled))

    def matches(self, normalized: str, intent: str = "crisis") -> list[tuple[int, int]]:
        """Where the intent's patterns match (text and kana-folded form share positions)."""
        folded = fold_kana(normalized)
        spans = []
        for name, pattern in self.patterns:
            if name == intent:
                for form in (normalized, folded):
                    spans += [m.span() for m in pattern.finditer(form)]
        return spans

    def match(self, normalized: str) -> str | None:
        """The first intent whose pattern matches the text or its kana-folded form."""
        folded = fold_kana(normalized)
        for intent, pattern in self.patterns:
            if pattern.search(normalized) or pattern.search(folded):
                return intent
        return None
